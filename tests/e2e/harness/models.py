"""The model panel: choosing a model, downloading and uploading model files, IndexedDB."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from harness.app import by_id, wait_ready


def model_options(page: Page) -> list[str]:
    return by_id(page, "model-select").evaluate("s => [...s.options].map(o => o.value)")


def model_in_use(page: Page) -> str:
    return by_id(page, "model-select").input_value()


def select_model(page: Page, name: str) -> None:
    """Choose a model and wait until the page says it is ready with it."""
    by_id(page, "model-select").select_option(name)
    expect(by_id(page, "model-select")).to_have_value(name)
    wait_ready(page, 30_000)


def download_model(page: Page, directory: Path, press=None) -> Path:
    """Press Download (or run ``press()``, e.g. a key on the focused button); the saved file."""
    with page.expect_download(timeout=15_000) as info:
        (press or by_id(page, "download-model").click)()
    download = info.value
    path = directory / download.suggested_filename
    download.save_as(path)
    return path


def upload_model(page: Page, path: Path) -> None:
    """Give the upload input a file, as choosing it in the file dialog does."""
    by_id(page, "upload-model").set_input_files(str(path))


SAVED_JS = """name => new Promise(resolve => {
  const open = indexedDB.open('pynn');
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('models')) { db.close(); resolve(null); return; }
    const get = db.transaction('models').objectStore('models').get(name);
    get.onsuccess = () => { db.close(); resolve(get.result ? JSON.stringify(get.result).length : null); };
    get.onerror = () => { db.close(); resolve(null); };
  };
})"""


def wait_saved(page: Page, name: str = "yours", timeout: float = 10.0) -> int:
    """The size of the IndexedDB record of ``name`` (database pynn, store models), once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        size = page.evaluate(SAVED_JS, name)
        if size:
            return size
        time.sleep(0.2)
    raise AssertionError(f"no model {name!r} in IndexedDB (database 'pynn', store 'models') after Save")
