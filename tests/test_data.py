"""pynn.data.dataset: how training data is taken in and stored (compactly, and exactly)."""

import numpy as np
import pytest

import pynn.data.dataset
import pynn.training.evaluation
from pynn import Dataset, Network
from pynn.data.dataset import PIXEL_SCALE, as_dataset

MNIST_SIZES = [784, 30, 10]


def test_nielsen_pairs_are_stored_as_bytes_exactly(mnist_like):
    data = mnist_like(40, np.random.default_rng(0))
    ds = as_dataset(data, MNIST_SIZES)
    assert len(ds) == 40
    assert ds.x.dtype == np.uint8 and ds.x.shape == (40, 784)
    assert ds.scale == PIXEL_SCALE == 1 / 256
    for i, (x, y) in enumerate(data):
        np.testing.assert_array_equal(ds.x[i], (x.ravel() * 256).astype(np.int64))
        np.testing.assert_array_equal(ds.y[i], y.ravel())
        assert ds.labels[i] == np.argmax(y)
    # and the float64 columns handed to the network are exactly the original pixels
    np.testing.assert_array_equal(ds.inputs(0, 40), np.hstack([x for x, _ in data]).astype(np.float64))
    assert ds.inputs(0, 40).dtype == np.float64


def test_arbitrary_floats_are_stored_as_float64_exactly(pairs):
    data = pairs([5, 4, 3], 12, np.random.default_rng(1))
    ds = as_dataset(data, [5, 4, 3])
    assert ds.x.dtype == np.float64 and ds.scale == 1.0
    np.testing.assert_array_equal(ds.inputs(0, 12), np.hstack([x for x, _ in data]))


@pytest.mark.parametrize("values", [
    np.array([0.0, 0.5, 1.0]),  # 1.0 is 256/256: not a byte
    np.array([0.0, -0.25, 0.5]),  # negative
    np.array([0.1, 0.2, 0.3], dtype=np.float32),  # float32, not multiples of 1/256
    np.array([0.5, 0.25, 1 / 512]),  # a finer power of two
], ids=["one", "negative", "float32", "half-step"])
def test_near_misses_of_the_byte_format_stay_exact(values):
    data = [(values.reshape(3, 1), 1), (np.zeros((3, 1)), 0)]
    ds = as_dataset(data, [3, 2])
    assert ds.x.dtype == np.float64
    np.testing.assert_array_equal(ds.inputs(0, 1).ravel(), values.astype(np.float64))


def test_compact_check_spans_every_chunk(monkeypatch):
    """One non-byte value in the last chunk sends the whole set to float64; none keeps it uint8."""
    monkeypatch.setattr(pynn.data.dataset, "CONVERT_CHUNK", 4)
    rng = np.random.default_rng(2)
    xs = [rng.integers(0, 256, (3, 1)) / 256 for _ in range(10)]
    ds = as_dataset([(x, 0) for x in xs], [3, 2])
    assert ds.x.dtype == np.uint8
    np.testing.assert_array_equal(ds.inputs(0, 10), np.hstack(xs))
    xs[-1] = xs[-1] + 0.001
    ds = as_dataset([(x, 0) for x in xs], [3, 2])
    assert ds.x.dtype == np.float64
    np.testing.assert_array_equal(ds.inputs(0, 10), np.hstack(xs))


def test_zip_and_generators_are_accepted(pairs):
    data = pairs([4, 3], 6, np.random.default_rng(3))
    xs, ys = [x for x, _ in data], [y for _, y in data]
    from_zip = as_dataset(zip(xs, ys), [4, 3])
    from_gen = as_dataset(((x, y) for x, y in data), [4, 3])
    from_list = as_dataset(data, [4, 3])
    for ds in (from_zip, from_gen):
        np.testing.assert_array_equal(ds.x, from_list.x)
        np.testing.assert_array_equal(ds.y, from_list.y)
    # the seed's API takes them too
    net = Network([4, 3], seed=0)
    assert 0 <= net.validation_accuracy(zip(xs, [int(np.argmax(y)) for y in ys])) <= 1
    net.SGD(zip(xs, ys), 1, 2, 0.5, verbose=False)


