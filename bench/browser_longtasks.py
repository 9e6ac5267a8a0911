"""The main thread while a run starts: long tasks from Start training to the end of a short run.

    .venv/bin/python bench/browser_longtasks.py [--rounds 5] [--train-size 5000] [--no-build]
                                                [--site DIR --site DIR ...]

Each round opens the page in a fresh browser context (so the run is the page's first, the worst
case: nothing drawn in the charts yet), waits until it is ready and idle, then trains [784, 30, 10]
for one epoch on --train-size images through the form.  It prints the long tasks (the Long Tasks
API, > 50 ms) from the submit to data-done, and every main-thread task over 50 ms in a Chromium
trace of the same span, with what filled it (the trace events inside it, and the script that ran).
The issue's target: no main-thread task over 50 ms while training.  With several --site
directories (copies of site/ from different checkouts), the rounds alternate between them, so that
builds are compared side by side on a machine whose load changes.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import tempfile
from pathlib import Path

from browser_bench.common import INIT_SCRIPT, VIEWPORT, build_site, launch, note
from browser_bench.epoch import EPOCH_SETTINGS
from harness.app import by_id, wait_ready
from harness.forms import fill_settings
from harness.server import SiteServer
from playwright.sync_api import expect, sync_playwright

TRACE_CATEGORIES = "devtools.timeline,disabled-by-default-devtools.timeline"
SCRIPT_EVENTS = ("FunctionCall", "TimerFire", "EventDispatch", "FireAnimationFrame", "HandlePostMessage")


def start_trace(context, page):
    session = context.new_cdp_session(page)
    events, done = [], []
    session.on("Tracing.dataCollected", lambda data: events.extend(data["value"]))
    session.on("Tracing.tracingComplete", lambda _: done.append(True))
    session.send("Tracing.start", {"categories": TRACE_CATEGORIES, "transferMode": "ReportEvents"})
    return session, events, done


def long_main_tasks(events: list[dict], threshold_ms: float = 50.0) -> list[dict]:
    """The main thread's tasks over ``threshold_ms`` (the thread that dispatched the submit), each
    with the trace events that took most of it and the script it ran."""
    submits = [e for e in events if e.get("name") == "EventDispatch"
               and e.get("args", {}).get("data", {}).get("type") == "submit"]
    if not submits:
        return []
    main, submitted = submits[0]["tid"], submits[0]["ts"]
    timed = [e for e in events if e.get("tid") == main and e.get("ph") == "X" and e.get("dur")]
    found = []
    for task in (e for e in timed if e["name"] == "RunTask" and e["dur"] > threshold_ms * 1000):
        inside = [e for e in timed if task["ts"] <= e["ts"] < task["ts"] + task["dur"] and e is not task]
        parts, scripts = collections.Counter(), collections.Counter()
        for e in inside:
            parts[e["name"]] += e["dur"]
            data = e.get("args", {}).get("data", {})
            if e["name"] in SCRIPT_EVENTS and (data.get("url") or data.get("functionName")):
                url = (data.get("url") or "").split("/")[-1]
                scripts[f"{data.get('functionName') or '?'} {url}:{data.get('lineNumber')}"] += e["dur"]
        found.append({"after_submit_ms": (task["ts"] - submitted) / 1000, "ms": task["dur"] / 1000,
                      "parts": [(name, round(us / 1000)) for name, us in parts.most_common(4)],
                      "scripts": [(name, round(us / 1000)) for name, us in scripts.most_common(3)]})
    return found


def one_round(browser, url: str, train_size: int, seed: int, threshold_ms: float) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        page.goto(url)
        wait_ready(page)
        fill_settings(page, {**EPOCH_SETTINGS, "train_size": train_size}, epochs=1, seed=seed)
        page.wait_for_timeout(2000)  # idle, as a user's page is before they press Start
        session, events, done = start_trace(context, page)
        by_id(page, "train").click()
        expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=300_000)
        session.send("Tracing.end")
        while not done:
            page.wait_for_timeout(100)
        bench = page.evaluate("() => window.__bench")
        submitted = bench["submits"][-1]
        longtasks = [{"after_submit_ms": t["start"] - submitted, "ms": t["duration"]}
                     for t in bench["longtasks"] if t["start"] + t["duration"] >= submitted]
        return {"longtasks": longtasks, "traced": long_main_tasks(events, threshold_ms)}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--train-size", type=int, default=5000)
    parser.add_argument("--threshold", type=float, default=50.0, help="report traced tasks over this many ms")
    parser.add_argument("--site", type=Path, action="append", help="a built site to serve (repeatable)")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    sites = args.site or [build_site(not args.no_build, Path(tempfile.mkdtemp(prefix="pynn-longtasks-")) / "site")]
    servers = [SiteServer(site) for site in sites]
    longest = {site: [] for site in sites}
    traced_longest = {site: [] for site in sites}
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for n in range(args.rounds):
                for site, server in zip(sites, servers):
                    result = one_round(browser, server.url, args.train_size, seed=n, threshold_ms=args.threshold)
                    tasks, traced = result["longtasks"], result["traced"]
                    longest[site].append(max((t["ms"] for t in tasks), default=0.0))
                    traced_longest[site].append(max((t["ms"] for t in traced if t["after_submit_ms"] >= -5),
                                                    default=0.0))
                    note(f"round {n + 1} {site}: long tasks (Long Tasks API) "
                         f"{[(round(t['after_submit_ms']), round(t['ms'])) for t in tasks]} (ms after submit, ms)")
                    for task in traced:
                        note(f"    traced main-thread task {task['ms']:.0f} ms at +{task['after_submit_ms']:.0f} ms: "
                             f"{task['parts']} scripts {task['scripts']}")
            browser.close()
    finally:
        for server in servers:
            server.stop()
    for site in sites:
        note(f"\n{site}:\n  longest long task per round (ms): {[round(x) for x in longest[site]]}, median "
             f"{statistics.median(longest[site]):.0f}; longest traced main-thread task per round: "
             f"{[round(x) for x in traced_longest[site]]}, median {statistics.median(traced_longest[site]):.0f} "
             f"(target: none over 50 ms while training)")


if __name__ == "__main__":
    main()
