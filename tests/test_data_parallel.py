"""Data-parallel steps (pynn.training.data_parallel) against their oracle, one worker's Trainer:
the same run to rounding, and exactly the same run again whoever computes which share."""

import hashlib

import numpy as np
import pytest

from pynn import Network
from pynn.data.dataset import Dataset
from pynn.nets import network3
from pynn.nets.architectures import conv_layers
from pynn.nets.layers import FullyConnectedLayer, SoftmaxLayer
from pynn.training.data_parallel import Replica, SplitSteps, flat_params, set_params, share_bounds, share_gradient
from pynn.training.trainer import Trainer


def digits(count, seed=0):
    rng = np.random.default_rng(seed)
    images = (rng.random((count, 784)) < 0.2) * rng.integers(0, 256, (count, 784))
    return Dataset.from_arrays(images.astype(np.uint8), rng.integers(0, 10, count))


def trainer(data, minibatch=10, epochs=1, lmbda=0.5, hidden=12):
    return Trainer(network3.Network(conv_layers(hidden), seed=3), data, epochs, minibatch, 0.1, lmbda=lmbda,
                   cost_every=3)


def digest(network):
    return hashlib.sha256(flat_params(network).tobytes()).hexdigest()


def split_run(data, shares, elsewhere=None, **kwargs):
    """A whole run in split steps; ``elsewhere``: a Replica that computes shares 1 … n−1, given
    the weights and rows as a worker of the pool is (None: all computed by the run itself)."""
    t = trainer(data, **kwargs)
    steps = SplitSteps(t, shares)
    progress = []
    while not t.done:
        for share in steps.prepare():
            if elsewhere is not None:
                copies = [share[key].copy() for key in ("weights", "x", "y")]  # as a message brings them
                gradient, cost = share_gradient(elsewhere, *copies, share["scale"], share["measure_cost"])
                steps.give(share["index"], gradient, cost)
        progress.append(steps.finish())
    return t, progress


def test_share_bounds_cover_the_batch_in_order_with_sizes_apart_by_at_most_one():
    assert share_bounds(10, 2) == [(0, 5), (5, 10)]
    assert share_bounds(7, 3) == [(0, 3), (3, 5), (5, 7)]
    assert share_bounds(2, 4) == [(0, 1), (1, 2), (2, 2), (2, 2)]  # empty shares are allowed
    for m in range(1, 30):
        for n in range(1, 9):
            bounds = share_bounds(m, n)
            assert bounds[0][0] == 0 and bounds[-1][1] == m
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            sizes = [b - a for a, b in bounds]
            assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("shares", [2, 3])
def test_a_split_run_is_one_workers_run_to_rounding(shares):
    """Would catch a share scaled by its own size instead of the batch's, a share left out or
    counted twice, the decay applied per share, or the step taken before all shares are in."""
    data = digits(87)  # 8 full mini-batches and a short one of 7
    one = trainer(data, epochs=2)
    one.run()
    one_progress = one.run()
    split, progress = split_run(data, shares, epochs=2)
    a, b = flat_params(one.network), flat_params(split.network)
    assert np.max(np.abs(a - b)) < 1e-12 * np.max(np.abs(a))
    assert 0 < np.max(np.abs(a - b)) or shares == 1  # a sum of sums: not bit for bit, and not claimed to be
    assert progress[-1].epoch == one_progress.epoch and progress[-1].done and one_progress.done
    assert progress[-1].cost == pytest.approx(one_progress.cost, rel=1e-12)
    assert [h["epoch"] for h in split.history] == [h["epoch"] for h in one.history] == [0, 1]


def test_one_share_is_one_workers_step_bit_for_bit():
    """The split path with a single share is the Trainer's own arithmetic: would catch an
    update that differs from Stepper.step's (the decay, the order of the two)."""
    data = digits(40)
    one = trainer(data)
    one.run()
    split, _ = split_run(data, 1)
    assert digest(split.network) == digest(one.network)


def test_a_split_run_repeats_exactly_whoever_computes_the_shares():
    """The pool's promise: a share computed by another worker (its own net, other weights until
    the share's arrive) gives the same bits as the main worker computing it. Would catch a
    replica that keeps its old weights, a different flattening order, or a sum whose order
    depends on who answered first."""
    data = digits(60, seed=1)
    alone, _ = split_run(data, 2)
    again, _ = split_run(data, 2)
    other = Replica(network3.Network(conv_layers(12), seed=99))  # different weights: only the shares' count
    helped, _ = split_run(data, 2, elsewhere=other)
    assert digest(alone.network) == digest(again.network) == digest(helped.network)


def test_a_split_run_resumes_from_the_trainers_state_as_one_run():
    """Checkpoints keep the Trainer's state only: a split run stopped and resumed from it is the
    uninterrupted split run, bit for bit."""
    data = digits(50, seed=2)
    whole, _ = split_run(data, 2, epochs=2)
    first = trainer(data, epochs=2)
    steps = SplitSteps(first, 2)
    for _ in range(7):
        steps.prepare()
        steps.finish()
    state, weights = first.state(), flat_params(first.network)
    second = trainer(data, epochs=2)
    set_params(second.network, weights)
    second.restore(state)
    steps = SplitSteps(second, 2)
    while not second.done:
        steps.prepare()
        steps.finish()
    assert digest(second.network) == digest(whole.network)


def test_what_cannot_split_is_refused_clearly():
    data = digits(20)
    dropping = Trainer(network3.Network([FullyConnectedLayer(784, 5, p_dropout=0.5), SoftmaxLayer(5, 10)], seed=1),
                  data, 1, 4, 0.1)
    with pytest.raises(ValueError, match="dropout"):
        SplitSteps(dropping, 2)
    with pytest.raises(TypeError, match="one worker"):
        SplitSteps(Trainer(Network([784, 5, 10]), data, 1, 4, 0.1), 2)
    with pytest.raises(ValueError, match="at least 1"):
        SplitSteps(trainer(data), 0)
    steps = SplitSteps(trainer(data), 2)
    with pytest.raises(RuntimeError, match="prepare"):
        steps.finish()
    steps.prepare()
    with pytest.raises(ValueError, match="no share 2"):
        steps.give(2, np.zeros(3), None)
    with pytest.raises(ValueError, match="numbers for this network"):
        share_gradient(steps.replica, np.zeros(3), np.zeros((1, 784)), np.zeros((1, 10)), 0.1, False)
