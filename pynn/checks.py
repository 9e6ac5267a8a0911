"""Argument checks shared by every part of pynn.

Each returns the value in its plain Python form or raises a TypeError or
ValueError whose message names the argument, so a bad call fails before
anything is allocated or changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise if ``array`` holds NaN or ±inf (or is not numeric)."""
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")


def check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or ≥ 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'≥' if allow_zero else '>'} 0 and finite, got {value}")
    return float(value)


def check_count(name: str, value: int, minimum: int) -> int:
    """A whole number ≥ minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value}")
    return int(value)


def check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    """At least two layers, each a positive whole number."""
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
        raise TypeError(f"layer_sizes must be a list of ints, got {type(layer_sizes).__name__}")
    if len(layer_sizes) < 2:
        raise ValueError(f"layer_sizes needs at least 2 layers (input and output), got {list(layer_sizes)}")
    for size in layer_sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"layer sizes must be ints, got {size!r} in {list(layer_sizes)}")
        if size < 1:
            raise ValueError(f"layer sizes must be positive, got {size} in {list(layer_sizes)}")
    return [int(size) for size in layer_sizes]


def check_dropout(p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p_dropout must be a number, got {p!r}")
    if not 0.0 <= p < 1.0:  # also refuses NaN
        raise ValueError(f"p_dropout must be in [0, 1), got {p}")
    return float(p)


def seq4(name: str, value, lengths: tuple) -> tuple:
    """A tuple/list of one of the allowed ``lengths``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or len(value) not in lengths:
        raise TypeError(f"{name} must be a tuple of {' or '.join(map(str, lengths))} ints, got {value!r}")
    return tuple(value)


MAX_BYTES = 1 << 30  # refuse layers/batches whose parameters and buffers would pass 1 GiB


def check_bytes(what: str, count: int) -> None:
    """Refuse before allocating: ``count`` float64s must fit in MAX_BYTES."""
    if count * 8 > MAX_BYTES:
        raise ValueError(f"{what} would need {count * 8 / 2**30:.1f} GiB; the cap is {MAX_BYTES / 2**30:.0f} GiB")
