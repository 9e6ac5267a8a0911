"""What the end-to-end tests do to the page: watch it, draw on it, read it.

Everything goes through the page's data-testid hooks (Playwright's
``get_by_test_id``) and real input events; page.evaluate is used only to read
pixels and to reach ``window.pynnApp``.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from playwright.sync_api import BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
READY_TIMEOUT = 120_000  # ms: Pyodide + numpy + pynn + data on a busy 2-core machine
PREDICT_TIMEOUT = 20.0  # s


CSP_META = re.compile(rb"<meta\s+http-equiv=[\"']?content-security-policy[^>]*>", re.IGNORECASE)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Monitor:
    """Every request (pages, dedicated workers, service workers), console error and page error of a context.

    Requests to another origin are recorded and aborted, so a page that tries to
    reach out is caught even where no network would answer.  The server's
    Content-Security-Policy blocks such a request inside the browser before it
    is made, and Chromium reports a blocked one in a worker nowhere a test can
    see; ``strip_csp`` serves every response without that header (and HTML
    without its <meta http-equiv> copy), so that any attempt becomes a request
    seen here."""

    context: BrowserContext
    origin: str
    strip_csp: bool = False
    requests: list = field(default_factory=list)  # (source, method, url)
    foreign: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # console errors and uncaught exceptions, with their source
    failed: list = field(default_factory=list)  # same-origin requests that failed or got status >= 400
    workers: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context.route("**/*", self._route)
        self.context.on("request", self._request)
        self.context.on("requestfailed", self._request_failed)
        self.context.on("response", self._response)
        self.context.on("page", self._page)
        self.context.on("serviceworker", lambda worker: self._worker("service worker", worker))
        for page in self.context.pages:
            self._page(page)

    # --- wiring
    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and origin_of(url) != self.origin:
            self.foreign.append(f"{route.request.method} {url} (routed)")
            route.abort("blockedbyclient")
        elif self.strip_csp:
            response = route.fetch()
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"}
            if "text/html" in headers.get("content-type", ""):
                body = CSP_META.sub(b"", response.body())
                headers.pop("content-length", None)
                route.fulfill(response=response, headers=headers, body=body)
            else:
                route.fulfill(response=response, headers=headers)
        else:
            route.continue_()

    @staticmethod
    def _source(request) -> str:
        # Playwright tells service-worker requests apart, but files a dedicated worker's under its page.
        return "service worker" if request.service_worker is not None else "page or worker"

    def _request(self, request) -> None:
        url = request.url
        source = self._source(request)
        self.requests.append((source, request.method, url))
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and origin_of(url) != self.origin:
            self.foreign.append(f"{request.method} {url} (from the {source})")

    def _request_failed(self, request) -> None:
        if origin_of(request.url) == self.origin and request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def _page(self, page: Page) -> None:
        page.on("console", lambda message: self._console("page", message))
        page.on("pageerror", lambda error: self.errors.append(f"page: uncaught {error}"))
        page.on("worker", lambda worker: self._worker("worker", worker))

    def _worker(self, kind: str, worker) -> None:
        self.workers.append((kind, worker.url))
        try:
            worker.on("console", lambda message: self._console(kind, message))
        except Exception:  # an older Playwright without worker console events
            pass

    def _console(self, source: str, message) -> None:
        if message.type == "error":
            where = message.location or {}
            self.errors.append(f"{source}: console.error {message.text!r} at {where.get('url', '?')}:"
                               f"{where.get('lineNumber', '?')}")

    # --- checks
    def sources(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for source, _, _ in self.requests:
            counts[source] = counts.get(source, 0) + 1
        return counts

    def assert_clean(self, allow_errors: tuple[str, ...] = ()) -> None:
        unique = {e.split(": ", 1)[-1]: e for e in self.errors}  # a worker's message also reaches its page
        errors = [e for e in unique.values() if not any(re.search(a, e) for a in allow_errors)]
        problems = []
        if self.foreign:
            problems.append("requests to other origins:\n  " + "\n  ".join(dict.fromkeys(self.foreign)))
        if errors:
            problems.append("console errors / uncaught exceptions:\n  " + "\n  ".join(errors))
        if self.failed:
            problems.append("failed same-origin requests:\n  " + "\n  ".join(dict.fromkeys(self.failed)))
        assert not problems, "\n".join(problems)


def by_id(page: Page, test_id: str):
    return page.get_by_test_id(test_id)


def wait_state(page: Page, states: tuple[str, ...], timeout: float = READY_TIMEOUT) -> str:
    """Wait until the status line's data-state is one of ``states``; return it."""
    page.wait_for_function(
        "states => states.includes(document.querySelector('[data-testid=status]')?.dataset.state)",
        arg=list(states), timeout=timeout)
    return by_id(page, "status").get_attribute("data-state")


