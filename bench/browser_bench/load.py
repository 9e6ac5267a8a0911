"""Loading: navigation → ready and → first prediction, cold (a fresh browser context) and warm
(another visit in the same context, with the service worker in control)."""

from __future__ import annotations

from harness.monitor import Monitor

from browser_bench.common import INIT_SCRIPT, STROKES, VIEWPORT, median, note, visit


def measure_loads(browser, url: str, contexts: int, warm_visits: int, monitor: Monitor) -> dict:
    cold, warm = [], []
    for n in range(contexts):
        context = browser.new_context(viewport=VIEWPORT)
        monitor.watch(context)
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
        # The worker's own marks (ms from its start): Pyodide up, numpy and pynn loaded, model loaded.
        stages = {stage: median((r.get("timings") or {}).get("worker", {}).get(stage) for r in records)
                  for stage in ("lookup", "python", "packages", "imports", "model")}
        summary[name] = {"ready_s": median(r["ready_s"] for r in records),
                         "first_prediction_s": median(r["first_prediction_s"] for r in records),
                         "worker_stages_ms": stages, "runs": records}
    return summary
