"""Random distortions of 28×28 digits, for training on more kinds of handwriting.

Numpy only, so the page's Pyodide can use it as well as the native trainer.
Every image of a batch gets its own random affine map (rotation, shear, scale,
aspect, shift) and, optionally, an elastic distortion (Simard, Steinkraus and
Platt, 2003: a random displacement field smoothed by a Gaussian and scaled by
alpha).  Both are done in one inverse mapping with bilinear sampling, so an
image is resampled once.  Then the strokes may be made thicker or thinner by a
grey-scale dilation or erosion, blended by a random fraction.

Coordinates are (row, column) pixel indices; the image centre is (13.5, 13.5),
so a 90° rotation maps the pixel grid onto itself.  A positive rotation turns
the digit counter-clockwise as displayed (like ``np.rot90``), a positive shear
leans its top to the right (like italics), and a shift is (down, right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from pynn.checks import check_finite

SIDE = 28
PIXELS = SIDE * SIDE
CENTRE = (SIDE - 1) / 2
BLOCK = 256  # images distorted at once: ~30 MB of float64 working arrays (5,000 at once took 573 MB)


@dataclass(frozen=True)
class Augmentation:
    """How much to distort: each image draws its own values uniformly within these bounds.

    rotation, shear: ± degrees.  scale: the size factor lies in [1 - scale, 1 + scale].
    aspect: width/height is changed by a factor in [1 - aspect, 1 + aspect].
    shift: ± pixels, along each axis.  elastic_alpha: strength of the elastic field
    (pixels, 0 = none); elastic_sigma: its smoothness (pixels).  thickness: strokes
    grow (or shrink) by up to this many dilation (erosion) steps of a 3×3 cross."""

    rotation: float = 12.0
    shear: float = 15.0
    scale: float = 0.12
    aspect: float = 0.15
    shift: float = 1.5
    elastic_alpha: float = 20.0
    elastic_sigma: float = 4.0
    thickness: float = 0.8


IDENTITY = Augmentation(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0)
# Largest sensible bound for each setting: beyond these a digit is no longer that digit
# (or leaves the field), which is far more likely a mistake than an intention.
LIMITS = {"rotation": 180.0, "shear": 60.0, "scale": 0.5, "aspect": 0.5, "shift": 8.0,
          "elastic_alpha": 100.0, "elastic_sigma": 20.0, "thickness": 2.0}


def check_settings(settings: Augmentation) -> Augmentation:
    """Raise ValueError naming the first setting that is not a finite number in its range."""
    for field in fields(Augmentation):
        name, value = field.name, getattr(settings, field.name)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
        low = 1e-3 if name == "elastic_sigma" else 0.0
        if not low <= value <= LIMITS[name]:
            raise ValueError(f"{name} must be in [{low:g}, {LIMITS[name]:g}], got {value}")
    return settings


def check_images(images) -> np.ndarray:
    """A (n, 784) array of uint8 (0..255) or float (0..1) pixels, else ValueError."""
    array = np.asarray(images)
    if array.ndim != 2 or array.shape[1] != PIXELS:
        raise ValueError(f"images must have shape (n, {PIXELS}), got {array.shape}")
    if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"images must be uint8 or float, got dtype {array.dtype}")
    check_finite("images", array)
    if array.dtype != np.uint8 and array.size and (array.min() < 0 or array.max() > 1):
        raise ValueError("float images must have pixels in [0, 1]")
    return array


def augment(images, rng: np.random.Generator, settings: Augmentation | None = None, **overrides) -> np.ndarray:
    """Randomly distorted copies of ``images`` (n, 784), same dtype and shape.

    ``settings`` defaults to :class:`Augmentation`'s handwriting defaults; keyword
    arguments override single fields (``augment(x, rng, rotation=0)``).  The result
    depends only on the images, the settings and the state of ``rng``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    unknown = set(overrides) - {f.name for f in fields(Augmentation)}
    if unknown:
        raise ValueError(f"unknown augmentation setting(s): {sorted(unknown)}")
    settings = check_settings(replace(settings or Augmentation(), **overrides))
    images = check_images(images)
    n = len(images)
    if n == 0:
        return images.copy()
    s = settings
    rotation = rng.uniform(-s.rotation, s.rotation, n)
    shear = rng.uniform(-s.shear, s.shear, n)
    scale = rng.uniform(1 - s.scale, 1 + s.scale, n)
    aspect = rng.uniform(1 - s.aspect, 1 + s.aspect, n)
    shift = rng.uniform(-s.shift, s.shift, (n, 2))
    thickness = rng.uniform(-s.thickness, s.thickness, n)
    out = np.empty_like(images)
    # A block at a time, so the float64 working arrays (~120 KB an image) stay bounded.  The
    # elastic noise is drawn block after block in image order: the same numbers as one draw of
    # (n, 2, 28, 28), so the result does not depend on the block size.
    for start in range(0, n, BLOCK):
        part = slice(start, min(start + BLOCK, n))
        count = part.stop - start
        displacement = elastic_field(rng, count, s.elastic_alpha, s.elastic_sigma) if s.elastic_alpha > 0 else None
        pixels = warp(to_float(images[part]), affine_sources(rotation[part], shear[part], scale[part], aspect[part],
                                                             shift[part]), displacement)
        out[part] = from_float(thicken(pixels, thickness[part]), images.dtype)
    return out


