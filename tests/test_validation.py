"""Bad input gets a clear ValueError/TypeError naming the problem, and a rejected
call loses nothing: the network's weights and biases are as they were."""

import numpy as np
import pytest

from pynn import Network, Trainer

SIZES = [784, 30, 10]


@pytest.mark.parametrize("sizes, error, message", [
    ([784], ValueError, "at least 2 layers"),
    ([], ValueError, "at least 2 layers"),
    ([784, 0, 10], ValueError, "positive.*got 0"),
    ([784, -1], ValueError, "positive.*got -1"),
    ([784, 2.5], TypeError, "must be ints.*2.5"),
    ([784, "10"], TypeError, "must be ints"),
    ([784, True], TypeError, "must be ints.*True"),
    ([True, False], TypeError, "must be ints"),
    ("784,10", TypeError, "list of ints.*str"),
    (784, TypeError, "list of ints.*int"),
    (None, TypeError, "list of ints"),
    (True, TypeError, "list of ints.*bool"),
])
def test_bad_layer_sizes(sizes, error, message):
    with pytest.raises(error, match=message):
        Network(sizes)


def test_numpy_int_sizes_are_fine():
    net = Network([np.int64(4), np.int32(3)])
    assert net.sizes == [4, 3] and all(type(n) is int for n in net.sizes)


def test_unknown_cost_and_init():
    with pytest.raises(ValueError, match=r"unknown cost 'hinge'.*cross-entropy.*quadratic"):
        Network([4, 3], cost="hinge")
    with pytest.raises(ValueError, match=r"unknown init 'xavier'.*scaled"):
        Network([4, 3], init="xavier")
    with pytest.raises(ValueError, match="unknown cost"):
        Network([4, 3], cost=None)


# --- training, evaluation and the seed's methods on an existing network -------------------------


@pytest.fixture
def net():
    return Network(SIZES, seed=0)


@pytest.fixture
def good(mnist_like):
    return mnist_like(6, np.random.default_rng(1))


def snapshot(net):
    return [p.copy() for p in net.weights + net.biases]


def assert_unchanged(net, saved):
    assert len(net.weights) + len(net.biases) == len(saved)
    for p, q in zip(net.weights + net.biases, saved):
        np.testing.assert_array_equal(p, q)


def column(n, value=0.5):
    return np.full((n, 1), value)


def one_hot(label, n=10):
    y = np.zeros((n, 1))
    y[label] = 1.0
    return y


def with_sample(good, i, x=None, y=None):
    data = list(good)
    x0, y0 = data[i]
    data[i] = (x0 if x is None else x, y0 if y is None else y)
    return data


