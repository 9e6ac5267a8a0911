"""How the page starts: each boot path reaches ready, and the pad works from the first moment.

A returning visitor's browser keeps a memory snapshot of a started Python in Cache
Storage (web/snapshot.js); these tests use persistent profiles, as a returning user has,
and check the path each start took through window.pynnApp.timings and the status line.
No timings are asserted (bench/browser_load.py measures them).
"""

from __future__ import annotations

import time

import pytest
from harness.app import by_id, wait_ready
from harness.digits import STROKES
from harness.drawing import draw
from harness.monitor import Monitor
from harness.predictions import wait_prediction
from playwright.sync_api import expect

SNAPSHOT_CACHE = "python-snapshot"
SNAPSHOT_WAIT = 90  # s: the snapshot is made in the background, a few seconds after ready


def open_profile(browser_type, launch_args, profile):
    context = browser_type.launch_persistent_context(str(profile), **launch_args,
                                                     viewport={"width": 1280, "height": 900})
    return context, (context.pages[0] if context.pages else context.new_page())


def boot_path(page) -> str:
    return page.evaluate("() => window.pynnApp.timings.boot")


def stored_snapshots(page) -> list[str]:
    return page.evaluate(f"() => caches.open('{SNAPSHOT_CACHE}').then(c => c.keys()).then(k => k.map(r => r.url))")


def wait_for_snapshot(page) -> str:
    deadline = time.monotonic() + SNAPSHOT_WAIT
    while time.monotonic() < deadline:
        if keys := stored_snapshots(page):
            return keys[0]
        time.sleep(0.5)
    raise AssertionError(f"no snapshot was stored within {SNAPSHOT_WAIT} s")


def first_visit(browser_type, launch_args, profile, url) -> str:
    """A first visit in ``profile``: ready by a normal start, then a snapshot stored; its key."""
    context, page = open_profile(browser_type, launch_args, profile)
    Monitor(context, url.rstrip("/"), intercept=False)  # watched only: routing slows the first visit's service worker
    try:
        page.goto(url)
        wait_ready(page)
        assert boot_path(page) == "normal"
        expect(by_id(page, "status")).to_contain_text("normal start")
        return wait_for_snapshot(page)
    finally:
        context.close()


def test_a_return_visit_restores_the_snapshot(browser_type, browser_type_launch_args, site_server, tmp_path):
    profile = tmp_path / "profile"
    key = first_visit(browser_type, browser_type_launch_args, profile, site_server.url)

    context, page = open_profile(browser_type, browser_type_launch_args, profile)
    try:
        monitor = Monitor(context, site_server.origin)
        wasm = []  # whether each pyodide.asm.wasm came from the service worker
        context.on("response", lambda r: r.url.endswith("/pyodide.asm.wasm") and wasm.append(r.from_service_worker))
        page.goto(site_server.url)
        wait_ready(page)
        timings = page.evaluate("() => window.pynnApp.timings")
        print(f"\nreturn visit: {timings}")
        assert timings["boot"] == "snapshot" and timings["worker"]["path"] == "snapshot", timings
        assert page.evaluate("() => !!navigator.serviceWorker.controller"), "the service worker does not control it"
        # With the server up, the wasm is left to the HTTP cache, where V8 keeps its compiled code.
        assert wasm == [False], wasm
        expect(by_id(page, "status")).to_contain_text("from a snapshot")
        for stage in ("lookup", "python", "packages", "imports", "model"):
            assert isinstance(timings["worker"][stage], int), timings
        # The restored Python runs numpy and pynn: a digit is read.
        draw(page, STROKES[7])
        assert wait_prediction(page).text == "7"
        assert stored_snapshots(page) == [key]  # used, not made again
        monitor.assert_clean()
    finally:
        context.close()