def wait_ready(page: Page, timeout: float = READY_TIMEOUT) -> None:
    """Wait for data-state=ready; fail at once, with the status text, if the page reports an error."""
    state = wait_state(page, ("ready", "error"), timeout)
    status = by_id(page, "status")
    assert state == "ready", f"the page reported an error instead of getting ready: {status.inner_text()!r}"


def open_app(page: Page, url: str, timeout: float = READY_TIMEOUT) -> float:
    """Navigate to the app and wait for ready; the seconds from navigation start to ready."""
    started = time.perf_counter()
    page.goto(url)
    wait_ready(page, timeout)
    return time.perf_counter() - started


# --- drawing

def pad_box(page: Page) -> dict:
    pad = by_id(page, "draw-canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, f"the drawing pad is not visible: {box}"
    return box


def draw(page: Page, strokes, steps: int = 4) -> None:
    """Draw polylines (unit coordinates of the pad) with real mouse down/move/up events."""
    box = pad_box(page)

    def at(point):
        x, y = point
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point), steps=steps)
        page.mouse.up()


SNAPSHOT_JS = """() => {
  const q = id => document.querySelector(`[data-testid="${id}"]`);
  const prediction = q('prediction'), bars = q('probabilities');
  return {
    text: prediction ? prediction.textContent.trim() : null,
    latency: prediction ? prediction.getAttribute('data-latency-ms') : null,
    probabilities: bars ? [...bars.children].map(c => [c.getAttribute('data-digit'), c.getAttribute('data-p')]) : null,
    state: q('status')?.dataset.state,
    last: window.pynnApp ? window.pynnApp.lastPredictionMs : null,
  };
}"""


@dataclass
class Prediction:
    text: str
    latency_ms: float | None
    probabilities: list[float]  # by digit 0..9
    raw: list  # [data-digit, data-p] of each child, in page order


def snapshot(page: Page) -> dict:
    return page.evaluate(SNAPSHOT_JS)


def read_prediction(page: Page) -> Prediction:
    snap = snapshot(page)
    raw = snap["probabilities"] or []
    by_digit = {}
    for digit, p in raw:
        if digit is not None and p not in (None, ""):
            by_digit[int(digit)] = float(p)
    probabilities = [by_digit.get(d, float("nan")) for d in range(10)]
    latency = snap["latency"]
    return Prediction(snap["text"] or "", float(latency) if latency not in (None, "") else None, probabilities, raw)


def wait_prediction(page: Page, timeout: float = PREDICT_TIMEOUT, settle: float = 0.6) -> Prediction:
    """The prediction once it has a digit and has stopped changing for ``settle`` seconds
    (so a prediction still on its way for an earlier part of the drawing is not taken)."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        snap = snapshot(page)
        key = (snap["text"], snap["latency"], str(snap["probabilities"]), snap["last"])
        if key != last:
            last, since = key, time.monotonic()
        elif snap["text"] and time.monotonic() - since >= settle:
            return read_prediction(page)
        time.sleep(0.1)
    raise AssertionError(f"no settled prediction within {timeout} s; last seen {snapshot(page)}")


def clear_pad(page: Page) -> None:
    by_id(page, "clear").click()
    expect(by_id(page, "prediction")).to_have_text("")


def pad_ink(page: Page) -> np.ndarray:
    """The pad's pixels as the worker gets them: its alpha channel, (height, width) uint8."""
    data = page.evaluate("""() => {
      const c = document.querySelector('[data-testid="draw-canvas"]');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let i = 3; i < d.length; i += 4) s += String.fromCharCode(d[i]);
      return {w: c.width, h: c.height, b64: btoa(s)};
    }""")
    return np.frombuffer(base64.b64decode(data["b64"]), dtype=np.uint8).reshape(data["h"], data["w"])


def canvas_pixels(canvas) -> np.ndarray:
    """RGBA pixels of a canvas (a Playwright locator), (height, width, 4) uint8."""
    data = canvas.evaluate("""c => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
      return {w: c.width, h: c.height, b64: btoa(s)};
    }""")
    return np.frombuffer(base64.b64decode(data["b64"]), dtype=np.uint8).reshape(data["h"], data["w"], 4)


