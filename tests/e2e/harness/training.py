"""Training in the page: its progress, a log of every change, and a run from click to done."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from harness import SITE
from harness.app import by_id, wait_ready
from harness.forms import fill_settings

TRAIN_TIMEOUT = 180_000  # ms

RECORDER_JS = """() => {
  const q = id => document.querySelector(`[data-testid="${id}"]`);
  const log = window.__e2eLog = [];
  const record = () => {
    const p = q('progress'), s = q('status'), a = q('accuracy');
    const entry = {t: performance.now(), state: s?.dataset.state, epoch: p?.dataset.epoch, batch: p?.dataset.batch,
                   batches: p?.dataset.batchesPerEpoch, done: p?.dataset.done, elapsed: p?.dataset.elapsed,
                   accuracy: a?.textContent.trim()};
    const last = log[log.length - 1];
    if (!last || ['state', 'epoch', 'batch', 'done', 'accuracy'].some(k => last[k] !== entry[k])) log.push(entry);
  };
  record();
  new MutationObserver(record).observe(document.body,
    {subtree: true, attributes: true, childList: true, characterData: true});
}"""


def start_recording(page: Page) -> None:
    """Log every change of status, progress and accuracy from now on (a MutationObserver in the page)."""
    page.evaluate(RECORDER_JS)


def recording(page: Page) -> list[dict]:
    return page.evaluate("() => window.__e2eLog || []")


def progress(page: Page) -> dict:
    return by_id(page, "progress").evaluate("e => ({...e.dataset})")


def train(page: Page, settings: dict | None = None, timeout: float = TRAIN_TIMEOUT, **changes) -> dict:
    """Fill the form (harness.forms.fill_settings), press Start training, wait (ms) for the run to
    end and the page to be ready again; the final progress."""
    fill_settings(page, settings, **changes)
    by_id(page, "train").click()
    expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=timeout)
    wait_ready(page, 30_000)
    return progress(page)


def native_run(settings: dict):
    """The run the page's worker makes for ``settings``, natively (pynn.page.browser.Session's "train"
    job, turns of its loop until the job ends): the last progress record and the network."""
    from pynn.page.browser import Session

    session = Session()
    session.set_data((SITE / "data" / "mnist-train.npz").read_bytes(), (SITE / "data" / "mnist-test.npz").read_bytes())
    job = session.start_job("train", settings=settings)["job"]
    ends = ("result", "error")
    while not (ended := [e for e in session.work(10.0)["events"] if e["job"] == job and any(k in e for k in ends)]):
        pass
    assert "result" in ended[0], ended[0]
    return ended[0]["result"]["progress"], session.models["yours"]


# Counts, in the main worker, what it posts on its share ports: a share as a message ({args}) or a
# new slot of shared memory ({slot}), after which shares travel in that memory (web/worker/shares.js).
COUNT_SHARE_TRAFFIC = """() => {
  const counts = self.shareTraffic = { messages: 0, slots: 0 };
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (data, ...rest) {
    if (data?.args) counts.messages += 1;
    if (data?.slot) counts.slots += 1;
    return post.call(this, data, ...rest);
  };
}"""


def count_share_traffic(page: Page):
    """Starts counting how the main worker sends training shares; returns a reader of the counts
    ({messages, slots})."""
    main = next(worker for worker in page.workers if worker.evaluate("self.name || 'main'") == "main")
    main.evaluate(COUNT_SHARE_TRAFFIC)
    return lambda: main.evaluate("self.shareTraffic")
