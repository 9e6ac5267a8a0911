"""Turn a drawing into the kind of input MNIST trained the network on.

MNIST's own recipe: crop the digit to its ink, scale it (keeping its aspect
ratio, anti-aliased) so its longer side fills a 20×20 box, then place it in a
28×28 field so that its centre of mass sits at the centre.  A digit drawn
anywhere, at any size, on a canvas of any size then looks like the digits the
network learned from.  On MNIST itself the centre of mass lies within half a
pixel of (14, 14) in row/column index coordinates, so that is the target.
"""

from __future__ import annotations

import numpy as np

from pynn.checks import check_finite

FIELD = 28
BOX = 20
CENTRE = 14.0
INK = 0.1  # a pixel with at least this much ink (of 1.0) counts towards "not blank"
MIN_INK_FRACTION = 0.001  # fewer inked pixels than this share of the image is near-blank
MIN_EXTENT = 1 / 8  # ink spanning less than this share of the image's shorter side is a dot, not a digit


class BlankImageError(ValueError):
    """The image has no digit in it (no ink, or only a speck)."""


def area_weights(source: int, target: int) -> np.ndarray:
    """(target, source) matrix averaging source pixels into target pixels by overlapping area."""
    edges = np.arange(target + 1) * (source / target)
    left = np.arange(source)
    overlap = np.minimum(edges[1:, None], left[None, :] + 1) - np.maximum(edges[:-1, None], left[None, :])
    return np.clip(overlap, 0, None) * (target / source)


def resize_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize by area averaging (exact for integer factors either way)."""
    return area_weights(image.shape[0], height) @ image @ area_weights(image.shape[1], width).T


def as_ink(image, ink_max: float | None = None) -> np.ndarray:
    """A 2-D float image with ink in [0, 1]: uint8-like images are read as 0..255."""
    array = np.asarray(image)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"image must be a non-empty 2-D grayscale array, got shape {array.shape}")
    check_finite("image", array)
    values = array.astype(np.float64)
    if values.min() < 0:
        raise ValueError("image has negative values; ink must be ≥ 0 (background 0)")
    if ink_max is None:
        ink_max = 255.0 if np.issubdtype(array.dtype, np.integer) else 1.0
    return values / max(ink_max, values.max())


def normalize_digit(image, ink_max: float | None = None) -> np.ndarray:
    """A (784, 1) MNIST-like column from a grayscale drawing (ink > 0, background 0).

    Raises BlankImageError when there is no digit to see, rather than guessing."""
    ink = as_ink(image, ink_max)
    inked = ink > INK
    if inked.sum() < max(2, MIN_INK_FRACTION * ink.size):
        raise BlankImageError("the image is blank: draw a digit first")
    if max(extent(np.any(inked, axis=1)), extent(np.any(inked, axis=0))) < MIN_EXTENT * min(ink.shape):
        raise BlankImageError("the ink is only a dot: draw a digit")
    rows, cols = np.flatnonzero((ink > 0).any(axis=1)), np.flatnonzero((ink > 0).any(axis=0))
    digit = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    height, width = digit.shape
    scale = BOX / max(height, width)
    digit = resize_area(digit, max(1, round(height * scale)), max(1, round(width * scale)))
    return centre_by_mass(digit).reshape(FIELD * FIELD, 1)


def extent(inked: np.ndarray) -> int:
    """Pixels from the first to the last inked one along an axis."""
    where = np.flatnonzero(inked)
    return int(where[-1] - where[0] + 1) if len(where) else 0


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place ``digit`` (at most 20×20) in a 28×28 field with its centre of mass at the centre."""
    height, width = digit.shape
    mass = digit.sum()
    com_row = (digit.sum(axis=1) @ np.arange(height)) / mass
    com_col = (digit.sum(axis=0) @ np.arange(width)) / mass
    top = int(np.clip(np.floor(CENTRE - com_row + 0.5), 0, FIELD - height))
    left = int(np.clip(np.floor(CENTRE - com_col + 0.5), 0, FIELD - width))
    field = np.zeros((FIELD, FIELD))
    field[top:top + height, left:left + width] = digit
    return field


def from_pad(pixels: bytes, width: int, height: int) -> np.ndarray:
    """The (784, 1) input for the page's width×height uint8 ink image; BlankImageError if blank."""
    ink = np.frombuffer(bytes(pixels), dtype=np.uint8)
    if ink.size != width * height:
        raise ValueError(f"got {ink.size} pixels for a {width}×{height} image")
    return normalize_digit(ink.reshape(height, width))


def preview(x: np.ndarray) -> bytes:
    """A (784, 1) input as the 784 bytes of its 28×28 picture (0 = no ink)."""
    return np.rint(x[:, 0] * 255).astype(np.uint8).tobytes()
