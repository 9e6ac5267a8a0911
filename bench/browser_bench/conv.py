"""The page's conv net (pynn.nets.architectures.conv_layers: 20 5×5 filters, 2×2 max-pool, ReLU 100,
softmax 10; log-likelihood, mini-batch 10, η 0.1), one epoch on MNIST training images — or the
first ``samples`` of them, the time extrapolated to 50,000 — trained in the page's worker through
its form, natively with this checkout's pynn (same settings, seed and code path: Session's
network_for and Trainer), by any native contenders the caller adds (PyTorch), and by the conv
peers (ConvNetJS, TensorFlow.js) from the bench-only page bench/peers/ (conv.js), in one
Chromium, in interleaved rounds.  Before training, pointer-up → probabilities with the page's
shipped pretrained model.  bench/conv_epoch.py --browser is the entry point."""

from __future__ import annotations

import functools
import http.server
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.app import model_json
from harness.models import model_in_use
from harness.monitor import Monitor
from harness.server import serving

from browser_bench import RESULTS, ROOT
from browser_bench.common import INIT_SCRIPT, VIEWPORT, build_site, fmt, launch, note, site_matches_checkout, visit
from browser_bench.epoch import train_in_page
from browser_bench.latency import measure_latency
from browser_bench.peers import PeerHandler, install_peers, open_peer_pages, peer_root, run_peer

CONV_PEERS = ["conv-convnetjs", "conv-tfjs-wasm"]
OPTIONAL_CONV_PEERS = ["conv-tfjs-cpu"]  # TensorFlow.js's plain-JavaScript backend (has tf.conv2d's gradients)
EPOCH, HIDDEN, MINIBATCH, ETA = 50_000, 100, 10, 0.1
LATENCY_TARGET_MS = 50.0


def conv_settings(samples: int) -> dict:
    """The form's settings, by pynn's names (cost and init apply to "mlp" only)."""
    return {"architecture": "conv", "hidden": [HIDDEN], "cost": "quadratic", "init": "standard", "epochs": 1,
            "minibatch_size": MINIBATCH, "eta": ETA, "lmbda": 0, "train_size": samples, "augment": "off"}


def pretrained_summary() -> str:
    from pynn.files import modelfile
    from pynn.nets.architectures import summary

    return summary(modelfile.load(ROOT / "web" / "models" / "pretrained.json"))


def params_of(network) -> list:
    from pynn.files import modelfile

    return modelfile.spec_and_params(network)[1]


@functools.lru_cache(maxsize=1)
def native_data():
    from pynn.data import mnist

    return mnist.load_dataset("train"), mnist.load_dataset("test")


def native_conv_epoch(seed: int, samples: int) -> dict:
    """What Session.start_training and train_chunk do for the page's settings, in one go."""
    from pynn.nets.architectures import network_for
    from pynn.page.settings import check_settings
    from pynn.training.evaluation import count_correct
    from pynn.training.trainer import Trainer

    train, test = native_data()
    settings = check_settings({**conv_settings(samples), "seed": seed})
    network = network_for(settings)
    trainer = Trainer(network, train.subset(samples), 1, MINIBATCH, ETA, lmbda=0.0)
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"elapsed": wall, "cpu_s": cpu, "accuracy": count_correct(network, test) / len(test),
            "params": params_of(network)}


def page_epoch(page, seed: int, samples: int) -> dict:
    run = train_in_page(page, seed, settings=conv_settings(samples), timeout=3600.0)
    from pynn.files import modelfile

    run["params"] = params_of(modelfile.loads(model_json(page, "yours")))
    return run


def max_difference(a: list, b: list) -> float:
    return max(float(abs(x - y).max()) for x, y in zip(a, b))


