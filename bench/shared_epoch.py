#!/usr/bin/env python3
"""A conv epoch in the page, its steps shared with the pool (pynn.page.shared_steps) against one
worker: issue 16's "a conv epoch in the page: <= 0.65x one worker", side by side in one run.

    .venv/bin/python bench/shared_epoch.py [--workers 1,2,2m] [--rounds 2] [--train-size 50000] [--no-build]
    (needs site/ built with the tests' seams: python3 build.py --test-seams)

A size with an "m" (2m) is served without the cross-origin isolation headers, as by a host that
cannot set them: its shares travel as messages, where the others' travel in shared memory.

Each round, for each size (interleaved, so the machine's load falls on all alike): a fresh page
with "workers" pinned in the URL hash, the page's conv net (20 5x5 filters, FC 30, mini-batch 10,
eta 0.1) for one epoch through the form, Start to the run's end (MNIST's load, the pool worker's
start and the epoch's test evaluation included: what a user waits), and the page's own training
clock (data-elapsed: the steps only). Prints the medians, their ratios to one worker, and the
shares the pool computed. No asserts: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_bench.common import app_page, note, served_sites  # noqa: E402
from harness.app import by_id  # noqa: E402
from harness.forms import fill_settings  # noqa: E402
from harness.training import recording, start_recording  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

CONV = {"architecture": "conv", "hidden": [30], "cost": "quadratic", "init": "standard", "epochs": 1,
        "minibatch_size": 10, "eta": 0.1, "lmbda": 0.0, "seed": 1, "augment": "off"}
PROGRESS = "() => ({...document.querySelector('[data-testid=progress]').dataset})"


def one_epoch(browser, url: str, workers: str, train_size: int) -> dict:
    with app_page(browser, f"{url}#workers={workers}") as page:
        fill_settings(page, CONV, train_size=train_size)
        start_recording(page)
        started = time.perf_counter()
        by_id(page, "train").click()
        expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=1_800_000)
        wall = time.perf_counter() - started
        progress = page.evaluate(PROGRESS)
        steps = int(progress["batchesPerEpoch"])
        log = recording(page)
        clicked = log[0]["t"]
        first = next(e["t"] for e in log if e["batch"] not in (None, "0"))  # the first step reported
        last = next(e["t"] for e in log if e["batch"] == str(steps))  # the last step: the test set's turn
        return {"wall": wall, "training": float(progress["elapsed"]), "pool_shares": int(progress["poolShares"]),
                "steps": steps, "accuracy": by_id(page, "accuracy").inner_text(),
                "before": (first - clicked) / 1000, "after": (log[-1]["t"] - last) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,2m")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=50_000)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    sizes = args.workers.split(",")
    assert sizes[0] == "1", "the ratios are to one worker: list 1 first"
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    runs: dict[str, list[dict]] = {n: [] for n in sizes}
    with served_sites(not args.no_build) as (browser, urls):
        for round_ in range(args.rounds):
            for n in sizes:
                run = one_epoch(browser, urls[not n.endswith("m")], n.rstrip("m"), args.train_size)
                runs[n].append(run)
                note(f"round {round_ + 1}, {n} worker(s): Start → done {run['wall']:.1f} s, training "
                     f"{run['training']:.1f} s (first step after {run['before']:.1f} s, test set "
                     f"{run['after']:.1f} s), pool shares {run['pool_shares']}/{run['steps']}, "
                     f"accuracy {run['accuracy']}")
    after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nload before: {load}\n      after:  {after}")
    print(f"conv net [20 5x5 filters, FC 30], one epoch of {args.train_size:,} images, mini-batch 10; medians of "
          f"{args.rounds} interleaved rounds")
    print(f"{'workers':>7} {'Start→done s':>13} {'÷ 1':>5} {'training s':>11} {'÷ 1':>5} {'ms a step':>10} "
          f"{'pool shares':>12}")
    base = {key: statistics.median(run[key] for run in runs["1"]) for key in ("wall", "training")}
    for n in sizes:
        wall = statistics.median(run["wall"] for run in runs[n])
        training = statistics.median(run["training"] for run in runs[n])
        steps = runs[n][0]["steps"]
        shares = statistics.median(run["pool_shares"] for run in runs[n])
        print(f"{n:>7} {wall:>13.1f} {wall / base['wall']:>5.2f} {training:>11.1f} {training / base['training']:>5.2f} "
              f"{1000 * training / steps:>10.2f} {shares:>12.0f}")


if __name__ == "__main__":
    main()
