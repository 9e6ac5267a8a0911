"""A fine-tune in a page of its own: a worker crash in the middle of one is said, with Restart,
and the controls come back; leaving is warned of only while work would be lost; a fine-tune
that makes the model worse says so and shows what it measured; Evaluate during a fine-tune
reads the model in use (both finish); and Stop works below the page, at the worker's protocol."""

from __future__ import annotations

from harness import SITE
from harness.app import by_id, crash, model_json, poll, state, wait_ready
from harness.forms import fill_settings
from harness.runs import CHECKPOINT, wait_stored
from harness.teaching import missing_model, mnist, native_report
from playwright.sync_api import expect
from teach_helpers import TRAINING_TIMEOUT, confusion, set_finetune_settings

from pynn.files import modelfile
from pynn.page import your_digits
from pynn.page.settings import DEFAULTS

UNDER_WAY = ("() => +document.querySelector('[data-testid=finetune-progress]')"
             ".getAttribute('aria-valuenow') > 0")
LONG_FINETUNE = {"rounds": 100, "round_size": 1500, "test_size": 100}


def upload_digits(page, tmp_path, count: int = 40) -> None:
    """Your digits, made of MNIST test images and uploaded, as a user's digits file is."""
    test = mnist("test")
    digits = [{"label": int(test.labels[i]), "pixels": test.x[i].tobytes(), "strokes": []} for i in range(count)]
    path = tmp_path / "digits.json"
    path.write_bytes(your_digits.dumps(digits))
    by_id(page, "upload-digits").set_input_files(str(path))
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(count)


def test_a_worker_crash_during_a_finetune_is_said_and_restart_brings_the_controls_back(app, tmp_path):
    """The fine-tune's own ending used to set the status back to "ready" over the crash: the
    message and Restart vanished and every control stayed disabled."""
    page = app.page
    upload_digits(page, tmp_path)
    set_finetune_settings(page, **LONG_FINETUNE)
    by_id(page, "fine-tune").click()
    poll(page, UNDER_WAY, timeout=TRAINING_TIMEOUT / 1000)
    crash(page, "error")
    status = by_id(page, "status")
    expect(status).to_have_attribute("data-state", "error")
    page.wait_for_timeout(1500)  # the fine-tune's request was rejected meanwhile: the crash is still said
    assert state(page) == "error" and "Press Restart" in status.inner_text(), status.inner_text()
    restart = page.get_by_role("button", name="Restart")
    expect(restart).to_be_visible()
    restart.click()
    wait_ready(page)
    for control in ("fine-tune", "train", "evaluate", "upload-digits"):
        expect(by_id(page, control)).to_be_enabled()
    expect(by_id(page, "stop-finetune")).to_be_disabled()
    expect(page.locator("#finetune-round_size")).to_be_enabled()
    by_id(page, "fine-tune").click()  # and a fine-tune runs again, and stops
    poll(page, UNDER_WAY, timeout=TRAINING_TIMEOUT / 1000)
    by_id(page, "stop-finetune").click()
    expect(by_id(page, "finetune-message")).to_contain_text("Stopped", timeout=TRAINING_TIMEOUT)
    assert state(page) == "ready"


# What leaving now would do: the page's beforeunload handler prevents it (the browser asks) or not.
LEAVING_IS_WARNED = """() => {
  const event = new Event('beforeunload', { cancelable: true });
  dispatchEvent(event);
  return event.defaultPrevented;
}"""



def test_leaving_is_warned_of_only_while_work_would_be_lost(app, tmp_path):
    page = app.page
    assert page.evaluate(LEAVING_IS_WARNED) is False  # nothing at stake
    upload_digits(page, tmp_path)
    assert page.evaluate(LEAVING_IS_WARNED) is False  # your digits are kept in IndexedDB
    set_finetune_settings(page, **LONG_FINETUNE)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "stop-finetune")).to_be_enabled()
    assert page.evaluate(LEAVING_IS_WARNED) is True  # a fine-tune with no checkpoint kept yet
    wait_stored(page, CHECKPOINT, timeout=TRAINING_TIMEOUT / 1000)
    poll(page, f"() => !({LEAVING_IS_WARNED})()", timeout=10)  # a reload would offer to resume it
    by_id(page, "stop-finetune").click()
    expect(by_id(page, "finetune-message")).to_contain_text("Stopped", timeout=TRAINING_TIMEOUT)
    assert page.evaluate(LEAVING_IS_WARNED) is False

    fill_settings(page, epochs=12, train_size=50_000)
    by_id(page, "train").click()
    expect(by_id(page, "stop")).to_be_enabled()
    assert page.evaluate(LEAVING_IS_WARNED) is True  # a run with no checkpoint kept yet
    wait_stored(page, CHECKPOINT, timeout=TRAINING_TIMEOUT / 1000)
    poll(page, f"() => !({LEAVING_IS_WARNED})()", timeout=10)  # a reload would offer to resume it
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=TRAINING_TIMEOUT)


REFUSED_BELOW_THE_PAGE = """async ([kind, settings]) => {
  const job = window.pynnApp.bridge.job(kind, { settings });
  const running = new Promise((resolve) => setTimeout(() => { job.stop(); resolve('not refused'); }, 5000));
  return Promise.race([job.result.then(() => 'not refused', (error) => error.message), running]);
}"""


