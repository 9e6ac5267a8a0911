"""The app as a whole: Chromium, opening the page, its status line, and ``window.pynnApp``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

from harness import CHROMIUM, CHROMIUM_ARGS, READY_TIMEOUT
from harness.monitor import Monitor


def launch(playwright, **options):
    """Debian's headless Chromium (Playwright cannot download its own browsers here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options)


def by_id(page: Page, test_id: str):
    return page.get_by_test_id(test_id)


def poll(page: Page, expression: str, arg=None, timeout: float = 60.0, interval: float = 0.05, on_wait=None):
    """Evaluate ``expression`` (it may return a promise) until it is truthy; return its value.
    ``timeout`` and ``interval`` in seconds; ``on_wait()`` is called between tries.  (page.evaluate
    goes through the DevTools protocol, so the page's CSP, which forbids eval, is no obstacle.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {expression}")
        if on_wait:
            on_wait()
        page.wait_for_timeout(interval * 1000)


def state(page: Page) -> str | None:
    return by_id(page, "status").get_attribute("data-state")


def wait_state(page: Page, states: tuple[str, ...], timeout: float = READY_TIMEOUT) -> str:
    """Wait (ms) until the status line's data-state is one of ``states``; return it."""
    page.wait_for_function(
        "states => states.includes(document.querySelector('[data-testid=status]')?.dataset.state)",
        arg=list(states), timeout=timeout)
    return state(page)


def wait_ready(page: Page, timeout: float = READY_TIMEOUT) -> None:
    """Wait for data-state=ready; fail at once, with the status text, if the page reports an error."""
    reached = wait_state(page, ("ready", "error"), timeout)
    assert reached == "ready", \
        f"the page reported an error instead of getting ready: {by_id(page, 'status').inner_text()!r}"
    page.wait_for_function("() => !!window.pynnApp", timeout=timeout)  # the seams load beside the page


def open_app(page: Page, url: str, timeout: float = READY_TIMEOUT) -> float:
    """Navigate to the app and wait for ready; the seconds from navigation start to ready."""
    started = time.perf_counter()
    page.goto(url)
    wait_ready(page, timeout)
    return time.perf_counter() - started


@dataclass
class App:
    """A page of the app, loaded and ready, and the monitor of its browser context."""

    page: Page
    monitor: Monitor
    ready_seconds: float


def start_app(context, url: str, origin: str) -> App:
    """Watch ``context``, open the app in a new page of it and wait until it is ready."""
    monitor = Monitor(context, origin)
    page = context.new_page()
    return App(page, monitor, open_app(page, url))


def shoot(page: Page, directory: Path, name: str) -> Path:
    """A full-page screenshot <directory>/<name>.png."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- window.pynnApp

def bridge_call(page: Page, kind: str, payload: dict | None = None):
    """A request to the page's worker through window.pynnApp.bridge; its answer."""
    return page.evaluate("([kind, payload]) => window.pynnApp.bridge.call(kind, payload)", [kind, payload or {}])


def model_json(page: Page, name: str) -> str:
    """The model ``name`` as the worker would write it to a file (pynn.files.modelfile's JSON)."""
    return bridge_call(page, "model_json", {"name": name})


def crash(page: Page, kind: str) -> None:
    """Make the worker fail for real: "error" (an uncaught error) or "hang" (it stops answering)."""
    page.evaluate("kind => { window.pynnApp.crash(kind); }", kind)


def set_watchdog_ms(page: Page, ms: int) -> None:
    """How long the page waits for a busy worker before it declares it hung."""
    page.evaluate("ms => { window.pynnApp.setWatchdogMs(ms); }", ms)


def wait_service_worker(page: Page, timeout: float = READY_TIMEOUT / 1000) -> dict:
    """Wait (s) until the page's offline support is set up and its service worker is activated;
    its registration's scope, script and whether it controls the page."""
    return poll(page, """async () => {
      await window.pynnApp.offlineReady;
      const registration = await navigator.serviceWorker.ready;
      const active = registration.active;
      return active && active.state === 'activated' &&
        {scope: registration.scope, script: active.scriptURL, controlled: !!navigator.serviceWorker.controller};
    }""", timeout=timeout, interval=0.2)