def conv_rounds(page, peer_pages: dict, natives: dict[str, Callable], args, scale: float) -> dict:
    """Interleaved rounds: the page, pynn natively, the caller's native contenders, each peer.
    Every entry's "s" is measured seconds for ``args.samples`` images (× scale → per epoch)."""
    runs: dict[str, list[dict]] = {"pynn, page (Pyodide, worker)": [], "pynn, native": [],
                                   **{name: [] for name in natives}, **{peer: [] for peer in args.peer_list}}
    for r in range(args.rounds):
        note(f"\n— round {r + 1} of {args.rounds}")
        page_run = page_epoch(page, args.seed, args.samples)
        accuracy = float(page_run["accuracies"][-1]) if page_run["accuracies"] else None
        runs["pynn, page (Pyodide, worker)"].append({"s": page_run["elapsed"], "wall_s": page_run["wall_s"],
                                                      "accuracy": accuracy})
        note(f"  pynn, page: {page_run['elapsed']:.2f} s training ({page_run['wall_s']:.2f} s submit → done, with "
             f"the 10,000-image test{', and loading MNIST into the worker' if r == 0 else ''}), accuracy {accuracy}")
        native = native_conv_epoch(args.seed, args.samples)
        difference = max_difference(native["params"], page_run["params"])
        runs["pynn, native"].append({"s": native["elapsed"], "cpu_s": native["cpu_s"], "accuracy": native["accuracy"],
                                     "max_weight_difference": difference})
        note(f"  pynn, native: {native['elapsed']:.2f} s ({native['cpu_s']:.2f} s CPU), accuracy "
             f"{native['accuracy']:.4f}, max |Δ weights| vs the page {difference:.3g}")
        for name, contender in natives.items():
            wall, cpu = contender()
            runs[name].append({"s": wall, "cpu_s": cpu})
            note(f"  {name}: {wall:.2f} s ({cpu:.2f} s CPU)")
        for peer in args.peer_list:
            if r > 0 and runs[peer] and (runs[peer][0].get("s") or 0) > args.slow:
                continue
            try:
                result = run_peer(peer_pages[False], peer, args.seed, args.samples)
                keep = ("backend", "version", "simd", "threads", "conv", "testCount")
                runs[peer].append({"s": result["seconds"], "accuracy": result["accuracy"],
                                   **{k: result[k] for k in keep if k in result}})
                note(f"  {peer}: {result['seconds']:.2f} s, accuracy {result['accuracy']:.4f} "
                     f"(first {result['testCount']:,} test images)"
                     + "".join(f", {k} {result[k]}" for k in ("backend", "simd", "conv") if k in result))
            except Exception as error:  # report, go on
                runs[peer].append({"error": str(error).splitlines()[0][:300]})
                note(f"  {peer}: FAILED {runs[peer][-1]['error']}")
    return runs


def summarise(results: dict, runs: dict, scale: float, args) -> None:
    page_name = "pynn, page (Pyodide, worker)"
    medians = {}
    for name, entries in runs.items():
        good = [e for e in entries if "s" in e]
        medians[name] = statistics.median(e["s"] for e in good) * scale if good else None
    results["epoch_s"] = medians
    base = medians[page_name]
    results["contender_over_page"] = {k: v / base if v and base else None for k, v in medians.items()}
    note("\n" + "=" * 78)
    machine = results["machine"]
    note(f"SUMMARY  (medians of {args.rounds} interleaved round(s); load average at start "
         f"{machine['load_average'][0]:.1f} on {machine['cpus']} CPUs)")
    extrapolated = f"timed on {args.samples:,} images, ×{scale:g} → extrapolated to 50,000" if scale != 1 else \
        "the full 50,000 images"
    note(f"  one epoch of the page's conv net (20 5×5 + 2×2 max-pool → ReLU 100 → softmax 10), mb {MINIBATCH}, "
         f"η {ETA}: {extrapolated}")
    note(f"  {'':<34}{'s/epoch':>9}{'accuracy':>10}{'÷ pynn-page':>13}")
    for name, seconds in medians.items():
        accuracy = statistics.median([e["accuracy"] for e in runs[name] if e.get("accuracy") is not None] or [0]) \
            if any(e.get("accuracy") is not None for e in runs[name]) else None
        note(f"  {name:<34}{fmt(seconds):>9}{fmt(accuracy, 4):>10}"
             f"{fmt(results['contender_over_page'][name]):>13}")
    note("  (last column: the contender's time / pynn-page's; > 1 means pynn in the page is faster.  Accuracy:\n"
         "   page and native on the 10,000 test images, the peers on the first 2,000 of them)")
    differences = [e["max_weight_difference"] for e in runs["pynn, native"]]
    note(f"  page vs native, same seed and settings: max |Δ weights| {max(differences):.3g}")
    for peer in (p for p in args.peer_list if p in medians and medians[p]):
        verdict = "faster" if medians[peer] > base else "slower"
        note(f"  pynn-page vs {peer}: {fmt(medians[peer] / base)}× → pynn in the page is {verdict}")
    latency = results.get("latency")
    if latency:
        note(f"  pointer-up → probabilities, pretrained model ({results['pretrained']}): median "
             f"{fmt(latency['median_page_ms'], 1)} ms (page's data-latency-ms), {fmt(latency['median_own_ms'], 1)} ms "
             f"(pointerup → DOM), max {fmt(latency['max_page_ms'], 1)} ms over {len(latency['page_ms'])} strokes "
             f"(target ≤ {LATENCY_TARGET_MS:.0f} ms)")


