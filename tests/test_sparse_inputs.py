"""The kernel's sparse first layer (only the inputs nonzero somewhere in the batch take part)
against the seed's dense per-sample step, on inputs with many exact zeros."""

import numpy as np
import pytest
import seed_oracle

from pynn import Network
from pynn.data.dataset import Dataset
from pynn.training.trainer import Trainer


def sparse_pairs(n_in, n_out, count, rng, zero_share=0.8, blank_rows=()):
    """(x, one-hot y) pairs whose x is mostly exact zeros, some all zeros, like MNIST's borders."""
    pairs = []
    for i in range(count):
        x = rng.integers(1, 256, (n_in, 1)) / 256 * (rng.random((n_in, 1)) > zero_share)
        if i in blank_rows:
            x[:] = 0.0
        x[: n_in // 4] = 0.0  # a band that is zero in every sample
        pairs.append((x, np.eye(n_out)[:, [int(rng.integers(n_out))]]))
    return pairs


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
@pytest.mark.parametrize("lmbda", [0.0, 2.0])
@pytest.mark.parametrize("blank_rows", [(), (0, 3), tuple(range(6))])
def test_sparse_step_equals_the_seed_step(cost, lmbda, blank_rows):
    rng = np.random.default_rng(7)
    net = Network([40, 9, 4], cost=cost, seed=3)
    weights, biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    batch = sparse_pairs(40, 4, 6, rng, blank_rows=blank_rows)  # (0..5): the whole batch blank
    net.update_minibatch(batch, 0.7, lmbda=lmbda, n=50)
    want_w, want_b = seed_oracle.update_minibatch(weights, biases, batch, 0.7, cost=cost, lmbda=lmbda, n=50)
    for got, want in zip(net.weights + net.biases, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if len(blank_rows) == 6 and not lmbda:  # no input at all: the first layer's weights cannot move
        np.testing.assert_array_equal(net.weights[0], weights[0])


def test_sparse_epoch_equals_the_seed_epoch():
    """A whole epoch through the Trainer's gathered blocks, on uint8-compacted sparse inputs."""
    rng = np.random.default_rng(11)
    pairs = sparse_pairs(60, 5, 90, rng, blank_rows=(4, 17, 50))
    data = Dataset.from_arrays(np.rint(np.hstack([x for x, _ in pairs]).T * 256).astype(np.uint8),
                               np.array([int(np.argmax(y)) for _, y in pairs]), n_out=5)
    net = Network([60, 8, 5], seed=5)
    weights, biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    Trainer(net, data, 1, 7, 1.5, seed=21).run()
    order = np.random.default_rng(21).permutation(len(pairs))
    want_w, want_b = seed_oracle.sgd_epoch(weights, biases, pairs, 7, 1.5, order)
    for got, want in zip(net.weights + net.biases, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
