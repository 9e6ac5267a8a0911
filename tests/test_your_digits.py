"""pynn.your_digits: the downloadable file of your labelled drawings round-trips, and hostile
files are refused, each for its own fault."""

import json

import pytest
from synthetic_digits import make_digits

from pynn import your_digits
from pynn.your_digits import DigitsFileError


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


HOSTILE = {
    "not json": b"{digits",
    "not utf-8": b"\xff\xfe\x00garbage\x80",
    "utf-16": "\ufeff{}".encode("utf-16"),
    "top-level list": b"[]",
    "wrong format": encoded(file_with(format="pynn-model")),
    "version 2": encoded(file_with(version=2)),
    "version as text": encoded(file_with(version="1")),
    "version true": encoded(file_with(version=True)),
    "extra key": encoded(file_with(extra=1)),
    "digits not a list": encoded(file_with(digits={"0": 1})),
    "label 10": encoded(file_with({"label": 10})),
    "label -1": encoded(file_with({"label": -1})),
    "label 3.0": encoded(file_with({"label": 3.0})),
    "label true": encoded(file_with({"label": True})),
    "label text": encoded(file_with({"label": "3"})),
    "pixel 256": encoded(file_with({"pixels": [256] + [0] * 783})),
    "pixel -1": encoded(file_with({"pixels": [-1] + [0] * 783})),
    "pixel 0.5": encoded(file_with({"pixels": [0.5] + [0] * 783})),
    "783 pixels": encoded(file_with({"pixels": [0] * 783})),
    "pixels as text": encoded(file_with({"pixels": "AAAA"})),
    "missing strokes": encoded({"format": "pynn-your-digits", "version": 1,
                                "digits": [{"label": 1, "pixels": [0] * 784}]}),
    "NaN coordinate": encoded(file_with({"strokes": [[[0.5, 0.5]]]})).replace(b"0.5]", b"NaN]"),
    "Infinity coordinate": encoded(file_with({"strokes": [[[0.5, 0.5]]]})).replace(b"0.5]", b"Infinity]"),
    "1e999 coordinate": encoded(file_with({"strokes": [[[0.5, 0.5]]]})).replace(b"0.5]", b"1e999]"),
    "coordinate 1.5": encoded(file_with({"strokes": [[[0.5, 1.5]]]})),
    "three coordinates": encoded(file_with({"strokes": [[[0.5, 0.5, 0.5]]]})),
    "coordinate as text": encoded(file_with({"strokes": [[["0.5", 0.5]]]})),
    "too many strokes": encoded(file_with({"strokes": [[[0.5, 0.5]]] * 33})),
    "too many points": encoded(file_with({"strokes": [[[0.5, 0.5]] * 600, [[0.5, 0.5]] * 600]})),
    "too many digits": encoded({**file_with(), "digits": file_with()["digits"] * 501}),
    "duplicate key": encoded(file_with()).replace(b'"label": 4', b'"label": 4, "label": 5'),
    "deep nesting": b'{"format": "pynn-your-digits", "version": 1, "digits": ' + b"[" * 100_000 + b"]" * 100_000
                    + b"}",
    "huge integer": encoded(file_with()).replace(b'"label": 4', b'"label": ' + b"9" * 5000),
    "oversized": b" " * (your_digits.MAX_BYTES + 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_digits_files_are_refused_with_a_clear_error(name):
    with pytest.raises(DigitsFileError):
        your_digits.loads(HOSTILE[name])


def test_the_hostile_files_differ_from_a_valid_one_only_in_their_fault():
    assert your_digits.loads(encoded(file_with()))[0]["label"] == 4  # so each refusal above is for its fault


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
    assert len(your_digits.loads(data)) == your_digits.MAX_DIGITS
