"""Training data as arrays: checked once, stored compactly, gathered per mini-batch.

The seed's data is a list of (x, y) pairs: x a (784, 1) column, y a one-hot
(10, 1) column for training or an int label for testing.  A :class:`Dataset`
holds the same samples as rows of two arrays, so a mini-batch is one ``take``.
Pixels that are exact multiples of 1/256 (all of Nielsen's MNIST) are stored as
uint8 and scaled on the fly, which is exact and needs an eighth of the memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pynn.checks import check_finite

PIXEL_SCALE = 1.0 / 256.0  # Nielsen's mnist.pkl.gz stores byte/256
CONVERT_CHUNK = 1024  # samples per block when checking and compacting inputs: keeps the temporaries in cache


@dataclass
class Dataset:
    """Samples as rows: ``x`` (n, n_in) pixels times ``scale``, ``y`` (n, n_out) targets, ``labels`` (n,)."""

    x: np.ndarray
    y: np.ndarray
    labels: np.ndarray
    scale: float = 1.0

    def __len__(self) -> int:
        return len(self.x)

    @classmethod
    def from_arrays(cls, images: np.ndarray, labels: np.ndarray, n_out: int = 10, scale: float | None = None):
        """From MNIST-style arrays: images (n, n_in), uint8 (scaled by 1/256) or float; int labels (n,)."""
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 2 or labels.shape != (len(images),):
            raise ValueError(f"images must be (n, n_in) and labels (n,), got {images.shape} and {labels.shape}")
        check_finite("images", images)
        labels = check_labels(labels, n_out)
        if scale is None:
            scale = PIXEL_SCALE if images.dtype == np.uint8 else 1.0
        if images.dtype != np.uint8:
            images = images.astype(np.float64)
        return cls(images, one_hot(labels, n_out), labels, scale)

    def subset(self, count: int) -> Dataset:
        """The first ``count`` samples (views, no copy)."""
        return Dataset(self.x[:count], self.y[:count], self.labels[:count], self.scale)

    def inputs(self, start: int, stop: int) -> np.ndarray:
        """Samples start..stop as float64 columns (n_in, k), as ``feedforward`` takes them."""
        block = self.x[start:stop]
        return (block * self.scale if self.scale != 1.0 else block.astype(np.float64)).T


def check_labels(labels: np.ndarray, n_out: int) -> np.ndarray:
    """Integer labels in 0..n_out-1."""
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_out):
        bad = labels[(labels < 0) | (labels >= n_out)][0]
        raise ValueError(f"label {bad} is out of range: labels must be in 0..{n_out - 1}")
    return labels.astype(np.int64)


def one_hot(labels: np.ndarray, n_out: int) -> np.ndarray:
    """(n,) int labels → (n, n_out) float64 rows with a single 1.0."""
    y = np.zeros((len(labels), n_out))
    y[np.arange(len(labels)), labels] = 1.0
    return y


def as_dataset(data, sizes: list[int], name: str = "data") -> Dataset:
    """Check ``data`` against the layer ``sizes`` and return it as a Dataset.

    Accepts a Dataset or any iterable (list, zip) of (x, y) pairs with x of shape
    (n_in, 1) or (n_in,), and y either a one-hot (n_out, 1) column or an int label."""
    n_in, n_out = sizes[0], sizes[-1]
    if isinstance(data, Dataset):
        if data.x.ndim != 2 or data.x.shape[1] != n_in or data.y.shape != (len(data), n_out):
            raise ValueError(f"{name}: Dataset is {data.x.shape} → {data.y.shape}, network is {n_in} → {n_out}")
        if len(data) == 0:
            raise ValueError(f"{name} is empty")
        return data
    if isinstance(data, (str, bytes, np.ndarray)) or not isinstance(data, Iterable):
        raise TypeError(f"{name} must be a list of (x, y) pairs or a Dataset, got {type(data).__name__}")
    pairs = list(data)
    if not pairs:
        raise ValueError(f"{name} is empty")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{name}[{i}] must be an (x, y) pair, got {type(pair).__name__}")
    x, scale = compact_inputs([pair[0] for pair in pairs], n_in, name)
    y, labels = stack_targets([pair[1] for pair in pairs], n_out, name)
    return Dataset(x, y, labels, scale)


def stack_rows(items: list, width: int, name: str, what: str, offset: int = 0) -> np.ndarray:
    """Stack (width, 1) or (width,) arrays into rows (k, width), naming the first misfit."""
    try:
        block = np.array(items)  # np.stack, without its per-item Python overhead
    except (ValueError, TypeError):
        block = None
    if block is None or block.shape[1:] not in ((width, 1), (width,)):
        for i, item in enumerate(items):
            shape = np.shape(item)
            if shape not in ((width, 1), (width,)):
                raise ValueError(f"{name}[{offset + i}]: {what} has shape {shape}, expected ({width}, 1)")
        raise TypeError(f"{name}: {what} values are not all numeric arrays")
    return block.reshape(len(items), width)


def compact_inputs(xs: list, n_in: int, name: str) -> tuple[np.ndarray, float]:
    """Stack the inputs as rows; as uint8 × 1/256 when that is exact, else float64."""
    compact = np.empty((len(xs), n_in), dtype=np.uint8)
    for start in range(0, len(xs), CONVERT_CHUNK):
        block = stack_rows(xs[start:start + CONVERT_CHUNK], n_in, name, "x", start)
        exact = np.issubdtype(block.dtype, np.floating) and to_pixel_bytes(block, compact[start:start + CONVERT_CHUNK])
        if not exact:
            return float_inputs(xs, n_in, name), 1.0
    return compact, PIXEL_SCALE


def to_pixel_bytes(block: np.ndarray, out: np.ndarray) -> bool:
    """Write block × 256 into the uint8 ``out``; True if that is exact.  The round trip
    is the whole check: NaN, ±inf, values outside [0, 255/256] or off the 1/256 grid
    all come back different (in three passes over the data instead of ten)."""
    as_bytes = block * 256  # exact in any float type: 256 is a power of two
    with np.errstate(invalid="ignore", over="ignore"):
        np.copyto(out, as_bytes, casting="unsafe")
    return np.array_equal(out, as_bytes)


def float_inputs(xs: list, n_in: int, name: str) -> np.ndarray:
    """Stack the inputs as float64 rows, checking that they are finite."""
    blocks = []
    for start in range(0, len(xs), CONVERT_CHUNK):
        block = stack_rows(xs[start:start + CONVERT_CHUNK], n_in, name, "x", start)
        check_finite(f"{name} inputs", block)
        blocks.append(block.astype(np.float64))
    return np.concatenate(blocks)


def stack_targets(targets: list, n_out: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Int labels become one-hot rows; (n_out, 1) columns are taken as given."""
    if np.ndim(targets[0]) == 0:
        try:
            labels = np.array(targets)
        except ValueError:  # numpy refuses to stack a label with a vector (ragged)
            labels = None
        if labels is None or labels.ndim != 1:
            raise ValueError(f"{name}: y mixes int labels and target vectors")
        labels = check_labels(labels, n_out)
        return one_hot(labels, n_out), labels
    y = stack_rows(targets, n_out, name, "y").astype(np.float64)
    check_finite(f"{name} targets", y)
    return y, np.argmax(y, axis=1)
