"""Mini-batches gathered from a Dataset, restricted to the inputs they use.

A batch comes as (x, cols, y): ``cols`` are the input columns that are nonzero
somewhere in the batch (None if that is all of them, or if the model takes
whole inputs), ``x`` is the (m, k) float64 block of the batch's inputs in those
columns, and ``y`` its (m, n_out) targets.  MNIST pixels are ~81% zeros, so the
MLP's first layer then does about half the work, exactly (see pynn.nets.kernel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from pynn.data.dataset import Dataset

Transform = Callable[[np.ndarray], np.ndarray]  # a block of input rows → the same shape and dtype


class Augmenter(Protocol):
    """Makes new images from a block of them, drawing from ``rng`` (e.g. pynn.training.augment.augment)."""

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...


def nonzero_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` restricted to its columns that hold a nonzero, and those columns (None: all of them)."""
    used = x.any(axis=0)
    if used.all():
        return x, None
    cols = np.flatnonzero(used)
    return x[:, cols], cols


class EpochBatches:
    """One epoch's mini-batches, gathered from the data a block of samples at a time.

    Gathering a block of batches at once takes a handful of numpy calls instead of
    several per batch; the values are the same whatever the block boundaries."""

    BLOCK = 2048  # samples gathered at once: ~16 MB of buffers for MNIST

    def __init__(self, data: Dataset, order: np.ndarray, size: int, sparse: bool = True,
                 transform: Transform | None = None) -> None:
        """``transform`` (e.g. pynn.training.augment) changes each gathered block of inputs, in the data's
        own dtype; it is called block after block in epoch order, so a seeded one repeats."""
        self.data, self.order, self.size, self.sparse, self.transform = data, order, size, sparse, transform
        self.full = len(order) // size  # batches of exactly ``size``; a shorter one may follow
        self.per_block = max(1, self.BLOCK // size)
        self.first = 0
        self.batches: list[tuple] = []  # the block gathered now: (x, cols, y) for each batch

    @property
    def end(self) -> int:
        """The index after the last batch of the block gathered now."""
        return self.first + len(self.batches)

    def holds(self, index: int) -> bool:
        """Whether batch ``index`` is in the block gathered now."""
        return self.first <= index < self.end

    def batch(self, index: int) -> tuple:
        """Batch ``index`` of the epoch (0-based), as (x, cols, y)."""
        if not self.holds(index):
            self.load(index)
        return self.batches[index - self.first]

    def load(self, index: int) -> None:
        """Gather the block of batches holding batch ``index``."""
        if index >= self.full:  # the short last batch, alone
            first, count, size = self.full, 1, len(self.order) - self.full * self.size
        else:
            first = index - index % self.per_block
            count, size = min(self.per_block, self.full - first), self.size
        rows = self.order[first * self.size:first * self.size + count * size]
        x, y = self.data.x.take(rows, axis=0), self.data.y.take(rows, axis=0)
        if self.transform is not None:
            x = self.transform(x)
        split = split_batches if self.sparse else dense_batches
        self.first, self.batches = first, split(x, y, self.data.scale, count, size)


def dense_batches(x: np.ndarray, y: np.ndarray, scale: float, count: int, size: int) -> list[tuple]:
    """(x, None, y) for ``count`` batches of ``size`` consecutive rows: whole inputs, times ``scale``."""
    x = np.multiply(x, scale, dtype=np.float64)
    return [(x[i * size:(i + 1) * size], None, y[i * size:(i + 1) * size]) for i in range(count)]


def split_batches(x: np.ndarray, y: np.ndarray, scale: float, count: int, size: int) -> list[tuple]:
    """(x, cols, y) for ``count`` batches of ``size`` consecutive rows, inputs times ``scale``."""
    n_in = x.shape[1]
    used = batch_union(x, count, size)  # (count, n_in): which inputs each batch needs
    widths = used.sum(axis=1).tolist()
    values = x[np.repeat(used, size, axis=0)]  # each batch's (size, k) block, row-major, one after another
    values = np.multiply(values, scale, dtype=np.float64)  # exact: uint8 × 1/256 (or float × 1)
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
    return np.asarray(x.reshape(count, size, n_in).any(axis=1))
