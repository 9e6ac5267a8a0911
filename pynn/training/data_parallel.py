"""Data-parallel SGD: each mini-batch's gradient as the sum of its shares' gradients, so that
several workers (the page's pool) can compute one step together.

A mini-batch of m rows is cut into ``shares`` runs of consecutive rows.  Each share's gradient
is taken at the same weights and scaled by η/m (the whole batch's m, as one worker's step
scales it), and the shares are summed in the fixed order 0, 1, …, n−1 before the step.  So:

- a run repeats exactly, bit for bit, for a given number of shares, whichever worker computed
  which share (a share is the same arithmetic on the same numbers anywhere; the page's pool
  redoes a lost worker's share on the main worker and gets the same bits);
- it agrees with one worker's step to rounding only (a sum of sums is not one sum: about 1e-17
  a step), not bit for bit.

A share's worker needs nothing but the weights and its rows (:func:`share_gradient` with a
:class:`Replica`): it keeps no state between steps.  The user's mini-batch size stays the
mini-batch size.  Only networks without dropout split: dropout's masks would be drawn per
share, and the run would no longer be one worker's.
"""

from __future__ import annotations

import time

import numpy as np

from pynn.nets import network3
from pynn.nets.model import Model
from pynn.training.trainer import Progress, Trainer


def share_bounds(m: int, shares: int) -> list[tuple[int, int]]:
    """(start, stop) of each share's rows of an m-row batch: consecutive, sizes differing by at
    most one, the first ones the larger (as numpy's array_split); a share may be empty."""
    size, extra = divmod(m, shares)
    bounds, start = [], 0
    for k in range(shares):
        stop = start + size + (k < extra)
        bounds.append((start, stop))
        start = stop
    return bounds


def flat_params(network: network3.Network) -> np.ndarray:
    """Every parameter of ``network`` in one float64 vector, layer by layer (the order all
    workers share)."""
    return np.concatenate([p.ravel() for layer in network.layers for p in layer.params])


def set_params(network: network3.Network, flat: np.ndarray) -> None:
    """Write ``flat`` (as :func:`flat_params` gives) into ``network``'s parameters, in place."""
    put(flat, [p for layer in network.layers for p in layer.params])


def put(flat: np.ndarray, arrays: list[np.ndarray]) -> None:
    expected = sum(a.size for a in arrays)
    if flat.shape != (expected,):
        raise ValueError(f"expected {expected} numbers for this network, got {flat.shape}")
    start = 0
    for array in arrays:
        array[...] = flat[start:start + array.size].reshape(array.shape)
        start += array.size


def check_splittable(network: Model) -> network3.Network:
    if not isinstance(network, network3.Network):
        raise TypeError("data-parallel steps are for layered (network3) nets; the MLP trains on one worker")
    if any(layer.p_dropout > 0 for layer in network.layers):
        raise ValueError("a net with dropout trains on one worker: its masks would be drawn per share")
    return network


class Replica:
    """A worker's copy of a net, for its shares: the weights come with each share."""

    def __init__(self, network: Model) -> None:
        self.network = check_splittable(network)
        self.steppers: dict[int, network3.Stepper] = {}

    def stepper(self, m: int) -> network3.Stepper:
        """The stepper of m-row batches (the layers keep buffers by batch size)."""
        return self.steppers.get(m) or self.steppers.setdefault(m, self.network.stepper(m))

    def gradient(self, x: np.ndarray, y: np.ndarray, scale: float,
                 measure_cost: bool) -> tuple[np.ndarray, float | None]:
        """The share's gradient at the network's weights, times ``scale``, as one flat vector
        (the order of :func:`flat_params`), and its summed cost if asked."""
        cost = self.stepper(len(x)).gradient(x, y, scale, measure_cost=measure_cost)
        return np.concatenate([g.ravel() for layer in self.network.layers for g in layer.grads]), cost


