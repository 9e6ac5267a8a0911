#!/usr/bin/env python3
"""Pointer-up → prediction while the page works, with the prediction worker and without it.

    .venv/bin/python bench/prediction_latency.py [--strokes 6] [--rounds 1] [--hidden 1000] [--minibatch 50]
    (needs site/ built with the tests' seams: python3 build.py --test-seams)

Two pages side by side in one Chromium, round by round: "aside", the page as shipped (a
prediction worker starts when heavy work begins, web/page/workers.js), and "one worker", the same
page told it runs on a 1 GB device (navigator.deviceMemory = 1), which keeps every prediction
on the main worker as a small phone does. In each page, ``--strokes`` strokes are drawn (pad
cleared before each) in each state:

    idle        the page ready, nothing running
    evaluate    a cold Evaluate of the shipped conv net on the 10,000 test images
    train       the largest conv training run the form takes (--hidden, --minibatch; Stop after)
    ahead       right after labelling 10 digits: the worker computes the conv features ahead
    finetune    a fine-tune of those digits (default settings)

Prints, per state and page, the median and largest pointer-up → prediction (the page's own
data-latency-ms) and who answered (counts of predictions by the main and the prediction
worker). Target (issue 17): median ≤ 100 ms and max ≤ 250 ms in every state.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_bench.common import INIT_SCRIPT, READY_TIMEOUT, STROKES, VIEWPORT, fmt, median, note, served_site  # noqa: E402
from browser_bench.latency import measure_latency  # noqa: E402
from harness.app import by_id, open_app, poll, wait_state  # noqa: E402
from harness.digits import STROKES as DIGIT_STROKES  # noqa: E402
from harness.forms import fill_settings  # noqa: E402
from teach_helpers import draw_and_label  # noqa: E402

PAGES = {"aside": "", "one worker": "Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 1 });"}
ANSWERED = "() => ({...window.pynnApp.workers.answered})"


def open_page(browser, url: str, extra_script: str):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INIT_SCRIPT + extra_script)
    page = context.new_page()
    open_app(page, url)
    return context, page


def measured(page, state: str, strokes: int) -> dict:
    before = page.evaluate(ANSWERED)
    record = measure_latency(page, strokes)
    after = page.evaluate(ANSWERED)
    return {"state": state, "median": record["median_page_ms"], "max": record["max_page_ms"],
            "by": {who: after[who] - before[who] for who in after}}


def states(page, args) -> list[dict]:
    out = [measured(page, "idle", args.strokes)]
    by_id(page, "evaluate").click()
    out.append(measured(page, "evaluate", args.strokes))
    by_id(page, "stop-evaluate").click()
    poll(page, "() => document.querySelector('[data-testid=stop-evaluate]').disabled", timeout=READY_TIMEOUT)

    fill_settings(page, architecture="conv", hidden=str(args.hidden), minibatch_size=args.minibatch,
                  epochs=1, train_size=50_000)
    by_id(page, "train").click()
    poll(page, "() => document.querySelector('[data-testid=progress]').dataset.done !== undefined "
               "|| document.querySelector('#train-message').textContent !== ''", timeout=READY_TIMEOUT)
    message = page.locator("#train-message").text_content()
    if "settings" in message.lower():
        raise SystemExit(f"the form refused the training settings: {message}")
    out.append(measured(page, "train", args.strokes))
    by_id(page, "stop").click()
    wait_state(page, ("ready",), timeout=READY_TIMEOUT * 1000)  # ms

    for digit in range(10):
        draw_and_label(page, DIGIT_STROKES[digit], digit)
    out.append(measured(page, "ahead", args.strokes))
    by_id(page, "fine-tune").click()
    out.append(measured(page, "finetune", args.strokes))
    wait_state(page, ("ready",), timeout=READY_TIMEOUT * 2000)  # ms
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strokes", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=1000)
    parser.add_argument("--minibatch", type=int, default=50)  # conv [1000]'s largest that the form takes
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if args.strokes > len(STROKES):
        parser.error(f"at most {len(STROKES)} strokes")
    results: dict[str, list[dict]] = {name: [] for name in PAGES}
    with served_site(not args.no_build) as (browser, url):
        for round_ in range(args.rounds):
            for name, script in PAGES.items():
                note(f"round {round_ + 1}: {name}")
                context, page = open_page(browser, url, script)
                results[name] += states(page, args)
                context.close()
    print(f"\n{'state':<10} {'page':<11} {'median ms':>10} {'max ms':>8}  answered by")
    for state in ("idle", "evaluate", "train", "ahead", "finetune"):
        for name in PAGES:
            rows = [r for r in results[name] if r["state"] == state]
            by = {who: sum(r["by"][who] for r in rows) for who in rows[0]["by"]} if rows else {}
            print(f"{state:<10} {name:<11} {fmt(median([r['median'] for r in rows]), 1):>10} "
                  f"{fmt(max((r['max'] for r in rows), default=None), 1):>8}  {by}")
        aside = median([r["median"] for r in results["aside"] if r["state"] == state])
        alone = median([r["median"] for r in results["one worker"] if r["state"] == state])
        if aside and alone:
            print(f"{'':<10} ratio aside ÷ one worker: {aside / alone:.2f}")


if __name__ == "__main__":
    main()
