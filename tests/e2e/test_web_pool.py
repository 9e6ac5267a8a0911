"""The pool of workers (web/page/pool.js), seen from the page: an evaluation split over two Pythons
reports exactly what pynn does natively on one (the confusion matrix and the mistakes, in
order), a pool worker killed mid-evaluation has its share redone with the same result, Stop
ends a split evaluation, the conv outputs the pool computes ahead once a digit is labelled are
one worker's bit for bit, and the "workers" setting lives in the URL hash, bad values said.
Stop also ends a warm evaluation (the main worker's alone), losing none of the conv outputs it
keeps; and nothing is computed ahead while a training run goes (it is done after)."""

from __future__ import annotations

import pytest
from harness import ROOT
from harness.app import by_id, poll, start_app
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.forms import fill_settings
from harness.predictions import wait_prediction
from playwright.sync_api import expect
from teach_helpers import confusion, draw_and_label, style_drawings

from pynn.files import modelfile
from pynn.page.browser import read_npz
from pynn.page.report import Evaluation

RUN_TIMEOUT = 300_000  # ms, on a busy 2-core machine
SITE = ROOT / "site"
POOL_WORKERS = "() => window.pynnApp.workers.pool.workers.length"


@pytest.fixture(scope="module")
def native_report() -> dict:
    """The shipped model's report on the test set, natively and on one Python: the oracle."""
    model = modelfile.loads((SITE / "models" / "pretrained.npz").read_bytes())
    evaluation = Evaluation(model, read_npz((SITE / "data" / "mnist-test.npz").read_bytes()))
    evaluation.run()
    return evaluation.result(100)


def shown_report(page) -> tuple[list[list[int]], list[int]]:
    mistakes = by_id(page, "mistakes").locator("> [data-index]").evaluate_all("ms => ms.map(m => +m.dataset.index)")
    return confusion(page), mistakes


def evaluate(page) -> None:
    by_id(page, "evaluate").click()
    expect(by_id(page, "test-accuracy")).to_contain_text(" reads ", timeout=RUN_TIMEOUT)


def test_two_workers_report_exactly_what_pynn_does_natively(app, native_report):
    page = app.page
    by_id(page, "workers").select_option("2")
    assert "workers=2" in page.evaluate("location.hash")
    by_id(page, "evaluate").click()
    poll(page, f"() => ({POOL_WORKERS})() === 1", timeout=60)  # the main worker and one of the pool's
    expect(by_id(page, "test-accuracy")).to_contain_text("on 2 workers", timeout=RUN_TIMEOUT)
    matrix, mistakes = shown_report(page)
    assert matrix == native_report["confusion"]
    assert mistakes == [m["index"] for m in native_report["mistakes"]]
    # An evaluation loads the test set only, in every worker: the training set would hold up the
    # main worker's first share (the service worker's precaching aside).
    loaded = {url.rsplit("/", 1)[1] for source, _, url in app.monitor.requests
              if "/data/mnist-" in url and source != "service worker"}
    assert loaded == {"mnist-test.npz"}, loaded
    # The main worker now keeps every conv output (its own and the pool's): the next evaluation
    # is its top layers only, done by the main worker alone, with the same report.
    page.evaluate("() => { document.querySelector('[data-testid=test-accuracy]').textContent = ''; }")
    evaluate(page)
    assert "in the worker" in by_id(page, "test-accuracy").inner_text()
    assert shown_report(page) == (matrix, mistakes)
    app.monitor.assert_clean()


KEPT = "() => window.pynnApp.bridge.call('kept_features', { name: 'pretrained' })"


