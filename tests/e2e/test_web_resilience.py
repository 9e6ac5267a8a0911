"""A worker that crashes for real (three ways) and a Restart; a server that is gone, with the
page still predicting and training offline."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from harness.app import by_id, crash, open_app, set_watchdog_ms, shoot, wait_ready, wait_service_worker
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.monitor import Monitor
from harness.predictions import wait_prediction
from harness.training import train
from playwright.sync_api import expect

SHORT_WATCHDOG_MS = 3_000
USUAL_WATCHDOG_MS = 60_000


def predicts(page, digit: int) -> None:
    clear_pad(page)
    draw(page, STROKES[digit])
    assert wait_prediction(page).text == str(digit)


@pytest.mark.parametrize("kind", ["error", "fatal", "hang"])
def test_worker_crash_and_restart(module_app, kind, screenshot_dir):
    """window.pynnApp.crash(kind) makes the worker fail for real: "error" throws an uncaught error
    in it (the Worker's error event), "fatal" has it post a fatal message, "hang" makes it stop
    answering (found by the page's watchdog, shortened for the test).  Each shows the error
    state; Restart brings the page back to ready, predicting."""
    page = module_app.page
    predicts(page, 7)
    if kind == "hang":
        set_watchdog_ms(page, SHORT_WATCHDOG_MS)
    crash(page, kind)
    if kind == "hang":
        clear_pad(page)
        draw(page, STROKES[1])  # a request the silent worker does not answer
    status = by_id(page, "status")
    expect(status).to_have_attribute("data-state", "error", timeout=SHORT_WATCHDOG_MS + 10_000)
    expect(status).not_to_be_empty()
    restart = page.get_by_role("button", name="Restart")
    expect(restart).to_be_visible()
    print(f"\nafter crash({kind!r}): {status.inner_text()!r}")
    shoot(page, screenshot_dir, f"worker-crashed-{kind}")
    if kind == "hang":
        set_watchdog_ms(page, USUAL_WATCHDOG_MS)

    restart.click()
    wait_ready(page)
    expect(restart).to_be_hidden()
    predicts(page, 4)
    page_errors = [e for e in module_app.monitor.errors if e.startswith("page: uncaught")]
    assert not page_errors, page_errors


def server_is_down(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return True
    return False


def test_works_offline_after_one_visit(new_context, fresh_server, screenshot_dir):
    """After one visit the service worker has everything: with the server stopped and the
    browser offline, the page loads, predicts, and trains a short run."""
    server = fresh_server()  # its own origin: its service worker and caches touch no other test
    context = new_context()
    Monitor(context, server.origin, intercept=False)  # watched, not routed: offline is the browser's own
    page = context.new_page()
    open_app(page, server.url)
    registration = wait_service_worker(page)
    if not registration["controlled"]:
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

        final = train(page, train_size=5000, epochs=1, seed=1)
        accuracy = float(by_id(page, "accuracy").text_content())
        print(f"\noffline: trained {final.get('batchesPerEpoch')} mini-batches, test accuracy {accuracy}")
        assert final["done"] == "true" and final["batchesPerEpoch"] == "500", final
        assert accuracy > 0.6, f"the offline run reached only {accuracy}"
    finally:
        context.set_offline(False)


def test_works_with_the_server_gone_while_online(new_context, fresh_server):
    """The server is gone but the browser is online: the service worker, which leaves
    pyodide.asm.wasm to the network only while the server answers with this version, serves
    it from its cache with the rest, and the page starts and predicts."""
    server = fresh_server()
    context = new_context()
    Monitor(context, server.origin, intercept=False)
    page = context.new_page()
    open_app(page, server.url)
    wait_service_worker(page)
    wasm = []  # whether each pyodide.asm.wasm came from the service worker
    context.on("response", lambda r: r.url.endswith("/pyodide.asm.wasm") and wasm.append(r.from_service_worker))
    page.reload()  # a start under the service worker, which sees the server up
    wait_ready(page)
    server.stop()
    assert server_is_down(server.url)
    page.reload()  # seconds later
    wait_ready(page)
    assert wasm == [False, True], wasm
    predicts(page, 7)
    assert all(wasm[2:]), wasm  # the prediction worker, started by the drawing: from the cache too
