"""The training engine: mini-batch SGD that can be driven a chunk at a time.

``Network.SGD`` runs it to the end; the browser's worker calls ``run`` with a
time budget, reports the returned :class:`Progress`, and may simply stop
calling.  All of the engine's state (epoch, position, this epoch's shuffled
order, the random generator) lives on the Trainer, so the network is
consistent between chunks and any split into chunks gives the same result.

The mini-batches are gathered a block at a time (:class:`EpochBatches`): each
batch's inputs restricted to the columns that are nonzero somewhere in it,
which is what the kernel's sparse first layer takes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from pynn.checks import check_count, check_positive
from pynn.data import Dataset, as_dataset
from pynn.kernel import Workspace


@dataclass
class Progress:
    """Where training stands after a chunk."""

    epoch: int  # the epoch in progress, or just finished if epoch_done (0-based)
    epochs: int
    batch: int  # mini-batches done in this epoch
    batches_per_epoch: int
    cost: float | None  # running mean cost per sample this epoch, from sampled batches
    elapsed: float  # seconds spent training, over all chunks so far
    eta: float | None  # estimated seconds left
    epoch_done: bool
    accuracy: float | None  # on the evaluation data, when an epoch is done
    done: bool

    def as_dict(self) -> dict:
        return asdict(self)


class Trainer:
    """SGD over ``training_data`` for a number of epochs, in resumable chunks."""

    def __init__(
        self,
        network,
        training_data,
        epochs: int,
        minibatch_size: int,
        eta: float,
        lmbda: float = 0.0,
        evaluation_data=None,
        seed: int | None = None,
        cost_every: int = 10,
    ) -> None:
        """``seed`` gives the shuffles their own generator; by default they draw
        from the network's.  The running cost is measured on every
        ``cost_every``-th mini-batch, since measuring costs a forward pass's worth
        of numpy calls."""
        self.network = network
        self.epochs_total = check_count("number_of_epochs", epochs, 0)
        self.minibatch_size = check_count("minibatch_size", minibatch_size, 1)
        self.eta = check_positive("learning rate (eta/alpha)", eta)
        self.lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        self.cost_every = check_count("cost_every", cost_every, 1)
        self.data = as_dataset(training_data, network.sizes, "training_data")
        self.evaluation = None if evaluation_data is None else as_dataset(evaluation_data, network.sizes, "test_data")
        self.rng = network.rng if seed is None else np.random.default_rng(seed)
        self.batches_per_epoch = -(-len(self.data) // self.minibatch_size)
        self.epoch, self.batch, self.order = 0, 0, None
        self.elapsed = 0.0
        self.cost_sum, self.cost_samples = 0.0, 0
        self.history: list[dict] = []
        self._workspaces: dict[int, Workspace] = {}
        self.epoch_batches: EpochBatches | None = None

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs_total

    def run(self, max_batches: int | None = None, max_seconds: float | None = None) -> Progress:
        """Train until the epoch ends, ``max_batches`` are done or ``max_seconds`` pass."""
        start = time.perf_counter()
        deadline = None if max_seconds is None else start + max_seconds
        limit = self.batches_per_epoch if max_batches is None else min(self.batches_per_epoch, self.batch + max_batches)
        if self.done:
            return self.progress(False, None)
        if self.order is None:
            self.order = self.rng.permutation(len(self.data))
        if self.epoch_batches is None or self.epoch_batches.order is not self.order:
            self.epoch_batches = EpochBatches(self.data, self.order, self.minibatch_size)
        for workspace in self._workspaces.values():
            workspace.bind()  # the user may have assigned new parameter arrays between chunks
        eta, lmbda, n = self.eta, self.lmbda, len(self.data)
        with np.errstate(over="ignore"):
            while self.batch < limit:
                x, cols, y = self.epoch_batches.batch(self.batch)
                workspace = self.workspace(len(x))
                workspace._gradient(x, y, eta / len(x), cols)
                if self.batch % self.cost_every == 0:
                    self.cost_sum += workspace.batch_cost(y)
                    self.cost_samples += len(x)
                workspace._apply(eta, lmbda, n)
                self.batch += 1
                if deadline is not None and time.perf_counter() >= deadline:
                    break
        self.elapsed += time.perf_counter() - start
        if self.batch < self.batches_per_epoch:
            return self.progress(False, None)
        return self.finish_epoch()

    def finish_epoch(self) -> Progress:
        """Evaluate, record the epoch in the history, and set up the next one."""
        evaluation = self.evaluation
        accuracy = None if evaluation is None else evaluation.count_correct(self.network) / len(evaluation)
        progress = self.progress(True, accuracy)
        self.history.append({"epoch": self.epoch, "cost": progress.cost, "accuracy": accuracy, "seconds": self.elapsed})
        self.epoch, self.batch, self.order = self.epoch + 1, 0, None
        self.epoch_batches = None  # its gathered block, ~16 MB, is not needed any more
        self.cost_sum, self.cost_samples = 0.0, 0
        return progress

    def progress(self, epoch_done: bool, accuracy: float | None) -> Progress:
        done_batches = self.epoch * self.batches_per_epoch + self.batch
        left = self.epochs_total * self.batches_per_epoch - done_batches
        return Progress(
            epoch=self.epoch, epochs=self.epochs_total, batch=self.batch, batches_per_epoch=self.batches_per_epoch,
            cost=self.cost_sum / self.cost_samples if self.cost_samples else None,
            elapsed=self.elapsed, eta=self.elapsed / done_batches * left if done_batches else None,
            epoch_done=epoch_done, accuracy=accuracy,
            done=self.done or (epoch_done and self.epoch + 1 >= self.epochs_total),
        )

    def epochs(self) -> Iterator[Progress]:
        """Run to the end, yielding the record of each finished epoch."""
        while not self.done:
            progress = self.run()
            if progress.epoch_done:
                yield progress

    def workspace(self, count: int) -> Workspace:
        """The workspace for a batch of ``count`` (the last batch may be short)."""
        workspace = self._workspaces.get(count)
        if workspace is None:
            workspace = self._workspaces[count] = Workspace(self.network, count)
        return workspace


class EpochBatches:
    """One epoch's mini-batches, gathered from the data a block of samples at a time.

    A batch comes as (x, cols, y): ``cols`` are the input columns that are nonzero
    somewhere in the batch (None if that is all of them), ``x`` is the (m, k) float64
    block of the batch's inputs in those columns, and ``y`` its (m, n_out) targets.
    Gathering a block of batches at once takes a handful of numpy calls instead of
    several per batch; the values are the same whatever the block boundaries."""

    BLOCK = 2048  # samples gathered at once: ~16 MB of buffers for MNIST

    def __init__(self, data: Dataset, order: np.ndarray, size: int) -> None:
        self.data, self.order, self.size = data, order, size
        self.full = len(order) // size  # batches of exactly ``size``; a shorter one may follow
        self.per_block = max(1, self.BLOCK // size)
        self.first, self.batches = 0, []

    def batch(self, index: int) -> tuple:
        """Batch ``index`` of the epoch (0-based)."""
        offset = index - self.first
        if not 0 <= offset < len(self.batches):
            self.load(index)
            offset = index - self.first
        return self.batches[offset]

    def load(self, index: int) -> None:
        """Gather the block of batches holding batch ``index``."""
        if index >= self.full:  # the short last batch, alone
            first, count, size = self.full, 1, len(self.order) - self.full * self.size
        else:
            first = index - index % self.per_block
            count, size = min(self.per_block, self.full - first), self.size
        rows = self.order[first * self.size:first * self.size + count * size]
        self.first, self.batches = first, split_batches(self.data, rows, count, size)


def split_batches(data: Dataset, rows: np.ndarray, count: int, size: int) -> list[tuple]:
    """(x, cols, y) for ``count`` batches of ``size`` consecutive ``rows`` of ``data``."""
    n_in = data.x.shape[1]
    x = data.x.take(rows, axis=0)
    y = data.y.take(rows, axis=0)
    used = batch_union(x, count, size)  # (count, n_in): which inputs each batch needs
    widths = used.sum(axis=1).tolist()
    values = x[np.repeat(used, size, axis=0)]  # each batch's (size, k) block, row-major, one after another
    values = np.multiply(values, data.scale, dtype=np.float64)  # exact: uint8 × 1/256 (or float × 1)
    cols = np.flatnonzero(used) % n_in  # ~6× faster than np.nonzero(used)[1]
    batches, start = [], 0
    for i, k in enumerate(widths):
        end = start + k
        batches.append((values[start * size:end * size].reshape(size, k), None if k == n_in else cols[start:end],
                        y[i * size:(i + 1) * size]))
        start = end
    return batches


def batch_union(x: np.ndarray, count: int, size: int) -> np.ndarray:
    """(count, n_in) bools: the columns of ``x`` that are nonzero in some row of each batch.
    Bytes are OR-ed eight at a time as uint64 words (any() on uint8 is ~8× slower in Pyodide)."""
    n_in = x.shape[1]
    if x.dtype == np.uint8 and n_in % 8 == 0:
        words = x.view(np.uint64).reshape(count, size, n_in // 8)
        return np.bitwise_or.reduce(words, axis=1).view(np.uint8) != 0
    return x.reshape(count, size, n_in).any(axis=1)
