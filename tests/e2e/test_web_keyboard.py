"""The page without a mouse: Tab reaches every control, Enter and Space press buttons, Esc
clears the pad."""

from __future__ import annotations

import pytest
from harness.app import by_id
from harness.digits import STROKES
from harness.drawing import draw
from harness.forms import FIELDS, field, fill_settings
from harness.models import download_model
from harness.predictions import wait_prediction
from playwright.sync_api import expect

# The controls a person needs; Save and Stop are disabled until there is something to save or stop.
CONTROLS = ["draw-canvas", "clear", "model-select", "download-model", "upload-model", *FIELDS.values(), "train"]

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
