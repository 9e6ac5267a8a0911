#!/usr/bin/env python3
"""How a cold evaluation of the shipped conv net scales with the pool: 1, 2, 4 and 8 workers side
by side in one run, what each share and each worker costs beyond its work, and on paper what a
machine with 4, 8 or 16 free cores should get.

    .venv/bin/python bench/pool_scaling.py [--workers 1,2,4,8] [--rounds 2] [--no-build] [--before DIR]
    (needs site/ built with the tests' seams: python3 build.py --test-seams)

`--before DIR`: another build of the site (one made from an earlier commit, copied aside), measured
in the same run, interleaved with this one size by size and round by round, so that the two
stand side by side under the same load; each gets its own table.

Each round, for each size (interleaved, so the machine's load falls on all alike): a fresh page
with "workers" pinned in the URL hash, a stroke drawn (its prediction worker up, as a visitor's
first drawing leaves it), then a cold Evaluate, click to report shown, MNIST's load and the
pool's start included (bench/pool.py's visit). For a split evaluation the page's pool records
(Pool.lastSplit) when each pool worker joined, each share's round trip beside its Python time
(the difference is handing the share out and collecting it: messages, the worker's turns, the
test set's load for a worker's first share), and the merge on the main worker; from when each
share was sent, the tail: how long the worker that ended first waited for the other at the end. A pool worker's
start on an otherwise idle page (bench/pool_start.py's) is measured once a round.

The projection (Amdahl, with the measured serial part and per-worker start), for N workers on N
free cores: T(N) = S + C + (W + (N - 1) s) / N + k h, where W is one worker's Python time for
the evaluation (its report's seconds), S = T(1) - W the serial rest (the click, MNIST's load on
the main worker, drawing the report), C the merge, s a pool worker's start (its Python, the
model and the test set: the main worker works meanwhile, each pool worker does not), and k h
the hand-out and collection of a worker's k shares (k measured: pool.js's shares shrink as the
work runs out). An upper bound: the
main worker's MNIST load overlaps the pool's start, which the formula counts twice. Past this
machine's cores the measured sizes oversubscribe it (every worker shares the cores): their
figures show the overheads, not the scaling.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_bench.common import STROKES, app_page, note, served_site  # noqa: E402
from harness.app import poll  # noqa: E402
from harness.drawing import draw  # noqa: E402
from harness.server import SiteServer  # noqa: E402
from pool import RESULT, evaluation_seconds  # noqa: E402
from pool_start import START  # noqa: E402

MAX_WORKERS = 8  # the "workers" setting's largest choice (pynn.page.settings.WORKERS)
SPLIT = "() => window.pynnApp.workers.pool.lastSplit"


def one_page(browser, url: str, workers: int, with_start: bool) -> dict:
    with app_page(browser, f"{url}#workers={workers}") as page:
        draw(page, [STROKES[0]])
        poll(page, "() => window.pynnApp.workers.predictsAside", timeout=120)
        cold = evaluation_seconds(page)
        text = page.evaluate(RESULT)
        # the seconds the report gives: one worker's Python time; a split evaluation's, its wall time
        reported = float(re.search(r"; ([\d.]+) s (?:in the worker|on \d+ workers)", text).group(1))
        run = {"cold": cold, "python": reported, "split": page.evaluate(SPLIT) if workers > 1 else None,
               "text": text}
        if with_start:  # the pool is idle now: one more pool worker's start, on a page at rest
            run["start"] = page.evaluate(START)
        return run


def split_figures(runs: list[dict]) -> dict:
    """Medians over a size's runs: a pool worker's joining, a share's overhead (pool's, main's), the merge."""
    splits = [run["split"] for run in runs]
    joined = [ms for split in splits for ms in split["joinedMs"]]
    pool = [s["ms"] - s["pythonMs"] for split in splits for s in split["shares"] if not s["main"]]
    main = [s["ms"] - s["pythonMs"] for split in splits for s in split["shares"] if s["main"]]
    return {"joined": statistics.median(joined) if joined else None,
            "count": statistics.median(len(split["shares"]) / split["workers"] for split in splits),
            "tail": statistics.median(tails) if (tails := [t for t in map(tail, splits) if t is not None]) else None,
            "pool_share": statistics.median(pool) if pool else None,
            "main_share": statistics.median(main) if main else None,
            "merge": statistics.median(split["mergeMs"] for split in splits),
            "work": statistics.median(sum(s["pythonMs"] for s in split["shares"]) for split in splits)}


def tail(split: dict) -> float | None:
    """How long, in ms, the main worker or the pool's (whichever ended first) waited for the other's
    last share to end; None for a build whose shares say not when they were sent."""
    if any("at" not in s for s in split["shares"]):
        return None
    ends: dict[bool, float] = {}
    for s in split["shares"]:
        ends[s["main"]] = max(ends.get(s["main"], 0.0), s["at"] + s["ms"])
    return max(ends.values()) - min(ends.values())


def ms(value) -> str:
    return "–" if value is None else f"{value:.0f}"


