"""pynn in the browser, measured: loading, drawing, one training epoch, and the peers, side by side.

    .venv/bin/python bench/browser_epoch.py [--rounds 3] [--no-build] [--skip-load] [--skip-peers]

One run, no asserts; it prints every figure and writes them to bench/results/browser_epoch.json.

1. Builds the site (``python3 build.py``; ``--no-build`` reuses site/ as it is), serves it on
   127.0.0.1 and drives headless Chromium (/usr/bin/chromium) with Playwright.
2. Load: navigation → ready (status data-state=ready) and navigation → first prediction (a stroke
   drawn right after navigation), cold (fresh browser context) and warm (another visit in the
   same context, with the service worker in control); then pointer-up → prediction latency over
   a series of strokes (the page's data-latency-ms, and our own pointerup → DOM measure).
3. One epoch of [784, 30, 10], mini-batch 10, η 3.0, quadratic cost, standard init, λ 0 on the
   50,000 training images, set up and started through the page's form like a user would; the
   training time is the page's data-elapsed (pure training), next to the wall time from submit to
   data-done.  Meanwhile: the worker's WebAssembly memory and JS heap (through the DevTools
   protocol), the renderer process's resident memory, and long tasks on the main thread.
4. The same epoch natively with the pynn checkout, same seed and code path (Session.start_training
   builds Network(sizes, seed=seed) and a Trainer over the first train_size samples); test accuracy
   and final weights are compared with the page's (they should be identical).
5. Peers in the same Chromium, from a bench-only page (bench/peers/, npm packages pinned by
   bench/peers/package-lock.json, installed with ``npm ci``): TensorFlow.js (wasm and cpu
   backends, and wasm with threads on a cross-origin-isolated copy of the page), ConvNetJS, and
   plain JavaScript (straightforward, and hand-optimised).  Each trains the same epoch in a fresh
   worker; its test accuracy afterwards is the sanity check.
Rounds interleave pynn (browser), pynn (native) and the peers; medians are reported.  A peer whose
first epoch takes longer than --slow seconds is not repeated.  Nothing here asks for anything
outside 127.0.0.1; every request the browser makes is recorded and any other host is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
PEERS = ROOT / "bench" / "peers"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
READY_TIMEOUT = 180.0  # s; a busy 2-core machine
VIEWPORT = {"width": 1280, "height": 1000}
# [784, 30, 10], mini-batch 10, η 3.0, quadratic, standard init, λ 0, all 50,000 training images.
EPOCH_SETTINGS = {"hidden-layers": "30", "epochs": "1", "batch-size": "10", "learning-rate": "3", "lambda": "0",
                  "train-size": "50000"}
EPOCH_SELECTS = {"cost": "quadratic", "init": "standard"}
TARGETS = {"browser_epoch_s": 3.0, "peer_speedup": 2.0, "warm_load_s": 3.0, "latency_ms": 50.0,
           "memory_mb": 256.0, "longtask_ms": 50.0, "browser_native_ratio": 4.0}
PEER_NAMES = ["js-plain", "js-unrolled", "js-sparse", "convnetjs", "tfjs-wasm", "tfjs-cpu"]
# tfjs-wasm-threads: TensorFlow.js's threaded wasm build, on a cross-origin-isolated copy of the peers page.
# Not run by default: here XNNPACK reports 1 thread all the same (and it was slower than tfjs-wasm).
OPTIONAL_PEERS = ["tfjs-wasm-threads"]
# The peers the targets name (single-threaded, dense): js-sparse (pynn's own sparsity trick, by hand)
# and tfjs-wasm-threads (threads; when asked for) are shown for context.
TARGET_PEERS = ["js-plain", "js-unrolled", "convnetjs", "tfjs-wasm", "tfjs-cpu"]

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


# --------------------------------------------------------------------------- small helpers

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2, unit=""):
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def note(text: str) -> None:
    print(text, flush=True)


def poll(page, expression: str, arg=None, timeout: float = 60.0, interval: float = 0.05, on_wait=None):
    """Evaluate ``expression`` until it is truthy; return its value.  (The site's CSP forbids
    eval, which Playwright's wait_for_function uses; page.evaluate goes through the DevTools
    protocol and is not affected, so the page is benchmarked with its CSP intact.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {expression}")
        if on_wait:
            on_wait()
        page.wait_for_timeout(interval * 1000)


def renderer_rss_mb() -> float | None:
    """Largest resident set of a Chromium renderer process started by this benchmark."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
        except (OSError, KeyError, ValueError):
            continue
    todo, mine = [os.getpid()], []
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            mine.append(child)
            todo.append(child)
    best = None
    for pid in mine:
        try:
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                    best = rss if best is None else max(best, rss)
        except OSError:
            continue
    return best


# --------------------------------------------------------------------------- set-up

def build_site(rebuild: bool, snapshot: Path) -> Path:
    """Build site/ (unless told not to) and copy it to ``snapshot``, which is what gets served:
    a rebuild by someone else during the run then changes nothing under the benchmark's feet."""
    if rebuild or not (SITE / "index.html").exists():
        note("building the site (python3 build.py) …")
        subprocess.run([sys.executable, str(ROOT / "build.py")], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    shutil.copytree(SITE, snapshot)
    return snapshot


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


def install_peers() -> None:
    """npm ci from the lock file (integrity-checked), once; no install scripts."""
    lock = PEERS / "package-lock.json"
    stamp = PEERS / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    note("installing the peers (npm ci in bench/peers) …")
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], check=True, cwd=PEERS)


