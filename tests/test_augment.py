"""pynn.training.augment: exact where it can be, deterministic, and strict about its inputs.

Pure numpy and pytest (no files), so this also runs inside Pyodide."""

import numpy as np
import pytest

from pynn.training.augment import IDENTITY, Augmentation, affine, augment, thicken, to_float


def digits(n=6, seed=0, dtype=np.uint8):
    """n blob-and-stroke images with ink away from the border, as uint8 or float in [0, 1]."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28))
    for image in images:
        top, left = rng.integers(5, 9, 2)
        image[top:top + 14, left:left + 3] = 1.0  # a vertical bar
        image[top:top + 3, left:left + 12] = rng.uniform(0.3, 1.0)  # a flag
        image[top + 6:top + 12, left + 6:left + 12] = rng.uniform(0, 1, (6, 6))
    images = images.reshape(n, 784)
    if dtype == np.uint8:
        return np.rint(images * 255).astype(np.uint8)
    return images.astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_identity_settings_return_the_input_exactly(dtype):
    images = digits(dtype=dtype)
    out = augment(images, np.random.default_rng(1), IDENTITY)
    assert out.dtype == images.dtype and out.shape == images.shape
    np.testing.assert_array_equal(out, images)
    np.testing.assert_array_equal(affine(images), images)


def test_elastic_with_zero_alpha_is_identity():
    images = digits()
    out = augment(images, np.random.default_rng(2), IDENTITY, elastic_alpha=0.0, elastic_sigma=6.0)
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize("shift", [(2, 0), (0, -3), (3, 4), (-5, -1)])
def test_a_whole_pixel_shift_is_a_translation_with_zero_fill(shift):
    images = digits(4, seed=3)
    dr, dc = shift
    padded = np.pad(images.reshape(-1, 28, 28), ((0, 0), (8, 8), (8, 8)))
    expected = np.roll(padded, (dr, dc), axis=(1, 2))[:, 8:-8, 8:-8].reshape(-1, 784)
    np.testing.assert_array_equal(affine(images, shift=shift), expected)


def test_a_90_degree_rotation_matches_rot90():
    images = digits(5, seed=4, dtype=np.float64)
    expected = np.rot90(images.reshape(-1, 28, 28), axes=(1, 2)).reshape(-1, 784)
    np.testing.assert_allclose(affine(images, rotation=90.0), expected, atol=1e-9)
    back = np.rot90(images.reshape(-1, 28, 28), k=-1, axes=(1, 2)).reshape(-1, 784)
    np.testing.assert_allclose(affine(images, rotation=-90.0), back, atol=1e-9)


def test_positive_shear_leans_the_top_to_the_right():
    image = np.zeros((1, 28, 28))
    image[0, 4:24, 13:15] = 1.0  # a vertical bar
    out = affine(image.reshape(1, 784), shear=20.0).reshape(28, 28)
    columns = np.arange(28)
    top, bottom = out[6], out[21]
    assert (top @ columns) / top.sum() > (bottom @ columns) / bottom.sum() + 3


def test_same_seed_same_output_and_different_seed_different_output():
    images = digits(8, seed=5)
    first = augment(images, np.random.default_rng(42))
    again = augment(images, np.random.default_rng(42))
    other = augment(images, np.random.default_rng(43))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, images)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_output_keeps_dtype_shape_and_range(dtype):
    images = digits(10, seed=6, dtype=dtype)
    settings = Augmentation(rotation=30, shear=30, scale=0.3, aspect=0.3, shift=3, elastic_alpha=40,
                            elastic_sigma=3, thickness=2)
    out = augment(images, np.random.default_rng(7), settings)
    assert out.dtype == images.dtype and out.shape == images.shape
    top = 255 if dtype == np.uint8 else 1.0
    assert out.min() >= 0 and out.max() <= top


def test_all_zero_images_stay_all_zero():
    blank = np.zeros((3, 784), dtype=np.uint8)
    settings = Augmentation(thickness=2.0, elastic_alpha=50.0)
    np.testing.assert_array_equal(augment(blank, np.random.default_rng(8), settings), blank)


def test_empty_batch():
    empty = np.zeros((0, 784), dtype=np.uint8)
    assert augment(empty, np.random.default_rng(0)).shape == (0, 784)


def test_thickness_moves_ink_mass_the_right_way():
    pixels = to_float(digits(6, seed=9))
    mass = pixels.sum(axis=(1, 2))
    thicker = thicken(pixels, 1.0).sum(axis=(1, 2))
    thinner = thicken(pixels, -1.0).sum(axis=(1, 2))
    assert (thicker > mass).all() and (thinner < mass).all()
    assert (thicken(pixels, 2.0).sum(axis=(1, 2)) > thicker).all()
    half = thicken(pixels, 0.5).sum(axis=(1, 2))
    assert ((mass < half) & (half < thicker)).all()
    np.testing.assert_array_equal(thicken(pixels, 0.0), pixels)


def test_random_thickness_alone_changes_mass_in_the_drawn_direction():
    images = digits(20, seed=10)
    out = augment(images, np.random.default_rng(11), IDENTITY, thickness=1.0)
    rng = np.random.default_rng(11)
    for _ in range(5):
        rng.uniform(size=20)  # rotation, shear, scale, aspect, shift's first … as augment draws them
    rng.uniform(size=20)  # shift is (n, 2): its second half
    drawn = rng.uniform(-1.0, 1.0, 20)
    change = out.astype(int).sum(axis=1) - images.astype(int).sum(axis=1)
    assert (np.sign(change) == np.sign(drawn)).all()


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 783), dtype=np.uint8), r"images must have shape \(n, 784\)"),
    (np.zeros(784, dtype=np.uint8), r"images must have shape"),
    (np.zeros((2, 28, 28)), r"images must have shape"),
    (np.full((1, 784), np.nan), "images contains NaN"),
    (np.full((1, 784), np.inf), "images contains NaN or infinity"),
    (np.full((1, 784), 2.0), r"pixels in \[0, 1\]"),
    (np.full((1, 784), -0.5), r"pixels in \[0, 1\]"),
    (np.zeros((1, 784), dtype=np.int64), "uint8 or float"),
])
def test_bad_images_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        augment(bad, np.random.default_rng(0))


@pytest.mark.parametrize("setting, value", [
    ("rotation", -1.0), ("rotation", 400.0), ("shear", float("nan")), ("scale", 0.9), ("aspect", -0.1),
    ("shift", float("inf")), ("elastic_alpha", 1e6), ("elastic_sigma", 0.0), ("elastic_sigma", -2.0),
    ("thickness", 5.0), ("rotation", "10"), ("shift", True),
])
def test_bad_settings_raise_naming_the_setting(setting, value):
    with pytest.raises(ValueError, match=setting):
        augment(digits(1), np.random.default_rng(0), **{setting: value})


def test_unknown_setting_and_bad_rng_raise():
    with pytest.raises(ValueError, match="unknown augmentation setting"):
        augment(digits(1), np.random.default_rng(0), rotate=5)
    with pytest.raises(ValueError, match="rng"):
        augment(digits(1), 42)


def test_affine_rejects_bad_parameters():
    with pytest.raises(ValueError, match="scale"):
        affine(digits(1), scale=0.0)
    with pytest.raises(ValueError, match="rotation"):
        affine(digits(1), rotation=float("nan"))


# ------------------------------------------------------------------ W13: scale, aspect, elastic, against loops


def sample(image: np.ndarray, row: float, col: float) -> float:
    """The oracle's bilinear sample of a 28×28 image at (row, col), zero outside."""
    r0, c0 = int(np.floor(row)), int(np.floor(col))
    fr, fc = row - r0, col - c0
    total = 0.0
    for r, wr in ((r0, 1 - fr), (r0 + 1, fr)):
        for c, wc in ((c0, 1 - fc), (c0 + 1, fc)):
            if 0 <= r < 28 and 0 <= c < 28:
                total += wr * wc * image[r, c]
    return total


