"""The page without a mouse, and with a screen reader: Tab reaches every control, Enter and
Space press buttons, Esc clears the pad; what a person does is announced once (a stroke's
answer once, not at every frame; a run's start and end, not each chunk)."""

from __future__ import annotations

import re

import pytest
from harness.app import by_id, wait_state
from harness.digits import STROKES
from harness.drawing import clear_pad, draw, pad_box
from harness.forms import FIELDS, field, fill_settings
from harness.models import download_model
from harness.predictions import wait_prediction
from harness.speech import clear_heard, heard, start_listening
from playwright.sync_api import expect

# The controls a person needs; Save and Stop are disabled until there is something to save or stop.
CONTROLS = ["draw-canvas", "clear", "model-select", "download-model", "upload-model", "upload-digits", "fine-tune",
            "evaluate", *FIELDS.values(), "train"]

# Visible controls only: those inside a closed <details> are reached once its summary opens it.
FOCUSABLE_JS = """() => [...document.querySelectorAll(
    'button, input, select, textarea, a[href], [tabindex]:not([tabindex="-1"])')]
  .filter(e => !e.disabled && !e.closest('[hidden]')
               && e.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}))
  .map(e => e.dataset.testid || e.id || `${e.tagName}: ${e.textContent.trim()}`)"""
ACTIVE_JS = """() => { const e = document.activeElement;
  return e && e !== document.body ? (e.dataset.testid || e.id || `${e.tagName}: ${e.textContent.trim()}`) : null; }"""
MAX_TABS = 80


def active(page) -> str | None:
    return page.evaluate(ACTIVE_JS)


def tab_to(page, test_id: str) -> None:
    """Press Tab until ``test_id`` has the focus."""
    for _ in range(MAX_TABS):
        if active(page) == test_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{MAX_TABS} Tabs never reached {test_id}")


def test_tab_reaches_every_control(module_app):
    page = module_app.page
    focusable = page.evaluate(FOCUSABLE_JS)
    assert set(CONTROLS) <= set(focusable), f"not focusable: {sorted(set(CONTROLS) - set(focusable))}"
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = active(page)
        if now is not None and reached and now == reached[0]:
            break  # round the page once
        if now is not None and now not in reached:
            reached.append(now)
    print(f"\nTab order: {reached}")
    missing = [each for each in focusable if each not in reached]
    assert not missing, f"Tab never reaches {missing} (reached {reached})"
    assert reached.index("draw-canvas") < reached.index("clear"), "the pad comes after its Clear button"
    module_app.monitor.assert_clean()


@pytest.mark.parametrize("key", ["Enter", " "])
def test_enter_and_space_press_buttons(module_app, key, tmp_path):
    page = module_app.page
    prediction = by_id(page, "prediction")
    draw(page, STROKES[7])
    assert wait_prediction(page).text == "7"
    tab_to(page, "clear")
    page.keyboard.press(key)
    expect(prediction, f"{key!r} on Clear did not clear").to_have_text("")

    tab_to(page, "download-model")
    path = download_model(page, tmp_path, press=lambda: page.keyboard.press(key))
    assert path.stat().st_size > 10_000, f"{key!r} on Download saved {path.stat().st_size} bytes"

    # Start training, with a bad setting typed from the keyboard: refused, and said so at the field.
    fill_settings(page)
    tab_to(page, FIELDS["epochs"])
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("0")
    tab_to(page, "train")
    page.keyboard.press(key)
    expect(field(page, "epochs")).to_have_attribute("aria-invalid", "true")
    expect(by_id(page, "status")).to_have_attribute("data-state", "ready")
    fill_settings(page)
    module_app.monitor.assert_clean()


def test_escape_clears_the_focused_pad(module_app):
    page = module_app.page
    draw(page, STROKES[1])
    assert wait_prediction(page).text == "1"
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    tab_to(page, "draw-canvas")
    page.keyboard.press("Escape")
    expect(by_id(page, "prediction")).to_have_text("")
    module_app.monitor.assert_clean()