def peer_root(tmp: Path, site: Path) -> Path:
    """A folder to serve the peers page from: its files and node_modules (links), and MNIST as raw
    uint8 files converted once from the site's pickle-free .npz."""
    root = tmp / "peers" / "peers"
    (root / "data").mkdir(parents=True)
    for name in ("index.html", "main.js", "worker.js", "node_modules"):
        (root / name).symlink_to(PEERS / name)
    for split in ("train", "test"):
        with np.load(site / "data" / f"mnist-{split}.npz", allow_pickle=False) as archive:
            for key, name in (("images", "images"), ("labels", "labels")):
                raw = np.ascontiguousarray(archive[key], np.uint8).tobytes()
                (root / "data" / f"{split}-{name}.u8").write_bytes(raw)
    (tmp / "peers" / "isolated").symlink_to(root)
    return tmp / "peers"


class PeerHandler(http.server.SimpleHTTPRequestHandler):
    """Static files for the peers page; under /isolated/ also COOP/COEP, which make the page
    cross-origin isolated (SharedArrayBuffer, so TensorFlow.js's wasm backend can use threads)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript", ".u8": "application/octet-stream"}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        if self.path.startswith("/isolated/"):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


@contextlib.contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


class Requests:
    """Every request the browser makes (pages, workers, service workers); other hosts are kept."""

    def __init__(self) -> None:
        self.count = 0
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def watch(self, context) -> None:
        context.on("request", self._request)
        context.on("page", self._page)

    def _request(self, request) -> None:
        self.count += 1
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and parts.hostname != "127.0.0.1":
            self.foreign.append(request.url)

    def _page(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.errors.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------- the page

def draw(page, points, steps: int = 4) -> None:
    box = page.get_by_test_id("draw-canvas").bounding_box()
    xy = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=steps)
    page.mouse.up()


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
    draw(page, stroke)
    redrawn = False
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        bench = page.evaluate("() => window.__bench")
        if bench["readyAt"] is not None and bench["predictionAt"] is not None:
            break
        now = page.evaluate("() => performance.now()")
        if not redrawn and bench["readyAt"] is not None and now - bench["readyAt"] > 15_000:
            page.get_by_test_id("clear").click()
            draw(page, stroke)
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


def measure_loads(browser, url: str, contexts: int, warm_visits: int, requests: Requests) -> dict:
    cold, warm = [], []
    for n in range(contexts):
        context = browser.new_context(viewport=VIEWPORT)
        requests.watch(context)
        context.add_init_script(INIT_SCRIPT)
        page, record = visit(context, url, STROKES[n % len(STROKES)])
        cold.append(record)
        note(f"  cold load {n + 1}: ready {record['ready_s']:.2f} s, "
             f"first prediction {record['first_prediction_s']:.2f} s")
        page.evaluate("() => window.pynnApp.offlineReady")  # the service worker has cached the site
        page.close()
        for k in range(warm_visits):
            page, record = visit(context, url, STROKES[(n + k + 1) % len(STROKES)])
            warm.append(record)
            note(f"  warm load {n + 1}.{k + 1}: ready {record['ready_s']:.2f} s, first prediction "
                 f"{record['first_prediction_s']:.2f} s (service worker in control: {record['controlled']})")
            page.close()
        context.close()
    summary = {}
    for name, records in (("cold", cold), ("warm", warm)):
        # The worker's own stage timings (ms each; see web/boot.js).
        stages = {stage: median((r.get("timings") or {}).get("worker", {}).get(stage) for r in records)
                  for stage in ("lookup", "python", "packages", "imports", "model")}
        summary[name] = {"ready_s": median(r["ready_s"] for r in records),
                         "first_prediction_s": median(r["first_prediction_s"] for r in records),
                         "worker_stages_ms": stages, "runs": records}
    return summary


def measure_latency(page, strokes: int) -> dict:
    """Pointer-up → prediction over ``strokes`` strokes on a ready page (pad cleared before each)."""
    page_ms, own_ms = [], []
    for k in range(strokes):
        page.get_by_test_id("clear").click()
        before = page.evaluate("() => window.__bench.latencies.length")
        draw(page, STROKES[k % len(STROKES)])
        record = poll(page, "n => { const b = window.__bench; return b.latencies.length > n && "
                            "{ latency: b.latencies.at(-1), up: b.pointerUps.at(-1) }; }", before, timeout=30)
        page_ms.append(record["latency"]["value"])
        own_ms.append(record["latency"]["at"] - record["up"])
    return {"page_ms": page_ms, "own_ms": own_ms, "median_page_ms": median(page_ms), "median_own_ms": median(own_ms),
            "max_page_ms": max(page_ms), "last_prediction_ms": page.evaluate("() => window.pynnApp.lastPredictionMs")}


# Run in the page's worker before any of its own code (the worker waits for the debugger): keeps every
# WebAssembly.Memory the worker makes, so that the benchmark can read their sizes (Pyodide's heap).
MEMORY_HOOK = """
(() => {
  const memories = globalThis.__benchMemories = [];
  const keep = (value) => {
    if (value instanceof WebAssembly.Memory && !memories.includes(value)) memories.push(value);
  };
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args, newTarget) {
      const memory = Reflect.construct(target, args, newTarget);
      keep(memory);
      return memory;
    },
  });
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = async function (...args) {
      const result = await original.apply(this, args);
      Object.values((result.instance ?? result).exports ?? {}).forEach(keep);
      return result;
    };
  }
})();
"""
WASM_BYTES = "globalThis.__benchMemories ? __benchMemories.reduce((sum, m) => sum + m.buffer.byteLength, 0) : null"


class WorkerProbe:
    """The page's dedicated worker: its JS heap through the DevTools protocol (a CDP session of the
    page, attached non-flat to its workers), and Pyodide's heap (the WebAssembly memory) as the
    page's worker reports it (bridge.call("memory")), or else as MEMORY_HOOK saw it.  Attach before
    navigating, so that the hook can run before the worker's own code."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.session = None
        self.replies: dict[int, dict] = {}
        self.next_id = 1
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._message)
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})
        self.cdp.send("Performance.enable")

    def _post(self, session: str, method: str, params: dict | None = None) -> int:
        ident = self.next_id
        self.next_id += 1
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(
            {"id": ident, "method": method, "params": params or {}})})
        return ident

    def _attached(self, event) -> None:
        session = event["sessionId"]
        if event["targetInfo"]["type"] == "worker" and self.session is None:
            self.session = session
            self._post(session, "Runtime.evaluate", {"expression": MEMORY_HOOK})
        if event.get("waitingForDebugger"):
            self._post(session, "Runtime.runIfWaitingForDebugger")

    def _message(self, event) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message

    def call(self, method: str, params: dict | None = None, timeout: float = 10.0) -> dict:
        if self.session is None:
            raise RuntimeError("no worker target")
        ident = self._post(self.session, method, params)
        deadline = time.monotonic() + timeout
        while ident not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker did not answer {method}")
            self.page.wait_for_timeout(5)
        reply = self.replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def sample(self) -> dict:
        sample = {"renderer_rss_mb": renderer_rss_mb()}
        with contextlib.suppress(Exception):
            heap = self.call("Runtime.getHeapUsage")
            sample["worker_js_heap_mb"] = heap["usedSize"] / 2**20
            sample["worker_backing_stores_mb"] = heap.get("backingStorageSize", 0) / 2**20
        with contextlib.suppress(Exception):
            # The page's own "memory" request (Pyodide's HEAPU8 size), answered between training chunks …
            value = self.page.evaluate("() => window.pynnApp?.bridge?.call('memory').then((m) => m.wasmHeapBytes, "
                                       "() => null) ?? null")
            if value:
                sample["worker_wasm_mb"] = value / 2**20
                sample["worker_wasm_source"] = "page"
        with contextlib.suppress(Exception):
            # … and the memories MEMORY_HOOK kept, for a page without it (the hook can lose the race
            # with the worker's start: then it has seen nothing).
            value = self.call("Runtime.evaluate", {"expression": WASM_BYTES, "returnByValue": True})["result"]
            if value.get("value"):
                sample["worker_wasm_hook_mb"] = value["value"] / 2**20
                if "worker_wasm_mb" not in sample:
                    sample["worker_wasm_mb"] = sample["worker_wasm_hook_mb"]
                    sample["worker_wasm_source"] = "hook"
        with contextlib.suppress(Exception):
            metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
            sample["page_js_heap_mb"] = metrics["JSHeapUsedSize"] / 2**20
        return sample