def resampled(image: np.ndarray, source) -> np.ndarray:
    """Each output pixel (r, c) sampled at source(r, c): a plain loop, for comparison."""
    return np.array([[sample(image, *source(r, c)) for c in range(28)] for r in range(28)]).reshape(784)


@pytest.mark.parametrize("scale, aspect", [(1.4, 1.0), (0.7, 1.0), (1.0, 1.5), (1.0, 0.6), (1.2, 0.8)])
def test_scale_and_aspect_against_a_loop(scale, aspect):
    """Size × scale about the centre; width/height × aspect (rows shrink by √aspect, columns grow by it)."""
    image = digits(1, seed=7, dtype=np.float64)
    root = np.sqrt(aspect)

    def source(r, c):
        return 13.5 + (r - 13.5) * root / scale, 13.5 + (c - 13.5) / (scale * root)

    out = affine(image, scale=scale, aspect=aspect)
    np.testing.assert_allclose(out[0], resampled(image[0].reshape(28, 28), source), atol=1e-12)


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(image.reshape(28, 28) > 0.5)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_scale_grows_and_aspect_widens_a_square():
    square = np.zeros((1, 28, 28))
    square[0, 10:18, 10:18] = 1.0  # 8 × 8, centred on 13.5
    assert ink_extent(affine(square.reshape(1, 784), scale=1.5)) == (12, 12)
    tall, wide = ink_extent(affine(square.reshape(1, 784), aspect=2.25))  # rows ÷ 1.5, columns × 1.5
    assert (tall, wide) in {(5, 12), (6, 12)} and wide > tall