# Counts the predictions the page shows (each sets the ten bars' data-p once).
COUNT_SHOWN_JS = """() => { window.__shown = 0;
  new MutationObserver((ms) => { window.__shown += ms.filter(m => m.attributeName === 'data-p'
    && m.target.dataset.digit === '0').length; })
  .observe(document.querySelector('[data-testid=probabilities]'), {subtree: true, attributes: true}); }"""


def slow_draw(page, strokes, pause_ms: int = 25) -> None:
    """Draw like a person: a mouse move every ``pause_ms``, so the page predicts on the way."""
    box = pad_box(page)
    for stroke in strokes:
        at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*at[0])
        page.mouse.down()
        for x, y in at[1:]:
            page.mouse.move(x, y, steps=2)
            page.wait_for_timeout(pause_ms)
        page.mouse.up()


def test_a_stroke_is_announced_once_not_at_every_frame(module_app):
    page = module_app.page
    clear_pad(page)
    page.evaluate(COUNT_SHOWN_JS)
    start_listening(page)
    slow_draw(page, STROKES[0])
    assert wait_prediction(page).text == "0"
    page.wait_for_timeout(1000)  # the explanation and the lit units come after the prediction
    shown = page.evaluate("() => window.__shown")
    assert shown >= 3, f"only {shown} predictions shown during the stroke: the test needs several"
    said = heard(page)
    assert len(said) == 1 and re.fullmatch(r"The network reads 0 \(\d+% sure\)\.", said[0]["text"]), \
        f"{shown} predictions shown; heard {said}"
    module_app.monitor.assert_clean()


# What each announcement of the keyboard run below is: each is heard exactly once.
ANNOUNCED = {
    "prediction": r"The network reads 3 \(\d+% sure\)\.",
    "labelled": r"Added as a 3 .*",
    "training started": r"Training started: 1 epoch\.",
    "training done": r"Trained 1 epoch in .* on one worker: test accuracy \d+\.\d\d%\.",
    "evaluating": r'Evaluating "yours" on the 10,000 MNIST test images…',
    "evaluated": r'"yours" reads \d+\.\d\d% of the 10,000 MNIST test images correctly .*',
    "mistake": r"Test image \d+: a \d, read as \d\. [\d.]+% for \d, [\d.]+% for \d\.",
}


def kinds(said: list[dict]) -> list[str]:
    return [next((kind for kind, pattern in ANNOUNCED.items() if re.fullmatch(pattern, each["text"])),
                 f"unexpected: {each['text']!r}") for each in said]


def test_keyboard_alone_labels_trains_evaluates_and_hears_each_result_once(module_app):
    page = module_app.page
    clear_pad(page)
    fill_settings(page, train_size=2000)
    start_listening(page)
    draw(page, STROKES[3])
    assert wait_prediction(page).text == "3"
    tab_to(page, "draw-canvas")
    page.keyboard.press("3")
    expect(by_id(page, "label-message")).to_contain_text("Added as a 3")

    tab_to(page, "train")
    page.keyboard.press("Enter")
    expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=180_000)
    wait_state(page, ("ready",))

    tab_to(page, "model-select")
    page.keyboard.press("y")  # type-ahead: "yours (trained here)"
    expect(by_id(page, "model-select")).to_have_value("yours")
    tab_to(page, "evaluate")
    page.keyboard.press("Enter")
    expect(by_id(page, "test-accuracy")).to_contain_text(re.compile(r"reads \d+\.\d\d%"), timeout=180_000)
    page.keyboard.press("Tab")  # the matrix is one tab stop; arrows move within it
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#confusion-readout")).to_contain_text("True 1, read correctly")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('mistake')")
    page.keyboard.press("Enter")
    expect(by_id(page, "mistake-detail").locator("[data-digit]")).to_have_count(10)
    page.wait_for_timeout(300)

    said = kinds(heard(page))
    assert sorted(said) == sorted(ANNOUNCED), f"heard {heard(page)}"
    clear_heard(page)
    module_app.monitor.assert_clean()
