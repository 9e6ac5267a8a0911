"""Drawing on the pad with a mouse, a finger and a pen: the pretrained model's predictions,
checked against pynn run natively."""

from __future__ import annotations

import time

import numpy as np
import pytest
from harness import SITE
from harness.app import shoot
from harness.digits import STROKES
from harness.drawing import (
    canvas_pixels,
    clear_pad,
    draw,
    draw_pen,
    draw_touch,
    log_pointer_types,
    pad_box,
    pad_ink,
    pointer_types,
)
from harness.predictions import check_against_native, last_predict_call, tap_predictions, wait_prediction
from playwright.sync_api import expect

from pynn.data.digits import normalize_digit
from pynn.files import modelfile


def draw_prompt(page):
    """The "draw a digit" invitation in the readout (not the card's heading "Draw a digit")."""
    return page.get_by_text("draw a digit", exact=True)


@pytest.fixture(scope="module")
def pretrained():
    return modelfile.load(SITE / "models" / "pretrained.json")


def preview_ink(page) -> np.ndarray:
    """The 28×28 preview as ink in [0, 1], however it is painted (alpha, or dark on light)."""
    rgba = canvas_pixels(page.get_by_test_id("preview")).astype(float)
    alpha = rgba[..., 3] / 255
    if alpha.min() < 1:  # transparent background: the alpha is the ink
        return alpha
    grey = rgba[..., :3].mean(axis=-1) / 255
    background = np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]))
    return np.abs(grey - background)


def test_blank_pad_clear_and_keys(module_app):
    page = module_app.page
    prediction = page.get_by_test_id("prediction")
    # Nothing drawn yet: no guess, and an invitation to draw.
    expect(prediction).to_have_text("")
    expect(draw_prompt(page)).to_be_visible()

    draw(page, STROKES[7])
    assert wait_prediction(page).text == "7"
    expect(draw_prompt(page)).to_be_hidden()
    page.get_by_test_id("clear").click()
    expect(prediction).to_have_text("")
    expect(draw_prompt(page)).to_be_visible()
    assert pad_ink(page).max() == 0, "Clear left ink on the pad"
    assert preview_ink(page).max() < 0.05, "Clear left the preview inked"

    for key in ("Escape", "Delete", "Backspace"):
        draw(page, STROKES[1])
        assert wait_prediction(page).text == "1"
        page.get_by_test_id("draw-canvas").focus()
        page.keyboard.press(key)
        expect(prediction, f"{key} on the focused pad did not clear the prediction").to_have_text("")
        assert pad_ink(page).max() == 0, f"{key} left ink on the pad"
    module_app.monitor.assert_clean()


@pytest.mark.parametrize("digit", range(10))
def test_drawn_digit_is_predicted(module_app, digit, screenshot_dir):
    page = module_app.page
    clear_pad(page)
    draw(page, STROKES[digit])
    result = wait_prediction(page)
    print(f"\ndigit {digit}: pointer-up → prediction {result.latency_ms} ms (data-latency-ms)")

    assert result.text == str(digit), f"drew a {digit}, the page says {result.text!r}: {result.raw}"
    assert len(result.raw) == 10, f"expected 10 probability bars, got {len(result.raw)}"
    assert sorted(int(d) for d, _ in result.raw) == list(range(10)), result.raw
    probabilities = np.array(result.probabilities)
    assert np.isfinite(probabilities).all() and (probabilities >= 0).all(), result.raw
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-3), result.raw
    assert int(np.argmax(probabilities)) == digit, result.raw
    assert result.latency_ms is not None and result.latency_ms >= 0, "no data-latency-ms on the prediction"

    preview = preview_ink(page)
    assert preview.shape == (28, 28), preview.shape
    assert (preview > 0.5).sum() >= 10, "the 28×28 preview shows no digit"
    if digit == 7:
        shoot(page, screenshot_dir, "ready-predicted-7")
    module_app.monitor.assert_clean()