def fill_settings(page, seed: int, epochs: int | None = None) -> None:
    for test_id, value in EPOCH_SETTINGS.items():
        page.get_by_test_id(test_id).fill(str(epochs) if test_id == "epochs" and epochs else value)
    for test_id, value in EPOCH_SELECTS.items():
        page.get_by_test_id(test_id).select_option(value)
    page.get_by_test_id("seed").fill(str(seed))


def train_in_page(page, seed: int, epochs: int = 1, probe: WorkerProbe | None = None, sample_every: float = 0.5,
                  timeout: float = 3600.0, on_wait=None) -> dict:
    """Fill the form, press Start training, wait for data-done=true; read the page's figures.
    ``on_wait(marks)`` is called while waiting."""
    fill_settings(page, seed, epochs)
    marks = page.evaluate("() => ({ submits: window.__bench.submits.length, done: window.__bench.done.length, "
                          "accuracies: window.__bench.accuracies.length })")
    samples = []
    last = [0.0]

    def waiting():
        if probe is not None and time.monotonic() - last[0] >= sample_every:
            last[0] = time.monotonic()
            samples.append(probe.sample())
        if on_wait is not None:
            on_wait(marks)

    page.get_by_test_id("train").click()
    poll(page, """m => { const b = window.__bench;
                         const train = document.querySelector('[data-testid=train]');
                         return b.submits.length > m.submits && b.done.slice(m.done).some((d) => d.value === 'true')
                                && !train.disabled; }""", marks, timeout=timeout, interval=0.05, on_wait=waiting)
    result = page.evaluate("""m => {
        const b = window.__bench, p = document.querySelector('[data-testid=progress]').dataset;
        const submitAt = b.submits.at(-1), doneAt = b.done.slice(m.done).find((d) => d.value === 'true').at;
        return { elapsed: Number(p.elapsed), epoch: Number(p.epoch), batch: Number(p.batch),
                 batchesPerEpoch: Number(p.batchesPerEpoch), stopped: p.stopped, submitAt, doneAt,
                 accuracies: b.accuracies.slice(m.accuracies).map((a) => a.text),
                 epochElapsed: b.accuracies.slice(m.accuracies).map((a) => a.elapsed),
                 message: document.getElementById('train-message')?.textContent ?? null,
                 longtasks: b.longtasks.filter((t) => t.start + t.duration >= submitAt && t.start <= doneAt) };
    }""", marks)
    result["wall_s"] = (result["doneAt"] - result["submitAt"]) / 1000
    result["samples"] = samples
    return result


