"""The matrix-form kernel against the seed's per-sample algorithm (tests/seed_oracle.py).

Same weights, same samples, same order: the results must agree to rounding
(~1e-12), for one backprop, one mini-batch step, and whole epochs of the Trainer.
"""

import copy

import numpy as np
import pytest
import seed_oracle

from pynn import Network, Trainer
from pynn.training.batches import nonzero_columns

SHAPES = [[5, 4, 3], [7, 6, 5, 4], [784, 30, 10]]
COSTS = ["quadratic", "cross-entropy"]


def parameters(net):
    return [w.copy() for w in net.weights], [b.copy() for b in net.biases]


def assert_same_parameters(net, weights, biases, tol):
    assert len(net.weights) == len(weights) and len(net.biases) == len(biases)
    for got, want in zip(net.weights + net.biases, list(weights) + list(biases)):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def data_for(sizes, n, rng, pairs):
    """Inputs in [0, 1) for the 784-wide net (MNIST-like), N(0, 1) otherwise."""
    data = pairs(sizes, n, rng)
    if sizes[0] == 784:
        data = [(rng.random((784, 1)), y) for _, y in data]
    return data


@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize("cost", COSTS)
def test_backprop_equals_seed(sizes, cost, pairs):
    rng = np.random.default_rng(sum(sizes))
    net = Network(sizes, cost=cost, seed=sum(sizes))
    for x, y in data_for(sizes, 3, rng, pairs):
        nabla_w, nabla_b = net.backprop(x, y)
        want_w, want_b = seed_oracle.backprop(net.weights, net.biases, x, y, cost)
        assert [g.shape for g in nabla_w] == [w.shape for w in net.weights]
        assert [g.shape for g in nabla_b] == [b.shape for b in net.biases]
        for got, want in zip(nabla_w + nabla_b, want_w + want_b):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize("cost", COSTS)
