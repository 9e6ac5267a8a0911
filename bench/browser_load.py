"""Start-up, measured as a returning user has it: the page next to the bare Pyodide floor.

    .venv/bin/python bench/browser_load.py [--rounds 3] [--no-build] [--also NAME=SITE_DIR ...] [--unisolated]
                                     [--alone]

For each round, in a fresh persistent Chromium profile each:
  * the page: first visit, navigation → first prediction (a stroke drawn as soon as the pad
    takes input), then, once the service worker has cached the site (and a build with a Python
    snapshot has made it), a return visit in the same profile;
  * the bare floor: a bench-only page whose module worker runs loadPyodide + loadPackage('numpy')
    + import numpy, from the stock npm Pyodide files (.py sources) and the official numpy wheel,
    served by buildtools.server.make_server like the site; first visit and return visit (the page left open
    3 s first, so that V8 can cache the compiled wasm);
  * the same floor from the site's own, .pyc-compiled, files ("floor-pyc"), for reference;
  * with --also, other builds of the page (a copy of site/ from another checkout), measured like
    the page in the same rounds: before and after a change, side by side; with --unisolated,
    this page served without the cross-origin isolation headers, likewise;
  * with --alone, the site's own worker started by a bare page (browser_bench/bare_pages.py):
    booted and asked one prediction, with no app.js, no styles and no service worker, timed
    like the floors. What the page adds to it is the page's own cost.
Medians are printed with their ratios to both floors (issue 15's target: ≤ 1.2 × the floor from
the site's own compiled files, first and return visits), the page's own stage timings, and the
compiled-wasm cache hits seen by tracing (the v8.wasm.moduleCacheHit trace event).  Results go to
bench/results/browser_load.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from browser_bench.bare_pages import floor_site, worker_alone_site  # noqa: E402
from browser_bench.common import INIT_SCRIPT, READY_TIMEOUT, STROKES, VIEWPORT, visit  # noqa: E402
from harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

import build  # noqa: E402
from buildtools.server import make_server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UNISOLATED = "page, not isolated"
ALONE = "worker alone"
TRACE_CATEGORIES = "devtools.timeline,disabled-by-default-devtools.timeline,v8.wasm,disabled-by-default-v8.wasm"

def serve(directory: Path, isolated: bool = True) -> tuple:
    server = make_server("127.0.0.1", 0, directory, isolated=isolated)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


class Trace:
    """Chromium's trace events of one page (its workers included) through the DevTools protocol."""

    def __init__(self, context, page) -> None:
        self.events: list[dict] = []
        self.session = context.new_cdp_session(page)
        self.session.on("Tracing.dataCollected", lambda data: self.events.extend(data["value"]))
        self.done = threading.Event()
        self.session.on("Tracing.tracingComplete", lambda _: self.done.set())
        self.session.send("Tracing.start", {"categories": TRACE_CATEGORIES, "transferMode": "ReportEvents"})

    def stop(self, page) -> dict:
        self.session.send("Tracing.end")
        deadline = time.monotonic() + 20
        while not self.done.is_set() and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        names = [event.get("name", "") for event in self.events]
        return {"moduleCacheHit": names.count("v8.wasm.moduleCacheHit"),
                "cache_events": sorted({n for n in names if "cache" in n.lower() and "wasm" in n.lower()})}


def launch(playwright, profile: Path):
    return playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                          args=CHROMIUM_ARGS, viewport=VIEWPORT)