def page_model(page) -> list[np.ndarray]:
    """The trained "yours" model's weights and biases, read through window.pynnApp.bridge."""
    from pynn import io

    text = page.evaluate("() => window.pynnApp.bridge.call('modelJson', { name: 'yours' })")
    network = io.loads(text)
    return network.weights + network.biases


# --------------------------------------------------------------------------- native pynn

@functools.lru_cache(maxsize=1)
def native_data():
    from pynn import mnist

    return mnist.load_dataset("train"), mnist.load_dataset("test")


def native_run(seed: int, epochs: int = 1, train_size: int = 50_000):
    """What Session.start_training and train_chunk do, without the chunks: yields per-epoch
    progress, then (network, trainer)."""
    from pynn import Network
    from pynn.training import Trainer

    train, test = native_data()
    network = Network([784, 30, 10], cost="quadratic", init="standard", seed=seed)
    trainer = Trainer(network, train.subset(train_size), epochs, 10, 3.0, lmbda=0.0, evaluation_data=test)
    return network, trainer


def native_epoch(seed: int) -> dict:
    network, trainer = native_run(seed)
    wall = time.perf_counter()
    progress = trainer.run()
    wall = time.perf_counter() - wall
    return {"elapsed": trainer.elapsed, "wall_s": wall, "accuracy": progress.accuracy,
            "params": network.weights + network.biases}


