"""Measuring a model on a Dataset: accuracy and cost, a block of samples at a time.

These take any :class:`pynn.nets.model.Model`, so the data stays data and the
network stays a network; blocks bound the memory a 10k-image evaluation takes,
and :func:`evaluate_blocks` lets a caller (the browser's worker) report and
stop between blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from pynn.data.dataset import Dataset
from pynn.nets.model import Model

BLOCK = 4096  # samples per feedforward


Outputs = Callable[[int, int], np.ndarray]  # (start, stop) → outputs as columns (n_out, stop − start)


def blocks(data: Dataset, size: int | None = None, count: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, stop) ranges covering the first ``count`` samples (default: all), ``size``
    (default BLOCK) at a time."""
    size, count = size or BLOCK, len(data) if count is None else min(count, len(data))
    return ((i, min(i + size, count)) for i in range(0, count, size))


def block_outputs(model: Model, data: Dataset, size: int | None = None, count: int | None = None,
                  outputs: Outputs | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """(start, stop, outputs as columns) for each block of the first ``count`` samples;
    ``outputs`` computes them (default: the model's feedforward on the block's inputs)."""
    for start, stop in blocks(data, size, count):
        yield start, stop, (outputs(start, stop) if outputs else model.feedforward(data.inputs(start, stop)))


def evaluate_blocks(model: Model, data: Dataset, size: int | None = None, count: int | None = None,
                    outputs: Outputs | None = None) -> Iterator[tuple[int, int]]:
    """After each block: (samples done so far, how many of them the model got right)."""
    correct = 0
    for start, stop, block in block_outputs(model, data, size, count, outputs):
        correct += int(np.count_nonzero(np.argmax(block, axis=0) == data.labels[start:stop]))
        yield stop, correct


def count_correct(model: Model, data: Dataset) -> int:
    """How many samples the model's largest output gets right."""
    *_, (_, correct) = evaluate_blocks(model, data)
    return correct


def summed_cost(model: Model, data: Dataset) -> float:
    """The model's cost summed over all samples."""
    return sum(model.cost.fn(outputs, data.y[start:stop].T) for start, stop, outputs in block_outputs(model, data))