def test_the_kernels_matrix_form_equals_the_readable_backprop(sizes, cost, pairs):
    """pynn.nets.kernel's whole-batch gradient is the sum of Network.backprop's, one sample at a
    time: it would catch a kernel that drops a sample, a transposed product, a δ scaled
    twice, or an output error that ignores the cost."""
    rng = np.random.default_rng(7 + sum(sizes))
    net = Network(sizes, cost=cost, seed=len(sizes))
    data = data_for(sizes, 7, rng, pairs)
    want_w = [sum(ws) for ws in zip(*(net.backprop(x, y)[0] for x, y in data))]
    want_b = [sum(bs) for bs in zip(*(net.backprop(x, y)[1] for x, y in data))]
    rows = np.hstack([x for x, _ in data]).T
    targets = np.hstack([y for _, y in data]).T
    got_w, got_b = net.stepper(len(data)).gradient(rows, targets)
    for got, want in zip(got_w + got_b, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("batch", [1, 4, 10])
@pytest.mark.parametrize("lmbda", [0.0, 2.5])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_a_kernel_step_equals_the_step_built_from_the_readable_backprop(sizes, cost, batch, lmbda, sparse, pairs):
    """update_minibatch's whole step (η/m folded into δ, L2 decay, and the first layer on the batch's
    nonzero input columns only when some are zero) against the book's step from Network.backprop:
    w ← (1 − αλ/n)·w − (α/m)·Σ nabla_w, b ← b − (α/m)·Σ nabla_b.  It would catch a sparse update
    that forgets the decay or the gathered rows, or a rate folded in twice."""
    rng = np.random.default_rng([len(sizes), batch, int(lmbda), len(cost), sparse])
    net = Network(sizes, cost=cost, init="scaled", seed=rng)
    minibatch = data_for(sizes, batch, rng, pairs)
    if sparse:  # every third input is zero in every sample, as MNIST's margins are
        minibatch = [(np.where(np.arange(sizes[0])[:, None] % 3 == 0, 0.0, x), y) for x, y in minibatch]
    assert (nonzero_columns(np.hstack([x for x, _ in minibatch]).T)[1] is not None) == sparse  # the path named
    n, alpha = 50, 0.75
    sum_w = [sum(ws) for ws in zip(*(net.backprop(x, y)[0] for x, y in minibatch))]
    sum_b = [sum(bs) for bs in zip(*(net.backprop(x, y)[1] for x, y in minibatch))]
    want_w = [(1 - alpha * lmbda / n) * w - (alpha / batch) * g for w, g in zip(net.weights, sum_w)]
    want_b = [b - (alpha / batch) * g for b, g in zip(net.biases, sum_b)]
    net.update_minibatch(minibatch, alpha, lmbda=lmbda, n=n)
    assert_same_parameters(net, want_w, want_b, 1e-12)


def test_backprop_returns_fresh_arrays(pairs):
    """Gradients are copies: a later call must not overwrite an earlier result."""
    rng = np.random.default_rng(0)
    net = Network([5, 4, 3], seed=0)
    (x1, y1), (x2, y2) = pairs([5, 4, 3], 2, rng)
    first_w, first_b = net.backprop(x1, y1)
    saved = [g.copy() for g in first_w + first_b]
    net.backprop(x2, y2)
    for got, want in zip(first_w + first_b, saved):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("sizes", SHAPES, ids=str)
@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("batch", [1, 3, 10])
@pytest.mark.parametrize("lmbda", [0.0, 2.5])
def test_update_minibatch_equals_seed(sizes, cost, batch, lmbda, pairs):
    rng = np.random.default_rng([len(sizes), batch, int(lmbda * 10), len(cost)])
    net = Network(sizes, cost=cost, seed=rng)
    minibatch = data_for(sizes, batch, rng, pairs)
    n = 50  # the size of the whole (imaginary) training set, which scales the L2 decay
    alpha = 0.75
    want_w, want_b = seed_oracle.update_minibatch(net.weights, net.biases, minibatch, alpha, cost=cost,
                                                  lmbda=lmbda, n=n)
    before_w, _ = parameters(net)
    if lmbda:
        net.update_minibatch(minibatch, alpha, lmbda=lmbda, n=n)
    else:
        net.update_minibatch(minibatch, alpha)
    assert_same_parameters(net, want_w, want_b, 1e-12)
    # and the step did move the weights
    assert any(not np.array_equal(w, w0) for w, w0 in zip(net.weights, before_w))


def test_update_minibatch_l2_defaults_n_to_the_batch_size(pairs):
    rng = np.random.default_rng(1)
    net = Network([5, 4, 3], seed=1)
    minibatch = pairs([5, 4, 3], 4, rng)
    want_w, want_b = seed_oracle.update_minibatch(net.weights, net.biases, minibatch, 0.5, lmbda=1.5, n=4)
    net.update_minibatch(minibatch, 0.5, lmbda=1.5)
    assert_same_parameters(net, want_w, want_b, 1e-12)


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("batch", [1, 3, 10])
def test_seed_api_on_mnist_like_inputs(cost, batch, mnist_like):
    """Nielsen's pixels (float32 multiples of 1/256) are stored as uint8 inside;
    backprop and update_minibatch must still see the pixel values, not the bytes."""
    rng = np.random.default_rng([batch, len(cost)])
    net = Network([784, 30, 10], cost=cost, seed=rng)
    minibatch = mnist_like(batch, rng)
    x, y = minibatch[0]
    want_w, want_b = seed_oracle.backprop(net.weights, net.biases, x, y, cost)
    got_w, got_b = net.backprop(x, y)
    for got, want in zip(got_w + got_b, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    want_w, want_b = seed_oracle.update_minibatch(net.weights, net.biases, minibatch, 3.0, cost=cost)
    net.update_minibatch(minibatch, 3.0)
    assert_same_parameters(net, want_w, want_b, 1e-12)


def oracle_epochs(weights, biases, data, minibatch_size, alpha, orders, cost="quadratic", lmbda=0.0):
    """Epochs of the seed's SGD in the given orders, with network2's cost and L2 (n = len(data))."""
    for order in orders:
        for k in range(0, len(order), minibatch_size):
            minibatch = [data[i] for i in order[k:k + minibatch_size]]
            weights, biases = seed_oracle.update_minibatch(weights, biases, minibatch, alpha, cost=cost,
                                                           lmbda=lmbda, n=len(data))
    return weights, biases


def test_trainer_epochs_equal_seed_sgd_epochs(pairs):
    """Trainer(seed=s) shuffles each epoch with default_rng(s).permutation(n); the seed's
    sgd_epoch in those orders must land on the same weights (23 samples, mini-batch 5:
    the last batch of each epoch is short)."""
    sizes, n, mb, eta, epochs = [6, 5, 4], 23, 5, 1.5, 3
    data = pairs(sizes, n, np.random.default_rng(2))
    net = Network(sizes, seed=3)
    weights, biases = parameters(net)
    trainer = Trainer(net, data, epochs, mb, eta, seed=21)
    for _ in trainer.each_epoch():
        pass
    rng = np.random.default_rng(21)
    for _ in range(epochs):
        weights, biases = seed_oracle.sgd_epoch(weights, biases, data, mb, eta, rng.permutation(n))
    assert_same_parameters(net, weights, biases, 1e-10)


@pytest.mark.parametrize("cost", COSTS)
def test_trainer_with_l2_equals_seed_with_l2(cost, pairs):
    sizes, n, mb, eta, lmbda, epochs = [7, 6, 5, 4], 31, 4, 0.9, 3.0, 2
    data = pairs(sizes, n, np.random.default_rng(4))
    net = Network(sizes, cost=cost, init="scaled", seed=5)
    weights, biases = parameters(net)
    trainer = Trainer(net, data, epochs, mb, eta, lmbda=lmbda, seed=22)
    list(trainer.each_epoch())
    rng = np.random.default_rng(22)
    orders = [rng.permutation(n) for _ in range(epochs)]
    want_w, want_b = oracle_epochs(weights, biases, data, mb, eta, orders, cost=cost, lmbda=lmbda)
    assert_same_parameters(net, want_w, want_b, 1e-10)


def test_sgd_equals_seed_with_the_networks_own_shuffles(mnist_like):
    """Network.SGD shuffles with the network's generator: copy it before training to
    recover the orders.  MNIST-shaped data (stored as uint8 inside) on [784, 30, 10]."""
    sizes, n, mb, eta, epochs = [784, 30, 10], 30, 10, 3.0, 2
    data = mnist_like(n, np.random.default_rng(6))
    net = Network(sizes, seed=7)
    weights, biases = parameters(net)
    rng = copy.deepcopy(net.rng)
    net.SGD(data, epochs, mb, eta, verbose=False)
    orders = [rng.permutation(n) for _ in range(epochs)]
    want_w, want_b = oracle_epochs(weights, biases, data, mb, eta, orders)
    assert_same_parameters(net, want_w, want_b, 1e-10)


def test_a_different_order_gives_different_weights(pairs):
    """The epoch comparison above is sensitive to the order (so it checks the shuffle too)."""
    sizes, n, mb, eta = [6, 5, 4], 23, 5, 1.5
    data = pairs(sizes, n, np.random.default_rng(2))
    net = Network(sizes, seed=3)
    weights, biases = parameters(net)
    list(Trainer(net, data, 1, mb, eta, seed=21).each_epoch())
    other_w, _ = seed_oracle.sgd_epoch(weights, biases, data, mb, eta, np.random.default_rng(99).permutation(n))
    assert not np.allclose(net.weights[0], other_w[0], rtol=1e-6, atol=1e-6)