def table(runs: dict[int, list[dict]], sizes: list[int], cores: int, site: str | None) -> dict[int, dict]:
    """Prints one site's table of medians; the split figures by size."""
    t1 = statistics.median(run["cold"] for run in runs[1])
    print(f"\n{'' if site is None else site + ': '}{len(runs[1])} rounds, medians")
    print(f"{'workers':>7} {'cold s':>7} {'÷ 1':>5} {'joined ms':>10} {'shares':>7} {'tail ms':>8} "
          f"{'share+ ms pool':>15} {'share+ ms main':>15} {'merge ms':>9} {'Python s (all)':>15}")
    figures = {}
    for n in sizes:
        cold = statistics.median(run["cold"] for run in runs[n])
        f = figures[n] = split_figures(runs[n]) if n > 1 else {}
        work = f.get("work", statistics.median(run["python"] for run in runs[n]) * 1000)
        over = "  (oversubscribed: more workers than cores)" if n > cores else ""
        shares = "–" if not f else f"{f['count'] * n:.0f}"
        print(f"{n:>7} {cold:>7.2f} {cold / t1:>5.2f} {ms(f.get('joined')):>10} {shares:>7} {ms(f.get('tail')):>8} "
              f"{ms(f.get('pool_share')):>15} {ms(f.get('main_share')):>15} {ms(f.get('merge')):>9} "
              f"{work / 1000:>15.2f}{over}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--before", type=Path, help="another build of the site, measured alongside")
    args = parser.parse_args()
    sizes = [int(n) for n in args.workers.split(",")]
    assert sizes[0] == 1 and 2 in sizes, "the projection needs 1 and 2 workers"
    cores = os.cpu_count() or 1
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    note(f"{cores} cores; before: {load}")
    runs: dict[str, dict[int, list[dict]]] = {}
    starts: list[dict] = []
    with served_site(not args.no_build) as (browser, url):
        sites = {"this": url}
        other = SiteServer(args.before) if args.before else None
        if other:
            sites = {"before": other.url, **sites}
        runs = {name: {n: [] for n in sizes} for name in sites}
        try:
            for round_ in range(args.rounds):
                for n in sizes:
                    for name, site in sites.items():
                        run = one_page(browser, site, n, with_start=n == 2 and name == "this")
                        runs[name][n].append(run)
                        if "start" in run:
                            starts.append(run["start"])
                        note(f"round {round_ + 1}, {name}, {n} worker(s): cold {run['cold']:.2f} s (reported "
                             f"{run['python']:.2f} s)" + (
                                 f", joined at {[round(j) for j in run['split']['joinedMs']]} ms, "
                                 f"{len(run['split']['shares'])} shares, tail {ms(tail(run['split']))} ms, merge "
                                 f"{run['split']['mergeMs']:.0f} ms" if run["split"] else ""))
        finally:
            if other:
                other.stop()
    after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    texts = {run["text"].split(" (")[0] for by_size in runs.values() for rs in by_size.values() for run in rs}
    assert len(texts) == 1, f"the reports differ between sizes: {texts}"

    print(f"\n{cores} cores here; load before: {load}\n{' ' * 16}after:  {after}")
    for name in sites:
        figures = table(runs[name], sizes, cores, name if other else None)  # "this" comes last
    runs = runs["this"]
    t1 = statistics.median(run["cold"] for run in runs[1])
    start = {key: statistics.median(s[key] for s in starts) for key in ("up", "model", "first")}
    print(f"\nA pool worker's start on a page at rest: up {start['up']:.0f} ms, the shipped model "
          f"{start['model']:.0f} ms, first share (the test set loaded) {start['first']:.0f} ms after its creation.")

    w = statistics.median(run["python"] for run in runs[1])  # one worker's Python time, s
    serial = t1 - w
    merge, share = figures[2]["merge"] / 1000, figures[2]["pool_share"] / 1000
    k = figures[2]["count"]
    s = start["first"] / 1000

    def projected(n: int) -> float:
        return serial + merge + (w + (n - 1) * s) / n + k * share

    print(f"\nProjection, T(N) = S + C + (W + (N-1) s)/N + k h: W = {w:.2f} s (one worker's Python), "
          f"S = {serial:.2f} s (the rest of T(1) = {t1:.2f} s), C = {merge * 1000:.0f} ms (merge), "
          f"s = {s:.2f} s (a pool worker's start), k = {k:.1f} shares a worker, h = {share * 1000:.0f} ms "
          f"(a share's hand-out and collection).")
    measured2 = statistics.median(run["cold"] for run in runs[2])
    print(f"  check on this machine, 2 workers: projected {projected(2):.2f} s, measured {measured2:.2f} s")
    for machine in (4, 8, 16):
        n = min(machine, MAX_WORKERS)
        capped = f" (auto stops at {MAX_WORKERS} workers)" if n < machine else ""
        print(f"  {machine:>2} free cores, {n} workers{capped}: {projected(n):.2f} s, "
              f"{projected(n) / t1:.2f}× one worker")
    print(f"  the limit, any number of cores: S + C + s + k h = {serial + merge + s + k * share:.2f} s")


if __name__ == "__main__":
    main()
