"""The page gets ready from its own origin alone, without errors."""

from __future__ import annotations

import time
import urllib.request

from helpers import READY_TIMEOUT, Monitor, by_id, wait_ready
from playwright.sync_api import expect


def test_ready_with_no_other_origin_and_no_errors(new_context, site_server):
    context = new_context()
    # Served without its Content-Security-Policy, so that anything the page, its worker or its
    # service worker would fetch from elsewhere shows up as a request (and is aborted) here.
    monitor = Monitor(context, site_server.origin, strip_csp=True)
    page = context.new_page()

    started = time.perf_counter()
    page.goto(site_server.url)
    expect(by_id(page, "status")).to_have_attribute("data-state", "loading", timeout=10_000)
    wait_ready(page)
    ready_seconds = time.perf_counter() - started
    timings = page.evaluate("() => window.pynnApp && window.pynnApp.timings")
    print(f"\nnavigation → ready: {ready_seconds:.2f} s; the page's own timings (ms): {timings}")

    expect(by_id(page, "status")).not_to_be_empty()
    assert page.evaluate("() => typeof window.pynnApp === 'object' && !!window.pynnApp.bridge"), \
        "window.pynnApp.bridge is missing"
    # The service worker installs (and precaches) after load: its requests count too.
    has_service_worker = page.evaluate("() => 'serviceWorker' in navigator && "
                                       "navigator.serviceWorker.getRegistration().then(r => !!r)")
    if has_service_worker:
        page.wait_for_function("() => navigator.serviceWorker.ready.then(r => !!r.active)", timeout=READY_TIMEOUT)
        page.wait_for_function("() => navigator.serviceWorker.ready.then(r => r.active.state === 'activated')",
                               timeout=READY_TIMEOUT)
    time.sleep(0.5)

    urls = [url for _, _, url in monitor.requests]
    sources = monitor.sources()
    print(f"requests: {len(urls)} by source {sources}; workers: {monitor.workers}")
    # The watch really covers the worker (it fetches Pyodide, the model) and the service worker.
    for needed in ("pyodide/pyodide.asm.wasm", "models/pretrained.npz"):
        assert any(url.endswith(needed) for url in urls), f"no request for {needed} was seen: {urls}"
    assert any(kind == "worker" for kind, _ in monitor.workers), f"no dedicated worker started: {monitor.workers}"
    if has_service_worker:
        assert sources.get("service worker", 0) > 0, "the service worker's requests were not seen"
    monitor.assert_clean()


def test_served_with_a_strict_content_security_policy(site_server):
    """The second line of defence: the browser itself refuses any other origin."""
    for path in ("", "worker.js", "pyodide/pyodide.mjs"):
        with urllib.request.urlopen(site_server.url + path) as response:
            policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy, f"/{path}: {policy!r}"
