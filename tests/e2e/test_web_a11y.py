"""Everyone can use it: axe-core (pinned, injected by the test) finds no critical or serious
violation in any state a person brings the page into, in the light theme or the dark one.

One walk through the states (one Pyodide start): first load; a prediction; labelling; an error
at a training field and at a fine-tune field; Evaluate with its confusion matrix and a mistake
chosen (the pointer resting on a primary button, so its hover colours are measured too);
during training; during a fine-tune; after one.  At each state both themes are checked
(prefers-color-scheme, emulated), and every violation of every state is reported at the end.
"""

from __future__ import annotations

import re

from harness.app import by_id, wait_state
from harness.axe import describe, violations
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.forms import field, fill_settings, set_field, type_into
from harness.predictions import wait_prediction
from playwright.sync_api import Page, expect
from teach_helpers import TRAINING_TIMEOUT, draw_and_label, set_finetune_settings

THEMES = ("light", "dark")
SETTLED_JS = """() => Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition)
                                 .map(a => a.finished.catch(() => {})))"""


class Audit:
    """axe-core's serious and critical violations, by state and theme."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, list[dict]] = {}
        self.states: list[str] = []

    def check(self, state: str) -> None:
        self.states.append(state)
        for theme in THEMES:
            self.page.emulate_media(color_scheme=theme)
            self.page.evaluate(SETTLED_JS)  # the theme's colour transitions, done
            found = violations(self.page)
            if found:
                self.found[f"{state}, {theme}"] = found
        self.page.emulate_media(color_scheme="light")

    def assert_clean(self) -> None:
        report = "\n".join(f"-- {where}\n{describe(found)}" for where, found in self.found.items())
        assert not self.found, f"axe-core violations in {len(self.found)} state/theme pairs:\n{report}"


def test_no_serious_violations_in_any_state_or_theme(app):
    page = app.page
    audit = Audit(page)
    audit.check("first load")

    draw(page, STROKES[7])
    assert wait_prediction(page).text == "7"
    audit.check("after a prediction")

    for digit in (1, 7):  # your digits, for the fine-tunes below
        draw_and_label(page, STROKES[digit], digit)
    expect(by_id(page, "label-message")).to_contain_text("Added as a 7")
    clear_pad(page)

    fill_settings(page, epochs=0)
    by_id(page, "train").click()
    expect(field(page, "epochs")).to_have_attribute("aria-invalid", "true")
    set_finetune_settings(page)
    type_into(page.locator("#finetune-rounds"), "1e")
    by_id(page, "fine-tune").click()
    expect(page.locator("#finetune-rounds")).to_have_attribute("aria-invalid", "true")
    audit.check("with form errors shown")
    set_finetune_settings(page, rounds=4)
    set_field(page, "epochs", 1)

    by_id(page, "evaluate").click()
    expect(by_id(page, "test-accuracy")).to_contain_text(re.compile(r"\d+\.\d\d%"), timeout=TRAINING_TIMEOUT)
    by_id(page, "mistakes").locator("button").first.click()
    expect(by_id(page, "mistake-detail").locator("[data-digit]")).to_have_count(10)
    by_id(page, "evaluate").hover()
    audit.check("after Evaluate, a mistake chosen, a primary button hovered")

    fill_settings(page, epochs=50)
    by_id(page, "train").click()
    expect(by_id(page, "progress")).not_to_have_attribute("aria-valuenow", "0", timeout=TRAINING_TIMEOUT)
    audit.check("during training")
    by_id(page, "stop").click()
    wait_state(page, ("ready",))

    by_id(page, "model-select").select_option("pretrained")
    set_finetune_settings(page, rounds=100, round_size=1500)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "finetune-progress")).to_have_attribute("aria-valuetext", re.compile("round"),
                                                               timeout=TRAINING_TIMEOUT)
    audit.check("during a fine-tune")
    by_id(page, "stop-finetune").click()
    wait_state(page, ("ready",))

    set_finetune_settings(page, rounds=1, round_size=20, test_size=100)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "finetune-result").locator("tr")).to_have_count(3, timeout=TRAINING_TIMEOUT)
    audit.check("after a fine-tune")

    audit.assert_clean()
    app.monitor.assert_clean()
