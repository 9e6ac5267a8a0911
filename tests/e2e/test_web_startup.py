"""How the page starts: a first visit, a return visit (the service worker in control, the wasm
left to the HTTP cache where V8 keeps its compiled code), without Cache Storage, and a digit drawn
before ready.  These tests use persistent profiles, as a returning user has.  There is no Python
snapshot any more: the cache older builds kept one in is dropped.  No timings are asserted
(bench/browser_load.py measures them).
"""

from __future__ import annotations

import re
import time

import pytest
from harness.app import by_id, wait_ready
from harness.digits import STROKES
from harness.drawing import draw, wait_pad_takes_input
from harness.monitor import Monitor
from harness.predictions import wait_prediction
from playwright.sync_api import expect

LEFTOVER_CACHE = "python-snapshot"  # where builds with a Python snapshot kept it
STAGES = ("listing", "python", "packages", "imports", "model")


def open_profile(browser_type, launch_args, profile):
    context = browser_type.launch_persistent_context(str(profile), **launch_args,
                                                     viewport={"width": 1280, "height": 900})
    return context, (context.pages[0] if context.pages else context.new_page())


def first_visit(browser_type, launch_args, profile, url, before_leaving: str | None = None):
    """A first visit in ``profile``, left once the service worker has cached the site; the
    script ``before_leaving`` runs in the page first, and its value is returned."""
    context, page = open_profile(browser_type, launch_args, profile)
    Monitor(context, url.rstrip("/"), intercept=False)  # watched only: routing slows the service worker's caching
    try:
        page.goto(url)
        wait_ready(page)
        page.evaluate("() => window.pynnApp.offlineReady")
        return page.evaluate(before_leaving) if before_leaving else None
    finally:
        context.close()


def test_a_return_visit_is_served_by_the_service_worker_with_the_wasm_left_compiled(
        browser_type, browser_type_launch_args, site_server, tmp_path):
    profile = tmp_path / "profile"
    first_visit(browser_type, browser_type_launch_args, profile, site_server.url)

    context, page = open_profile(browser_type, browser_type_launch_args, profile)
    try:
        monitor = Monitor(context, site_server.origin)
        wasm = []  # whether each pyodide.asm.wasm came from the service worker
        context.on("response", lambda r: r.url.endswith("/pyodide.asm.wasm") and wasm.append(r.from_service_worker))
        page.goto(site_server.url)
        wait_ready(page)
        timings = page.evaluate("() => window.pynnApp.timings")
        print(f"\nreturn visit: {timings}")
        assert page.evaluate("() => !!navigator.serviceWorker.controller"), "the service worker does not control it"
        # With the server up, the wasm is left to the HTTP cache, where V8 keeps its compiled code.
        assert wasm == [False], wasm
        for stage in STAGES:
            assert isinstance(timings["worker"][stage], int), timings
        expect(by_id(page, "status")).to_contain_text("Python")
        draw(page, STROKES[7])
        assert wait_prediction(page).text == "7"
        monitor.assert_clean()
    finally:
        context.close()


# What an older build left in a returning visitor's browser: its Python snapshot, 21 MB.
LEAVE_A_SNAPSHOT = f"""async () => {{
  const cache = await caches.open('{LEFTOVER_CACHE}');
  await cache.put('python-snapshot/pyodide-0.27.7/site-old', new Response(new Uint8Array(1 << 20)));
  return caches.has('{LEFTOVER_CACHE}');
}}"""


def test_the_snapshot_an_older_build_left_is_dropped(browser_type, browser_type_launch_args, site_server,
                                                     tmp_path):
    profile = tmp_path / "profile"
    left = first_visit(browser_type, browser_type_launch_args, profile, site_server.url,
                       before_leaving=LEAVE_A_SNAPSHOT)
    assert left, "the leftover was not there to drop"

    context, page = open_profile(browser_type, browser_type_launch_args, profile)
    try:
        monitor = Monitor(context, site_server.origin)
        page.goto(site_server.url)
        wait_ready(page)
        deadline = time.monotonic() + 10
        while page.evaluate(f"() => caches.has('{LEFTOVER_CACHE}')"):
            assert time.monotonic() < deadline, "the leftover snapshot cache was kept"
            time.sleep(0.2)
        draw(page, STROKES[1])
        assert wait_prediction(page).text == "1"
        monitor.assert_clean()
    finally:
        context.close()


# On an origin that is not potentially trustworthy Chromium ignores the server's COOP header and
# says so in the console: the page is then not cross-origin isolated, and shares by messages.
COOP_IGNORED = re.escape("Cross-Origin-Opener-Policy header has been ignored, because the URL's origin was "
                         "untrustworthy")


@pytest.mark.provokes_errors(COOP_IGNORED)
def test_ready_without_cache_storage(browser_type, browser_type_launch_args, site_server):
    """An origin that is not a secure context has no Cache Storage (nor crypto.subtle, nor a
    service worker, nor cross-origin isolation) in the page and in its workers alike: the page
    starts normally there. (An init script that deletes window.caches would not reach the
    workers, where the leftover snapshot cache is dropped.)"""
    port = site_server.httpd.server_port
    args = [*browser_type_launch_args["args"], "--host-resolver-rules=MAP pynn.test 127.0.0.1"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        context = browser.new_context()
        monitor = Monitor(context, f"http://pynn.test:{port}")
        page = context.new_page()
        page.goto(f"http://pynn.test:{port}/")
        assert page.evaluate("() => typeof caches === 'undefined' && !isSecureContext && !crossOriginIsolated")
        wait_ready(page)
        expect(by_id(page, "status")).to_contain_text("Python")
        draw(page, STROKES[7])
        assert wait_prediction(page).text == "7"
        monitor.assert_clean(allow_errors=(COOP_IGNORED,))
    finally:
        browser.close()


def test_a_digit_drawn_before_ready_is_predicted_once_ready(new_context, site_server):
    context = new_context()
    monitor = Monitor(context, site_server.origin)
    page = context.new_page()
    page.goto(site_server.url)
    wait_pad_takes_input(page)
    draw(page, STROKES[7])  # as soon as the pad takes it
    assert by_id(page, "status").get_attribute("data-state") == "loading", "ready before the drawing was done"
    expect(by_id(page, "prediction")).to_have_text("")
    wait_ready(page)
    assert wait_prediction(page).text == "7"
    monitor.assert_clean()
