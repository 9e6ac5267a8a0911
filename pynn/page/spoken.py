"""Numbers and counts in the words of a message a person reads (the page shows Python's messages
as they are): 1,000 and 4,294,967,295, 0.000001, never 1e-06 or 4.29497e+09; "1 digit", "501
digits".  The page's own messages format numbers the same way (web/page/format.js, ``number``)."""

from __future__ import annotations


def spoken_number(value: float) -> str:
    """``value`` with thousands separators and every digit it has, without an exponent."""
    if float(value).is_integer():
        return f"{int(value):,}"
    # Imported here: the worker imports this module at startup, where it says no numbers yet.
    from decimal import Decimal

    sign = "-" if value < 0 else ""
    text = format(Decimal(repr(abs(float(value)))), "f")  # the shortest digits that round-trip
    whole, _, fraction = text.partition(".")
    return f"{sign}{int(whole):,}.{fraction}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for 1: "1 digit", "1,000 digits"."""
    return f"{spoken_number(n)} {noun if n == 1 else plural or noun + 's'}"
