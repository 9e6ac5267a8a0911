"""Digits drawn as pen strokes, inked as the page's pad inks them (build time and bench only).

A drawing is a list of strokes, each a list of points in pad units (0..1 of the
pad's side, x right, y down).  :func:`rasterise` inks them exactly as
web/page/canvas.js does (a 20 px round pen on a 280 px pad, anti-aliased by
supersampling) and :func:`to_input` normalises the ink as the page does.

:func:`place` puts a skeleton (strokes in a unit box) on the pad with a slant,
a width, a size and a small rotation, as a person would draw it; bench/style_set.py
builds our evaluation set with it.  The generators below (:func:`flagged_one`,
:func:`seven`, :func:`six`) make the shapes that tell a European 1 from a 7
with their features drawn from stated ranges, so the training data
(:func:`stroke_dataset`, used by buildtools.pretrained) covers them without copying
any drawing of the evaluation set (different skeletons, different seeds).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from pynn.data.digits import normalize_digit

PAD_SIZE = 280  # web/page/canvas.js PAD_SIZE
LINE_WIDTH = 20  # web/page/canvas.js LINE_WIDTH
SUPERSAMPLE = 4

# The ranges the generators draw from (unit box, y down); tests hold the shapes to them.
FLAG_LENGTH = (0.15, 0.55)  # a 1's flag, as a share of the digit's height
FLAG_ANGLE = (15.0, 60.0)  # degrees below the horizontal, the flag running down-left from the top
CROSS_HEIGHT = (0.42, 0.62)  # where a crossed 7's bar meets the stem, share of the height from the top
CROSS_HALF = (0.14, 0.3)  # half the bar's length
SIX_LOOP_TOP = (0.35, 0.65)  # where a 6's loop closes: high (0.35) to low (0.65)


def catmull_rom(points: np.ndarray, per_span: int = 10) -> np.ndarray:
    """A smooth curve through ``points`` (centripetal-free uniform Catmull-Rom), sampled densely."""
    if len(points) < 3:
        return points
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    t = np.linspace(0, 1, per_span, endpoint=False)[:, None]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1:i + 3]
        out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    out.append(points[-1:])
    return np.vstack(out)


def trace(stroke, jitter) -> np.ndarray:
    """The pen's path for one skeleton stroke (pieces ("line" | "curve", points)), with control
    points moved by ``jitter(points)``."""
    path = []
    for kind, points in stroke:
        points = jitter(np.asarray(points, dtype=np.float64))
        if path:
            points[0] = path[-1][-1]  # a piece continues where the last one ended
        path.append(catmull_rom(points) if kind == "curve" else points)
    return np.vstack(path)


def place(skeleton: list, slant: float, width: float, rng: np.random.Generator) -> list[list[list[float]]]:
    """One drawing of ``skeleton`` (strokes of pieces in a unit box) as strokes in pad units,
    jittered, slanted, sized and placed like a person draws it.  Deterministic in ``rng``."""
    wobble = rng.normal(0, 0.012, size=(64, 2))
    counter = iter(range(64))

    def jitter(points):
        return points + np.array([wobble[next(counter) % 64] for _ in points])

    strokes = [trace(stroke, jitter) for stroke in skeleton]
    slant = math.tan(math.radians(slant + rng.normal(0, 3)))
    width *= rng.uniform(0.9, 1.1)
    height = rng.uniform(0.55, 0.8)  # of the pad
    rotation = math.radians(rng.normal(0, 2))
    cos, sin = math.cos(rotation), math.sin(rotation)
    placed = []
    for stroke in strokes:
        x, y = (stroke[:, 0] - 0.5) * width, stroke[:, 1] - 0.5
        x = x - slant * y  # y grows downwards: the top leans right for a positive slant
        x, y = cos * x - sin * y, sin * x + cos * y
        placed.append(np.stack([x, y], axis=1) * height)
    every = np.vstack(placed)
    low, high = every.min(axis=0), every.max(axis=0)
    margin = LINE_WIDTH / PAD_SIZE
    centre = [rng.uniform(margin - low[i], 1 - margin - high[i]) if high[i] - low[i] < 1 - 2 * margin else
              0.5 - (low[i] + high[i]) / 2 for i in range(2)]
    return [np.round(stroke + centre, 3).tolist() for stroke in placed]


def rasterise(strokes, size: int = PAD_SIZE, line_width: float = LINE_WIDTH,
              supersample: int = SUPERSAMPLE) -> np.ndarray:
    """The ink (alpha 0..255, uint8, size × size) that web/page/canvas.js leaves for ``strokes``
    (points in pad units): every point within line_width/2 of the pen's path is inked,
    which is a round-capped, round-joined line; coverage is measured on a finer grid."""
    fine = size * supersample
    ink = np.zeros((fine, fine), dtype=bool)
    radius = line_width / 2 * supersample
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2) * fine
        segments = zip(points, points[1:]) if len(points) > 1 else [(points[0], points[0])]
        for a, b in segments:
            x0, y0 = np.floor(np.minimum(a, b) - radius).astype(int).clip(0, fine)
            x1, y1 = np.ceil(np.maximum(a, b) + radius + 1).astype(int).clip(0, fine)
            if x0 >= x1 or y0 >= y1:
                continue
            ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5  # sample at the centres of the fine pixels
            d = b - a
            t = np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / max(d @ d, 1e-12), 0, 1)
            near = (xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2 <= radius ** 2
            ink[y0:y1, x0:x1] |= near
    coverage = ink.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    return np.rint(coverage * 255).astype(np.uint8)


def to_input(strokes) -> np.ndarray:
    """What the page feeds the network for this drawing: a (784, 1) column."""
    return normalize_digit(rasterise(strokes))


class Shape(NamedTuple):
    """A generated skeleton, with the features it was drawn with (for the tests to check)."""

    digit: int
    skeleton: list
    features: dict


def line(*points) -> tuple:
    return ("line", [tuple(p) for p in points])


def curve(*points) -> tuple:
    return ("curve", [tuple(p) for p in points])


def flagged_one(rng: np.random.Generator) -> Shape:
    """A European 1: a stem with a flag from its top down to the left, of a length in FLAG_LENGTH
    (share of the height) at an angle in FLAG_ANGLE below the horizontal; a foot half the time."""
    length, angle = rng.uniform(*FLAG_LENGTH), rng.uniform(*FLAG_ANGLE)
    top, bottom, x = 0.04, 0.96, rng.uniform(0.55, 0.65)
    dx, dy = length * math.cos(math.radians(angle)), length * math.sin(math.radians(angle))
    skeleton = [[line((x - dx, top + dy), (x, top), (x, bottom))]]
    foot = bool(rng.random() < 0.5)
    if foot:
        half = rng.uniform(0.15, 0.3)
        skeleton.append([line((x - half, bottom), (x + half, bottom))])
    return Shape(1, skeleton, {"flag_length": length, "flag_angle": angle, "foot": foot})


def seven(rng: np.random.Generator, crossed: bool) -> Shape:
    """A 7: a top bar (a small serif down at its left a third of the time) and a stem, straight
    or gently curved; ``crossed`` adds a bar across the stem at CROSS_HEIGHT, CROSS_HALF each side."""
    left, right, foot_x = rng.uniform(0.1, 0.22), rng.uniform(0.8, 0.9), rng.uniform(0.32, 0.5)
    top = 0.05
    bar = line((left, top + 0.13), (left, top), (right, top)) if rng.random() < 1 / 3 else line((left, top),
                                                                                                (right, top))
    bend = rng.uniform(-0.06, 0.06)
    middle = ((right + foot_x) / 2 + bend, 0.5)
    stem = curve((right, top), middle, (foot_x, 0.96))
    skeleton = [[bar, stem]]
    features = {"crossed": crossed}
    if crossed:
        height, half = rng.uniform(*CROSS_HEIGHT), rng.uniform(*CROSS_HALF)
        # where the stem passes that height (the curve through three points is close to the chord)
        at = right + (foot_x - right) * (height - top) / (0.96 - top) + bend * (1 - abs(height - 0.5) * 2)
        shift = rng.uniform(-0.05, 0.05)
        skeleton.append([line((at - half + shift, height), (at + half + shift, height))])
        features.update(cross_height=height, cross_half=half)
    return Shape(7, skeleton, features)


def six(rng: np.random.Generator) -> Shape:
    """A 6: a stroke down from the top right into a loop that closes at a height in SIX_LOOP_TOP
    (high or low), its start straight, curved, or hooked at the top."""
    loop_top = rng.uniform(*SIX_LOOP_TOP)
    cx, rx = rng.uniform(0.47, 0.53), rng.uniform(0.24, 0.3)
    ry = (0.96 - loop_top) / 2
    cy = loop_top + ry
    start = (rng.uniform(0.62, 0.78), 0.04)
    kind = int(rng.integers(3))
    lead = [(0.78, 0.2), (0.62, 0.04), (0.42, 0.1)] if kind == 2 else [start]
    entry = (cx - rx * 0.95, cy)
    loop = [(cx - rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a))) for a in (40, 90, 140, 180,
                                                                                                   220, 270, 320, 360)]
    if kind == 1:
        skeleton = [[line(start, entry), curve(entry, *loop)]]
    else:
        skeleton = [[curve(*lead, ((lead[-1][0] + entry[0]) / 2 - 0.04, (lead[-1][1] + entry[1]) / 2), entry,
                           *loop)]]
    return Shape(6, skeleton, {"loop_top": loop_top, "start": ("curved", "straight", "hooked")[kind]})


GENERATORS = {
    "1-flagged": flagged_one,
    "7-crossed": lambda rng: seven(rng, crossed=True),
    "7-plain": lambda rng: seven(rng, crossed=False),
    "6-loop": six,
}


def stroke_dataset(seed: int, per_kind: int, slant: tuple[float, float] = (-12.0, 20.0),
                   width: tuple[float, float] = (0.6, 1.3)) -> tuple[np.ndarray, np.ndarray]:
    """Training images (n, 784) uint8 and labels (n,) uint8: ``per_kind`` drawings of each of
    GENERATORS, each with a slant and width drawn from the given ranges, inked and normalised
    as the page does.  Deterministic in ``seed``."""
    images, labels = [], []
    for k, make in enumerate(GENERATORS.values()):
        for i in range(per_kind):
            rng = np.random.default_rng([seed, k, i])
            shape = make(rng)
            strokes = place(shape.skeleton, rng.uniform(*slant), rng.uniform(*width), rng)
            images.append(np.rint(np.clip(to_input(strokes)[:, 0], 0, 1) * 255).astype(np.uint8))
            labels.append(shape.digit)
    return np.stack(images), np.array(labels, dtype=np.uint8)
