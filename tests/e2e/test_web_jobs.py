"""The worker's one job loop, seen from the page: two jobs at once both finish (the hang of
the first is gone), Evaluate has Stop, the model being trained is not evaluated, and a reload
mid-run offers to resume it, ending with exactly the weights of a run never interrupted."""

from __future__ import annotations

import json

from harness.app import by_id, model_json, poll, wait_ready
from harness.forms import fill_settings
from harness.runs import CHECKPOINT, RUN_TIMEOUT, TRAINED, reload_and_resume, uninterrupted, wait_gone
from playwright.sync_api import expect

EVALUATED = "() => document.querySelector('[data-testid=test-accuracy]').textContent.includes(' reads ')"


def test_training_and_evaluating_at_once_both_finish_in_either_order(app):
    """With one shared message channel the first job waited for ever: here each must end."""
    page = app.page
    fill_settings(page, epochs=1, train_size=10_000)
    by_id(page, "train").click()
    by_id(page, "evaluate").click()  # while training
    poll(page, TRAINED, timeout=RUN_TIMEOUT / 1000)
    poll(page, EVALUATED, timeout=RUN_TIMEOUT / 1000)
    wait_ready(page, 30_000)
    by_id(page, "evaluate").click()
    expect(by_id(page, "stop-evaluate")).to_be_enabled()
    fill_settings(page, epochs=1, train_size=10_000, seed=2)
    by_id(page, "train").click()  # while evaluating
    poll(page, "() => document.querySelector('[id=train-message]').textContent.startsWith('Trained')",
         timeout=RUN_TIMEOUT / 1000)
    expect(by_id(page, "stop-evaluate")).to_be_disabled(timeout=RUN_TIMEOUT)
    assert " reads " in by_id(page, "test-accuracy").inner_text()
    assert app.monitor.errors == []


def test_evaluate_stops_and_the_model_being_trained_is_not_evaluated(app):
    page = app.page
    by_id(page, "evaluate").click()
    by_id(page, "stop-evaluate").click()
    expect(by_id(page, "test-accuracy")).to_contain_text("Stopped", timeout=RUN_TIMEOUT)
    expect(by_id(page, "evaluate")).to_be_enabled()

    fill_settings(page, epochs=3, train_size=50_000)
    by_id(page, "train").click()
    expect(by_id(page, "model-select").locator("option[value=yours]")).to_have_count(1, timeout=RUN_TIMEOUT)
    by_id(page, "model-select").select_option("yours")
    by_id(page, "evaluate").click()
    expect(by_id(page, "test-accuracy")).to_contain_text("being trained", timeout=RUN_TIMEOUT)
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=RUN_TIMEOUT)
    assert app.monitor.errors == []


def weights_of(json_text: str) -> list:
    model = json.loads(json_text)
    return [model["weights"], model["biases"]]


def test_a_reload_mid_run_offers_to_resume_and_the_resumed_run_ends_as_an_unbroken_one(app, browser,
                                                                                     browser_context_args, base_url):
    """Long enough for a checkpoint (one per ~10 s of training): reload, Resume, and the final
    weights equal, to the bit, those of the same run in a fresh context with no reload."""
    page = app.page
    settings = {"epochs": 12, "train_size": 50_000, "seed": 5}
    fill_settings(page, **settings)
    by_id(page, "train").click()
    reload_and_resume(page)
    resumed = weights_of(model_json(page, "yours"))
    wait_gone(page, CHECKPOINT)  # dropped once the run ended
    unbroken = weights_of(uninterrupted(browser, browser_context_args, base_url, settings))
    assert unbroken == resumed  # JSON floats round-trip exactly: bit for bit
    assert app.monitor.errors == []
