"""Nielsen's network3 table (chapter 6), reproduced with pynn's layered networks.

    .venv/bin/python bench/accuracy_network3.py                 # every row as Nielsen ran it (hours)
    .venv/bin/python bench/accuracy_network3.py --rows 1,2 --epochs 10   # fewer epochs: labelled so

Each row is trained on MNIST's 50k training images (row 4 and 5: expanded by Nielsen's one-pixel
shifts, 250k) with mini-batch 10; after every epoch the validation accuracy is measured, and, as
Nielsen reports it, the test accuracy of the epoch with the best validation accuracy is the row's
figure.  The test set never chooses anything.  Seeds are fixed and printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from pynn.data import mnist  # noqa: E402
from pynn.data.dataset import Dataset  # noqa: E402
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer  # noqa: E402
from pynn.nets.network3 import Network  # noqa: E402
from pynn.training.evaluation import count_correct  # noqa: E402
from pynn.training.trainer import Trainer  # noqa: E402


def one_conv(act: str) -> list:
    return [ConvPoolLayer((20, 1, 5, 5), (1, 28, 28), (2, 2), act), FullyConnectedLayer(2880, 100, act),
            SoftmaxLayer(100, 10)]


def two_conv(act: str, fc: int = 100, dropout: float = 0.0, two_fc: bool = False) -> list:
    layers = [ConvPoolLayer((20, 1, 5, 5), (1, 28, 28), (2, 2), act),
              ConvPoolLayer((40, 20, 5, 5), (20, 12, 12), (2, 2), act),
              FullyConnectedLayer(640, fc, act, p_dropout=dropout)]
    if two_fc:
        layers.append(FullyConnectedLayer(fc, fc, act, p_dropout=dropout))
    return layers + [SoftmaxLayer(fc, 10, p_dropout=dropout)]


@dataclass
class Row:
    name: str
    layers: object  # () -> list of layers
    epochs: int
    eta: float
    lmbda: float
    expanded: bool
    nielsen: float


ROWS = {
    1: Row("one conv-pool + FC 100, sigmoid", lambda: one_conv("sigmoid"), 60, 0.1, 0.0, False, 0.9878),
    2: Row("two conv-pool, sigmoid", lambda: two_conv("sigmoid"), 60, 0.1, 0.0, False, 0.9906),
    3: Row("two conv-pool, ReLU + L2", lambda: two_conv("relu"), 60, 0.03, 0.1, False, 0.9923),
    4: Row("+ expanded data", lambda: two_conv("relu"), 60, 0.03, 0.1, True, 0.9937),
    5: Row("+ dropout, two FC 1000", lambda: two_conv("relu", 1000, 0.5, True), 40, 0.03, 0.0, True, 0.9960),
}


def expanded(data: Dataset) -> Dataset:
    """Nielsen's expand_mnist.py: each image and its four one-pixel shifts (up, down, left, right)."""
    images = data.x.reshape(-1, 28, 28)
    shifted = [images]
    for axis, step in ((1, -1), (1, 1), (2, -1), (2, 1)):
        moved = np.roll(images, step, axis=axis)
        edge = (slice(None),) * axis + ((0 if step > 0 else -1),)
        moved[edge] = 0
        shifted.append(moved)
    return Dataset.from_arrays(np.concatenate(shifted).reshape(-1, 784), np.tile(data.labels, 5))


def run_row(number: int, row: Row, epochs: int, data: dict, seed: int) -> dict:
    training = expanded(data["train"]) if row.expanded else data["train"]
    network = Network(row.layers(), seed=seed)
    trainer = Trainer(network, training, epochs, 10, row.eta, lmbda=row.lmbda, evaluation_data=data["validation"])
    print(f"\nrow {number}: {row.name}: {epochs} epochs on {len(training):,} images, η {row.eta}, λ {row.lmbda}, "
          f"seed {seed}", flush=True)
    best = {"validation": -1.0}
    start = time.perf_counter()
    for progress in trainer.each_epoch():
        line = f"  epoch {progress.epoch + 1:2d}: validation {progress.accuracy:.2%}"
        if progress.accuracy > best["validation"]:
            test = count_correct(network, data["test"]) / len(data["test"])
            best = {"validation": progress.accuracy, "test": test, "epoch": progress.epoch + 1}
            line += f", test {test:.2%} (best so far)"
        print(f"{line}  {time.perf_counter() - start:7.0f} s", flush=True)
    return {"row": number, **best, "minutes": (time.perf_counter() - start) / 60, "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1,2,3,4,5", help="which rows, e.g. 1,3")
    parser.add_argument("--epochs", type=int, help="train each row this many epochs instead of Nielsen's")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = {split: mnist.load_dataset(split) for split in ("train", "validation", "test")}
    numbers = [int(n) for n in args.rows.split(",")]
    results = [run_row(n, ROWS[n], args.epochs or ROWS[n].epochs, data, args.seed) for n in numbers]
    print(f"\n{'network3 row':38s} {'Nielsen':>8s} {'pynn':>8s}  best epoch (of)  minutes")
    for r in results:
        row = ROWS[r["row"]]
        fewer = "" if r["epochs"] == row.epochs else f"  FEWER EPOCHS than Nielsen's {row.epochs}"
        print(f"{r['row']}. {row.name:35s} {row.nielsen:8.2%} {r['test']:8.2%}  {r['epoch']:3d} ({r['epochs']})"
              f"  {r['minutes']:7.1f}{fewer}")
    print("pynn: test accuracy at the epoch of best validation accuracy, as Nielsen reports his")


if __name__ == "__main__":
    main()