def poll(page, expression: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        page.wait_for_timeout(250)


def makes_snapshot(site: Path) -> bool:
    """Whether this build's worker makes a Python snapshot (older builds, given with --also: a first
    visit leaves one behind)."""
    boot = site / "worker" / "boot.js"
    return boot.exists() and "makeSnapshotInBackground(" in boot.read_text()


def page_visit(playwright, profile: Path, url: str, stroke, settle: bool, snapshot: bool = True) -> dict:
    context = launch(playwright, profile)
    try:
        context.add_init_script(INIT_SCRIPT)
        blank = context.pages[0] if context.pages else context.new_page()
        trace = Trace(context, blank)  # the trace covers the new page: same renderer process
        page, record = visit(context, url, stroke)
        record["wasm_cache"] = trace.stop(page)
        if settle:  # what a first visit leaves behind: the offline cache (and an older build's snapshot)
            page.evaluate("() => window.pynnApp.offlineReady")
            if snapshot:
                poll(page, "() => caches.open('python-snapshot').then(c => c.keys()).then(k => k.length > 0)", 120)
            page.wait_for_timeout(1000)
        return record
    finally:
        context.close()


def floor_visit(playwright, profile: Path, url: str) -> dict:
    context = launch(playwright, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        trace = Trace(context, page)
        page.goto(url, wait_until="commit")
        poll(page, "() => !!window.__floor", READY_TIMEOUT)
        floor = page.evaluate("() => window.__floor")
        if "error" in floor:
            raise RuntimeError(f"{url}: {floor['error']}")
        page.wait_for_timeout(3000)  # V8 caches compiled wasm after tier-up, a while after load
        return {"ready_s": floor["readyAt"] / 1000, "stages_ms": {k: round(floor[k]) for k in
                                                                 ("python", "packages", "imports")},
                "wasm_cache": trace.stop(page)}
    finally:
        context.close()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# The page's own parts of a visit, beside the worker's stages (which start once its modules are in):
# navigation → worker created (start.js), → the worker's modules in, its booted → the page hearing
# it (Python up), → ready (the models and your digits restored), → the first prediction.
PAGE_PARTS = ("to_worker", "worker_modules", "booted_to_up", "up_to_ready", "ready_to_prediction")


def page_parts(visit: dict) -> dict | None:
    """The page's own parts of one visit in ms, or None for a build whose worker reports no clock."""
    timings = visit.get("timings") or {}
    worker = timings.get("worker") or {}
    if "origin" not in worker or "origin" not in timings:
        return None
    offset = worker["origin"] - timings["origin"]  # the worker's clock against the page's
    created = timings["workerCreated"]
    return {"to_worker": created, "worker_modules": offset + worker["modules"] - created,
            "booted_to_up": timings["pythonUp"] - (offset + worker["bootedAt"]),
            "up_to_ready": timings["navigationToReady"] - timings["pythonUp"],
            "ready_to_prediction": 1000 * (visit["first_prediction_s"] - visit["ready_s"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=SITE_DIR",
                        help="another build of the page to measure like it")
    parser.add_argument("--unisolated", action="store_true",
                        help="also this page served without COOP/COEP, as by a host that cannot set them")
    parser.add_argument("--alone", action="store_true",
                        help="also the site's worker alone: booted and asked one prediction by a bare page")
    args = parser.parse_args()
    # Each page measured: its site, and whether it is served cross-origin isolated.
    pages = {"page": (build.SITE, True), **{name: (Path(site), True) for name, site in
                                              (item.split("=", 1) for item in args.also)}}
    if args.unisolated:
        pages[UNISOLATED] = (build.SITE, False)
    if not args.no_build:
        subprocess.run([sys.executable, str(ROOT / "build.py"), "--test-seams"], check=True, stdout=subprocess.DEVNULL)
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="pynn-load-"))
    servers = {**{name: serve(site, isolated) for name, (site, isolated) in pages.items()},
               "floor": serve(floor_site(work / "floor", None)),
               "floor-pyc": serve(floor_site(work / "floor-pyc", build.SITE / "pyodide"))}
    if args.alone:
        servers[ALONE] = serve(worker_alone_site(work / "alone", build.SITE))
    runs: dict[str, list] = {name: [] for name in servers}
    try:
        with sync_playwright() as playwright:
            for n in range(args.rounds):
                for name, (_, url) in servers.items():
                    profile = work / f"profile-{name}-{n}"
                    if name in pages:
                        stroke = STROKES[n % len(STROKES)]
                        site, _ = pages[name]
                        first = page_visit(playwright, profile, url, stroke, settle=True,
                                           snapshot=makes_snapshot(site))
                        again = page_visit(playwright, profile, url, stroke, settle=False)
                        first_s, return_s = first["first_prediction_s"], again["first_prediction_s"]
                    else:
                        first, again = floor_visit(playwright, profile, url), floor_visit(playwright, profile, url)
                        first_s, return_s = first["ready_s"], again["ready_s"]
                    runs[name].append({"first": first, "return": again})
                    stages = (again.get("timings") or {}).get("worker") or again.get("stages_ms")
                    stages = {k: v for k, v in stages.items() if k not in ("origin", "bootedAt", "summary")}
                    print(f"round {n + 1} {name:9s} first {first_s:5.2f} s  return {return_s:5.2f} s  "
                          f"return stages {stages}  wasm cache hits (first/return) "
                          f"{first['wasm_cache']['moduleCacheHit']}/{again['wasm_cache']['moduleCacheHit']}",
                          flush=True)
    finally:
        for server, _ in servers.values():
            server.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    def seconds(name, visit_name):
        key = "first_prediction_s" if name in pages else "ready_s"
        return median(r[visit_name][key] for r in runs[name])

    summary = {name: {"first_s": seconds(name, "first"), "return_s": seconds(name, "return")} for name in runs}
    # lookup: builds with a snapshot; modules and session: builds from December 2026's startup round on
    stages = ("lookup", "modules", "listing", "python", "packages", "imports", "session", "model")
    for name in sorted(pages):
        for visit_name in ("first", "return"):
            records = [r[visit_name]["timings"]["worker"] for r in runs[name]]
            summary[name][f"{visit_name}_stages_ms"] = {s: median(r.get(s) for r in records) for s in stages
                                                        if any(s in r for r in records)}
            summary[name][f"{visit_name}_paths"] = [r.get("path") for r in records]
            parts = [page_parts(r[visit_name]) for r in runs[name]]
            summary[name][f"{visit_name}_page_parts_ms"] = {part: median(p[part] for p in parts if p)
                                                           for part in PAGE_PARTS if any(parts)}
    for name in runs:
        summary[name]["wasm_cache_hits_return"] = [r["return"]["wasm_cache"]["moduleCacheHit"] for r in runs[name]]
    page, floor = summary["page"], summary["floor"]
    summary["ratios"] = {"return_vs_floor_return": page["return_s"] / floor["return_s"],
                         "first_vs_floor_first": page["first_s"] / floor["first_s"]}
    print("\nmedians over", args.rounds, "rounds (navigation → first prediction for the page, → import numpy done "
          "for the floors):")
    for name in runs:
        figures = summary[name]
        print(f"  {name:9s} first visit {figures['first_s']:.2f} s   return visit {figures['return_s']:.2f} s")
    ratios = summary["ratios"]
    print(f"  page/floor: first visit {ratios['first_vs_floor_first']:.2f}, "
          f"return visit {ratios['return_vs_floor_return']:.2f}")
    for name in [name for name in pages if name != "page"]:
        print(f"  {name}/floor: first visit {summary[name]['first_s'] / floor['first_s']:.2f}, "
              f"return visit {summary[name]['return_s'] / floor['return_s']:.2f}")
    pyc = summary["floor-pyc"]  # the floor from the site's own compiled files (issue 15's: ≤ 1.2×)
    for name in sorted(pages) + ([ALONE] if args.alone else []):
        print(f"  {name}/floor-pyc: first visit {summary[name]['first_s'] / pyc['first_s']:.2f}, "
              f"return visit {summary[name]['return_s'] / pyc['return_s']:.2f} (target ≤ 1.2 both)")
    for name in sorted(pages):
        figures = summary[name]
        print(f"  {name} stages, first visit (ms): {figures['first_stages_ms']}  paths {figures['first_paths']}")
        print(f"  {name} stages, return visit (ms): {figures['return_stages_ms']}  paths {figures['return_paths']}")
        for visit_name in ("first", "return"):
            if figures[f"{visit_name}_page_parts_ms"]:
                print(f"  {name} page's own parts, {visit_name} visit (ms): {figures[f'{visit_name}_page_parts_ms']}")
    for name in runs:
        print(f"  wasm module cache hits on return visits, {name}: {summary[name]['wasm_cache_hits_return']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "browser_load.json").write_text(json.dumps({"summary": summary, "runs": runs}, indent=1, default=str))


if __name__ == "__main__":
    main()
