"""Runs that survive a reload: what the page keeps in IndexedDB (database "pynn", store
"models") while a run goes on, reloading mid-run, and the same run uninterrupted in a fresh
context, to compare the two bit for bit."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from harness.app import by_id, model_json, open_app, poll, wait_ready
from harness.forms import fill_settings

RUN_TIMEOUT = 240_000  # ms, on a busy 2-core machine
TRAINED = "() => document.querySelector('[data-testid=progress]').dataset.done === 'true'"

# The stored record under a key of web/page/storage.js, or null; resolves to it as plain JSON types
# (bytes become their length), so a test can read its fields.
RECORD_JS = """key => new Promise(resolve => {
  const open = indexedDB.open('pynn');
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('models')) { db.close(); resolve(null); return; }
    const get = db.transaction('models').objectStore('models').get(key);
    get.onsuccess = () => {
      db.close();
      const record = get.result;
      if (!record) { resolve(null); return; }
      const plain = {};
      for (const [name, value] of Object.entries(record)) {
        plain[name] = value instanceof Uint8Array || value instanceof ArrayBuffer ? value.byteLength : value;
      }
      resolve(plain);
    };
    get.onerror = () => { db.close(); resolve(null); };
  };
})"""
CHECKPOINT = "run-checkpoint"  # web/page/storage.js's key of the training run's checkpoint


def stored(page: Page, key: str) -> dict | None:
    """The IndexedDB record under ``key`` (its bytes as their length), or None."""
    return page.evaluate(RECORD_JS, key)


def wait_stored(page: Page, key: str, timeout: float = RUN_TIMEOUT / 1000) -> dict:
    """Wait (s) until there is a record under ``key``; the record."""
    return poll(page, RECORD_JS, key, timeout=timeout, interval=0.5)


def wait_gone(page: Page, key: str, timeout: float = 10.0) -> None:
    poll(page, f"async key => !(await ({RECORD_JS})(key))", key, timeout=timeout, interval=0.2)


def reload_and_resume(page: Page) -> dict:
    """Once a checkpoint is kept: reload, press Resume on the offer, wait for the run's end; the
    checkpoint's record as it was when the page reloaded."""
    record = wait_stored(page, CHECKPOINT)
    page.reload()
    wait_ready(page)
    expect(by_id(page, "resume-offer")).to_be_visible()
    by_id(page, "resume").click()
    poll(page, TRAINED, timeout=RUN_TIMEOUT / 1000)
    wait_ready(page, 30_000)
    expect(by_id(page, "resume-offer")).to_be_hidden()
    return record


def uninterrupted(browser, browser_context_args: dict, base_url: str, settings: dict) -> str:
    """The model file (JSON) of "yours" after the run of ``settings`` in a fresh context, never reloaded."""
    context = browser.new_context(**browser_context_args)
    try:
        page = context.new_page()
        open_app(page, base_url)
        fill_settings(page, **settings)
        by_id(page, "train").click()
        poll(page, TRAINED, timeout=RUN_TIMEOUT / 1000)
        wait_ready(page, 30_000)
        return model_json(page, "yours")
    finally:
        context.close()
