"""The prediction worker (web/page/workers.js), seen from the page: it is not started with the page
but after the first drawing is read (or when heavy work begins), it answers drawings while the
main worker works, its answers equal the main worker's bit for bit, and when it dies the main
worker answers again."""

from __future__ import annotations

from harness.app import by_id, poll, wait_ready
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.forms import fill_settings
from harness.predictions import wait_prediction
from playwright.sync_api import expect

RUN_TIMEOUT = 240.0  # s, on a busy 2-core machine
ANSWERED = "() => ({...window.pynnApp.workers.answered})"
ASIDE = "() => window.pynnApp.workers.predictsAside"

# The same ink asked of both workers directly: their answers must be equal, number for number.
BOTH_ANSWER = """async (name) => {
  const pixels = new Uint8Array(140 * 140);
  for (let row = 30; row < 110; row++) for (let col = 60; col < 75; col++) pixels[row * 140 + col] = 255;
  for (let col = 40; col < 100; col++) pixels[35 * 140 + col] = 255;
  const ink = { pixels, width: 140, height: 140, name };
  const { bridge, workers } = window.pynnApp;
  const [main, aside] = await Promise.all([bridge.call('predict', ink), workers.predictionWorker.call('predict', ink)]);
  const [mainWhy, asideWhy] = await Promise.all([bridge.call('explain', ink),
                                                 workers.predictionWorker.call('explain', ink)]);
  return { main, aside, mainWhy: Array.from(mainWhy.saliency), asideWhy: Array.from(asideWhy.saliency) };
}"""


def answers_to(page, stroke) -> set[str]:
    """Draw ``stroke`` on a clear pad; which workers answered its predictions (one a frame)."""
    clear_pad(page)
    before = page.evaluate(ANSWERED)
    draw(page, stroke)
    wait_prediction(page)
    after = page.evaluate(ANSWERED)
    grew = {who for who in after if after[who] > before[who]}
    assert grew, f"no worker answered: {before} → {after}"
    return grew


def stroke_answered_by(page, stroke) -> str:
    """Which worker answered a stroke's predictions: "prediction" if it answered any."""
    return "prediction" if "prediction" in answers_to(page, stroke) else "main"


def test_predictions_move_to_the_prediction_worker_while_the_main_one_trains(app):
    page = app.page
    assert page.evaluate("() => window.pynnApp.workers.predictionWorker") is None, "started with the page"
    assert "main" in answers_to(page, STROKES[3])  # the first drawing: then it starts
    assert page.evaluate("() => window.pynnApp.workers.predictionWorker") is not None

    fill_settings(page, epochs=5, train_size=50_000)
    by_id(page, "train").click()  # heavy work: the prediction worker starts
    poll(page, ASIDE, timeout=RUN_TIMEOUT)
    assert by_id(page, "progress").get_attribute("data-done") != "true", "the run ended before the test drew"
    assert stroke_answered_by(page, STROKES[7]) == "prediction"
    both = page.evaluate(BOTH_ANSWER, "pretrained")
    assert both["aside"] == both["main"]
    assert both["asideWhy"] == both["mainWhy"]
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=RUN_TIMEOUT * 1000)
    app.monitor.assert_clean()


def test_your_model_trained_here_is_copied_and_read_alike(app):
    page = app.page
    fill_settings(page, epochs=1, train_size=2000)
    by_id(page, "train").click()
    expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=RUN_TIMEOUT * 1000)
    wait_ready(page)
    by_id(page, "model-select").select_option("yours")
    poll(page, ASIDE, timeout=RUN_TIMEOUT)  # the finished run's model, copied
    both = page.evaluate(BOTH_ANSWER, "yours")
    assert both["aside"] == both["main"]
    assert stroke_answered_by(page, STROKES[3]) == "prediction"
    app.monitor.assert_clean()


def test_when_the_prediction_worker_dies_the_main_one_answers_and_nothing_is_reported(app):
    page = app.page
    by_id(page, "evaluate").click()
    poll(page, ASIDE, timeout=RUN_TIMEOUT)
    page.evaluate("() => { window.pynnApp.workers.predictionWorker.request('crash', { kind: 'error' })"
                  ".catch(() => {}); }")
    poll(page, "() => window.pynnApp.workers.predictionWorker === null", timeout=30)
    assert "main" in answers_to(page, STROKES[3])  # the dead one is not asked
    assert page.locator("[data-testid=status]").get_attribute("data-state") != "error"
    expect(by_id(page, "test-accuracy")).to_contain_text(" reads ", timeout=RUN_TIMEOUT * 1000)
    # the next heavy work starts a fresh one
    by_id(page, "evaluate").click()
    poll(page, ASIDE, timeout=RUN_TIMEOUT)
    assert stroke_answered_by(page, STROKES[1]) == "prediction"
