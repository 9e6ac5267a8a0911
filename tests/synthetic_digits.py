"""Synthetic digits for the teaching tests: an "MNIST" and another "handwriting" that a model
trained on the first cannot read but can learn, and a stand-in augmenter."""

import io

import numpy as np

from pynn.data.dataset import Dataset


def style_images(labels, rng, blocks=False):
    """Faint noise, and for class k: a 70-pixel band starting at pixel k·70 ("MNIST"), or with
    ``blocks`` a 6×6 block in cell k of a 4×4 grid of 7×7 cells (another "handwriting", which
    the "MNIST" model cannot read but can learn, and which a 1-pixel shift keeps in its cell)."""
    images = rng.integers(0, 30, (len(labels), 784)).astype(np.uint8)
    for i, label in enumerate(labels):
        if blocks:
            row, col = divmod(int(label), 4)
            images[i].reshape(28, 28)[7 * row + 1:7 * row + 7, 7 * col + 1:7 * col + 7] = 255
        else:
            images[i, int(label) * 70:int(label) * 70 + 70] = 255
    return images


def style_dataset(count, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    return Dataset.from_arrays(style_images(labels, rng), labels)


def make_digits(labels, seed=0):
    rng = np.random.default_rng(seed)
    images = style_images(labels, rng, blocks=True)
    return [{"label": int(label), "pixels": images[i].tobytes(), "strokes": [[[0.1, 0.2], [0.3, 0.4]]]}
            for i, label in enumerate(labels)]


def shifts(images, rng, max_shift=1):
    """The tests' stand-in augmenter: random whole-pixel shifts of the 28×28 images."""
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(rng.integers(-max_shift, max_shift + 1, (len(images), 2)).tolist()):
        out[i] = np.roll(images[i].reshape(28, 28), (dy, dx), axis=(0, 1)).ravel()
    return out


def npz_bytes(count: int, seed: int) -> bytes:
    """A tiny MNIST-shaped split: class k lights up a block of pixels, so it is learnable."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 40, (count, 784)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, int(label) * 70:int(label) * 70 + 70] = 255
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images, labels=labels)
    return buffer.getvalue()