# Rewrites the stored snapshot in the page (same origin, same Cache Storage as the worker).
SPOIL = """async (how) => {
  const cache = await caches.open('SNAPSHOT_CACHE');
  const [request] = await cache.keys();
  const stored = await cache.match(request);
  const bytes = new Uint8Array(await stored.arrayBuffer());
  const headers = Object.fromEntries(stored.headers.entries());
  if (how === 'another build') {  // a good snapshot, kept under another site version's key
    await cache.delete(request);
    await cache.put(request.url.replace(/site-[^/]+$/, 'site-another'), new Response(bytes, { headers }));
    return;
  }
  if (how === 'corrupt') {
    bytes.fill(7, 4096, 8192);  // damaged heap; the stored checksum no longer matches
  } else {
    bytes[20] ^= 0xff;  // another Pyodide build's id, with a checksum that matches the bytes
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    headers['x-snapshot-sha256'] = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  await cache.put(request, new Response(bytes, { headers }));
}""".replace("SNAPSHOT_CACHE", SNAPSHOT_CACHE)


# Why each bad snapshot was not used (window.pynnApp.timings.worker): tried and refused, or not tried.
REFUSED = {"corrupt": ("snapshotError", "the stored snapshot does not match its checksum"),
           "mismatched": ("snapshotError", "Snapshot build id mismatch"),  # Pyodide's own check
           "another build": ("snapshotSkipped", "the stored snapshot is another build's")}


@pytest.mark.parametrize("how", list(REFUSED))
def test_a_bad_snapshot_boots_normally_without_a_word(browser_type, browser_type_launch_args, site_server,
                                                      tmp_path, how):
    profile = tmp_path / "profile"
    key = first_visit(browser_type, browser_type_launch_args, profile, site_server.url)

    context, page = open_profile(browser_type, browser_type_launch_args, profile)
    monitor = Monitor(context, site_server.origin)
    try:
        page.goto(site_server.url)
        wait_ready(page)
        page.evaluate(SPOIL, how)
        page.reload()
        wait_ready(page)
        timings = page.evaluate("() => window.pynnApp.timings")
        print(f"\n{how} snapshot: {timings}")
        assert timings["boot"] == "normal", timings
        field, reason = REFUSED[how]
        assert timings["worker"].get(field, "").startswith(reason), timings
        other = ({"snapshotError", "snapshotSkipped"} - {field}).pop()
        assert other not in timings["worker"], timings  # one reason, the right one
        status = by_id(page, "status")
        expect(status).to_have_attribute("data-state", "ready")
        expect(status).to_contain_text("normal start")
        expect(status).not_to_contain_text("snapshot")
        draw(page, STROKES[1])
        assert wait_prediction(page).text == "1"
        # The bad one is dropped and this build's made again in the background.
        deadline = time.monotonic() + SNAPSHOT_WAIT
        while stored_snapshots(page) != [key] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert stored_snapshots(page) == [key]
        monitor.assert_clean()
    finally:
        context.close()


def test_ready_without_cache_storage(browser_type, browser_type_launch_args, site_server):
    """An origin that is not a secure context has no Cache Storage (nor crypto.subtle, nor a
    service worker) in the page and in its workers alike: the page starts normally there.
    (An init script that deletes window.caches would not reach the workers, where the
    snapshot is looked up and made.)"""
    port = site_server.httpd.server_port
    args = [*browser_type_launch_args["args"], "--host-resolver-rules=MAP pynn.test 127.0.0.1"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        context = browser.new_context()
        monitor = Monitor(context, f"http://pynn.test:{port}")
        page = context.new_page()
        page.goto(f"http://pynn.test:{port}/")
        assert page.evaluate("() => typeof caches === 'undefined' && !isSecureContext")
        wait_ready(page)
        assert boot_path(page) == "normal"
        expect(by_id(page, "status")).to_contain_text("normal start")
        draw(page, STROKES[7])
        assert wait_prediction(page).text == "7"
        monitor.assert_clean()
    finally:
        browser.close()


def test_a_digit_drawn_before_ready_is_predicted_once_ready(new_context, site_server):
    context = new_context()
    monitor = Monitor(context, site_server.origin)
    page = context.new_page()
    page.goto(site_server.url)
    draw(page, STROKES[7])  # as soon as the pad is there
    assert by_id(page, "status").get_attribute("data-state") == "loading", "ready before the drawing was done"
    expect(by_id(page, "prediction")).to_have_text("")
    wait_ready(page)
    assert wait_prediction(page).text == "7"
    monitor.assert_clean()
