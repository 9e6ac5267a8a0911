"""pynn.data.digits.normalize_digit: a drawing becomes an MNIST-like (784, 1) column.

MNIST's recipe is the oracle: the ink's bounding box is scaled, keeping its
aspect ratio, so its longer side is 20 pixels, and the result is placed in a
28×28 field with its centre of mass within half a pixel of (14, 14).
"""

import numpy as np
import pytest

from pynn.data.digits import BlankImageError, normalize_digit


def field(column):
    assert column.shape == (784, 1)
    return column.reshape(28, 28)


def bbox(image):
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(image):
    mass = image.sum()
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / mass, (cols * image).sum() / mass


def ring(height, width, thickness, canvas=(400, 300), at=(40, 60)):
    image = np.zeros(canvas)
    top, left = at
    image[top:top + height, left:left + width] = 1.0
    image[top + thickness:top + height - thickness, left + thickness:left + width - thickness] = 0.0
    return image


def seven(canvas=(300, 300), at=(30, 50), scale=6):
    """A '7': a top bar and a slanted stroke, lopsided so that its centre of mass is off its box's centre."""
    image = np.zeros(canvas)
    top, left = at
    image[top:top + 2 * scale, left:left + 14 * scale] = 1.0
    for i in range(2 * scale, 20 * scale):
        col = left + 14 * scale - (i - 2 * scale) // 2
        image[top + i, col - 3 * scale:col] = 1.0
    return image


@pytest.mark.parametrize("image", [np.zeros((28, 28)), np.zeros((300, 200)), np.zeros((50, 50), dtype=np.uint8)])
def test_blank_is_refused(image):
    with pytest.raises(BlankImageError, match="blank"):
        normalize_digit(image)


def test_a_pen_dot_is_not_a_digit():
    """A single tap on a 280-px pad: a round blot of the pen's width (20 px) is plenty of ink,
    but it spans less than an eighth of the pad, so it is refused rather than read as an 8."""
    rows, cols = np.mgrid[:280, :280]
    tap = (((rows - 140) ** 2 + (cols - 100) ** 2) <= 10 ** 2).astype(np.float64)
    with pytest.raises(BlankImageError, match="dot"):
        normalize_digit(tap)
    stroke = tap.copy()
    stroke[60:220, 90:110] = 1.0  # the same pen drawing a 1
    assert normalize_digit(stroke).shape == (784, 1)


def test_blank_image_error_is_a_value_error():
    assert issubclass(BlankImageError, ValueError)


def test_a_speck_is_blank():
    one_pixel = np.zeros((28, 28))
    one_pixel[5, 7] = 1.0
    small_blot = np.zeros((300, 300))
    small_blot[100:103, 200:203] = 1.0  # 9 pixels of 90 000
    faint = np.full((100, 100), 0.05)  # everywhere, but too faint to be ink
    for image in (one_pixel, small_blot, faint, (one_pixel * 255).astype(np.uint8)):
        with pytest.raises(BlankImageError):
            normalize_digit(image)


@pytest.mark.parametrize("image, error, message", [
    (np.ones(784), ValueError, "2-D"),
    (np.ones((28, 28, 3)), ValueError, "2-D"),
    (np.ones((0, 28)), ValueError, "non-empty"),
    (np.array(1.0), ValueError, "2-D"),
    (np.where(np.eye(28) > 0, np.nan, 0.0), ValueError, "NaN"),
    (np.where(np.eye(28) > 0, np.inf, 0.0), ValueError, "NaN or infinity"),
    (-np.eye(28), ValueError, "negative"),
    (np.full((28, 28), "x"), TypeError, "real numbers"),
    (np.eye(28, dtype=complex), TypeError, "real numbers"),
])
def test_bad_images(image, error, message):
    with pytest.raises(error, match=message):
        normalize_digit(image)


