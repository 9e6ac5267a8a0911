"""The seams between pynn's parts: the Model/Stepper contract, one constructor path,
the cost's own output gradient, batch gathering, and refusals at the edges."""

import numpy as np
import pytest

from pynn import Network, Trainer
from pynn.data.dataset import Dataset
from pynn.nets.costs import COSTS
from pynn.training.batches import EpochBatches, nonzero_columns


def tiny_data(n=12, n_in=8, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, n_in)).astype(np.uint8)
    images[:, :3] = 0  # columns that no sample uses
    return Dataset.from_arrays(images, rng.integers(0, n_out, n), n_out=n_out)


def test_step_reports_the_cost_before_it_and_then_changes_the_network():
    data = tiny_data()
    net = Network([8, 5, 3], cost="cross-entropy", seed=1)
    x, y = data.inputs(0, 4).T, data.y[:4]
    before = net.cost.fn(net.feedforward(x.T), y.T)
    w_before = net.weights[0].copy()
    assert net.stepper(4).step(x, y, 0.5, 0.0, 12, measure_cost=True) == pytest.approx(before, rel=1e-12)
    assert not np.array_equal(net.weights[0], w_before)
    assert net.stepper(4).step(x, y, 0.5, 0.0, 12) is None


def test_sparse_step_equals_dense_step():
    data = tiny_data()
    dense, sparse = Network([8, 5, 3], seed=2), Network([8, 5, 3], seed=2)
    x, y = data.inputs(0, 6).T, data.y[:6]
    dense.stepper(6).step(x, y, 1.5, 0.4, 12)
    xs, cols = nonzero_columns(x)
    assert cols is not None and len(cols) == 5
    sparse.stepper(6).step(xs, y, 1.5, 0.4, 12, cols)
    for a, b in zip(dense.weights + dense.biases, sparse.weights + sparse.biases):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_dense_and_sparse_batches_hold_the_same_samples():
    data = tiny_data(n=23)
    order = np.random.default_rng(3).permutation(23)
    sparse, dense = EpochBatches(data, order, 5), EpochBatches(data, order, 5, sparse=False)
    for i in range(5):
        xs, cols, ys = sparse.batch(i)
        xd, none, yd = dense.batch(i)
        assert none is None and xd.shape == (len(ys), 8)
        full = np.zeros_like(xd)
        full[:, cols if cols is not None else slice(None)] = xs
        np.testing.assert_array_equal(full, xd)
        np.testing.assert_array_equal(ys, yd)


def test_from_parameters_is_the_constructor_with_given_parameters():
    net = Network([4, 3, 2], cost="cross-entropy", seed=5)
    copy = Network.from_parameters(net.weights, net.biases, cost="cross-entropy", meta={"name": "x"})
    assert copy.sizes == [4, 3, 2] and copy.cost is net.cost and copy.meta == {"name": "x"}
    assert (copy.n_in, copy.n_out) == (4, 2)
    np.testing.assert_array_equal(copy.feedforward(np.ones((4, 1))), net.feedforward(np.ones((4, 1))))
    assert Network([4, 2]).meta == {}
    with pytest.raises(ValueError, match="both"):
        Network([4, 2], weights=net.weights)
    with pytest.raises(ValueError, match="layer 1"):
        Network.from_parameters([np.zeros((3, 4))], [np.zeros((2, 1))])


@pytest.mark.parametrize("cost", sorted(COSTS))
def test_cost_gradient_wrt_output_is_the_costs_derivative(cost):
    rng = np.random.default_rng(4)
    net = Network([4, 3], cost=cost, seed=3)
    a, y = rng.uniform(0.05, 0.95, (3, 1)), np.array([[0.0], [1.0], [0.0]])
    grad = net.cost_gradient_wrt_output(a, y)
    eps = 1e-6
    for i in range(3):
        step = np.zeros_like(a)
        step[i] = eps
        numeric = (net.cost.fn(a + step, y) - net.cost.fn(a - step, y)) / (2 * eps)
        assert grad[i, 0] == pytest.approx(numeric, rel=1e-7, abs=1e-10)


