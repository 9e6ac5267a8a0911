"""The user's labelled drawings ("your digits") as a small downloadable JSON file.

A digit is a dict of plain values::

    {"label": 3,                       # the digit the user says it is, 0..9
     "pixels": b"...",                 # the normalised 28×28 input, 784 bytes (uint8, row-major)
     "strokes": [[[x, y], ...], ...]}  # the drawing: polylines of floats in 0..1 (for redrawing it)

and a file is::

    {"format": "pynn-your-digits", "version": 1,
     "digits": [{"label": 3, "pixels": [0, 0, ..., 255, ...], "strokes": [...]}, ...]}

The pixels are written as a JSON list of 784 integers (0..255), the strokes with
four decimals.  A file may come from anywhere (an upload), so :func:`loads`
trusts nothing: the size is capped before parsing, nesting and the count of values
at each level are measured before ``json`` recurses or builds anything, NaN/Infinity
literals and duplicate keys are refused, and every field is checked for type, range
and count.  :func:`dumps` runs the same
checks, so a file it writes always loads.
"""

from __future__ import annotations

import json

import numpy as np

from pynn.files.untrusted import DIGITS_FORMAT, UntrustedFileError, file_kind, megabytes, parse_json, sniff_kind
from pynn.page.spoken import count

FORMAT = DIGITS_FORMAT
VERSION = 1
PIXELS = 784
LABELS = 10
MAX_DIGITS = 500
MAX_STROKES = 32  # per digit
MAX_POINTS = 1024  # per digit, over all its strokes
DECIMALS = 4  # stroke coordinates as written
MAX_DEPTH = 6  # file → digits → digit → strokes → stroke → point
# The largest file dumps can write (every cap reached, longest spellings) fits under this.
MAX_BYTES = 12 * 1024 * 1024
KEYS = {"format", "version", "digits"}
DIGIT_KEYS = {"label", "pixels", "strokes"}
# The most values a valid file holds at each level: the file's keys, digits, their keys, pixels
# and strokes, points, coordinates.  They are counted before parsing (pynn.files.untrusted.structure)
# against twice these, so a near miss is parsed and refused for its precise fault, and a flood of
# tiny values (4 million {} fit in 12 MB) is refused before a single one is built.
MOST_VALUES = (len(KEYS), MAX_DIGITS, MAX_DIGITS * len(DIGIT_KEYS), MAX_DIGITS * (PIXELS + MAX_STROKES),
               MAX_DIGITS * MAX_POINTS, MAX_DIGITS * MAX_POINTS * 2)


class DigitsFileError(UntrustedFileError):
    """A your-digits file (or digit) that is not valid; the message says what is wrong."""


# A model file handed to the digits reader says so, rather than what in it is not a digit.
NOT_DIGITS = "this is a model file, not a file of your digits (a model is uploaded under Model)"


