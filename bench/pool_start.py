#!/usr/bin/env python3
"""A pool worker's start, in headless Chromium: from its creation to up, to holding the shipped
model, and to its first share done (one block of 100 test images, which waits for its test set).

    .venv/bin/python bench/pool_start.py [--rounds 3] [--no-build] [--before DIR]
    (needs site/ built with the tests' seams: python3 build.py --test-seams)

`--before DIR`: another build of the site (e.g. one made from an earlier commit, copied aside),
measured in the same run, interleaved round by round, so that the two stand side by side under
the same load. Each round opens a fresh page of each site (a fresh browser context: nothing
cached between rounds but what a return visit would have) and starts two pool workers in turn,
as the page's pool does (helpers.js Helper, role "pool", the site's own code), with the main
worker idle. Prints each site's medians and the WebAssembly heap of the worker (when up, and
after its first share).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_bench.common import app_page, note, served_site  # noqa: E402
from harness.server import SiteServer  # noqa: E402

# One pool worker started by the page's own Helper, timed stage by stage (ms from its creation).
START = """async () => {
  const { Helper, ModelVersions } = await import('./page/helpers.js');
  const { workerURL } = await import('./page/start.js');
  const main = window.pynnApp.bridge;
  const heap = async (helper) => (await helper.bridge.request('memory')).wasmHeapBytes / 2 ** 20;
  const began = performance.now();
  const helper = new Helper(workerURL, 'pool');
  await helper.ready;
  const up = performance.now() - began;
  const heapUp = await heap(helper);
  const at = performance.now();
  await helper.copy(main, 'pretrained', new ModelVersions());
  const model = performance.now() - at;
  const share = await helper.bridge.job('evaluate_share',
    { name: 'pretrained', part: 99, parts: 100, with_features: false }).result;
  const first = performance.now() - began;
  const heapAfter = await heap(helper);
  helper.terminate();
  const { timings } = await helper.bridge.ready; // the worker's own stages (boot.js)
  return { up, model, first, heapUp, heapAfter, bootModel: timings.model ?? 0, rows: share.stopped ? 0 : 100 };
}"""

KEYS = ("up", "bootModel", "model", "first", "heapUp", "heapAfter")


def starts(browser, url: str, count: int = 2) -> list[dict]:
    """``count`` pool workers started one after another in a fresh page of ``url``."""
    with app_page(browser, url) as page:
        return [page.evaluate(START) for _ in range(count)]


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in KEYS}


def table(results: dict[str, list[dict]]) -> str:
    lines = [f"{'site':>8} {'up ms':>8} {'of it model':>12} {'+model ms':>10} {'1st share ms':>13} "
             f"{'heap up MiB':>12} {'heap after MiB':>15}"]
    for name, runs in results.items():
        m = medians(runs)
        lines.append(f"{name:>8} {m['up']:>8.0f} {m['bootModel']:>12.0f} {m['model']:>10.0f} {m['first']:>13.0f} "
                     f"{m['heapUp']:>12.0f} "
                     f"{m['heapAfter']:>15.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--before", type=Path, help="another build of the site, measured alongside")
    args = parser.parse_args()
    with served_site(not args.no_build) as (browser, url):
        sites = {"this": url}
        other = SiteServer(args.before) if args.before else None
        if other:
            sites = {"before": other.url, **sites}
        results: dict[str, list[dict]] = {name: [] for name in sites}
        try:
            for round_ in range(args.rounds):
                for name, site in sites.items():
                    started = time.perf_counter()
                    runs = starts(browser, site)
                    results[name] += runs
                    note(f"round {round_ + 1}, {name}: " + "; ".join(
                        f"up {r['up']:.0f} ms, +model {r['model']:.0f} ms, first share {r['first']:.0f} ms"
                        for r in runs) + f" ({time.perf_counter() - started:.0f} s)")
        finally:
            if other:
                other.stop()
    print("\nA pool worker's start (medians; ms from its creation to up; 'of it model': its boot's load of\n"
          "the shipped model; '+model': loading it after up, on its first job; '1st share': creation to\n"
          "its first share of 100 test images done, the test set's load included):")
    print(table(results))


if __name__ == "__main__":
    main()
