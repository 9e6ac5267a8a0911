"""Shared fixtures for the pynn test suite.

Everything here (and every test file except test_mnist.py) uses only the
standard library, numpy, pytest and pynn, so the suite also runs inside
Pyodide.  Tests that need the real MNIST data are marked ``mnist``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

# seed_oracle.py lives beside this file; make ``import seed_oracle`` work however pytest is started.
TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


def pytest_configure(config):
    config.addinivalue_line("markers", "mnist: needs the real MNIST data set (fetched with pip and cached)")


def make_pairs(sizes, n, rng, labels=False, scale=1.0):
    """n random (x, y) pairs for a network of ``sizes``: x a float64 (n_in, 1) column
    from N(0, scale²); y a one-hot (n_out, 1) column, or an int label if ``labels``."""
    n_in, n_out = sizes[0], sizes[-1]
    pairs = []
    for _ in range(n):
        x = rng.standard_normal((n_in, 1)) * scale
        label = int(rng.integers(n_out))
        if labels:
            pairs.append((x, label))
        else:
            y = np.zeros((n_out, 1))
            y[label] = 1.0
            pairs.append((x, y))
    return pairs


def nielsen_pairs(n, rng, n_in=784, n_out=10):
    """MNIST-shaped pairs as Nielsen's loader makes them: x (n_in, 1) float32 multiples
    of 1/256 in [0, 255/256], y a one-hot (n_out, 1) float64 column."""
    pairs = []
    for _ in range(n):
        x = (rng.integers(0, 256, size=(n_in, 1)).astype(np.float32) / np.float32(256))
        y = np.zeros((n_out, 1))
        y[int(rng.integers(n_out))] = 1.0
        pairs.append((x, y))
    return pairs


@pytest.fixture
def pairs():
    """The ``make_pairs`` factory."""
    return make_pairs


@pytest.fixture
def mnist_like():
    """The ``nielsen_pairs`` factory."""
    return nielsen_pairs
