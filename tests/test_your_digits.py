"""pynn.page.your_digits: the downloadable file of your labelled drawings round-trips, and hostile
files are refused, each for its own fault."""

import json
from types import SimpleNamespace

import pytest
from synthetic_digits import make_digits

from pynn.files import untrusted
from pynn.page import your_digits
from pynn.page.your_digits import DigitsFileError


def test_digits_file_round_trip():
    digits = make_digits([3, 3, 7])
    digits[0]["strokes"] = [[[0.123456, 1.0], [0, 0.5]], []]
    loaded = your_digits.loads(your_digits.dumps(digits))
    assert [d["label"] for d in loaded] == [3, 3, 7]
    assert [d["pixels"] for d in loaded] == [d["pixels"] for d in digits]
    assert loaded[0]["strokes"] == [[[0.1235, 1.0], [0.0, 0.5]], []]
    assert your_digits.loads(your_digits.dumps([])) == []


def test_digits_file_with_a_utf8_bom_loads():
    data = your_digits.dumps(make_digits([1]))
    assert your_digits.loads(b"\xef\xbb\xbf" + data)[0]["label"] == 1
    assert your_digits.loads("\ufeff" + data.decode())[0]["label"] == 1


def file_with(digit_changes=None, **top):
    """A valid one-digit file as a dict, with fields of the digit or the file replaced."""
    digit = {"label": 4, "pixels": [0] * 783 + [255], "strokes": [[[0.5, 0.5]]]}
    digit.update(digit_changes or {})
    return {"format": "pynn-your-digits", "version": 1, "digits": [digit], **top}


def encoded(data) -> bytes:
    return json.dumps(data).encode()


