"""Backprop against central finite differences of the cost, in float64.

The gradient of ``Network.total_cost(data, lmbda)`` (mean cost + ½λ/n Σw²) with
respect to every weight is the mean backprop gradient plus (λ/n)·w; with respect
to every bias it is the mean backprop gradient.  Central differences with
eps = 1e-6 are accurate to ~eps² (truncation) plus the rounding error of the
cost divided by 2·eps; summing a cost of size |C| rounds at ≲1e-15·|C|, hence
rtol 1e-6 with a floor of 1e-9·max(1, |C|) for the tiniest entries.
"""

import numpy as np
import pytest
import seed_oracle

from pynn import Network

EPS = 1e-6
RTOL = 1e-6
ATOL = 1e-9


def analytic_gradient(net, data, lmbda):
    """Mean of backprop over ``data`` plus the L2 term, as network2 defines it."""
    n = len(data)
    sum_w = [np.zeros_like(w) for w in net.weights]
    sum_b = [np.zeros_like(b) for b in net.biases]
    for x, y in data:
        nabla_w, nabla_b = net.backprop(x, y)
        sum_w = [s + g for s, g in zip(sum_w, nabla_w)]
        sum_b = [s + g for s, g in zip(sum_b, nabla_b)]
    grad_w = [s / n + (lmbda / n) * w for s, w in zip(sum_w, net.weights)]
    grad_b = [s / n for s in sum_b]
    return grad_w, grad_b


def numeric_entry(net, data, lmbda, array, index):
    """Central difference of total_cost in one parameter, restoring it exactly afterwards."""
    original = array[index]
    array[index] = original + EPS
    plus = net.total_cost(data, lmbda)
    array[index] = original - EPS
    minus = net.total_cost(data, lmbda)
    array[index] = original
    return (plus - minus) / (2 * EPS)


def check_layer(net, data, lmbda, array, analytic, indices):
    numeric = np.array([numeric_entry(net, data, lmbda, array, i) for i in indices])
    expected = np.array([analytic[i] for i in indices])
    atol = ATOL * max(1.0, net.total_cost(data, lmbda))
    np.testing.assert_allclose(expected, numeric, rtol=RTOL, atol=atol)
    # the layer as a whole, too: relative error of the gradient vector
    assert np.linalg.norm(expected - numeric) <= RTOL * np.linalg.norm(numeric) + atol
    return numeric


def all_indices(array):
    return list(np.ndindex(*array.shape))


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
@pytest.mark.parametrize("lmbda", [0.0, 0.8])
@pytest.mark.parametrize("sizes", [[4, 5, 3], [3, 6, 5, 2]], ids=str)
def test_every_parameter(sizes, cost, lmbda, pairs):
    rng = np.random.default_rng([len(sizes), int(lmbda * 10), len(cost)])
    net = Network(sizes, cost=cost, seed=rng)
    data = pairs(sizes, 6, rng)
    grad_w, grad_b = analytic_gradient(net, data, lmbda)
    for w, g in zip(net.weights, grad_w):
        check_layer(net, data, lmbda, w, g, all_indices(w))
    for b, g in zip(net.biases, grad_b):
        check_layer(net, data, lmbda, b, g, all_indices(b))


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
@pytest.mark.parametrize("lmbda", [0.0, 5.0])
def test_random_subset_of_a_784_30_10_net(cost, lmbda):
    """60 weights of each layer (and every bias) of an MNIST-sized net, with MNIST-like inputs."""
    rng = np.random.default_rng(int(lmbda) + len(cost))
    sizes = [784, 30, 10]
    net = Network(sizes, cost=cost, init="scaled", seed=rng)
    data = [(rng.integers(0, 256, (784, 1)) / 256.0, np.eye(10)[:, [int(rng.integers(10))]]) for _ in range(4)]
    grad_w, grad_b = analytic_gradient(net, data, lmbda)
    for w, g in zip(net.weights, grad_w):
        flat = rng.choice(w.size, size=60, replace=False)
        check_layer(net, data, lmbda, w, g, [np.unravel_index(i, w.shape) for i in flat])
    for b, g in zip(net.biases, grad_b):
        check_layer(net, data, lmbda, b, g, all_indices(b))


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_single_sample_backprop_is_the_cost_gradient(cost, pairs):
    """backprop(x, y) alone is the gradient of that sample's cost (no mean, no L2)."""
    rng = np.random.default_rng(7)
    sizes = [3, 4, 2]
    net = Network(sizes, cost=cost, seed=7)
    (x, y), = pairs(sizes, 1, rng)
    nabla_w, nabla_b = net.backprop(x, y)
    for array, grad in zip(net.weights + net.biases, nabla_w + nabla_b):
        check_layer(net, [(x, y)], 0.0, array, grad, all_indices(array))


def test_the_check_tells_the_costs_apart(pairs):
    """Sensitivity: the quadratic cost's gradient is not the cross-entropy one, so a
    kernel that mixed up the costs (or dropped σ') would fail the checks above."""
    rng = np.random.default_rng(8)
    sizes = [4, 5, 3]
    net = Network(sizes, cost="cross-entropy", seed=8)
    data = pairs(sizes, 6, rng)
    w = net.weights[-1]
    numeric = np.array([numeric_entry(net, data, 0.0, w, i) for i in all_indices(w)])
    wrong = sum(seed_oracle.backprop(net.weights, net.biases, x, y, "quadratic")[0][-1] for x, y in data) / len(data)
    assert not np.allclose(wrong.ravel(), numeric, rtol=RTOL, atol=ATOL)


def test_l2_term_is_in_the_gradient(pairs):
    """Without the (λ/n)·w term the weight gradient would be wrong by a lot."""
    rng = np.random.default_rng(9)
    sizes = [4, 5, 3]
    net = Network(sizes, seed=9)
    data = pairs(sizes, 6, rng)
    w = net.weights[0]
    numeric = np.array([numeric_entry(net, data, 3.0, w, i) for i in all_indices(w)])
    without_l2, _ = analytic_gradient(net, data, 0.0)
    assert not np.allclose(without_l2[0].ravel(), numeric, rtol=RTOL, atol=ATOL)
    with_l2, _ = analytic_gradient(net, data, 3.0)
    np.testing.assert_allclose(with_l2[0].ravel(), numeric, rtol=RTOL, atol=ATOL)
