"""The page's prediction: reading it, waiting for it to settle, and checking it against pynn
run natively on exactly the ink the worker was sent."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from playwright.sync_api import Page

PREDICT_TIMEOUT = 20.0  # s

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


# Tapped at the door the panels use (workers.js), whichever worker answers: the last predict
# call in window.__e2ePredict, and the last of each kind (predict, explain) in window.__e2eCalls,
# whose "pending" counts the calls not yet answered.
TAP_JS = """() => {
  const bridge = window.pynnApp.workers;
  if (bridge.__e2eTapped) return;
  const call = bridge.call.bind(bridge);
  const plain = value => Object.fromEntries(Object.entries(value).map(
    ([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v) : v]));
  window.__e2eCalls = {pending: 0};
  bridge.call = (type, payload, options) => {
    // The ink's buffer is transferred to the worker (detached here), so copy it first.
    const tapped = type === 'predict' || type === 'explain';
    const sent = tapped ? {pixels: Array.from(payload.pixels), width: payload.width, height: payload.height} : null;
    const answer = call(type, payload, options);
    if (tapped) {
      window.__e2eCalls.pending++;
      answer.then(value => {
        if (type === 'predict') window.__e2ePredict = {sent, value: {...value, preview: undefined}};
        window.__e2eCalls[type] = {sent, value: plain(value)};
      }, () => {}).finally(() => { window.__e2eCalls.pending--; });
    }
    return answer;
  };
  bridge.__e2eTapped = true;
}"""


def tap_predictions(page: Page) -> None:
    """Keep the last predict request's ink and the worker's full-precision answer in
    window.__e2ePredict, and the last predict's and explain's in window.__e2eCalls."""
    page.evaluate(TAP_JS)


def last_answered(page: Page, kind: str) -> dict:
    """The last ``kind`` call ("predict" or "explain") once every tapped call is answered:
    {sent: the ink, value: the worker's answer}."""
    from harness.app import poll

    poll(page, "kind => window.__e2eCalls && !window.__e2eCalls.pending && !!window.__e2eCalls[kind]", kind)
    return page.evaluate("kind => window.__e2eCalls[kind]", kind)


def last_predict_call(page: Page) -> dict | None:
    return page.evaluate("() => window.__e2ePredict || null")


def check_against_native(page: Page, network, result: Prediction) -> np.ndarray:
    """Assert that the last prediction is pynn's, run natively on exactly the ink the worker got.

    The worker's full-precision probabilities must match to 1e-9; the page's data-p are
    rounded to 6 decimals (toFixed(6)), so they must equal the native values so rounded.
    Returns the normalised 28×28 input."""
    from pynn.data.digits import normalize_digit

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
