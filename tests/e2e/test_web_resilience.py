"""A worker that dies, and a server that is gone."""

from __future__ import annotations

import urllib.error
import urllib.request

from digits import STROKES
from helpers import READY_TIMEOUT, by_id, clear_pad, draw, open_app, shoot, wait_prediction, wait_ready
from playwright.sync_api import expect


def test_worker_crash_and_restart(app, screenshot_dir):
    page = app.page
    draw(page, STROKES[7])
    assert wait_prediction(page).text == "7"

    page.evaluate("() => window.pynnApp.crash('error')")
    status = by_id(page, "status")
    expect(status).to_have_attribute("data-state", "error", timeout=5_000)
    expect(status).not_to_be_empty()
    restart = page.get_by_role("button", name="Restart")
    expect(restart).to_be_visible()
    print(f"\nafter the crash: {status.inner_text()!r}")
    shoot(page, screenshot_dir, "worker-crashed")

    restart.click()
    wait_ready(page)
    expect(restart).to_be_hidden()
    clear_pad(page)
    draw(page, STROKES[4])
    assert wait_prediction(page).text == "4"
    assert not [e for e in app.monitor.errors if "uncaught" in e], app.monitor.errors


def server_is_down(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return True
    return False


def test_works_offline_after_one_visit(new_context, fresh_server, screenshot_dir):
    server = fresh_server()  # its own origin: its service worker and caches touch no other test
    context = new_context()
    page = context.new_page()
    open_app(page, server.url)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(r => r.active.state === 'activated')",
                           timeout=READY_TIMEOUT)
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
        wait_ready(page)
    assert page.evaluate("() => !!navigator.serviceWorker.controller"), "the service worker does not control the page"

    server.stop()
    assert server_is_down(server.url)
    context.set_offline(True)
    try:
        page.reload()
        wait_ready(page)
        draw(page, STROKES[7])
        assert wait_prediction(page).text == "7"
        shoot(page, screenshot_dir, "offline-predicted-7")
    finally:
        context.set_offline(False)