def affine(images, rotation=0.0, shear=0.0, scale=1.0, aspect=1.0, shift=(0.0, 0.0)) -> np.ndarray:
    """``images`` mapped by given (not random) affine parameters, scalars or one per image:
    rotation and shear in degrees, scale and aspect as factors, shift (rows, columns)."""
    images = check_images(images)
    n = len(images)
    params = [np.broadcast_to(np.asarray(v, dtype=np.float64), shape)
              for v, shape in ((rotation, (n,)), (shear, (n,)), (scale, (n,)), (aspect, (n,)), (shift, (n, 2)))]
    for name, value in zip(("rotation", "shear", "scale", "aspect", "shift"), params):
        check_finite(name, value)
    if (params[2] <= 0).any() or (params[3] <= 0).any():
        raise ValueError("scale and aspect must be positive factors")
    return from_float(warp(to_float(images), affine_sources(*params)), images.dtype)


def to_float(images: np.ndarray) -> np.ndarray:
    """Pixels as float64 (n, 28, 28) in [0, 1]."""
    pixels = images.astype(np.float64).reshape(-1, SIDE, SIDE)
    return pixels / 255.0 if images.dtype == np.uint8 else pixels


def from_float(pixels: np.ndarray, dtype) -> np.ndarray:
    """Back to (n, 784) of ``dtype``, clipped to the valid range."""
    pixels = np.clip(pixels.reshape(-1, PIXELS), 0.0, 1.0)
    if dtype == np.uint8:
        return np.rint(pixels * 255.0).astype(np.uint8)
    return pixels.astype(dtype)