def test_one_run_at_a_time_the_other_is_disabled_and_refused_below_the_page(app, tmp_path):
    """A training run and a fine-tune never run together: while one goes, the other's button is
    disabled, and the worker refuses it if asked directly (start_finetune once did not check)."""
    page = app.page
    upload_digits(page, tmp_path)
    fill_settings(page, epochs=12, train_size=50_000)
    by_id(page, "train").click()
    expect(by_id(page, "stop")).to_be_enabled()
    expect(by_id(page, "fine-tune")).to_be_disabled()
    assert "a training run is going" in page.evaluate(REFUSED_BELOW_THE_PAGE, ["finetune", LONG_FINETUNE])
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=TRAINING_TIMEOUT)
    wait_ready(page)

    set_finetune_settings(page, **LONG_FINETUNE)
    by_id(page, "fine-tune").click()
    poll(page, UNDER_WAY, timeout=TRAINING_TIMEOUT / 1000)
    expect(by_id(page, "train")).to_be_disabled()
    assert "a fine-tune is going" in page.evaluate(REFUSED_BELOW_THE_PAGE, ["train", {**DEFAULTS, "epochs": 1}])
    by_id(page, "stop-finetune").click()
    expect(by_id(page, "finetune-message")).to_contain_text("Stopped", timeout=TRAINING_TIMEOUT)


def test_a_finetune_that_makes_the_model_worse_says_so_and_shows_what_it_measured(app, tmp_path):
    """At η = 1000 MNIST falls to about chance: the page says the model got worse, and the model's
    line shows the test accuracy measured after the fine-tune, not the base's 99.5%."""
    page = app.page
    upload_digits(page, tmp_path)
    set_finetune_settings(page, rounds=1, round_size=300, test_size=1000, eta=1000)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "finetune-result").locator("tr")).to_have_count(3, timeout=TRAINING_TIMEOUT)
    wait_ready(page)
    finetuned = modelfile.loads(model_json(page, "finetuned"))
    after = finetuned.meta["finetune"]["after"]["mnist_test"]
    assert after["total"] == 1000 and after["accuracy"] < 0.5, after  # worse indeed
    measured = f"{after['accuracy'] * 100:.2f}%"
    shown = by_id(page, "finetune-result").locator("[data-measure=mnist_test]").inner_text()
    assert f"({after['correct']}/1000)" in shown, shown
    expect(page.locator("#model-info")).to_contain_text(f"test accuracy {measured}")
    message = by_id(page, "finetune-message")
    expect(message).to_contain_text("It made the model worse: MNIST test accuracy fell from")
    expect(message).to_contain_text(f"to {measured}")
    expect(message).to_have_class("teach-message warning")


def test_evaluate_during_a_finetune_reads_the_model_in_use_and_both_finish(app, tmp_path):
    """A fine-tune trains a copy, so the model in use is not changing under an evaluation: it is
    not refused, it evaluates that model (exactly as pynn.page.report does natively), and the
    fine-tune ends too (with one shared channel, the fine-tune froze at "measuring before")."""
    page = app.page
    upload_digits(page, tmp_path)
    set_finetune_settings(page, rounds=2, round_size=300, test_size=500)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "status")).to_have_attribute("data-state", "training")
    page.wait_for_timeout(1500)
    expect(by_id(page, "evaluate")).to_be_enabled()
    by_id(page, "evaluate").click()
    accuracy = by_id(page, "test-accuracy")
    expect(accuracy).to_contain_text(" reads ", timeout=TRAINING_TIMEOUT)
    expect(by_id(page, "finetune-result").locator("tr")).to_have_count(3, timeout=TRAINING_TIMEOUT)
    assert accuracy.get_attribute("data-model") == "pretrained"
    assert by_id(page, "model-select").input_value() == "finetuned"
    native = native_report(modelfile.loads((SITE / "models" / "pretrained.npz").read_bytes()))
    assert confusion(page) == native["confusion"]


# A fine-tune driven through the bridge alone: started, stopped once it has trained, and
# watched for a while after its answer (a job that went on would go on reporting).
STOP_BELOW_THE_PAGE = """async ([settings, patience]) => {
  const { bridge } = window.pynnApp;
  const reports = [];
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const job = bridge.job('finetune', { settings }, { onProgress: (report) => reports.push(report) });
  const deadline = performance.now() + patience;
  while (!reports.some((r) => r.progress?.batches > 0)) {
    if (performance.now() > deadline) return { error: 'it never trained' };
    await sleep(20);
  }
  job.stop();
  const outcome = await Promise.race([job.result, sleep(patience).then(() => ({ error: 'Stop was not heeded' }))]);
  const answered = reports.length;
  await sleep(1000);
  return { outcome, after: reports.length - answered, total: reports.at(-1).progress.total_batches };
}"""


def test_stop_ends_a_finetune_below_the_page(app, tmp_path):
    """The worker's fine-tune job, through the bridge alone: Stop ends it (its answer says
    stopped, with no result), nothing more is reported, no "finetuned" model is made, and the
    next run may start at once (the job is gone from the worker's loop)."""
    page = app.page
    upload_digits(page, tmp_path)
    ended = page.evaluate(STOP_BELOW_THE_PAGE, [LONG_FINETUNE, 60_000])
    assert "error" not in ended and "error" not in ended["outcome"], ended
    outcome = ended["outcome"]
    assert outcome["stopped"] is True and outcome["result"] is None, outcome
    assert 0 < outcome["progress"]["batches"] < ended["total"], outcome
    assert ended["after"] == 0, ended
    assert "finetuned" in missing_model(page, "finetuned")
    again = page.evaluate("""async (settings) => {
      const job = window.pynnApp.bridge.job('finetune', { settings });
      job.stop();
      return job.result.then((outcome) => outcome.stopped, (error) => error.message);
    }""", LONG_FINETUNE)
    assert again is True, again
