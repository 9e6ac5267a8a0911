"""The summary: medians of every part, next to the targets."""

from __future__ import annotations

from browser_bench.common import fmt, median, note
from browser_bench.epoch import max_difference
from browser_bench.peers import TARGET_PEERS

TARGETS = {"browser_epoch_s": 3.0, "peer_speedup": 2.0, "warm_load_s": 3.0, "latency_ms": 50.0,
           "memory_mb": 256.0, "longtask_ms": 50.0, "browser_native_ratio": 4.0}


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
            note(f"    {name}, in the worker (ms per stage): listing {fmt(stages['listing'], 0)}, Python "
                 f"{fmt(stages['python'], 0)}, numpy and pynn {fmt(stages['packages'], 0)}, imports "
                 f"{fmt(stages['imports'], 0)}, pretrained model {fmt(stages['model'], 0)}")
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