POINT = encoded(file_with({"strokes": [[[0.5, 0.5]]]}))
STROKE_POINT = r"a stroke point must be \[x, y\] with numbers in 0\.\.1, got "
# Each file and the pattern of the reason it must be refused for (not merely some reason).
HOSTILE = {
    "not json": (b"{digits", "is not valid JSON"),
    "not utf-8": (b'{"format": "\x80garbage"}', "is not UTF-8 text"),
    "utf-16": ("\ufeff{}".encode("utf-16"), "is UTF-16 text"),
    "top-level list": (b"[]", "must be a JSON object, got list"),
    "wrong format": (encoded(file_with(format="pynn-model")), "this is not a file of your digits"),
    "version 2": (encoded(file_with(version=2)), "version 2 is not supported"),
    "version as text": (encoded(file_with(version="1")), "version '1' is not supported"),
    "version true": (encoded(file_with(version=True)), "version True is not supported"),
    "extra key": (encoded(file_with(extra=1)), r"needs exactly the keys .*, has .*'extra'"),
    "digits not a list": (encoded(file_with(digits={"0": 1})), "the digits of the file must be a list, got dict"),
    "label 10": (encoded(file_with({"label": 10})), r"digit 1 of the file: label must be .*, got 10"),
    "label -1": (encoded(file_with({"label": -1})), r"digit 1 of the file: label must be .*, got -1"),
    "label 3.0": (encoded(file_with({"label": 3.0})), r"digit 1 of the file: label must be .*, got 3\.0"),
    "label true": (encoded(file_with({"label": True})), r"digit 1 of the file: label must be .*, got True"),
    "label text": (encoded(file_with({"label": "3"})), r"digit 1 of the file: label must be .*, got '3'"),
    "pixel 256": (encoded(file_with({"pixels": [256] + [0] * 783})), r"pixels must be whole numbers 0–255"),
    "pixel -1": (encoded(file_with({"pixels": [-1] + [0] * 783})), r"pixels must be whole numbers 0–255"),
    "pixel 0.5": (encoded(file_with({"pixels": [0.5] + [0] * 783})), r"pixels must be whole numbers 0–255"),
    "783 pixels": (encoded(file_with({"pixels": [0] * 783})), r"pixels must be a list of 784 numbers"),
    "pixels as text": (encoded(file_with({"pixels": "AAAA"})), r"pixels must be a list of 784 numbers"),
    "missing strokes": (encoded({"format": "pynn-your-digits", "version": 1,
                                 "digits": [{"label": 1, "pixels": [0] * 784}]}),
                        r"digit 1 of the file needs exactly the keys .*, has \['label', 'pixels'\]"),
    "NaN coordinate": (POINT.replace(b"0.5]", b"NaN]"), "contains NaN; numbers must be finite"),
    "Infinity coordinate": (POINT.replace(b"0.5]", b"Infinity]"), "contains Infinity; numbers must be finite"),
    "1e999 coordinate": (POINT.replace(b"0.5]", b"1e999]"), STROKE_POINT + r"\[0\.5, inf\]"),
    "coordinate 1.5": (encoded(file_with({"strokes": [[[0.5, 1.5]]]})), STROKE_POINT + r"\[0\.5, 1\.5\]"),
    "three coordinates": (encoded(file_with({"strokes": [[[0.5, 0.5, 0.5]]]})), STROKE_POINT + r"\[0\.5, 0\.5, 0"),
    "coordinate as text": (encoded(file_with({"strokes": [[["0.5", 0.5]]]})), STROKE_POINT + r"\['0\.5', 0\.5\]"),
    "too many strokes": (encoded(file_with({"strokes": [[[0.5, 0.5]]] * 33})), "33 strokes; the cap is 32"),
    "too many points": (encoded(file_with({"strokes": [[[0.5, 0.5]] * 600, [[0.5, 0.5]] * 600]})),
                        "over 1024 points in its strokes"),
    "too many digits": (encoded({**file_with(), "digits": file_with()["digits"] * 501}),
                        "the file holds 501 digits; the most it may hold is 500"),
    "duplicate key": (encoded(file_with()).replace(b'"label": 4', b'"label": 4, "label": 5'),
                      "repeats the key 'label'"),
    "deep nesting": (b'{"format": "pynn-your-digits", "version": 1, "digits": ' + b"[" * 100_000
                     + b"]" * 100_000 + b"}", "is nested too deeply"),
    "huge integer": (encoded(file_with()).replace(b'"label": 4', b'"label": ' + b"9" * 5000),
                     "has a value that cannot be read"),
    "oversized": (b" " * (your_digits.MAX_BYTES + 1), r"digits file is 12\.0 MB; the cap is 12\.0 MB"),
    "a flood of {}": (b'{"format": "pynn-your-digits", "version": 1, "digits": [' + b"{}," * 4_000_000 + b"{}]}",
                      "has 4,000,001 values 2 levels deep, over the 1,000 allowed there"),
    "a flood of numbers in the pixels": (
        encoded(file_with({"pixels": [0] * 784})).replace(b"[0, ", b"[" + b"0," * 1_000_000 + b"0, ", 1),
        "has 1,000,785 values 4 levels deep, over the 816,000 allowed there"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_digits_files_are_refused_each_for_its_own_fault(name):
    data, reason = HOSTILE[name]
    with pytest.raises(DigitsFileError, match=reason):
        your_digits.loads(data)


def test_the_hostile_files_differ_from_a_valid_one_only_in_their_fault():
    assert your_digits.loads(encoded(file_with()))[0]["label"] == 4  # so each refusal above is for its fault
    assert your_digits.loads(POINT)[0]["strokes"] == [[[0.5, 0.5]]]


@pytest.mark.parametrize("name", ["a flood of {}", "a flood of numbers in the pixels"])
def test_a_flood_of_values_is_refused_before_json_builds_any(monkeypatch, name):
    """D5: 4 million {} in 12 MB were refused only after json had built them all (264 MiB)."""
    def parse(*args, **kwargs):
        raise AssertionError("json parsed the file: its values were built before they were counted")

    monkeypatch.setattr(untrusted, "json", SimpleNamespace(loads=parse, JSONDecodeError=json.JSONDecodeError))
    with pytest.raises(DigitsFileError, match="levels deep, over the"):
        your_digits.loads(HOSTILE[name][0])


def test_dumps_refuses_what_loads_would():
    with pytest.raises(DigitsFileError, match="label"):
        your_digits.dumps([{"label": 12, "pixels": bytes(784), "strokes": []}])
    with pytest.raises(DigitsFileError, match="pixels"):
        your_digits.dumps([{"label": 1, "pixels": bytes(100), "strokes": []}])


def test_the_largest_file_dumps_can_write_loads():
    stroke = [[0.123456, 0.654321]] * (your_digits.MAX_POINTS // your_digits.MAX_STROKES)
    digit = {"label": 8, "pixels": bytes([255]) * 784, "strokes": [stroke] * your_digits.MAX_STROKES}
    data = your_digits.dumps([digit] * your_digits.MAX_DIGITS)
    assert len(data) <= your_digits.MAX_BYTES
    # and under the counts made before parsing (twice these) at every level
    depth, counts = untrusted.structure(data.decode())
    assert depth == your_digits.MAX_DEPTH
    assert counts == [3, 500, 1500, 500 * (784 + 32), 500 * 1024, 500 * 1024 * 2] == list(your_digits.MOST_VALUES)
    assert len(your_digits.loads(data)) == your_digits.MAX_DIGITS
