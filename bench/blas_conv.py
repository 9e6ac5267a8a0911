"""Would OpenBLAS (scipy.linalg.blas.dgemm, from Pyodide 0.27.7's scipy and openblas builds) speed
the page's conv work end to end? Inside Pyodide under Node:

    node bench/pyodide_run.mjs --index DIR --packages scipy bench/blas_conv.py [--rounds 3] [--steps 200]

DIR: a copy of site/pyodide/ with scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl and
openblas-0.3.26.zip added and their entries (sha256 included, which Pyodide checks) merged into
its pyodide-lock.json from the distribution SOURCES.md names. Nothing is shipped.

Times, interleaved round by round, with pynn's own product (einsum in Pyodide) and with dgemm in
its place (pynn.nets.conv.product, the one switch every conv and dense product goes through):
an evaluation of the shipped conv model on MNIST's 10,000 test images (counts compared), and
``--steps`` training steps of the page's conv net (mini-batch 10). Prints medians, their ratio,
and what importing scipy's BLAS costs once (it would be loaded on demand, never at startup).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from pynn.nets import conv
from pynn.nets.architectures import network_for
from pynn.page.browser import read_npz
from pynn.page.report import Evaluation
from pynn.page.settings import DEFAULTS


def load_blas():
    """dgemm from scipy's OpenBLAS build (loaded by pyodide_run.mjs --packages scipy), and the
    seconds its import took."""
    started = time.perf_counter()
    from scipy.linalg.blas import dgemm

    return dgemm, time.perf_counter() - started


def blas_product(dgemm):
    """out = a @ b through dgemm, without copies: C-ordered out is Fortran-ordered out.T = b.T @ a.T."""

    def product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
        bt, trans_b = (b.T, 0) if b.flags.c_contiguous else (b, 1)
        at, trans_a = (a.T, 0) if a.flags.c_contiguous else (a, 1)
        result = dgemm(1.0, bt, at, trans_a=trans_b, trans_b=trans_a, c=out.T, overwrite_c=1)
        if not np.shares_memory(result, out):
            out[...] = result.T
        return out

    return product


def evaluate(model, data) -> tuple[float, int]:
    evaluation = Evaluation(model, data)
    started = time.perf_counter()
    evaluation.run()
    return time.perf_counter() - started, evaluation.result(0)["correct"]


def train(data, steps: int) -> tuple[float, np.ndarray]:
    settings = {**DEFAULTS, "architecture": "conv", "minibatch_size": 10}
    net = network_for(settings)
    stepper = net.stepper(10)
    started = time.perf_counter()
    for t in range(steps):
        x = data.inputs(t * 10, t * 10 + 10).T
        stepper.step(x, data.y[t * 10:t * 10 + 10], 0.1, 0.0, len(data))
    return time.perf_counter() - started, np.concatenate([p.ravel() for layer in net.layers for p in layer.params])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    from pynn.files import modelfile

    with open("/data/pretrained.npz", "rb") as file:
        model = modelfile.loads(file.read())
    with open("/data/mnist-test.npz", "rb") as file:
        test = read_npz(file.read())
    with open("/data/mnist-train.npz", "rb") as file:
        train_set = read_npz(file.read()).subset(10 * args.steps)
    dgemm, load_seconds = load_blas()
    products = {"pynn (einsum)": conv.product, "OpenBLAS dgemm": blas_product(dgemm)}
    times = {name: {"evaluate": [], "train": []} for name in products}
    outcomes = {}
    for round_ in range(args.rounds):
        for name, product in products.items():
            conv.product = product
            seconds, correct = evaluate(model, test)
            step_seconds, weights = train(train_set, args.steps)
            times[name]["evaluate"].append(seconds)
            times[name]["train"].append(step_seconds)
            outcomes[name] = (correct, weights)
            print(f"round {round_ + 1}, {name}: evaluation {seconds:.2f} s ({correct} right), "
                  f"{args.steps} steps {step_seconds:.2f} s", flush=True)
    base, blas = (statistics.median(times[n]["evaluate"]) for n in products)
    base_t, blas_t = (statistics.median(times[n]["train"]) for n in products)
    (c0, w0), (c1, w1) = outcomes.values()
    print(f"\nimporting scipy.linalg.blas once (after its packages loaded): {load_seconds:.2f} s")
    print(f"evaluation of 10,000: {base:.2f} s → {blas:.2f} s with dgemm ({blas / base:.2f}×); counts {c0} / {c1}")
    print(f"{args.steps} conv steps (mini-batch 10): {base_t:.2f} s → {blas_t:.2f} s ({blas_t / base_t:.2f}×); "
          f"weights apart by {np.max(np.abs(w0 - w1)):.1e} at the end")


if __name__ == "__main__":
    main()