def test_elastic_alone_against_a_loop():
    """Simard's field: uniform noise in [-1, 1] (drawn after the affine draws), blurred by a
    normalised Gaussian of radius ⌈3σ⌉ with zero padding, times alpha; then one bilinear sample."""
    alpha, sigma, n = 20.0, 4.0, 2
    images = digits(n, seed=8, dtype=np.float64)
    out = augment(images, np.random.default_rng(9), IDENTITY, elastic_alpha=alpha, elastic_sigma=sigma)
    rng = np.random.default_rng(9)
    for shape in (n, n, n, n, (n, 2), n):  # rotation, shear, scale, aspect, shift, thickness
        rng.uniform(0.0, 0.0, shape)
    noise = rng.uniform(-1.0, 1.0, (n, 2, 28, 28))
    radius = int(np.ceil(3 * sigma))
    taps = [np.exp(-0.5 * (k / sigma) ** 2) for k in range(-radius, radius + 1)]
    taps = [t / sum(taps) for t in taps]

    def blurred(field, r, c):
        return sum(taps[i + radius] * taps[j + radius] * field[r + i, c + j]
                   for i in range(-radius, radius + 1) for j in range(-radius, radius + 1)
                   if 0 <= r + i < 28 and 0 <= c + j < 28)

    for k in range(n):
        dr = np.array([[alpha * blurred(noise[k, 0], r, c) for c in range(28)] for r in range(28)])
        dc = np.array([[alpha * blurred(noise[k, 1], r, c) for c in range(28)] for r in range(28)])
        expected = resampled(images[k].reshape(28, 28), lambda r, c, dr=dr, dc=dc: (r + dr[r, c], c + dc[r, c]))
        np.testing.assert_allclose(out[k], expected, atol=1e-12)
    assert np.abs(out - images).max() > 0.2  # and it did move the ink


# ------------------------------------------------------------------ D3: in bounded blocks, bit for bit


def unblocked(images, rng, s):
    """The augmenter as it was before it worked in blocks: every image's arrays at once (the oracle)."""
    from pynn.training.augment import affine_sources, elastic_field, from_float, warp

    n = len(images)
    rotation, shear = rng.uniform(-s.rotation, s.rotation, n), rng.uniform(-s.shear, s.shear, n)
    scale, aspect = rng.uniform(1 - s.scale, 1 + s.scale, n), rng.uniform(1 - s.aspect, 1 + s.aspect, n)
    shift = rng.uniform(-s.shift, s.shift, (n, 2))
    thickness = rng.uniform(-s.thickness, s.thickness, n)
    displacement = elastic_field(rng, n, s.elastic_alpha, s.elastic_sigma) if s.elastic_alpha > 0 else None
    pixels = warp(to_float(images), affine_sources(rotation, shear, scale, aspect, shift), displacement)
    return from_float(thicken(pixels, thickness), images.dtype)


@pytest.mark.parametrize("block", [1, 7, 64, 1000])
@pytest.mark.parametrize("dtype, settings", [(np.uint8, Augmentation()), (np.float64, Augmentation()),
                                             (np.uint8, Augmentation(elastic_alpha=0.0, thickness=2.0))])
def test_blocks_give_the_unblocked_result_bit_for_bit(monkeypatch, block, dtype, settings):
    import pynn.training.augment

    monkeypatch.setattr(pynn.training.augment, "BLOCK", block)
    images = digits(150, seed=11, dtype=dtype)
    ours, theirs = np.random.default_rng(12), np.random.default_rng(12)
    out = augment(images, ours, settings)
    np.testing.assert_array_equal(out, unblocked(images, theirs, settings))
    assert ours.bit_generator.state == theirs.bit_generator.state  # and the generator is left the same
    assert out.dtype == images.dtype and not np.array_equal(out, images)