@pytest.mark.parametrize("digit", [2, 8])
def test_browser_matches_native_pynn(module_app, pretrained, digit):
    """The worker's float64 numpy and native numpy run the same pynn code on the same ink."""
    page = module_app.page
    tap_predictions(page)
    clear_pad(page)
    draw(page, STROKES[digit])
    result = wait_prediction(page)
    ink = pad_ink(page)
    assert ink.shape == (280, 280), f"the pad is {ink.shape}, not 280×280 at devicePixelRatio 1"
    assert ink.max() > 0
    call = last_predict_call(page)
    assert call is not None, "the tap saw no predict request"
    sent = np.array(call["sent"]["pixels"], dtype=np.uint8).reshape(call["sent"]["height"], call["sent"]["width"])
    # The page predicts from a CPU-side copy of the ink (canvas.js), drawn with the same strokes as
    # the visible pad; the two rasterise antialiased edges up to one grey level apart.
    assert sent.shape == ink.shape
    difference = np.abs(sent.astype(int) - ink.astype(int))
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01, \
        f"the worker was sent other ink than the pad shows: {(difference > 0).sum()} pixels, max {difference.max()}"

    x = check_against_native(page, pretrained, result)
    # From the visible pad's own pixels, natively, the answer differs only by those edge pixels.
    outputs = pretrained.feedforward(normalize_digit(ink))[:, 0]
    np.testing.assert_allclose(result.probabilities, outputs / outputs.sum(), rtol=0, atol=1e-3)

    # The preview is the network's actual input, to the grey level (0–255).
    preview = np.rint(preview_ink(page) * 255).astype(np.uint8)
    np.testing.assert_array_equal(preview, np.rint(x * 255).astype(np.uint8),
                                  err_msg="the preview is not the normalised image the network saw")
    module_app.monitor.assert_clean()


def test_a_single_tap_is_not_read_as_a_digit(module_app):
    """A click leaves a round dot of the pen's width: pynn.data.digits refuses it as near-blank,
    so the page keeps inviting a drawing instead of guessing (it used to say 8)."""
    page = module_app.page
    clear_pad(page)
    tap_predictions(page)
    page.evaluate("() => { window.__e2ePredict = null; }")
    box = pad_box(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    deadline = time.monotonic() + 10  # polled with evaluate: wait_for_function's string form can meet the CSP
    while not page.evaluate("() => Boolean(window.__e2ePredict && window.__e2ePredict.value)"):
        assert time.monotonic() < deadline, "the worker never answered the tap's predict request"
        time.sleep(0.1)
    assert pad_ink(page).max() > 0, "the tap left no ink, so this test proves nothing"
    assert last_predict_call(page)["value"].get("blank") is True
    expect(page.get_by_test_id("prediction")).to_have_text("")
    expect(draw_prompt(page)).to_be_visible()
    module_app.monitor.assert_clean()


@pytest.mark.parametrize(("pointer", "digit"), [("touch", 7), ("pen", 3)])
def test_touch_and_pen_draw_like_a_mouse(module_app, pretrained, pointer, digit):
    """A finger (Input.dispatchTouchEvent) and a stylus (Input.dispatchMouseEvent, pointerType pen)
    draw the same digit a mouse does, and the page reads it the same way."""
    page = module_app.page
    tap_predictions(page)
    clear_pad(page)
    draw(page, STROKES[digit])
    by_mouse = wait_prediction(page)
    assert by_mouse.text == str(digit)
    mouse_ink = pad_ink(page)

    clear_pad(page)
    log_pointer_types(page)
    (draw_touch if pointer == "touch" else draw_pen)(page, STROKES[digit])
    result = wait_prediction(page)
    types = pointer_types(page)
    assert types and set(types) == {pointer}, f"the pad saw pointerdowns of types {types}, not {pointer!r}"
    assert result.text == str(digit), f"drew a {digit} by {pointer}, the page says {result.text!r}"
    check_against_native(page, pretrained, result)
    ink = pad_ink(page)
    # The same polyline, rasterised from other events: nearly the same pixels.
    overlap = ((ink > 127) & (mouse_ink > 127)).sum() / max((mouse_ink > 127).sum(), 1)
    assert overlap > 0.8, f"{pointer} ink covers only {overlap:.0%} of the mouse's"
    module_app.monitor.assert_clean()