BAD_TRAINING_DATA = [
    ("x 783 rows", lambda g: with_sample(g, 3, x=column(783)), ValueError,
     r"training_data\[3\]: x has shape \(783, 1\)"),
    ("x two columns", lambda g: with_sample(g, 0, x=np.zeros((784, 2))), ValueError, r"x has shape \(784, 2\)"),
    ("x a matrix", lambda g: with_sample(g, 5, x=np.zeros((28, 28))), ValueError, r"training_data\[5\]: x has shape"),
    ("y 9 rows", lambda g: with_sample(g, 2, y=column(9)), ValueError, r"y has shape \(9, 1\)"),
    ("y a row", lambda g: with_sample(g, 1, y=np.zeros((1, 10))), ValueError, r"y has shape \(1, 10\)"),
    ("x NaN", lambda g: with_sample(g, 4, x=column(784, np.nan)), ValueError, "inputs contains NaN or infinity"),
    ("x inf", lambda g: with_sample(g, 0, x=column(784, -np.inf)), ValueError, "inputs contains NaN or infinity"),
    ("y NaN", lambda g: with_sample(g, 2, y=column(10, np.nan)), ValueError, "targets contains NaN or infinity"),
    ("y inf", lambda g: with_sample(g, 2, y=np.vstack([column(9, 0.0), [[np.inf]]])), ValueError,
     "targets contains NaN or infinity"),
    ("x strings", lambda g: with_sample(g, 0, x=np.full((784, 1), "a")), TypeError, "real numbers"),
    ("x complex", lambda g: with_sample(g, 0, x=np.zeros((784, 1), dtype=complex)), TypeError, "real numbers"),
    ("label 10", lambda g: [(x, 10 if i == 2 else 1) for i, (x, _) in enumerate(g)], ValueError,
     r"label 10 is out of range.*0\.\.9"),
    ("label -1", lambda g: [(x, -1 if i == 0 else 1) for i, (x, _) in enumerate(g)], ValueError,
     r"label -1 is out of range"),
    ("float label", lambda g: [(x, 1.0) for x, _ in g], TypeError, "labels must be integers"),
    ("empty", lambda g: [], ValueError, "training_data is empty"),
    ("not pairs", lambda g: [x for x, _ in g], TypeError, r"training_data\[0\] must be an \(x, y\) pair"),
    ("triples", lambda g: [(x, y, 0) for x, y in g], TypeError, r"must be an \(x, y\) pair"),
    ("an array", lambda g: np.zeros((6, 784)), TypeError, "list of .x, y. pairs"),
    ("a string", lambda g: "data.pkl", TypeError, "list of .x, y. pairs"),
    ("labels then vectors", lambda g: [(g[0][0], 3)] + list(g[1:]), ValueError, "mixes int labels and target vectors"),
    ("vectors then labels", lambda g: list(g[:-1]) + [(g[-1][0], 3)], ValueError, r"y has shape \(\)"),
]


@pytest.mark.parametrize("make, error, message", [case[1:] for case in BAD_TRAINING_DATA],
                         ids=[case[0] for case in BAD_TRAINING_DATA])
def test_bad_training_data(net, good, make, error, message):
    saved = snapshot(net)
    with pytest.raises(error, match=message):
        net.SGD(make(good), 1, 2, 3.0, verbose=False)
    assert_unchanged(net, saved)


@pytest.mark.parametrize("label", [10, -1, 99])
def test_bad_test_labels(net, good, label):
    test = [(x, 3) for x, _ in good]
    test[4] = (test[4][0], label)
    saved = snapshot(net)
    with pytest.raises(ValueError, match=f"label {label} is out of range"):
        net.SGD(good, 2, 2, 3.0, test_data=test, verbose=False)
    assert_unchanged(net, saved)
    with pytest.raises(ValueError, match=f"label {label} is out of range"):
        net.validation_accuracy(test)


def test_bad_test_inputs(net, good):
    test = [(x, 3) for x, _ in good] + [(column(10), 1)]
    saved = snapshot(net)
    with pytest.raises(ValueError, match=r"test_data\[6\]: x has shape \(10, 1\)"):
        net.SGD(good, 1, 2, 3.0, test_data=test, verbose=False)
    assert_unchanged(net, saved)


