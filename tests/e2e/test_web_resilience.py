"""A worker that crashes for real (three ways) and a Restart; a server that is gone, with the
page still predicting and training offline."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from harness.app import by_id, crash, open_app, poll, set_watchdog_ms, shoot, wait_ready, wait_service_worker
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.monitor import Monitor
from harness.predictions import wait_prediction
from harness.training import train
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

SHORT_WATCHDOG_MS = 3_000
USUAL_WATCHDOG_MS = 60_000


def predicts(page, digit: int) -> None:
    clear_pad(page)
    draw(page, STROKES[digit])
    assert wait_prediction(page).text == str(digit)


@pytest.mark.parametrize("kind", ["error", "hang"])
def test_worker_crash_and_restart(module_app, kind, screenshot_dir):
    """window.pynnApp.crash(kind) makes the worker fail for real: "error" throws an uncaught error
    in it (the Worker's error event), "hang" makes it stop answering (found by the page's
    watchdog, shortened for the test).  Each shows the error state; Restart brings the page
    back to ready, predicting.  (The fatal path: test_python_that_cannot_start_…)"""
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


CORRUPT_MODEL = "**/models/pretrained.npz"


def test_python_that_cannot_start_says_why_and_restart_starts_it(new_context, site_server):
    """The worker's real fatal path: the model it loads at start is served corrupt, so Python's
    start fails in the worker (not a message a test hook posts); the page shows why, with
    Restart, and once the file is whole again Restart brings it to ready, predicting."""
    context = new_context()
    Monitor(context, site_server.origin)
    served = []

    def corrupt(route) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, body=b"PK\x03\x04 not the model", content_type="application/octet-stream",
                      headers={"cache-control": "no-store"})

    context.route(CORRUPT_MODEL, corrupt)
    page = context.new_page()
    page.goto(site_server.url)
    status = by_id(page, "status")
    expect(status).to_have_attribute("data-state", "error", timeout=120_000)
    expect(status).to_contain_text("Python did not start")
    expect(status).to_contain_text("Press Restart")
    restart = page.get_by_role("button", name="Restart")
    expect(restart).to_be_visible()
    assert served, "the model was not fetched through the route"
    print(f"\nPython could not start: {status.inner_text()!r}")

    context.unroute(CORRUPT_MODEL, corrupt)
    restart.click()
    wait_ready(page)
    expect(restart).to_be_hidden()
    predicts(page, 4)


CORRUPT_LISTED = "**/vendor/uPlot.LICENSE"  # in the listing, never loaded by the page itself


def test_a_file_corrupted_on_its_way_is_never_cached_for_offline_use(new_context, fresh_server):
    """The service worker checks each file it caches against precache.json's sha256: one served
    corrupt fails its install (the page still works, from the network) and leaves no cache behind;
    served whole again, the next visit installs it, with the file's true bytes.  Without the
    check, the corrupt file would be served offline until the next version (and, for the model,
    a Restart after a bad download would load the corrupt copy again)."""
    server = fresh_server()
    context = new_context()
    Monitor(context, server.origin)

    def corrupt(route) -> None:
        route.fulfill(status=200, body="not uPlot's licence", headers={"cache-control": "no-store"})

    context.route(CORRUPT_LISTED, corrupt)
    page = context.new_page()
    open_app(page, server.url)
    failure = page.evaluate("() => window.pynnApp.offlineReady.then(() => null, (error) => error.message)")
    assert failure == "the service worker could not install", failure
    assert not page.evaluate("async () => (await caches.keys()).filter((name) => name.startsWith('pynn-'))")
    predicts(page, 7)

    context.unroute(CORRUPT_LISTED, corrupt)
    page.reload()
    wait_ready(page)
    wait_service_worker(page)
    cached = page.evaluate("""async () => {
      const hit = await caches.match(new URL('vendor/uPlot.LICENSE', location.href).href);
      return hit && hit.text();
    }""")
    assert cached == (server.directory / "vendor" / "uPlot.LICENSE").read_text()


@pytest.mark.provokes_errors("boot.js broken by the test")
def test_a_worker_that_fails_before_the_page_listens_is_reported(new_context, site_server):
    """start.js creates the main worker before app.js (and its Bridge) has loaded, keeps what the
    worker says until the Bridge adopts it, and hands it over.  Here the worker's script fails
    (boot.js served as one that throws) while app.js is held back, so its error event reaches
    the page only through that hand-over: lost, the page would wait at "Starting Python…" until
    the 120 s boot watchdog.  Restart then starts a worker that boots."""
    context = new_context()
    Monitor(context, site_server.origin)
    held, broken = [], []

    def broken_boot(route) -> None:
        broken.append(route.request.url)
        route.fulfill(status=200, body="throw new Error('boot.js broken by the test');",
                      content_type="text/javascript", headers={"cache-control": "no-store"})

    def hold(route) -> None:
        held.append(route)

    context.route("**/page/app.js", hold)
    context.route("**/worker/boot.js", broken_boot)
    page = context.new_page()
    page.goto(site_server.url, wait_until="commit")
    for _ in range(600):  # route handlers run while Playwright waits
        if broken and held:
            break
        page.wait_for_timeout(100)
    assert broken and held, "boot.js and app.js were not both requested"
    page.wait_for_timeout(2000)  # the worker runs the broken script and fails, unheard by any Bridge
    context.unroute("**/page/app.js", hold)
    held[0].fallback()
    status = by_id(page, "status")
    expect(status).to_have_attribute("data-state", "error", timeout=30_000)
    expect(status).to_contain_text("The Python worker failed")
    context.unroute("**/worker/boot.js", broken_boot)
    page.get_by_role("button", name="Restart").click()
    wait_ready(page)
    predicts(page, 1)


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


# --- the service worker's version switch (web/sw.js, web/page/offline.js)

CACHES = "() => caches.keys().then(names => names.sort())"
CONTROLLER = "() => new URL(navigator.serviceWorker.controller?.scriptURL ?? 'http://x/').searchParams.get('v')"
INSTALL_OUTCOME = """async (version) => {
  const registration = await navigator.serviceWorker.register(`sw.js?v=${version}`);
  const worker = registration.installing;
  if (!worker) return registration.waiting ? 'installed' : 'no install';
  return new Promise(resolve => worker.addEventListener('statechange', () => {
    if (['installed', 'activated', 'redundant'].includes(worker.state)) resolve(worker.state);
  }));
}"""


def activated_new(context, version: str, timeout: float = 30) -> None:
    """Wait (s) until the service worker of ``version`` is its registration's active worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in context.service_workers:
            try:
                if f"v={version}" in worker.url and worker.evaluate(
                        "() => self.registration.active?.scriptURL === self.location.href"):
                    return
            except PlaywrightError:  # that worker was stopped while asked
                continue
        time.sleep(0.05)
    raise TimeoutError(f"the service worker of version {version} did not activate in {timeout:.0f} s")


