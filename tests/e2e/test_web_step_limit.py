"""M3: settings whose one training step would outlast Stop (pynn.page.settings.check_step_time) are
refused through the form in the page, at the two fields that set the step's cost, and no run
starts; the same network with a small mini-batch is accepted.  (The estimate itself is held
against a measured step in tests/test_step_estimate.py.)"""

from __future__ import annotations

import pytest
from harness.app import by_id, wait_ready
from harness.forms import VALID_SETTINGS, field, field_messages, fill_settings
from harness.models import model_options
from harness.training import progress
from playwright.sync_api import expect

from pynn.page.settings import MAX_HIDDEN_LAYERS, MAX_HIDDEN_UNITS, SettingsError, check_step_time

BIGGEST = {**VALID_SETTINGS, "hidden": [MAX_HIDDEN_UNITS] * MAX_HIDDEN_LAYERS, "minibatch_size": 1000}


def test_settings_whose_step_would_outlast_stop_are_refused_through_the_form(app):
    page = app.page
    fill_settings(page, **BIGGEST)
    before, options = progress(page), model_options(page)
    with pytest.raises(SettingsError) as native:  # what Python says of them, estimate included
        check_step_time(BIGGEST)
    by_id(page, "train").click()
    for name in ("hidden", "minibatch_size"):
        expect(field(page, name)).to_have_attribute("aria-invalid", "true")
        text = " ".join(field_messages(page, name).values())
        assert native.value.fields[name].lower() in text.lower(), text  # the page says it as a sentence
    expect(page.locator("#train-message")).to_contain_text("rejected some settings")
    wait_ready(page, 30_000)
    assert progress(page) == before and model_options(page) == options  # no run, no network made

    fill_settings(page, **{**BIGGEST, "minibatch_size": 10})  # the same network, small batches: a step is short
    check_step_time({**BIGGEST, "minibatch_size": 10})  # as Python says, under MAX_STEP_SECONDS
    by_id(page, "train").click()
    expect(by_id(page, "model-select").locator("option[value=yours]")).to_have_count(1, timeout=120_000)
    for name in ("hidden", "minibatch_size"):
        assert field(page, name).get_attribute("aria-invalid") != "true"
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=120_000)
    assert app.monitor.errors == []
