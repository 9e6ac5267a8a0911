"""buildtools.strokes: the generated shapes that tell a European 1 from a 7 really have their features,
over the stated ranges, and the training drawings are inked and normalised as the page does."""

import math

import numpy as np
import pytest

from buildtools import strokes

pytestmark = pytest.mark.native  # build-time code (buildtools/), which the page's Python does not have

SEEDS = range(200)
SCALE = 0.8  # a unit-box skeleton drawn 0.8 of the pad high, from 0.1 to 0.9
PX = strokes.PAD_SIZE * SCALE  # pad pixels per unit of the box


def ink(skeleton) -> np.ndarray:
    """The pad's ink for a skeleton drawn upright and without jitter, as float 0..1."""
    pad = [(strokes.trace(stroke, lambda p: p) * SCALE + 0.1).tolist() for stroke in skeleton]
    return strokes.rasterise(pad).astype(np.float64) / 255


def row_of(y: float) -> int:
    return int(round((0.1 + y * SCALE) * strokes.PAD_SIZE))


def column_of(x: float) -> float:
    return (0.1 + x * SCALE) * strokes.PAD_SIZE


def spread(values, low, high):
    """All within [low, high], and covering most of it."""
    values = np.asarray(values)
    assert values.min() >= low and values.max() <= high
    assert values.max() - values.min() > 0.8 * (high - low)


def test_a_flagged_ones_flag_varies_over_its_stated_range_and_is_inked():
    shapes = [strokes.flagged_one(np.random.default_rng(seed)) for seed in SEEDS]
    assert {shape.digit for shape in shapes} == {1}
    spread([s.features["flag_length"] for s in shapes], *strokes.FLAG_LENGTH)
    spread([s.features["flag_angle"] for s in shapes], *strokes.FLAG_ANGLE)
    feet = np.mean([s.features["foot"] for s in shapes])
    assert 0.3 < feet < 0.7 and all(len(s.skeleton) == 1 + s.features["foot"] for s in shapes)
    for shape in shapes[:12]:
        (_, (flag_end, top, bottom)), = shape.skeleton[0]
        length = math.dist(flag_end, top) / (bottom[1] - top[1])
        angle = math.degrees(math.atan2(flag_end[1] - top[1], top[0] - flag_end[0]))
        assert length == pytest.approx(shape.features["flag_length"], rel=0.1)
        assert angle == pytest.approx(shape.features["flag_angle"], abs=1e-9)
        # in the pad's ink, the flag reaches left of the stem by its run, in the stroke's top part
        pad = ink(shape.skeleton[:1])
        upper = pad[:row_of(0.6)]
        leftmost = np.nonzero(upper.max(axis=0) > 0.5)[0].min()
        stem = np.nonzero(pad[row_of(0.7)] > 0.5)[0].mean()
        run = (top[0] - flag_end[0]) * PX
        assert abs((stem - leftmost) - (run + strokes.LINE_WIDTH / 2)) < 3


def test_a_crossed_seven_has_ink_across_its_stem_and_a_plain_one_has_none():
    for seed in SEEDS[:20]:
        crossed = strokes.seven(np.random.default_rng(seed), crossed=True)
        plain = strokes.seven(np.random.default_rng(seed), crossed=False)
        assert crossed.digit == plain.digit == 7 and crossed.features["crossed"] and not plain.features["crossed"]
        height = crossed.features["cross_height"]
        assert strokes.CROSS_HEIGHT[0] <= height <= strokes.CROSS_HEIGHT[1]
        plain_ink, crossed_ink = ink(plain.skeleton), ink(crossed.skeleton)
        stem = np.nonzero(plain_ink[row_of(height)] > 0.5)[0]
        assert len(stem) <= strokes.LINE_WIDTH + 4  # the plain 7's stem alone crosses that row
        centre = stem.mean()
        inked = np.nonzero(crossed_ink[row_of(height)] > 0.5)[0]
        # the bar runs through the stem: ink on both sides of it, beyond the pen's own width
        reach = 0.05 * PX + strokes.LINE_WIDTH / 2
        assert inked.min() < centre - reach and inked.max() > centre + reach
        assert np.all(np.diff(inked) == 1)  # one run: the bar meets the stem, no gap
        width = inked.max() - inked.min()
        assert abs(width - (2 * crossed.features["cross_half"] * PX + strokes.LINE_WIDTH)) < 4


def test_sixes_close_their_loop_high_and_low():
    shapes = [strokes.six(np.random.default_rng(seed)) for seed in SEEDS]
    spread([s.features["loop_top"] for s in shapes], *strokes.SIX_LOOP_TOP)
    assert {s.features["start"] for s in shapes} == {"curved", "straight", "hooked"}
    for shape in shapes[:20]:
        path = strokes.trace(shape.skeleton[0], lambda p: p)
        low = int(np.argmax(path[:, 1]))
        down, back = path[:low], path[low:]
        assert path[low, 1] > 0.9  # the stroke comes down to the bottom,
        # goes up and over no higher than where its loop closes (high or low, as stated),
        assert back[:, 1].min() == pytest.approx(shape.features["loop_top"], abs=0.03)
        # and comes back to the down stroke: the loop is closed, not an open hook
        gap = np.min(np.linalg.norm(down - back[-1], axis=1))
        assert gap < strokes.LINE_WIDTH / PX * 1.5


def test_the_training_drawings_are_deterministic_labelled_and_normalised_like_the_page():
    images, labels = strokes.stroke_dataset(seed=5, per_kind=3)
    again, _ = strokes.stroke_dataset(seed=5, per_kind=3)
    other, _ = strokes.stroke_dataset(seed=6, per_kind=3)
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, other)
    assert images.shape == (12, 784) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, [1, 1, 1, 7, 7, 7, 7, 7, 7, 6, 6, 6])
    pixels = images.reshape(-1, 28, 28).astype(np.float64)
    mass = pixels.sum(axis=(1, 2))
    rows = (pixels.sum(axis=2) @ np.arange(28)) / mass
    cols = (pixels.sum(axis=1) @ np.arange(28)) / mass
    assert np.abs(rows - 14).max() <= 1 and np.abs(cols - 14).max() <= 1
    inked = pixels > 0
    assert (inked.any(axis=2).sum(axis=1) >= 19).all()  # tall digits: 20 rows high, as MNIST's