def test_a_new_version_waits_for_open_pages_and_then_drops_the_old_caches(new_context, fresh_server):
    """A service worker whose listing is another version's installs nothing; a new version
    installs beside the old and waits while a page of the old one is open (that page keeps its
    version's files); once no such page is left it takes over and drops every older cache."""
    server = fresh_server()
    context = new_context()
    Monitor(context, server.origin)
    page = context.new_page()
    open_app(page, server.url)
    wait_service_worker(page)
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
        wait_ready(page)
    old = page.evaluate(CONTROLLER)
    names = page.evaluate(CACHES)
    assert old and [name for name in names if name.startswith("pynn-")] == [f"pynn-{old}"], names
    page.evaluate("() => caches.open('pynn-older').then(c => c.put('older', new Response('an older build')))")

    # A worker told a version the listing does not have refuses to install, and caches nothing.
    assert page.evaluate(INSTALL_OUTCOME, "not-this-one") == "redundant"
    assert "pynn-not-this-one" not in page.evaluate(CACHES)
    assert page.evaluate(CONTROLLER) == old

    # The server now lists a new version (the same files): it installs, and waits for this page.
    new = f"{old}-next"

    def listing(route) -> None:
        body = json.loads(route.fetch().text())
        route.fulfill(json={**body, "version": new}, headers={"cache-control": "no-store"})

    context.route("**/precache.json*", listing)
    assert page.evaluate(INSTALL_OUTCOME, new) == "installed"
    assert f"pynn-{new}" in page.evaluate(CACHES) and f"pynn-{old}" in page.evaluate(CACHES)
    assert page.evaluate(CONTROLLER) == old  # the open page keeps its version
    assert page.evaluate("() => window.pynnApp.offlineReady") == old
    predicts(page, 7)  # and works on, from its own build's files

    page.close()  # no page of the old version is left: the new one takes over
    # Seen from the new service worker itself: a page opened at once could still be taken by the
    # old one, whose last client's closing the browser may not have counted yet.
    activated_new(context, new)
    page = context.new_page()
    open_app(page, server.url)
    poll(page, f"() => ({CONTROLLER})() === {json.dumps(new)}", timeout=30)
    poll(page, f"async () => !(await ({CACHES})()).some(name => name === 'pynn-{old}' || name === 'pynn-older')",
         timeout=30)
    assert f"pynn-{new}" in page.evaluate(CACHES)
    predicts(page, 3)