def kept_after_labelling(browser, browser_context_args, site_server, workers: int,
                         kill: bool = False) -> tuple[str, int]:
    """A fresh page with ``workers``: a digit labelled, then computing ahead to its end; the sha256
    of the main worker's kept conv outputs of the test set, and the shares the pool gave it.
    ``kill``: the pool's worker is killed as soon as it is up (its shares fall to the main worker)."""
    context = browser.new_context(**browser_context_args)
    try:
        app = start_app(context, f"{site_server.url}#workers={workers}", site_server.origin)
        drawing = style_drawings()[0]
        draw_and_label(app.page, drawing["strokes"], drawing["digit"])
        if kill:
            poll(app.page, f"() => ({POOL_WORKERS})() === 1", timeout=60)
            app.page.evaluate("async () => { const [helper] = window.pynnApp.workers.pool.workers; await helper.ready;"
                              " helper.request('crash', { kind: 'error' }).catch(() => {}); }")
        poll(app.page, f"async () => (await ({KEPT})()).missing === 0", timeout=RUN_TIMEOUT / 1000, interval=0.5)
        if kill:
            poll(app.page, f"() => ({POOL_WORKERS})() === 0", timeout=30)
            assert app.page.locator("[data-testid=status]").get_attribute("data-state") != "error"
        app.monitor.assert_clean()
        return app.page.evaluate(KEPT)["sha256"], app.page.evaluate("() => window.pynnApp.workers.pool.aheadShares")
    finally:
        context.close()


@pytest.fixture(scope="module")
def one_workers_kept(browser, browser_context_args, site_server) -> str:
    """The conv outputs one worker keeps after computing ahead on its own: the oracle."""
    digest, shares = kept_after_labelling(browser, browser_context_args, site_server, 1)
    assert shares == 0
    return digest


def test_conv_outputs_computed_ahead_on_two_workers_are_one_workers_bit_for_bit(browser, browser_context_args,
                                                                                 site_server, one_workers_kept):
    pooled, shares = kept_after_labelling(browser, browser_context_args, site_server, 2)
    assert shares > 0  # the pool's worker did compute some of them
    assert pooled == one_workers_kept


def test_a_pool_worker_killed_while_computing_ahead_leaves_its_shares_to_the_main_worker(
        browser, browser_context_args, site_server, one_workers_kept):
    killed, _ = kept_after_labelling(browser, browser_context_args, site_server, 2, kill=True)
    assert killed == one_workers_kept


def test_a_pool_worker_killed_mid_evaluation_has_its_share_redone(app, native_report):
    page = app.page
    by_id(page, "workers").select_option("2")
    by_id(page, "evaluate").click()
    poll(page, "() => +document.querySelector('[data-testid=evaluate-progress]').getAttribute('aria-valuenow') > 0",
         timeout=RUN_TIMEOUT / 1000)
    assert page.evaluate(POOL_WORKERS) == 1
    page.evaluate("() => { window.pynnApp.workers.pool.workers[0].request('crash', { kind: 'error' })"
                  ".catch(() => {}); }")
    expect(by_id(page, "test-accuracy")).to_contain_text(" reads ", timeout=RUN_TIMEOUT)
    assert page.evaluate(POOL_WORKERS) == 0
    matrix, mistakes = shown_report(page)
    assert matrix == native_report["confusion"]
    assert mistakes == [m["index"] for m in native_report["mistakes"]]
    assert page.locator("[data-testid=status]").get_attribute("data-state") != "error"


def test_stop_ends_a_split_evaluation(app):
    page = app.page
    by_id(page, "workers").select_option("2")
    by_id(page, "evaluate").click()
    poll(page, f"() => ({POOL_WORKERS})() === 1", timeout=60)
    by_id(page, "stop-evaluate").click()
    expect(by_id(page, "test-accuracy")).to_contain_text("Stopped", timeout=RUN_TIMEOUT)
    expect(by_id(page, "evaluate")).to_be_enabled()
    evaluate(page)  # and the next one runs to its end
    assert "on 2 workers" in by_id(page, "test-accuracy").inner_text()


