#!/usr/bin/env python3
"""A cold evaluation of the shipped conv net on the pool of workers, by the pool's size.

    .venv/bin/python bench/pool.py [--workers 1,2,4,8] [--rounds 2] [--no-build]
    (needs site/ built with the tests' seams: python3 build.py --test-seams)

For each round and each size (interleaved, so the machine's load falls on all alike): a fresh
page in headless Chromium with "workers" set in the URL hash, a stroke drawn (which starts the
prediction worker, as a visitor's first drawing does), and its first evaluation, cold, as
a visitor meets it: the click on Evaluate to the report shown, MNIST's loading and the pool's
own start-up (Pyodide, numpy, pynn, the model and the test set in each pool worker) included.
Then a second, warm evaluation (the pool up; the main worker keeps the conv outputs of its own
share only).

Prints each size's median seconds (cold, warm) and their ratio to one worker, the Chromium
renderer's and every worker's memory (DevTools: the JS heaps; the WebAssembly heap is in
the worker's own), and, on paper, what a machine with more cores should get: with a per-worker
start-up s and a one-worker time T on this machine, N workers on N free cores take about
s + T / N (this machine has 2 cores: past 2, the workers share them and the figures show it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_bench.common import STROKES, app_page, note, served_site  # noqa: E402
from harness.app import by_id, poll  # noqa: E402
from harness.drawing import draw  # noqa: E402

RESULT = "() => document.querySelector('[data-testid=test-accuracy]').textContent"
HEAPS = """async () => {
  const { workers } = window.pynnApp;
  const all = [workers.main, ...workers.pool.workers];
  const heaps = await Promise.all(all.map(b => b.request('memory').catch(() => ({ wasmHeapBytes: null }))));
  return heaps.map(h => h.wasmHeapBytes);
}"""


def evaluation_seconds(page) -> float:
    """Click → report shown (the panel sets data-model on the result line when a report shows)."""
    page.evaluate("() => document.querySelector('[data-testid=test-accuracy]').removeAttribute('data-model')")
    started = time.perf_counter()
    by_id(page, "evaluate").click()
    poll(page, "() => document.querySelector('[data-testid=test-accuracy]').hasAttribute('data-model')",
         timeout=600, interval=0.05)
    return time.perf_counter() - started


def one_page(browser, url: str, workers: int) -> dict:
    with app_page(browser, f"{url}#workers={workers}") as page:
        # A visitor draws before evaluating: the prediction worker that this starts is up by then
        # (else its start-up would compete with the pool's for the cores).
        draw(page, [STROKES[0]])
        poll(page, "() => window.pynnApp.workers.predictsAside", timeout=120)
        cold = evaluation_seconds(page)
        heaps = page.evaluate(HEAPS)
        warm = evaluation_seconds(page)
        text = page.evaluate(RESULT)
    return {"cold": cold, "warm": warm, "heaps_mib": [h / 2**20 for h in heaps if h], "text": text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    sizes = [int(n) for n in args.workers.split(",")]
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    with served_site(not args.no_build) as (browser, url):
        for round_ in range(args.rounds):
            for n in sizes:
                runs[n].append(one_page(browser, url, n))
                note(f"round {round_ + 1}, {n} worker(s): cold {runs[n][-1]['cold']:.2f} s, "
                     f"warm {runs[n][-1]['warm']:.2f} s, heaps {[round(h) for h in runs[n][-1]['heaps_mib']]} MiB")
    base = {key: statistics.median(r[key] for r in runs[sizes[0]]) for key in ("cold", "warm")}
    print(f"\n{'workers':>7} {'cold s':>8} {'÷ 1':>6} {'warm s':>8} {'÷ 1':>6} {'heaps MiB (main, pool…)':>26}")
    for n in sizes:
        cold = statistics.median(r["cold"] for r in runs[n])
        warm = statistics.median(r["warm"] for r in runs[n])
        heaps = runs[n][-1]["heaps_mib"]
        print(f"{n:>7} {cold:>8.2f} {cold / base['cold']:>6.2f} {warm:>8.2f} {warm / base['warm']:>6.2f} "
              f"{', '.join(f'{h:.0f}' for h in heaps):>26}  total {sum(heaps):.0f}")
    print("\nThe report is the same for every size (tests/e2e/test_web_pool.py checks it against pynn natively).")


if __name__ == "__main__":
    main()
