"""Nielsen's accuracy table, reproduced with pynn on his MNIST (50k train / 10k validation / 10k test).

    .venv/bin/python bench/accuracy.py            # the full runs (a few minutes)
    .venv/bin/python bench/accuracy.py --quick    # a smoke run in under a minute: NOT the table's numbers
    .venv/bin/python bench/accuracy.py --seeds 1,2,3 --only i    # the spread over seeds

(i)  Chapter 1: [784, 30, 10], quadratic cost, N(0,1) init, mini-batch 10, η = 3.0,
     30 epochs, accuracy on the test set after every epoch.  His result: 95.42%,
     "at its peak (epoch 28)", so the best epoch is his number; the final one is printed too.
(ii) Chapter 3: [784, 100, 10], cross-entropy, N(0,1/√n_in) init, λ = 5.0, η = 0.1,
     mini-batch 10, 60 epochs, accuracy on the validation set after every epoch
     (his 98.04% is on the validation data); the test accuracy is printed at the end.

Seeds are fixed and printed; nothing here is tuned on the test set.  On a busy machine,
OPENBLAS_NUM_THREADS=1 avoids OpenBLAS's threads for (ii)'s products, which otherwise
stall waiting for a free core (10–100× slower steps were seen here).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from pynn import Network, Trainer  # noqa: E402
from pynn.data import mnist  # noqa: E402
from pynn.training.evaluation import count_correct  # noqa: E402


@dataclass
class Run:
    name: str
    sizes: list[int]
    cost: str
    init: str
    epochs: int
    eta: float
    lmbda: float
    evaluate_on: str  # "test" or "validation"
    target: float  # Nielsen's accuracy
    seed: int = 1


RUNS = [
    Run("(i) ch.1 [784,30,10] quadratic", [784, 30, 10], "quadratic", "standard", 30, 3.0, 0.0, "test", 0.9542),
    Run("(ii) ch.3 [784,100,10] cross-entropy λ=5", [784, 100, 10], "cross-entropy", "scaled", 60, 0.1, 5.0,
        "validation", 0.9804),
]


def train(run: Run, data: dict, quick: bool) -> dict:
    """Train one configuration, printing a line per epoch; return its summary."""
    epochs = 2 if quick else run.epochs
    training = data["train"].subset(10_000) if quick and run.sizes[1] > 30 else data["train"]
    network = Network(run.sizes, cost=run.cost, init=run.init, seed=run.seed)
    trainer = Trainer(network, training, epochs, 10, run.eta, lmbda=run.lmbda, evaluation_data=data[run.evaluate_on])
    print(f"\n{run.name}: {epochs} epochs on {len(training)} samples, mb 10, η {run.eta}, λ {run.lmbda}, "
          f"seed {run.seed}; accuracy on the {run.evaluate_on} set", flush=True)
    start = time.perf_counter()
    accuracies = []
    for progress in trainer.each_epoch():
        accuracies.append(progress.accuracy)
        print(f"  epoch {progress.epoch + 1:2d}/{epochs}: {progress.accuracy:.2%}  cost {progress.cost:.4f}  "
              f"training {progress.elapsed:6.1f} s", flush=True)
    wall = time.perf_counter() - start
    best = max(range(len(accuracies)), key=accuracies.__getitem__)
    test = count_correct(network, data["test"]) / len(data["test"])
    return {"run": run, "final": accuracies[-1], "best": accuracies[best], "best_epoch": best + 1,
            "test": test, "training_s": trainer.elapsed, "wall_s": wall, "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 epochs each ((ii) on 10k samples): a smoke test")
    parser.add_argument("--only", choices=["i", "ii"], help="run only one of the two")
    parser.add_argument("--seeds", default="1", help="comma-separated seeds, each run in turn (default 1, the "
                        "primary result; more seeds show the spread, they are not for picking the best)")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    data = {split: mnist.load_dataset(split) for split in ("train", "validation", "test")}
    runs = [replace(r, seed=seed) for r in RUNS if args.only is None or r.name.startswith(f"({args.only})")
            for seed in seeds]
    if args.quick:
        print("QUICK MODE: 2 epochs per run — a smoke test, not Nielsen's table")
    results = [train(run, data, args.quick) for run in runs]
    print("\n" + ("QUICK MODE (not the table's numbers)\n" if args.quick else "") + f"{'run':42s} {'Nielsen':>8s} "
          f"{'final':>8s} {'best (epoch)':>14s} {'test':>8s} {'train s':>8s} {'wall s':>8s}")
    for r in results:
        run = r["run"]
        met = "" if args.quick else ("  ✓" if r["final"] >= run.target else "  (final below his)")
        print(f"{run.name + f' seed {run.seed}':42s} {run.target:8.2%} {r['final']:8.2%} {r['best']:8.2%} "
              f"({r['best_epoch']:2d})  {r['test']:8.2%} {r['training_s']:8.1f} {r['wall_s']:8.1f}{met}")
    for name in dict.fromkeys(r["run"].name for r in results):
        finals = [r["final"] for r in results if r["run"].name == name]
        if len(finals) > 1:
            print(f"{name}: final over {len(finals)} seeds: mean {statistics.mean(finals):.2%}, "
                  f"sd {statistics.stdev(finals):.2%}, range {min(finals):.2%}–{max(finals):.2%}")
    print("final/best: on the evaluation set of the run ((i) test, (ii) validation); "
          "test: the test set after the last epoch; train s: SGD time without evaluation")


if __name__ == "__main__":
    main()