def share_gradient(replica: Replica, weights: np.ndarray, x: np.ndarray, y: np.ndarray, scale: float,
                   measure_cost: bool) -> tuple[np.ndarray, float | None]:
    """One share's gradient at ``weights``: what a worker of the pool computes."""
    set_params(replica.network, weights)
    return replica.gradient(x, y, scale, measure_cost)


class SplitSteps:
    """A Trainer's mini-batches, each step's gradient in ``shares`` shares.

    ``prepare`` cuts the next mini-batch (share 0 is the caller's own, the others are for the
    pool); ``give`` hands in a share's gradient from elsewhere; ``finish`` computes what is
    still missing here, sums in order and steps.  The Trainer's run is the same run: its
    shuffles, augmentation, cost and checkpoints are untouched."""

    def __init__(self, trainer: Trainer, shares: int) -> None:
        if shares < 1:
            raise ValueError(f"shares must be at least 1, got {shares}")
        self.trainer, self.shares = trainer, shares
        self.replica = Replica(trainer.network)
        self.batch: tuple | None = None  # (x, y, bounds, measure) of the prepared mini-batch
        self.answers: dict[int, tuple[np.ndarray, float | None]] = {}

    @property
    def prepared(self) -> bool:
        return self.batch is not None

    def prepare(self, for_pool: bool = True) -> list[dict]:
        """Cut the next mini-batch; the shares for the pool (1 … n−1, non-empty ones), each
        {"index", "x", "y", "scale", "measure_cost"} with the current weights under "weights"
        (none if not ``for_pool``: all are to be computed here)."""
        x, _, y = self.trainer.current_batch()
        bounds = share_bounds(len(x), self.shares)
        measure = self.trainer.measures_cost()
        self.batch, self.answers = (x, y, bounds, measure), {}
        if not for_pool:
            return []
        scale = self.trainer.eta / len(x)
        weights = flat_params(self.replica.network)
        return [{"index": k, "x": x[a:b], "y": y[a:b], "scale": scale, "measure_cost": measure, "weights": weights}
                for k, (a, b) in enumerate(bounds) if k > 0 and b > a]

    def give(self, index: int, gradient: np.ndarray, cost: float | None) -> None:
        """Share ``index``'s gradient, computed by another worker at the prepared batch's weights."""
        if self.batch is None or not 0 < index < self.shares:
            raise ValueError(f"no share {index} is waited for")
        self.answers[index] = (np.asarray(gradient, dtype=np.float64), cost)

    def compute(self, index: int) -> None:
        """Share ``index``'s gradient, computed here (share 0 is the caller's own)."""
        if self.batch is None:
            raise RuntimeError("prepare a mini-batch first")
        x, y, bounds, measure = self.batch
        a, b = bounds[index]
        if b > a:
            self.answers[index] = self.replica.gradient(x[a:b], y[a:b], self.trainer.eta / len(x), measure)

    def finish(self, started: float | None = None) -> Progress:
        """Compute the shares not given, sum all in order 0 … n−1, take the step and count it;
        ``started``: when the step began (time.perf_counter), for the run's clock."""
        if self.batch is None:
            raise RuntimeError("prepare a mini-batch first")
        x, _, bounds, measure = self.batch
        trainer, network = self.trainer, self.replica.network
        total, cost = None, None
        for k, (a, b) in enumerate(bounds):
            if b == a:
                continue
            if k not in self.answers:
                self.compute(k)
            gradient, share_cost = self.answers[k]
            if total is None:
                total = gradient.copy()
            else:
                total += gradient
            if share_cost is not None:
                cost = share_cost if cost is None else cost + share_cost
        if total is None:  # share 0 has a row of every batch, so only a batch of none gets here
            raise ValueError("an empty mini-batch")
        put(total, [g for layer in network.layers for g in layer.grads])
        self.replica.stepper(len(x)).update(trainer.eta, trainer.lmbda, len(trainer.data))
        self.batch, self.answers = None, {}
        trainer.count_batch(cost if measure else None, len(x))
        return trainer.after_batches(0.0 if started is None else time.perf_counter() - started)
