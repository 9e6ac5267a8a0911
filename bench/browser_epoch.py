"""pynn in the browser, measured: loading, drawing, one training epoch, and the peers, side by side.

    .venv/bin/python bench/browser_epoch.py [--rounds 3] [--no-build] [--skip-load] [--skip-peers]

One run, no asserts; it prints every figure and writes them to bench/results/browser_epoch.json.
This is the entry point; the parts are in bench/browser_bench/ (load, latency, epoch, peers,
probe, summary), and the page is driven with the end-to-end tests' harness (tests/e2e/harness).

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
import functools
import http.server
import json
import os
import platform
import tempfile
from pathlib import Path

from browser_bench import RESULTS, ROOT
from browser_bench.common import INIT_SCRIPT, VIEWPORT, build_site, fmt, launch, note, site_matches_checkout, visit
from browser_bench.epoch import max_difference, native_epoch, page_model, train_in_page
from browser_bench.latency import measure_latency
from browser_bench.load import measure_loads
from browser_bench.peers import (
    OPTIONAL_PEERS,
    PEER_NAMES,
    PeerHandler,
    install_peers,
    open_peer_pages,
    peer_root,
    run_peer,
)
from browser_bench.summary import TARGETS, summarise
from harness.monitor import Monitor
from harness.server import serving


def arguments() -> argparse.Namespace:
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
    args.peer_list = [] if args.skip_peers else [p for p in args.peers.split(",") if p]
    unknown = set(args.peer_list) - set(PEER_NAMES + OPTIONAL_PEERS)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}; choose from {PEER_NAMES + OPTIONAL_PEERS}")
    return args


def training_page(browser, site_url: str, monitor: Monitor, results: dict, args):
    """A warm page (service worker in control) with a memory probe; latency measured on it."""
    note("\n— the page for training (warm, service worker in control)")
    context = browser.new_context(viewport=VIEWPORT)
    monitor.watch(context)
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
    return page, probe


def rounds(page, probe, peer_pages: dict, args) -> tuple[list, list, dict]:
    """Interleaved rounds: pynn in the page, pynn natively, then each peer."""
    peers = args.peer_list
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
    return browser_runs, native_runs, peer_runs


def main() -> None:
    args = arguments()
    peers = args.peer_list

    from playwright.sync_api import sync_playwright

    from buildtools.server import make_server

    if peers:
        install_peers()
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                 "load_average": os.getloadavg()},
                     "settings": {"sizes": [784, 30, 10], "minibatch": 10, "eta": 3.0, "cost": "quadratic",
                                  "init": "standard", "lmbda": 0.0, "train_size": 50_000, "seed": args.seed},
                     "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="pynn-bench-") as tmp, sync_playwright() as playwright:
        site = build_site(not args.no_build, Path(tmp) / "site")
        results["site_matches_checkout"] = site_matches_checkout(site)
        if results["site_matches_checkout"] is False:
            note("WARNING: site/'s pynn wheel differs from this checkout's pynn/: the browser and native runs use "
                 "different code (rebuild with python3 build.py)")
        site_server = make_server("127.0.0.1", 0, site)
        peer_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
            PeerHandler, directory=str(peer_root(Path(tmp), site) if peers else tmp)))
        with serving(site_server) as site_url, serving(peer_server) as peer_url:
            # Watched, not intercepted: routing every request would cost time in the figures.
            monitor = Monitor(None, (site_url.rstrip("/"), peer_url.rstrip("/")), intercept=False)
            browser = launch(playwright)
            results["chromium"] = browser.version
            note(f"Chromium {browser.version}; site {site_url}; peers {peer_url}peers/")
            if not args.skip_load:
                note("\n— loading (times from navigation start)")
                results["load"] = measure_loads(browser, site_url, args.loads, args.warm, monitor)
            page, probe = training_page(browser, site_url, monitor, results, args)
            peer_pages = open_peer_pages(browser, peer_url, peers, monitor) if peers else {}
            browser_runs, native_runs, peer_runs = rounds(page, probe, peer_pages, args)
            browser.close()

    summarise(results, browser_runs, native_runs, peer_runs, args)
    results["requests"] = {"count": len(monitor.requests), "foreign": monitor.foreign[:20],
                           "page_errors": monitor.errors[:20]}
    note(f"\nrequests seen: {len(monitor.requests)}, to hosts other than 127.0.0.1: {len(monitor.foreign)}"
         f"{'  ' + str(monitor.foreign[:5]) if monitor.foreign else ''}; page errors: {len(monitor.errors)}"
         f"{'  ' + str(monitor.errors[:5]) if monitor.errors else ''}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, default=float))
    note(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