def test_output_is_an_mnist_column():
    out = normalize_digit(ring(120, 60, 12))
    assert out.shape == (784, 1) and out.dtype == np.float64
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.max() == pytest.approx(1.0)


@pytest.mark.parametrize("height, width", [(120, 60), (60, 120), (200, 200), (90, 45), (33, 70), (250, 30)])
def test_box_is_20_and_aspect_is_kept(height, width):
    image = field(normalize_digit(ring(height, width, max(3, min(height, width) // 5), canvas=(400, 400))))
    h, w = bbox(image > 0)
    assert max(h, w) == 20
    # the shorter side is scaled by the same factor (to the nearest pixel)
    assert min(h, w) == pytest.approx(20 * min(height, width) / max(height, width), abs=1)
    assert (h >= w) == (height >= width)


@pytest.mark.parametrize("image", [ring(120, 60, 12), ring(60, 130, 10), seven(), seven(scale=3)],
                         ids=["tall ring", "wide ring", "seven", "small seven"])
def test_centre_of_mass_is_at_14_14(image):
    row, col = centre_of_mass(field(normalize_digit(image)))
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_the_seven_is_placed_by_mass_not_by_box():
    """Its bounding box is not centred in the field: the centre of mass is."""
    image = field(normalize_digit(seven()))
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    box_centre = ((rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2)
    assert max(abs(box_centre[0] - 14), abs(box_centre[1] - 14)) > 1.0


def test_a_lopsided_shape_is_moved_as_far_as_the_field_allows_and_not_cut():
    """A 'T' with a heavy bar would need its box to start below row 8 to centre its mass;
    it is moved to the bottom of the field instead, and keeps all its ink."""
    tee = np.zeros((20, 20))
    tee[:6, :] = 1.0
    tee[6:, 9:11] = 1.0
    out = field(normalize_digit(tee))
    rows = np.flatnonzero(out.any(axis=1))
    assert rows[-1] == 27 and len(rows) == 20
    assert out.sum() == pytest.approx(tee.sum(), rel=1e-12)
    assert centre_of_mass(out)[0] < 13.5


def test_position_on_the_canvas_does_not_matter():
    a = normalize_digit(ring(120, 60, 12, canvas=(400, 300), at=(10, 10)))
    b = normalize_digit(ring(120, 60, 12, canvas=(400, 300), at=(250, 200)))
    c = normalize_digit(ring(120, 60, 12, canvas=(130, 70), at=(3, 4)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("factor", [2, 3, 5])
def test_size_does_not_matter(factor):
    """A drawing scaled up by an integer factor normalises to the same digit (area averaging is exact)."""
    base = seven(canvas=(30, 30), at=(3, 5), scale=1)
    big = np.kron(base, np.ones((factor, factor)))
    canvas = np.zeros((big.shape[0] + 37, big.shape[1] + 11))
    canvas[20:20 + big.shape[0], 4:4 + big.shape[1]] = big
    np.testing.assert_allclose(normalize_digit(canvas), normalize_digit(base), rtol=0, atol=1e-12)


def test_grey_levels_are_averaged():
    """Halving the resolution averages 2×2 blocks: a checkerboard of 0/1 becomes uniform 0.5."""
    image = np.indices((40, 40)).sum(axis=0) % 2 * 1.0
    out = field(normalize_digit(image))
    inked = out[out > 0]
    assert inked.size == 400
    np.testing.assert_allclose(inked, 0.5, rtol=1e-12)


def test_uint8_is_read_as_0_to_255():
    image = ring(120, 60, 12)
    as_bytes = (image * 255).astype(np.uint8)
    np.testing.assert_allclose(normalize_digit(as_bytes), normalize_digit(image), atol=1e-12)
    np.testing.assert_allclose(normalize_digit(image * 255, ink_max=255), normalize_digit(image), atol=1e-12)
    # faint grey drawings stay faint: values are not stretched to 1
    assert normalize_digit(image * 0.5).max() == pytest.approx(0.5)
