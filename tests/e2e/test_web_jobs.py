"""The worker's one job loop, seen from the page: two jobs at once both finish (the hang of
the first is gone), Evaluate has Stop, and the model being trained is not evaluated."""

from __future__ import annotations

from harness.app import by_id, poll, wait_ready
from harness.forms import fill_settings
from playwright.sync_api import expect

RUN_TIMEOUT = 240_000  # ms, on a busy 2-core machine
EVALUATED = "() => document.querySelector('[data-testid=test-accuracy]').textContent.includes(' reads ')"
TRAINED = "() => document.querySelector('[data-testid=progress]').dataset.done === 'true'"


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
