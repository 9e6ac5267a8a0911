"""What the page does at the edges of keeping runs (issue 14, part 1): Discard deletes the
checkpoint; persistent storage is asked for once, when there is first something to keep; a
full disk is said plainly and leaves what was kept before whole; a checkpoint from another
build, or a corrupt one, is refused with a message and never half-loaded."""

from __future__ import annotations

import pytest
from harness.app import by_id, model_json, poll, start_app, wait_ready
from harness.forms import VALID_SETTINGS, fill_settings
from harness.models import model_options
from harness.runs import CHECKPOINT, RECORD_JS, stored, wait_gone, wait_stored
from harness.training import train
from playwright.sync_api import expect

LATEST = "latest-model"
QUICK = {**VALID_SETTINGS, "epochs": 1, "train_size": 1000, "seed": 11}
LONG = {**VALID_SETTINGS, "epochs": 12, "train_size": 50_000, "seed": 5}  # a checkpoint ~10 s in

# Counts navigator.storage.persist() calls, and makes IDBObjectStore.put throw as a full disk
# does for the keys in window.__fullFor.
STUBS = """
window.__persistCalls = 0;
if (navigator.storage) navigator.storage.persist = () => { window.__persistCalls += 1; return Promise.resolve(true); };
window.__fullFor = new Set();
const put = IDBObjectStore.prototype.put;
IDBObjectStore.prototype.put = function (value, key) {
  if (window.__fullFor.has(key)) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  return put.call(this, value, key);
};
"""
PUT_JS = """([key, record]) => new Promise((resolve, reject) => {
  const open = indexedDB.open('pynn');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction('models', 'readwrite');
    tx.objectStore('models').put({...record, bytes: new Uint8Array(record.bytes)}, key);
    tx.oncomplete = () => { open.result.close(); resolve(true); };
    tx.onerror = () => reject(tx.error);
  };
})"""
SETTLED = "async () => { await window.pynnApp.ready; return true; }"  # the offer made, or not


@pytest.fixture
def stubbed(context, site_server):
    context.add_init_script(STUBS)
    return start_app(context, site_server.url, site_server.origin)


def reload(page) -> None:
    page.reload()
    wait_ready(page)
    poll(page, SETTLED)


def test_persistent_storage_is_asked_for_once_when_there_is_first_something_to_keep(stubbed):
    page = stubbed.page
    assert page.evaluate("window.__persistCalls") == 0  # nothing to keep yet: not asked
    train(page, QUICK)
    first = wait_stored(page, LATEST)
    poll(page, "() => window.__persistCalls === 1", timeout=10)
    train(page, QUICK, seed=12)
    poll(page, f"async () => (await ({RECORD_JS})('{LATEST}')).savedAt !== {first['savedAt']!r}", timeout=10)
    assert page.evaluate("window.__persistCalls") == 1  # asked once, not at every keep
    assert stubbed.monitor.errors == []


def test_a_full_disk_is_said_plainly_and_the_model_kept_before_stays_whole(stubbed):
    page = stubbed.page
    train(page, QUICK)
    first = wait_stored(page, LATEST)
    first_model = model_json(page, "yours")
    page.evaluate(f"window.__fullFor.add('{LATEST}')")
    train(page, QUICK, seed=12)
    expect(page.locator("#model-error")).to_contain_text("storage is full", timeout=30_000)
    expect(page.locator("#model-error")).to_contain_text("press Save or Download to keep it")
    assert stored(page, LATEST) == first  # not half-written: the one before, as it was
    reload(page)
    assert model_json(page, "yours") == first_model
    assert stubbed.monitor.errors == []


def test_a_checkpoint_that_does_not_fit_is_said_plainly_and_nothing_is_written(stubbed):
    page = stubbed.page
    page.evaluate(f"window.__fullFor.add('{CHECKPOINT}')")
    fill_settings(page, **LONG)
    by_id(page, "train").click()
    expect(page.locator("#train-message")).to_contain_text("progress cannot be kept", timeout=120_000)
    expect(page.locator("#train-message")).to_contain_text("storage is full")
    assert stored(page, CHECKPOINT) is None
    if by_id(page, "stop").is_enabled():
        by_id(page, "stop").click()
    poll(page, "() => ['done', 'stopped'].some(k => document.querySelector('[data-testid=progress]')"
               ".dataset[k] === 'true')", timeout=60)
    assert stored(page, CHECKPOINT) is None
    assert stubbed.monitor.errors == []


def test_discard_deletes_the_checkpoint_and_a_reload_offers_nothing(app):
    page = app.page
    fill_settings(page, **LONG)
    by_id(page, "train").click()
    wait_stored(page, CHECKPOINT)
    reload(page)
    expect(by_id(page, "resume-offer")).to_be_visible()
    by_id(page, "discard-run").click()
    expect(by_id(page, "resume-offer")).to_be_hidden()
    wait_gone(page, CHECKPOINT)
    reload(page)
    expect(by_id(page, "resume-offer")).to_be_hidden()
    assert app.monitor.errors == []


def put_checkpoint(page, version: str | None, data: bytes) -> None:
    """A run's checkpoint record as runs.js writes one, with these bytes; version None: this build's."""
    if version is None:
        version = page.evaluate("async () => (await import('./page/offline.js')).pageVersion")
    page.evaluate(PUT_JS, [CHECKPOINT, {"bytes": list(data), "version": version, "settings": QUICK, "charts": None,
                                        "epoch": 0, "epochs": 1, "savedAt": "2026-01-01T00:00:00Z"}])


def test_a_checkpoint_from_another_build_is_refused_with_a_message_and_dropped(app):
    page = app.page
    put_checkpoint(page, "another-build", b"PK\x03\x04 whatever it holds")
    reload(page)
    expect(page.locator("#train-message")).to_contain_text("kept by another version of this page")
    expect(by_id(page, "resume-offer")).to_be_hidden()
    wait_gone(page, CHECKPOINT)
    assert "yours" not in model_options(page)
    assert app.monitor.errors == []


def test_a_corrupt_checkpoint_is_refused_at_resume_with_a_message_and_nothing_half_loaded(app):
    page = app.page
    put_checkpoint(page, None, b"PK\x03\x04" + bytes(range(256)) * 4)
    reload(page)
    expect(by_id(page, "resume-offer")).to_be_visible()
    by_id(page, "resume").click()
    expect(page.locator("#train-message")).to_contain_text("could not resume", timeout=60_000)
    expect(page.locator("#train-message")).to_contain_text("not a valid .npz")
    assert "yours" not in model_options(page)  # no network made from half of it
    wait_gone(page, CHECKPOINT)  # refused: not offered again
    wait_ready(page)
    assert app.monitor.errors == []