def affine_sources(rotation, shear, scale, aspect, shift) -> np.ndarray:
    """(n, 2, 28, 28) source coordinates (row, column) of each output pixel.

    The forward map is x ↦ c + R·H·S·(x − c) + shift (R rotation, H shear,
    S = diag(scale/√aspect, scale·√aspect) in (row, column)); sampling needs its inverse."""
    theta, lean = np.radians(rotation), np.tan(np.radians(shear))
    cos, sin = np.cos(theta), np.sin(theta)
    zero, one = np.zeros_like(cos), np.ones_like(cos)
    # In (row, column) with rows pointing down: counter-clockwise rotation as displayed,
    # and a shear that moves upper rows (smaller row index) to the right.
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    hsh = np.stack([np.stack([one, zero], -1), np.stack([-lean, one], -1)], -2)
    root = np.sqrt(aspect)
    stretch = np.stack([np.stack([scale / root, zero], -1), np.stack([zero, scale * root], -1)], -2)
    forward = rot @ hsh @ stretch
    inverse = np.linalg.inv(forward)  # (n, 2, 2); well-conditioned for the allowed ranges
    grid = np.stack(np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")).reshape(2, -1) - CENTRE
    targets = grid[None] - shift[:, :, None]  # (n, 2, 784)
    sources = inverse @ targets + CENTRE
    # Identity parameters give exactly the grid, so sampling there copies pixels exactly.
    return sources.reshape(-1, 2, SIDE, SIDE)


def elastic_field(rng: np.random.Generator, n: int, alpha: float, sigma: float) -> np.ndarray:
    """(n, 2, 28, 28) displacements: uniform noise in [-1, 1], Gaussian-smoothed, times alpha."""
    noise = rng.uniform(-1.0, 1.0, (n, 2, SIDE, SIDE))
    smooth = gaussian_matrix(sigma)
    return alpha * (smooth @ noise @ smooth.T)


def gaussian_matrix(sigma: float, size: int = SIDE) -> np.ndarray:
    """(size, size) matrix applying a 1-D Gaussian blur with zero padding (rows sum to ≤ 1)."""
    radius = max(1, math.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    offsets = np.arange(size)[None, :] - np.arange(size)[:, None]
    return np.where(np.abs(offsets) <= radius, taps[np.clip(offsets + radius, 0, 2 * radius)], 0.0)


def warp(pixels: np.ndarray, sources: np.ndarray, displacement: np.ndarray | None = None) -> np.ndarray:
    """Bilinear samples of ``pixels`` (n, 28, 28) at ``sources`` (+ ``displacement``); zero outside."""
    if displacement is not None:
        sources = sources + displacement
    n = len(pixels)
    framed = np.zeros((n, SIDE + 2, SIDE + 2))
    framed[:, 1:-1, 1:-1] = pixels
    padded = framed.reshape(n, (SIDE + 2) ** 2)
    coords = np.clip(sources, -1.0, float(SIDE))  # beyond this everything is the zero border
    low = np.clip(np.floor(coords), -1, SIDE - 1)
    frac = coords - low
    rows, cols = low[:, 0].astype(np.intp) + 1, low[:, 1].astype(np.intp) + 1  # padded indices
    fr, fc = frac[:, 0].reshape(n, PIXELS), frac[:, 1].reshape(n, PIXELS)
    base = (rows * (SIDE + 2) + cols).reshape(n, PIXELS)

    def at(offset: int) -> np.ndarray:
        return np.take_along_axis(padded, base + offset, axis=1)

    top = at(0) * (1 - fc) + at(1) * fc
    bottom = at(SIDE + 2) * (1 - fc) + at(SIDE + 3) * fc
    return (top * (1 - fr) + bottom * fr).reshape(n, SIDE, SIDE)


def cross_filter(pixels: np.ndarray, reduce) -> np.ndarray:
    """``reduce`` (np.maximum or np.minimum) of each pixel and its 4 neighbours; zero outside."""
    padded = np.pad(pixels, ((0, 0), (1, 1), (1, 1)))
    out = pixels.copy()
    for dr, dc in ((0, 1), (2, 1), (1, 0), (1, 2)):
        reduce(out, padded[:, dr:dr + SIDE, dc:dc + SIDE], out=out)
    return out


def thicken(pixels: np.ndarray, amount) -> np.ndarray:
    """Strokes of float ``pixels`` (n, 28, 28) grown by ``amount`` dilation steps (negative:
    thinned by erosion); whole steps, then a blend towards one more step for the fraction."""
    amount = np.broadcast_to(np.asarray(amount, dtype=np.float64), (len(pixels),))
    check_finite("thickness", amount)
    if np.abs(amount).max(initial=0.0) > LIMITS["thickness"]:
        raise ValueError(f"thickness must be within ±{LIMITS['thickness']:g} steps")
    out = pixels.copy()
    for sign, reduce in ((1.0, np.maximum), (-1.0, np.minimum)):
        steps = np.where(amount * sign > 0, np.abs(amount), 0.0)
        current, remaining = pixels[steps > 0], steps[steps > 0]
        while len(current) and remaining.max() > 0:
            step = cross_filter(current, reduce)
            weight = np.clip(remaining, 0.0, 1.0)[:, None, None]
            current = current + weight * (step - current)
            remaining = remaining - 1.0
        out[steps > 0] = current
    return out
