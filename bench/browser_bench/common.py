"""What every part shares: output, the site snapshot, the page's own records, and a visit."""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from harness.app import launch, open_app, poll  # noqa: F401  (re-exported for the parts and the entry points)
from harness.drawing import draw
from harness.server import SiteServer
from playwright.sync_api import sync_playwright

from browser_bench import ROOT, SITE
from browser_bench.probe import WorkerProbe

READY_TIMEOUT = 180.0  # s; a busy 2-core machine
VIEWPORT = {"width": 1280, "height": 1000}

# Records, from the first script of every page, what the benchmark reads later: when the status
# turned ready, when the first digit appeared, every data-latency-ms the page sets, pointer-ups,
# form submits, progress data-done changes, accuracy texts, and the main thread's long tasks.
INIT_SCRIPT = """
(() => {
  const bench = window.__bench = { readyAt: null, predictionAt: null, latencies: [], pointerUps: [],
                                   submits: [], done: [], accuracies: [], longtasks: [] };
  const now = () => performance.now();
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longtasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch (error) { bench.longtaskError = String(error); }
  addEventListener("pointerup", () => bench.pointerUps.push(now()), true);
  addEventListener("submit", () => bench.submits.push(now()), true);
  const observe = () => {
    new MutationObserver((records) => {
      const at = now();
      for (const record of records) {
        const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        const id = target?.dataset?.testid;
        if (record.type === "attributes") {
          const name = record.attributeName;
          if (id === "status" && name === "data-state" && target.dataset.state === "ready") bench.readyAt ??= at;
          if (id === "prediction" && name === "data-latency-ms") {
            bench.latencies.push({ value: Number(target.dataset.latencyMs), at });
          }
          if (id === "progress" && name === "data-done") bench.done.push({ value: target.dataset.done, at });
        } else {
          const prediction = document.querySelector("[data-testid=prediction]");
          if (prediction && prediction.textContent.trim() !== "") bench.predictionAt ??= at;
          const accuracy = document.querySelector("[data-testid=accuracy]");
          if (accuracy && (target === accuracy || accuracy.contains(target)) && accuracy.textContent) {
            const elapsed = Number(document.querySelector("[data-testid=progress]")?.dataset.elapsed);
            bench.accuracies.push({ text: accuracy.textContent, at, elapsed });
          }
        }
      }
    }).observe(document, { subtree: true, attributes: true, childList: true, characterData: true,
                           attributeFilter: ["data-state", "data-latency-ms", "data-done"] });
  };
  if (document.documentElement) observe(); else addEventListener("DOMContentLoaded", observe);
})();
"""

# Digit-like strokes in the pad's unit square (polylines).
STROKES = [
    [(0.5, 0.15), (0.52, 0.5), (0.5, 0.85)],  # 1
    [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)],  # 7
    [(0.5, 0.15), (0.3, 0.3), (0.28, 0.6), (0.5, 0.85), (0.7, 0.6), (0.68, 0.3), (0.5, 0.15)],  # 0
    [(0.6, 0.85), (0.6, 0.15), (0.25, 0.6), (0.75, 0.6)],  # 4
    [(0.3, 0.3), (0.5, 0.15), (0.7, 0.3), (0.3, 0.85), (0.75, 0.85)],  # 2
    [(0.3, 0.2), (0.7, 0.25), (0.45, 0.5), (0.72, 0.68), (0.3, 0.85)],  # 3
]