def dumps(digits) -> bytes:
    """The digits as a UTF-8 JSON file; DigitsFileError if any digit is invalid."""
    checked = check_digits(digits, "your digits")
    data = {"format": FORMAT, "version": VERSION, "digits": [
        {"label": d["label"], "pixels": list(d["pixels"]),
         "strokes": [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in stroke] for stroke in d["strokes"]]}
        for d in checked]}
    text = json.dumps(data, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(text) > MAX_BYTES:  # cannot happen within the caps; never write a file loads would refuse
        raise DigitsFileError(f"the digits make a {megabytes(len(text))} file; the cap is {megabytes(MAX_BYTES)}")
    return text


def loads(data: str | bytes | bytearray | memoryview) -> list[dict]:
    """The digits in a file, as dicts (see the module's docstring), or DigitsFileError."""
    try:
        parsed = parse_json(data, cap=MAX_BYTES, max_depth=MAX_DEPTH, what="digits file", error=DigitsFileError,
                            max_items=[2 * most for most in MOST_VALUES])
    except DigitsFileError:
        if sniff_kind(data, MAX_DEPTH) == "model":
            raise DigitsFileError(NOT_DIGITS) from None
        raise
    if not isinstance(parsed, dict):
        raise DigitsFileError(f"digits file must be a JSON object, got {type(parsed).__name__}")
    if parsed.get("format") != FORMAT:
        if file_kind(parsed) == "model":
            raise DigitsFileError(NOT_DIGITS)
        raise DigitsFileError(f"this is not a file of your digits (it should say \"format\": {FORMAT!r})")
    version = parsed.get("version")
    if type(version) is not int or version != VERSION:
        raise DigitsFileError(f"digits file version {version!r} is not supported; this page reads version {VERSION}")
    if set(parsed) != KEYS:
        raise DigitsFileError(f"digits file needs exactly the keys {sorted(KEYS)}, has {sorted(parsed)}")
    return check_digits(parsed["digits"], "the file")


def check_digits(digits, where: str) -> list[dict]:
    """A list of at most MAX_DIGITS valid digits, as fresh dicts with bytes pixels; ``where``
    names the list in messages ("the file")."""
    if not isinstance(digits, (list, tuple)):
        raise DigitsFileError(f"the digits of {where} must be a list, got {type(digits).__name__}")
    if len(digits) > MAX_DIGITS:
        raise DigitsFileError(f"{where} holds {count(len(digits), 'digit')}; the most it may hold is {MAX_DIGITS}")
    return [check_digit(digit, f"digit {i + 1} of {where}") for i, digit in enumerate(digits)]


def merged(stored: list[dict], loaded: list[dict]) -> list[dict]:
    """The digits ``stored`` and then a file's ``loaded`` (both checked), or DigitsFileError,
    saying how many each holds, when together they are more than MAX_DIGITS."""
    total = len(stored) + len(loaded)
    if total > MAX_DIGITS:
        raise DigitsFileError(f"the file holds {count(len(loaded), 'digit')} and you have {len(stored)} already: "
                              f"together {total}, and you can keep at most {MAX_DIGITS}; delete "
                              f"{count(total - MAX_DIGITS, 'digit')} of yours, or upload a smaller file")
    return [*stored, *loaded]


def check_digit(digit, where: str = "digit") -> dict:
    """One digit: label 0..9, 784 pixels 0..255 (bytes, a uint8 array or a list of ints), strokes."""
    if not isinstance(digit, dict):
        raise DigitsFileError(f"{where} must be an object, got {type(digit).__name__}")
    if set(digit) != DIGIT_KEYS:
        raise DigitsFileError(f"{where} needs exactly the keys {sorted(DIGIT_KEYS)}, has {sorted(digit)}")
    label, pixels = check_label(digit["label"], where), check_pixels(digit["pixels"], where)
    if not any(pixels):  # as the pad refuses a blank drawing: there is nothing in it to learn from
        raise DigitsFileError(f"{where} is blank (every pixel is 0): there is no drawing in it")
    return {"label": label, "pixels": pixels, "strokes": check_strokes(digit["strokes"], where)}


def check_label(label, where: str = "digit") -> int:
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or not 0 <= label < LABELS:
        raise DigitsFileError(f"{where}: label must be a whole number 0–{LABELS - 1}, got {label!r:.40}")
    return int(label)


def check_pixels(pixels, where: str = "digit") -> bytes:
    if isinstance(pixels, (bytes, bytearray, memoryview)):
        values = bytes(pixels)
        if len(values) != PIXELS:
            raise DigitsFileError(f"{where}: pixels must be {PIXELS} bytes (28×28), got {len(values)}")
        return values
    if isinstance(pixels, np.ndarray):
        if pixels.dtype != np.uint8 or pixels.size != PIXELS:
            raise DigitsFileError(f"{where}: pixels must be {PIXELS} uint8 values, got {pixels.dtype} "
                                  f"of shape {pixels.shape}")
        return pixels.tobytes()
    if not isinstance(pixels, list) or len(pixels) != PIXELS:
        raise DigitsFileError(f"{where}: pixels must be a list of {PIXELS} numbers (28×28)")
    if not all(type(value) is int and 0 <= value <= 255 for value in pixels):  # not bool, float, str
        raise DigitsFileError(f"{where}: pixels must be whole numbers 0–255")
    return bytes(pixels)


def check_strokes(strokes, where: str = "digit") -> list[list[list[float]]]:
    """At most MAX_STROKES polylines of [x, y] with 0 ≤ x, y ≤ 1, MAX_POINTS points in all."""
    if not isinstance(strokes, list):
        raise DigitsFileError(f"{where}: strokes must be a list of polylines")
    if len(strokes) > MAX_STROKES:
        raise DigitsFileError(f"{where}: {len(strokes)} strokes; the cap is {MAX_STROKES}")
    points, clean = 0, []
    for stroke in strokes:
        if not isinstance(stroke, list):
            raise DigitsFileError(f"{where}: each stroke must be a list of [x, y] points")
        points += len(stroke)
        if points > MAX_POINTS:
            raise DigitsFileError(f"{where}: over {MAX_POINTS} points in its strokes")
        line = []
        for point in stroke:
            if not (isinstance(point, (list, tuple)) and len(point) == 2 and all(
                    type(v) in (int, float) and 0 <= v <= 1 for v in point)):  # NaN, inf fail the range
                raise DigitsFileError(f"{where}: a stroke point must be [x, y] with numbers in 0..1, "
                                      f"got {point!r:.60}")
            line.append([float(point[0]), float(point[1])])
        clean.append(line)
    return clean


def images_and_labels(digits: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 784) uint8 images and (n,) int64 labels of checked digits."""
    images = np.frombuffer(b"".join(d["pixels"] for d in digits), dtype=np.uint8).reshape(len(digits), PIXELS)
    return images.copy(), np.array([d["label"] for d in digits], dtype=np.int64)


def counts(digits: list[dict]) -> list[int]:
    """How many digits there are of each label, 0..9."""
    return np.bincount(np.array([d["label"] for d in digits], dtype=np.intp), minlength=LABELS).tolist()