@pytest.mark.parametrize("value", ["banana", "0", "-1", "2.5", ""])
def test_a_bad_workers_value_in_the_hash_is_said_and_auto_used(app, value):
    page = app.page
    page.evaluate(f"() => {{ location.hash = 'epochs=2&workers={value}'; }}")
    expect(by_id(page, "workers-message")).to_contain_text(f"“{value}” is not one of auto, 1, 2")
    expect(by_id(page, "workers")).to_have_value("auto")
    assert page.evaluate("() => window.pynnApp.workers.pool.choice") == "auto"
    page.evaluate("() => { location.hash = 'epochs=2&workers=3'; }")
    expect(by_id(page, "workers")).to_have_value("3")
    expect(by_id(page, "workers-message")).to_have_text("")
    assert page.evaluate("() => window.pynnApp.workers.pool.size") == 3


def test_auto_uses_every_core_within_the_memory_share(app):
    sizes = app.page.evaluate("""async () => {
      const { poolSize } = await import('./page/pool_size.js');
      return [poolSize('auto', { cores: 2, deviceGB: 8 }), poolSize('auto', { cores: 16, deviceGB: 8 }),
              poolSize('auto', { cores: 8, deviceGB: 1 }), poolSize('auto', { cores: 4, deviceGB: undefined }),
              poolSize('4', { cores: 2, deviceGB: 1 })];
    }""")
    # 8 GB × 0.25 / 160 MiB = 12 workers at most; 1 GB holds one; unknown memory: the cores
    assert sizes == [2, 8, 1, 4, 4]


def test_an_evaluations_shares_cover_every_part_once_and_shrink_to_one(app):
    """handout.js's Shares, the hand-out of a split evaluation: taken from both ends, one put back
    on the way (its worker died). Catches a hand-out that skips or repeats a part, loses a share
    put back, or whose shares do not shrink (a worker then waits long for the last one)."""
    taken = app.page.evaluate("""async () => {
      const { Shares } = await import('./page/handout.js');
      const plan = new Shares(100, 2);
      const taken = [];
      while (plan.left) {
        const share = plan.take(taken.length % 3 !== 0);
        if (taken.length === 3 && !share.back) plan.putBack({ ...share, back: true }); // taken next, whole
        else taken.push(share);
      }
      return taken;
    }""")
    parts = sorted(part for share in taken for part in range(share["part"], share["part"] + share["span"]))
    assert parts == list(range(100))
    assert any(share.get("back") for share in taken)  # the share put back went out again, whole
    spans = [share["span"] for share in taken if not share.get("back")]
    assert spans[0] == 25 and spans[-3:] == [1, 1, 1]  # a quarter of 100 first, one part at the end
    assert all(later <= earlier for earlier, later in zip(spans, spans[1:]))
    assert len(taken) <= 20  # fewer messages than one share a part


# Clicks Stop at the evaluation's first progress (the panel's bar changing), in the same task:
# the job is under way then, and many turns from its end.
STOP_AT_FIRST_PROGRESS = """() => new Promise((resolve) => {
  const bar = document.querySelector('[data-testid=evaluate-progress]');
  const watch = new MutationObserver(() => {
    watch.disconnect();
    document.querySelector('[data-testid=stop-evaluate]').click();
    resolve(bar.getAttribute('aria-valuenow'));
  });
  watch.observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  document.querySelector('[data-testid=evaluate]').click();
})"""
# Evaluate and Stop in one task: Stop comes before the pool has even asked the main worker whether
# it keeps every conv output.
STOP_AT_ONCE = """() => { document.querySelector('[data-testid=evaluate]').click();
                         document.querySelector('[data-testid=stop-evaluate]').click(); }"""