def shoot(page: Page, directory: Path, name: str) -> Path:
    """A full-page screenshot test-results/screenshots/<name>.png."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- the training form

VALID_SETTINGS = {"hidden-layers": "30", "cost": "quadratic", "init": "standard", "epochs": "1", "batch-size": "10",
                  "learning-rate": "3.0", "lambda": "0", "train-size": "10000", "seed": "1"}


def set_field(page: Page, test_id: str, value) -> None:
    """Set a form field as a user would: choose an option, or type the text."""
    element = by_id(page, test_id)
    kind = element.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind.startswith("select"):
        element.select_option(str(value))
    elif kind == "input:range":
        element.fill(str(value))  # Playwright sets a range input's value and fires input/change
    else:
        element.fill(str(value))


def fill_settings(page: Page, **changes) -> dict:
    """The whole training form: VALID_SETTINGS with ``changes`` (keys with _ for -)."""
    settings = {**VALID_SETTINGS, **{k.replace("_", "-"): str(v) for k, v in changes.items()}}
    for test_id, value in settings.items():
        set_field(page, test_id, value)
    return settings


RECORDER_JS = """() => {
  const q = id => document.querySelector(`[data-testid="${id}"]`);
  const log = window.__e2eLog = [];
  const record = () => {
    const p = q('progress'), s = q('status'), a = q('accuracy');
    const entry = {t: performance.now(), state: s?.dataset.state, epoch: p?.dataset.epoch, batch: p?.dataset.batch,
                   batches: p?.dataset.batchesPerEpoch, done: p?.dataset.done, elapsed: p?.dataset.elapsed,
                   accuracy: a?.textContent.trim()};
    const last = log[log.length - 1];
    if (!last || ['state', 'epoch', 'batch', 'done', 'accuracy'].some(k => last[k] !== entry[k])) log.push(entry);
  };
  record();
  new MutationObserver(record).observe(document.body,
    {subtree: true, attributes: true, childList: true, characterData: true});
}"""


def start_recording(page: Page) -> None:
    """Log every change of status, progress and accuracy from now on (a MutationObserver in the page)."""
    page.evaluate(RECORDER_JS)


def recording(page: Page) -> list[dict]:
    return page.evaluate("() => window.__e2eLog || []")


def progress(page: Page) -> dict:
    return by_id(page, "progress").evaluate("e => ({...e.dataset})")


def field_messages(page: Page, test_id: str) -> dict[str, str]:
    """The visible texts a field points to with aria-errormessage / aria-describedby, by element id."""
    return by_id(page, test_id).evaluate("""e => {
      const ids = [e.getAttribute('aria-errormessage'), e.getAttribute('aria-describedby')]
        .filter(Boolean).join(' ').split(/\\s+/).filter(Boolean);
      const found = {};
      for (const id of ids) {
        const m = document.getElementById(id);
        if (m && m.checkVisibility() && m.textContent.trim()) found[id] = m.textContent.trim();
      }
      return found;
    }""")


def model_options(page: Page) -> list[str]:
    return by_id(page, "model-select").evaluate("s => [...s.options].map(o => o.value)")


def select_model(page: Page, name: str) -> None:
    """Choose a model and wait until the page says it is ready with it."""
    by_id(page, "model-select").select_option(name)
    expect(by_id(page, "model-select")).to_have_value(name)
    wait_ready(page, 30_000)


# --- what the worker is sent and answers

TAP_JS = """() => {
  const bridge = window.pynnApp.bridge;
  if (bridge.__e2eTapped) return;
  const call = bridge.call.bind(bridge);
  bridge.call = (type, payload, options) => {
    // The ink's buffer is transferred to the worker (detached here), so copy it first.
    const sent = type === 'predict' ? {pixels: Array.from(payload.pixels), width: payload.width,
                                       height: payload.height} : null;
    const answer = call(type, payload, options);
    if (sent) answer.then(value => { window.__e2ePredict = {sent, value: {...value, preview: undefined}}; },
                          () => {});
    return answer;
  };
  bridge.__e2eTapped = true;
}"""


def tap_predictions(page: Page) -> None:
    """Keep the last predict request's ink and the worker's full-precision answer in window.__e2ePredict."""
    page.evaluate(TAP_JS)


def last_predict_call(page: Page) -> dict | None:
    return page.evaluate("() => window.__e2ePredict || null")


def check_against_native(page: Page, network, result: Prediction) -> np.ndarray:
    """Assert that the last prediction is pynn's, run natively on exactly the ink the worker got.

    The worker's full-precision probabilities must match to 1e-9; the page's data-p are
    rounded to 6 decimals (toFixed(6)), so they must equal the native values so rounded.
    Returns the normalised 28×28 input."""
    from pynn.digits import normalize_digit

    call = last_predict_call(page)
    assert call is not None, "no predict request was seen (call tap_predictions first)"
    sent = np.array(call["sent"]["pixels"], dtype=np.uint8).reshape(call["sent"]["height"], call["sent"]["width"])
    x = normalize_digit(sent)
    outputs = network.feedforward(x)[:, 0]
    native = outputs / outputs.sum()
    assert result.text == str(int(np.argmax(native))) == str(call["value"]["digit"]), \
        f"page {result.text!r}, worker {call['value']['digit']}, native {int(np.argmax(native))}"
    np.testing.assert_allclose(call["value"]["probabilities"], native, rtol=0, atol=1e-9,
                               err_msg="the worker's probabilities differ from pynn's native ones")
    shown = dict(result.raw)
    assert [shown[str(d)] for d in range(10)] == [f"{p:.6f}" for p in native], \
        f"data-p {shown} are not pynn's native probabilities {native.tolist()} to 6 decimals"
    return x.reshape(28, 28)