def max_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


# --------------------------------------------------------------------------- peers

def run_peer(page, peer: str, seed: int, samples: int | None) -> dict:
    options = {"peer": "tfjs-wasm" if peer == "tfjs-wasm-threads" else peer, "seed": seed}
    if samples:
        options["samples"] = samples
    if peer == "tfjs-wasm-threads":
        options["threads"] = os.cpu_count() or 2
    return page.evaluate("options => window.runPeer(options)", options)


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="epochs timed per contender, interleaved (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the page's and native runs (default 0)")
    parser.add_argument("--loads", type=int, default=3, help="cold loads, each in a fresh context (default 3)")
    parser.add_argument("--warm", type=int, default=2, help="warm visits after each cold load (default 2)")
    parser.add_argument("--strokes", type=int, default=12, help="strokes for the latency median (default 12)")
    parser.add_argument("--peers", default=",".join(PEER_NAMES),
                        help=f"comma-separated (default {','.join(PEER_NAMES)}; also {','.join(OPTIONAL_PEERS)})")
    parser.add_argument("--peer-samples", type=int, default=None,
                        help="train peers on this many samples and scale their time to 50,000 (default: all)")
    parser.add_argument("--slow", type=float, default=20.0, help="a peer slower than this (s) runs once (default 20)")
    parser.add_argument("--no-build", action="store_true", help="reuse site/ as it is")
    parser.add_argument("--skip-load", action="store_true", help="no load or latency measurements")
    parser.add_argument("--skip-peers", action="store_true", help="no peers")
    parser.add_argument("--output", type=Path, default=RESULTS / "browser_epoch.json")
    args = parser.parse_args()
    peers = [] if args.skip_peers else [p for p in args.peers.split(",") if p]
    unknown = set(peers) - set(PEER_NAMES + OPTIONAL_PEERS)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}; choose from {PEER_NAMES + OPTIONAL_PEERS}")

    from playwright.sync_api import sync_playwright

    import build

    if peers:
        install_peers()
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                 "load_average": os.getloadavg()},
                     "settings": {"sizes": [784, 30, 10], "minibatch": 10, "eta": 3.0, "cost": "quadratic",
                                  "init": "standard", "lmbda": 0.0, "train_size": 50_000, "seed": args.seed},
                     "targets": TARGETS}
    requests = Requests()
    with tempfile.TemporaryDirectory(prefix="pynn-bench-") as tmp, sync_playwright() as playwright:
        site = build_site(not args.no_build, Path(tmp) / "site")
        results["site_matches_checkout"] = site_matches_checkout(site)
        if results["site_matches_checkout"] is False:
            note("WARNING: site/'s pynn wheel differs from this checkout's pynn/: the browser and native runs use "
                 "different code (rebuild with python3 build.py)")
        site_server = build.make_server("127.0.0.1", 0, site)
        peer_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
            PeerHandler, directory=str(peer_root(Path(tmp), site) if peers else tmp)))
        with serving(site_server) as site_url, serving(peer_server) as peer_url:
            browser = launch(playwright)
            results["chromium"] = browser.version
            note(f"Chromium {browser.version}; site {site_url}; peers {peer_url}peers/")

            if not args.skip_load:
                note("\n— loading (times from navigation start)")
                results["load"] = measure_loads(browser, site_url, args.loads, args.warm, requests)

            note("\n— the page for training (warm, service worker in control)")
            context = browser.new_context(viewport=VIEWPORT)
            requests.watch(context)
            context.add_init_script(INIT_SCRIPT)
            page, first = visit(context, site_url)
            page.evaluate("() => window.pynnApp.offlineReady")
            page.close()
            page, record = visit(context, site_url, probe=True)
            probe = record.pop("probe")
            note(f"  ready {record['ready_s']:.2f} s (service worker in control: {record['controlled']})")
            if not args.skip_load:
                note(f"— pointer-up → prediction, {args.strokes} strokes")
                results["latency"] = measure_latency(page, args.strokes)
                lat = results["latency"]
                note(f"  median {fmt(lat['median_page_ms'], 1)} ms (page's data-latency-ms), "
                     f"{fmt(lat['median_own_ms'], 1)} ms (pointerup → DOM), max {fmt(lat['max_page_ms'], 1)} ms")
            try:
                idle = probe.sample()
                note(f"  idle worker: wasm {fmt(idle.get('worker_wasm_mb'), 1)} MB, JS heap "
                     f"{fmt(idle.get('worker_js_heap_mb'), 1)} MB; "
                     f"renderer RSS {fmt(idle.get('renderer_rss_mb'), 0)} MB")
                results["memory_idle"] = idle
            except Exception as error:  # report, go on without memory figures
                note(f"  (no worker memory probe: {error})")

            peer_pages = {}
            if peers:
                for isolated in (False, True):
                    if isolated and "tfjs-wasm-threads" not in peers:
                        continue
                    peer_context = browser.new_context()
                    requests.watch(peer_context)
                    peer_page = peer_context.new_page()
                    peer_page.goto(f"{peer_url}{'isolated' if isolated else 'peers'}/index.html")
                    poll(peer_page, "() => typeof window.runPeer === 'function'", timeout=30)
                    peer_pages[isolated] = peer_page

            browser_runs, native_runs = [], []
            peer_runs: dict[str, list] = {peer: [] for peer in peers}
            for round_ in range(args.rounds):
                note(f"\n— round {round_ + 1} of {args.rounds}")
                run = train_in_page(page, args.seed, probe=probe)
                run["params"] = page_model(page)
                browser_runs.append(run)
                rss = [s.get("renderer_rss_mb") for s in run["samples"]]
                wasm = [s.get("worker_wasm_mb") for s in run["samples"]]
                note(f"  pynn, browser: {run['elapsed']:.2f} s training ({run['wall_s']:.2f} s submit → done"
                     f"{', incl. loading MNIST into the worker' if round_ == 0 else ''}), accuracy "
                     f"{run['accuracies'][-1] if run['accuracies'] else '?'}, worker wasm ≤ "
                     f"{fmt(max(filter(None, wasm), default=None), 1)} MB, renderer RSS ≤ "
                     f"{fmt(max(filter(None, rss), default=None), 0)} MB, longest main-thread task "
                     f"{fmt(max((t['duration'] for t in run['longtasks']), default=0), 0)} ms")
                native = native_epoch(args.seed)
                native_runs.append(native)
                note(f"  pynn, native:  {native['elapsed']:.2f} s training, accuracy {native['accuracy']:.4f}, "
                     f"max |Δ weights| vs browser {max_difference(native['params'], run['params']):.3g}")
                for peer in peers:
                    if round_ > 0 and peer_runs[peer] and (peer_runs[peer][0].get("epochSeconds") or 0) > args.slow:
                        continue
                    try:
                        result = run_peer(peer_pages[peer == "tfjs-wasm-threads"], peer, args.seed, args.peer_samples)
                    except Exception as error:
                        result = {"error": str(error).splitlines()[0][:300]}
                    peer_runs[peer].append(result)
                    if "error" in result:
                        note(f"  {peer}: FAILED {result['error']}")
                        continue
                    extra = {k: result[k] for k in ("backend", "threads", "simd", "crossOriginIsolated") if k in result}
                    scaled = f" (scaled from {result['samples']:,} samples)" if result["samples"] < 50_000 else ""
                    note(f"  {peer}: {result['epochSeconds']:.2f} s{scaled}, accuracy {result['accuracy']:.4f}"
                         f"{'  ' + json.dumps(extra) if extra else ''}")
            browser.close()

    summarise(results, browser_runs, native_runs, peer_runs, args)
    results["requests"] = {"count": requests.count, "foreign": requests.foreign[:20],
                           "page_errors": requests.errors[:20]}
    note(f"\nrequests seen: {requests.count}, to hosts other than 127.0.0.1: {len(requests.foreign)}"
         f"{'  ' + str(requests.foreign[:5]) if requests.foreign else ''}; page errors: {len(requests.errors)}"
         f"{'  ' + str(requests.errors[:5]) if requests.errors else ''}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, default=float))
    note(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


def summarise(results: dict, browser_runs: list, native_runs: list, peer_runs: dict, args) -> None:
    browser_s = median(r["elapsed"] for r in browser_runs)
    native_s = median(r["elapsed"] for r in native_runs)
    samples = [s for r in browser_runs for s in r["samples"]]
    peak = {key: max((s[key] for s in samples if s.get(key) is not None), default=None)
            for key in ("worker_wasm_mb", "worker_js_heap_mb", "worker_backing_stores_mb", "renderer_rss_mb",
                        "page_js_heap_mb")}
    longest = max((t["duration"] for r in browser_runs for t in r["longtasks"]), default=0.0)
    accuracy_browser = [float(r["accuracies"][-1]) if r["accuracies"] else None for r in browser_runs]
    accuracy_native = [r["accuracy"] for r in native_runs]
    weights_diff = [max_difference(b["params"], n["params"]) for b, n in zip(browser_runs, native_runs)]
    results["pynn"] = {
        "browser_epoch_s": browser_s, "browser_epoch_runs_s": [r["elapsed"] for r in browser_runs],
        "browser_wall_runs_s": [r["wall_s"] for r in browser_runs],
        "native_epoch_s": native_s, "native_epoch_runs_s": [r["elapsed"] for r in native_runs],
        "browser_native_ratio": browser_s / native_s if browser_s and native_s else None,
        "accuracy_browser": accuracy_browser, "accuracy_native": accuracy_native,
        "max_weight_difference": weights_diff,
        "memory_peak_during_training": peak, "memory_samples": len(samples),
        "longtasks_during_training": [t for r in browser_runs for t in r["longtasks"]], "longest_task_ms": longest,
    }
    peers_summary = {}
    for peer, runs in peer_runs.items():
        good = [r for r in runs if "error" not in r]
        seconds = median(r["epochSeconds"] for r in good)
        peers_summary[peer] = {"epoch_s": seconds, "runs": runs, "accuracy": median(r["accuracy"] for r in good),
                               "samples": good[0]["samples"] if good else None,
                               "pynn_speedup": seconds / browser_s if seconds and browser_s else None}
    results["peers"] = peers_summary

    note("\n" + "=" * 78)
    machine = results["machine"]
    note(f"SUMMARY  (medians; {args.rounds} round(s); load average at start {machine['load_average'][0]:.1f} "
         f"on {machine['cpus']} CPUs)")
    if "load" in results:
        load = results["load"]
        note(f"  load, cold: ready {fmt(load['cold']['ready_s'])} s, first prediction "
             f"{fmt(load['cold']['first_prediction_s'])} s")
        note(f"  load, warm: ready {fmt(load['warm']['ready_s'])} s, first prediction "
             f"{fmt(load['warm']['first_prediction_s'])} s   (target ≤ {TARGETS['warm_load_s']:.0f} s)")
        for name in ("cold", "warm"):
            stages = load[name]["worker_stages_ms"]
            note(f"    {name}, in the worker from its start: Pyodide {fmt(stages['pyodide'], 0)} ms, + numpy and pynn "
                 f"→ {fmt(stages['packages'], 0)} ms, + pretrained model → {fmt(stages['model'], 0)} ms")
    if "latency" in results:
        note(f"  pointer-up → prediction: {fmt(results['latency']['median_page_ms'], 1)} ms "
             f"(target ≤ {TARGETS['latency_ms']:.0f} ms)")
    note(f"  worker memory during training: wasm {fmt(peak['worker_wasm_mb'], 1)} MB + JS heap "
         f"{fmt(peak['worker_js_heap_mb'], 1)} MB; renderer process RSS {fmt(peak['renderer_rss_mb'], 0)} MB "
         f"(target ≤ {TARGETS['memory_mb']:.0f} MB)")
    note(f"  main-thread long tasks during training: {len(results['pynn']['longtasks_during_training'])}, longest "
         f"{longest:.0f} ms (target none > {TARGETS['longtask_ms']:.0f} ms)")
    for run in browser_runs:
        for task in run["longtasks"]:
            after = (task["start"] - run["submitAt"]) / 1000
            note(f"    {task['duration']:.0f} ms, {after:.2f} s after submit (the run took {run['wall_s']:.2f} s)")
    note(f"  accuracy after the epoch: browser {accuracy_browser}, native {accuracy_native}; "
         f"max |Δ weights| {max(weights_diff, default=float('nan')):.3g}")
    note("")
    note(f"  {'one epoch, [784,30,10], mb 10, 50k':<38}{'seconds':>9}{'accuracy':>10}{'pynn-browser ×':>16}")
    note(f"  {'pynn, browser (Pyodide, worker)':<38}{fmt(browser_s):>9}"
         f"{fmt(median(accuracy_browser), 4):>10}{'1.00':>16}")
    note(f"  {'pynn, native':<38}{fmt(native_s):>9}{fmt(median(accuracy_native), 4):>10}"
         f"{fmt(native_s / browser_s if native_s and browser_s else None):>16}")
    for peer, summary in peers_summary.items():
        scaled = " *" if summary["samples"] and summary["samples"] < 50_000 else ""
        note(f"  {peer + scaled:<38}{fmt(summary['epoch_s']):>9}{fmt(summary['accuracy'], 4):>10}"
             f"{fmt(summary['pynn_speedup']):>16}")
    note("  (last column: the contender's time / pynn-browser's; > 1 means pynn in the browser is faster)")
    if any(s["samples"] and s["samples"] < 50_000 for s in peers_summary.values()):
        note("  * trained on fewer samples, time scaled to 50,000")
    single = {p: s for p, s in peers_summary.items() if p in TARGET_PEERS and s["epoch_s"]}
    fastest = min(single, key=lambda p: single[p]["epoch_s"]) if single else None
    note("")
    note(f"  browser / native: {fmt(results['pynn']['browser_native_ratio'])}× "
         f"(target ≤ {TARGETS['browser_native_ratio']:.0f}×)")
    note(f"  browser epoch: {fmt(browser_s)} s (target ≤ {TARGETS['browser_epoch_s']:.1f} s)")
    if fastest:
        note(f"  fastest of {', '.join(p for p in TARGET_PEERS if p in single)}: {fastest}, "
             f"{fmt(single[fastest]['epoch_s'])} s → pynn-browser is "
             f"{fmt(single[fastest]['pynn_speedup'])}× faster (target ≥ {TARGETS['peer_speedup']:.0f}×)")
    if "js-unrolled" in peers_summary:
        note(f"  vs hand-unrolled JS: {fmt(peers_summary['js-unrolled']['pynn_speedup'])}× (target > 1×)")
    if peers_summary.get("js-sparse", {}).get("epoch_s"):
        note(f"  vs hand-written JS with pynn's own sparse first layer (js-sparse): "
             f"{fmt(peers_summary['js-sparse']['pynn_speedup'])}×")
    if peers_summary.get("tfjs-wasm-threads", {}).get("epoch_s"):
        note(f"  (tfjs-wasm-threads runs on a cross-origin-isolated copy of the peers page, with "
             f"{peers_summary['tfjs-wasm-threads']['runs'][0].get('threads')} threads; pynn is single-threaded)")
    results["fastest_single_threaded_peer"] = fastest


if __name__ == "__main__":
    main()