def run(args, natives: dict[str, Callable]) -> None:
    """The whole browser run.  ``args``: samples, rounds, seed, strokes, peer_list, slow, no_build, output."""
    from playwright.sync_api import sync_playwright

    from buildtools.server import make_server

    if args.peer_list:
        install_peers()
    scale = EPOCH / args.samples
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                 "load_average": os.getloadavg()},
                     "settings": {**conv_settings(args.samples), "seed": args.seed, "scale": scale}}
    with tempfile.TemporaryDirectory(prefix="pynn-conv-bench-") as tmp, sync_playwright() as playwright:
        site = build_site(not args.no_build, Path(tmp) / "site")
        if site_matches_checkout(site) is False:
            note("WARNING: site/'s pynn wheel differs from this checkout's pynn/ (rebuild with python3 build.py)")
        site_server = make_server("127.0.0.1", 0, site)
        peer_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
            PeerHandler, directory=str(peer_root(Path(tmp), site) if args.peer_list else tmp)))
        with serving(site_server) as site_url, serving(peer_server) as peer_url:
            monitor = Monitor(None, (site_url.rstrip("/"), peer_url.rstrip("/")), intercept=False)
            browser = launch(playwright)
            results["chromium"] = browser.version
            note(f"Chromium {browser.version}; site {site_url}; peers {peer_url}peers/")
            context = browser.new_context(viewport=VIEWPORT)
            monitor.watch(context)
            context.add_init_script(INIT_SCRIPT)
            page, record = visit(context, site_url)
            results["pretrained"] = f"{pretrained_summary()}; the page's model in use: {model_in_use(page)}"
            note(f"  page ready {record['ready_s']:.2f} s after navigation")
            if args.strokes:
                note(f"— pointer-up → probabilities, pretrained model, {args.strokes} strokes")
                results["latency"] = measure_latency(page, args.strokes)
                note(f"  median {fmt(results['latency']['median_page_ms'], 1)} ms")
            peer_pages = open_peer_pages(browser, peer_url, args.peer_list, monitor) if args.peer_list else {}
            runs = conv_rounds(page, peer_pages, natives, args, scale)
            browser.close()
    results["runs"] = runs
    summarise(results, runs, scale, args)
    results["requests"] = {"count": len(monitor.requests), "foreign": monitor.foreign[:20],
                           "page_errors": monitor.errors[:20]}
    note(f"\nrequests seen: {len(monitor.requests)}, to hosts other than 127.0.0.1: {len(monitor.foreign)}; "
         f"page errors: {len(monitor.errors)}{'  ' + str(monitor.errors[:3]) if monitor.errors else ''}")
    output = args.output or RESULTS / "conv_browser.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1, default=float))
    note(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
