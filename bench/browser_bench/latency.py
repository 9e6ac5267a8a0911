"""Pointer-up → prediction on a ready page: the page's data-latency-ms, and our own measure."""

from __future__ import annotations

from browser_bench.common import STROKES, draw_stroke, median, poll


def measure_latency(page, strokes: int) -> dict:
    """Pointer-up → prediction over ``strokes`` strokes on a ready page (pad cleared before each)."""
    page_ms, own_ms = [], []
    for k in range(strokes):
        page.get_by_test_id("clear").click()
        before = page.evaluate("() => window.__bench.latencies.length")
        draw_stroke(page, STROKES[k % len(STROKES)])
        record = poll(page, "n => { const b = window.__bench; return b.latencies.length > n && "
                            "{ latency: b.latencies.at(-1), up: b.pointerUps.at(-1) }; }", before, timeout=30)
        page_ms.append(record["latency"]["value"])
        own_ms.append(record["latency"]["at"] - record["up"])
    return {"page_ms": page_ms, "own_ms": own_ms, "median_page_ms": median(page_ms), "median_own_ms": median(own_ms),
            "max_page_ms": max(page_ms), "last_prediction_ms": page.evaluate("() => window.pynnApp.lastPredictionMs")}