@pytest.mark.parametrize("epochs, mb, eta, lmbda, error, message", [
    (1, 2, 0.0, 0.0, ValueError, r"learning rate.*> 0.*got 0"),
    (1, 2, -3.0, 0.0, ValueError, r"learning rate.*> 0.*got -3"),
    (1, 2, float("nan"), 0.0, ValueError, r"learning rate.*finite.*nan"),
    (1, 2, float("inf"), 0.0, ValueError, r"learning rate.*finite.*inf"),
    (1, 2, "3.0", 0.0, TypeError, "learning rate.*must be a number"),
    (1, 2, True, 0.0, TypeError, "learning rate.*must be a number"),
    (1, 0, 3.0, 0.0, ValueError, r"minibatch_size must be ≥ 1, got 0"),
    (1, -5, 3.0, 0.0, ValueError, r"minibatch_size must be ≥ 1"),
    (1, 2.0, 3.0, 0.0, TypeError, "minibatch_size must be an int"),
    (-1, 2, 3.0, 0.0, ValueError, r"number_of_epochs must be ≥ 0, got -1"),
    (1.5, 2, 3.0, 0.0, TypeError, "number_of_epochs must be an int"),
    (1, 2, 3.0, -0.1, ValueError, r"lmbda must be ≥ 0"),
    (1, 2, 3.0, float("nan"), ValueError, r"lmbda must be ≥ 0 and finite"),
])
def test_bad_hyperparameters(net, good, epochs, mb, eta, lmbda, error, message):
    saved = snapshot(net)
    with pytest.raises(error, match=message):
        net.SGD(good, epochs, mb, eta, lmbda=lmbda, verbose=False)
    assert_unchanged(net, saved)
    with pytest.raises(error, match=message):
        Trainer(net, good, epochs, mb, eta, lmbda=lmbda)
    assert_unchanged(net, saved)


def test_bad_update_minibatch(net, good):
    saved = snapshot(net)
    with pytest.raises(ValueError, match=r"alpha \(learning rate\) must be > 0"):
        net.update_minibatch(good, 0.0)
    with pytest.raises(ValueError, match="lmbda must be ≥ 0"):
        net.update_minibatch(good, 1.0, lmbda=-1.0, n=10)
    with pytest.raises(ValueError, match="minibatch is empty"):
        net.update_minibatch([], 1.0)
    with pytest.raises(ValueError, match=r"minibatch\[1\]: x has shape \(28, 28\)"):
        net.update_minibatch(with_sample(good, 1, x=np.zeros((28, 28))), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        net.update_minibatch(with_sample(good, 0, y=column(10, np.nan)), 1.0)
    assert_unchanged(net, saved)


def test_bad_backprop(net):
    saved = snapshot(net)
    with pytest.raises(ValueError, match=r"x has shape \(783, 1\)"):
        net.backprop(column(783), one_hot(3))
    with pytest.raises(ValueError, match=r"y has shape \(10, 2\)"):
        net.backprop(column(784), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.backprop(column(784, np.inf), one_hot(3))
    with pytest.raises(ValueError, match="out of range"):
        net.backprop(column(784), 10)
    assert_unchanged(net, saved)


@pytest.mark.parametrize("a, error, message", [
    (np.zeros((783, 1)), ValueError, r"input must have shape \(784, 1\) or \(784, n\), got \(783, 1\)"),
    (np.zeros((1, 784)), ValueError, r"got \(1, 784\)"),
    (np.zeros((784, 1, 1)), ValueError, r"got \(784, 1, 1\)"),
    (np.zeros(783), ValueError, r"got \(783,\)"),
    (np.full((784, 1), np.nan), ValueError, "input contains NaN or infinity"),
    (np.full((784, 3), np.inf), ValueError, "input contains NaN or infinity"),
    (np.full((784, 1), "x"), TypeError, "input must be real numbers"),
])
def test_bad_feedforward(net, a, error, message):
    saved = snapshot(net)
    with pytest.raises(error, match=message):
        net.feedforward(a)
    assert_unchanged(net, saved)


def test_a_rejected_call_leaves_the_network_trainable(net, good):
    """After a rejection the same network trains exactly as a fresh one with the same seed."""
    with pytest.raises(ValueError):
        net.SGD(with_sample(good, 0, x=column(784, np.nan)), 1, 2, 3.0, verbose=False)
    with pytest.raises(ValueError):
        net.SGD(good, 1, 0, 3.0, verbose=False)
    fresh = Network(SIZES, seed=0)
    net.SGD(good, 2, 2, 3.0, verbose=False)
    fresh.SGD(good, 2, 2, 3.0, verbose=False)
    for p, q in zip(net.weights + net.biases, fresh.weights + fresh.biases):
        np.testing.assert_array_equal(p, q)