def test_cross_entropy_of_saturated_outputs_is_finite_and_grows():
    cost = COSTS["cross-entropy"]
    y = np.array([[1.0], [0.0]])
    one = cost.fn(np.array([[0.0], [0.5]]), y)
    two = cost.fn(np.array([[0.0], [1.0]]), y)
    assert np.isfinite(one) and np.isfinite(two) and 700 < one < two < 1000
    # unsaturated outputs keep network2's value exactly
    a = np.array([[0.3], [0.6]])
    assert cost.fn(a, y) == -float(np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)))
    assert cost.fn(np.array([[1.0], [0.0]]), y) == 0.0


@pytest.mark.parametrize("lmbda", [-1e6, -1.0, float("nan"), float("inf")])
def test_total_cost_refuses_bad_lmbda(lmbda, pairs):
    net = Network([3, 2], seed=0)
    with pytest.raises(ValueError, match="lmbda"):
        net.total_cost(pairs([3, 2], 4, np.random.default_rng(0)), lmbda=lmbda)


@pytest.mark.parametrize("kwargs, error", [
    ({"max_batches": 1.5}, TypeError), ({"max_batches": 0}, ValueError), ({"max_batches": True}, TypeError),
    ({"max_seconds": float("nan")}, ValueError), ({"max_seconds": -1.0}, ValueError),
    ({"max_seconds": "1"}, TypeError),
])
def test_run_refuses_bad_limits_and_trains_nothing(kwargs, error, pairs):
    net = Network([3, 2], seed=0)
    trainer = Trainer(net, pairs([3, 2], 10, np.random.default_rng(1)), 1, 2, 1.0)
    before = [w.copy() for w in net.weights]
    with pytest.raises(error):
        trainer.run(**kwargs)
    assert trainer.batch == 0
    for w, b in zip(net.weights, before):
        np.testing.assert_array_equal(w, b)


def shift_right(images, rng):
    """A stand-in augmenter: each image moved 0 or 1 pixels along, at random."""
    moves = rng.integers(0, 2, len(images))
    out = images.copy()
    out[moves == 1] = np.roll(images[moves == 1], 1, axis=1)
    return out


def test_augmented_training_repeats_exactly_whatever_the_chunks():
    data = tiny_data(n=40)
    runs = []
    for chunk in (None, 1, 3):
        net = Network([8, 5, 3], seed=6)
        trainer = Trainer(net, data, 2, 4, 0.8, seed=7, augment=shift_right)
        while not trainer.done:
            trainer.run(max_batches=chunk)
        runs.append(net)
    for other in runs[1:]:
        for a, b in zip(runs[0].weights, other.weights):
            np.testing.assert_array_equal(a, b)


def test_augmenter_sees_every_training_image_and_its_output_is_trained_on():
    data = tiny_data(n=12)
    seen = []

    def blank(images, rng):
        seen.append(images.copy())
        return np.zeros_like(images)

    augmented, zeros = Network([8, 5, 3], seed=8), Network([8, 5, 3], seed=8)
    Trainer(augmented, data, 1, 4, 1.0, seed=9, augment=blank).run()
    empty = Dataset(np.zeros_like(data.x), data.y, data.labels, data.scale)
    Trainer(zeros, empty, 1, 4, 1.0, seed=9).run()
    assert sorted(map(bytes, np.concatenate(seen))) == sorted(map(bytes, data.x))
    for a, b in zip(augmented.weights + augmented.biases, zeros.weights + zeros.biases):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_augment_must_be_callable(pairs):
    with pytest.raises(TypeError, match="augment"):
        Trainer(Network([3, 2]), pairs([3, 2], 4, np.random.default_rng(0)), 1, 2, 1.0, augment="affine")