def test_stop_during_a_warm_evaluation_stops_it_and_loses_nothing(app, native_report):
    page = app.page
    by_id(page, "workers").select_option("2")
    evaluate(page)  # cold, on 2 workers: the main worker keeps every conv output after it
    kept = page.evaluate(KEPT)
    assert kept["missing"] == 0
    for when, stop in (("at its first progress", STOP_AT_FIRST_PROGRESS), ("at once", STOP_AT_ONCE)):
        page.evaluate(stop)
        expect(by_id(page, "test-accuracy"), f"Stop {when} did not stop the warm evaluation").to_contain_text(
            "Stopped", timeout=RUN_TIMEOUT)
        expect(by_id(page, "evaluate")).to_be_enabled()
        assert page.evaluate(KEPT) == kept  # nothing kept was lost
    # The page goes on: a drawing is read, and the next evaluation is warm and one worker's report.
    clear_pad(page)
    draw(page, STROKES[7])
    assert wait_prediction(page).text == "7"
    evaluate(page)
    assert "in the worker" in by_id(page, "test-accuracy").inner_text()
    matrix, mistakes = shown_report(page)
    assert matrix == native_report["confusion"]
    assert mistakes == [m["index"] for m in native_report["mistakes"]]
    assert page.locator("[data-testid=status]").get_attribute("data-state") != "error"
    app.monitor.assert_clean()


TRAINING = "() => document.querySelector('[data-testid=progress]').dataset"
AHEAD = "() => [window.pynnApp.workers.pool.workers.length, window.pynnApp.workers.pool.aheadShares]"


def trained_seconds(page) -> float:
    return float(page.evaluate(TRAINING).get("elapsed", 0))


def train_for(page, seconds: float) -> dict:
    """Waits until the run has trained ``seconds`` more; its progress then (it must still run)."""
    until = trained_seconds(page) + seconds
    poll(page, f"() => +({TRAINING})().elapsed >= {until}", timeout=RUN_TIMEOUT / 1000, interval=0.2)
    progress = page.evaluate(TRAINING)
    assert progress["done"] == "false" and progress.get("stopped") != "true", "the run ended too soon to tell"
    return progress


def test_nothing_is_computed_ahead_while_training_runs_and_it_is_done_after(app, one_workers_kept):
    """A digit labelled during a run starts no pool worker and no conv output on the main worker
    (its computing ahead waits in the background); once the run ends, the main worker computes
    them, one worker's bit for bit."""
    page = app.page
    by_id(page, "workers").select_option("2")
    fill_settings(page, epochs=30, train_size=50_000)
    by_id(page, "train").click()
    train_for(page, 0.5)
    drawing = style_drawings()[0]
    draw_and_label(page, drawing["strokes"], drawing["digit"])
    missing = page.evaluate(KEPT)["missing"]
    assert missing > 0
    train_for(page, 5)  # the run goes on, and with it, nothing ahead
    assert page.evaluate(AHEAD) == [0, 0]
    assert page.evaluate(KEPT)["missing"] == missing
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=RUN_TIMEOUT)
    poll(page, f"async () => (await ({KEPT})()).missing === 0", timeout=RUN_TIMEOUT / 1000, interval=0.5)
    assert page.evaluate(KEPT)["sha256"] == one_workers_kept
    app.monitor.assert_clean()


def test_a_run_that_begins_while_the_pool_computes_ahead_stops_it(app):
    page = app.page
    by_id(page, "workers").select_option("2")
    drawing = style_drawings()[0]
    draw_and_label(page, drawing["strokes"], drawing["digit"])
    poll(page, f"() => ({AHEAD})()[1] >= 1", timeout=RUN_TIMEOUT / 1000, interval=0.2)  # the pool gives shares
    fill_settings(page, epochs=30, train_size=50_000)
    by_id(page, "train").click()
    train_for(page, 1)  # a share under way when it began ends at its next turn
    shares, missing = page.evaluate(AHEAD)[1], page.evaluate(KEPT)["missing"]
    assert missing > 0
    train_for(page, 5)
    assert page.evaluate(AHEAD)[1] == shares  # the pool gave nothing more
    assert page.evaluate(KEPT)["missing"] == missing  # and the main worker computed nothing ahead
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=RUN_TIMEOUT)
    app.monitor.assert_clean()