def test_int_labels_become_one_hot():
    x = np.zeros((4, 1))
    ds = as_dataset([(x, 2), (x, np.int64(0)), (x, np.uint8(1))], [4, 3])
    np.testing.assert_array_equal(ds.labels, [2, 0, 1])
    np.testing.assert_array_equal(ds.y, np.eye(3)[[2, 0, 1]])


def test_flat_vectors_are_columns():
    rng = np.random.default_rng(4)
    x, y = rng.random(4), np.array([0.0, 1.0, 0.0])
    flat = as_dataset([(x, y)], [4, 3])
    cols = as_dataset([(x.reshape(4, 1), y.reshape(3, 1))], [4, 3])
    np.testing.assert_array_equal(flat.x, cols.x)
    np.testing.assert_array_equal(flat.y, cols.y)


def test_from_arrays_trains_exactly_like_nielsen_lists(mnist_like):
    """uint8 MNIST-style arrays and Nielsen's float32 lists are the same data: same weights."""
    data = mnist_like(30, np.random.default_rng(5))
    images = np.vstack([(x.ravel() * 256).astype(np.uint8) for x, _ in data])
    labels = np.array([int(np.argmax(y)) for _, y in data], dtype=np.uint8)
    ds = Dataset.from_arrays(images, labels)
    assert ds.x.dtype == np.uint8 and ds.scale == PIXEL_SCALE
    a, b = Network(MNIST_SIZES, seed=6), Network(MNIST_SIZES, seed=6)
    a.SGD(data, 2, 7, 3.0, verbose=False)
    b.SGD(ds, 2, 7, 3.0, verbose=False)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)
    assert ds.subset(5).labels.tolist() == labels[:5].tolist()


def test_blocked_evaluation_equals_per_sample(monkeypatch, pairs):
    """Accuracy and cost are computed in blocks of BLOCK samples; blocks must not change them."""
    rng = np.random.default_rng(7)
    sizes = [5, 4, 3]
    net = Network(sizes, seed=7)
    test = pairs(sizes, 11, rng, labels=True)
    train = pairs(sizes, 11, rng)
    whole_acc, whole_cost = net.validation_accuracy(test), net.total_cost(train)
    monkeypatch.setattr(pynn.training.evaluation, "BLOCK", 3)
    assert len(list(pynn.training.evaluation.blocks(pynn.data.dataset.as_dataset(test, sizes)))) == 4
    assert net.validation_accuracy(test) == whole_acc
    assert net.total_cost(train) == pytest.approx(whole_cost, rel=1e-14)
    correct = sum(int(np.argmax(net.feedforward(x)) == label) for x, label in test)
    assert whole_acc == correct / len(test)


def test_from_arrays_rejects_bad_arrays():
    with pytest.raises(ValueError, match="images must be"):
        Dataset.from_arrays(np.zeros((3, 4, 1)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="labels"):
        Dataset.from_arrays(np.zeros((3, 4)), np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="out of range"):
        Dataset.from_arrays(np.zeros((2, 4)), np.array([0, 10]))
    with pytest.raises(TypeError, match="integers"):
        Dataset.from_arrays(np.zeros((2, 4)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        Dataset.from_arrays(np.full((2, 4), np.nan), np.array([0, 1]))


def test_dataset_must_fit_the_network():
    ds = Dataset.from_arrays(np.zeros((3, 4), dtype=np.uint8), np.array([0, 1, 2]), n_out=3)
    with pytest.raises(ValueError, match="network is 5 → 3"):
        as_dataset(ds, [5, 3])
    with pytest.raises(ValueError, match="empty"):
        as_dataset(ds.subset(0), [4, 3])