@contextlib.contextmanager
def app_page(browser, url: str):
    """The app opened at ``url`` and ready, in a fresh context (its own storage, service worker
    and workers, as a first visit has), closed afterwards."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        open_app(page, url)
        yield page
    finally:
        context.close()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2, unit=""):
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def note(text: str) -> None:
    print(text, flush=True)


def build_site(rebuild: bool, snapshot: Path) -> Path:
    """Build site/ (unless told not to) and copy it to ``snapshot``, which is what gets served:
    a rebuild by someone else during the run then changes nothing under the benchmark's feet."""
    if rebuild or not (SITE / "index.html").exists():
        note("building the site with the tests' seams (python3 build.py --test-seams) …")
        subprocess.run([sys.executable, str(ROOT / "build.py"), "--test-seams"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    shutil.copytree(SITE, snapshot)
    return snapshot


@contextlib.contextmanager
def served_site(rebuild: bool):
    """Chromium and a server of a snapshot of site/ (built first when ``rebuild``), for the
    ``with`` block: yields (browser, the site's URL)."""
    with served_sites(rebuild) as (browser, urls):
        yield browser, urls[True]


@contextlib.contextmanager
def served_sites(rebuild: bool):
    """As served_site, with the snapshot served twice: cross-origin isolated, as build.py serve
    does, and not, as a host that cannot set the headers. Yields (browser, {isolated: URL})."""
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        site = build_site(rebuild, Path(tmp) / "site")
        browser = launch(playwright)
        servers = {isolated: SiteServer(site, isolated=isolated) for isolated in (True, False)}
        try:
            yield browser, {isolated: server.url for isolated, server in servers.items()}
        finally:
            for server in servers.values():
                server.stop()
            browser.close()


def site_matches_checkout(site: Path) -> bool | None:
    """Whether the site's pynn wheel holds this checkout's pynn/*.py (else native and browser differ)."""
    wheels = list((site / "pyodide").glob("pynn-*.whl"))
    if len(wheels) != 1:
        return None
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith("pynn/") and name.endswith(".py"):
                source = ROOT / name
                if not source.exists() or source.read_bytes() != wheel.read(name):
                    return False
    return True


def draw_stroke(page, points, steps: int = 4) -> None:
    """One polyline on the pad (harness.drawing.draw, real mouse events)."""
    draw(page, [points], steps=steps)


def visit(context, url: str, stroke=STROKES[0], probe: bool = False) -> tuple:
    """Open the page, draw a stroke as soon as the pad takes input (app.js has run: window.pynnApp
    exists), wait for ready and the first prediction; times are from navigation start (the page's
    performance.now()).  If no digit shows within 15 s of ready, the stroke is drawn again and the
    record says so.  With ``probe``, a WorkerProbe is attached before navigating (record["probe"])."""
    page = context.new_page()
    attached = WorkerProbe(page) if probe else None
    page.goto(url, wait_until="commit")
    poll(page, "() => !!window.pynnApp && !!document.querySelector('[data-testid=draw-canvas]')",
         timeout=READY_TIMEOUT, interval=0.02)
    drawn_at = page.evaluate("() => performance.now()")
    draw_stroke(page, stroke)
    redrawn = False
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        bench = page.evaluate("() => window.__bench")
        if bench["readyAt"] is not None and bench["predictionAt"] is not None:
            break
        now = page.evaluate("() => performance.now()")
        if not redrawn and bench["readyAt"] is not None and now - bench["readyAt"] > 15_000:
            page.get_by_test_id("clear").click()
            draw_stroke(page, stroke)
            redrawn = True
        if time.monotonic() > deadline:
            status = page.get_by_test_id("status")
            raise TimeoutError(f"the page did not get ready and predict: status {status.get_attribute('data-state')!r}"
                               f" {status.inner_text()!r}")
        page.wait_for_timeout(100)
    state = page.get_by_test_id("status").get_attribute("data-state")
    info = page.evaluate("""() => ({ controlled: !!navigator.serviceWorker?.controller,
                                     timings: window.pynnApp?.timings ?? null })""")
    record = {"ready_s": bench["readyAt"] / 1000, "first_prediction_s": bench["predictionAt"] / 1000,
              "stroke_drawn_s": drawn_at / 1000, "redrawn": redrawn, "state": state, **info}
    if attached:
        record["probe"] = attached
    return page, record
