"""Your model: kept in IndexedDB across visits, and uploads that are checked before use."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from digits import STROKES
from helpers import (
    SITE,
    by_id,
    check_against_native,
    clear_pad,
    draw,
    fill_settings,
    model_options,
    pad_ink,
    select_model,
    shoot,
    tap_predictions,
    wait_prediction,
    wait_ready,
)
from playwright.sync_api import expect

from pynn import Network, io
from pynn.digits import normalize_digit

TRAIN_TIMEOUT = 180_000


def predict_drawing(page, digit: int = 3):
    clear_pad(page)
    draw(page, STROKES[digit])
    return wait_prediction(page)


SAVED_JS = """() => new Promise(resolve => {
  const open = indexedDB.open('pynn');
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('models')) { db.close(); resolve(null); return; }
    const get = db.transaction('models').objectStore('models').get('yours');
    get.onsuccess = () => { db.close(); resolve(get.result ? JSON.stringify(get.result).length : null); };
    get.onerror = () => { db.close(); resolve(null); };
  };
})"""


def wait_saved(page, timeout: float = 10.0) -> int:
    """The size of the IndexedDB record of "yours" (database pynn, store models), once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        size = page.evaluate(SAVED_JS)
        if size:
            return size
        time.sleep(0.2)
    raise AssertionError("no model 'yours' in IndexedDB (database 'pynn', store 'models') after Save")


def test_saved_model_survives_a_reload(app):
    page = app.page
    fill_settings(page, train_size=1000, epochs=1, seed=7)
    by_id(page, "train").click()
    expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=TRAIN_TIMEOUT)
    wait_ready(page, 30_000)
    assert "yours" in model_options(page)
    select_model(page, "yours")
    before = predict_drawing(page)
    pretrained_p = io.load(SITE / "models" / "pretrained.json").feedforward(normalize_digit(pad_ink(page)))[:, 0]
    assert not np.allclose(before.probabilities, pretrained_p / pretrained_p.sum(), atol=1e-6), \
        "'yours' predicts exactly like the pretrained model"

    by_id(page, "save-model").click()
    assert wait_saved(page) > 10_000

    page.reload()
    wait_ready(page)
    expect(by_id(page, "model-select").locator("option[value=yours]")).to_have_count(1, timeout=10_000)
    select_model(page, "yours")
    after = predict_drawing(page)
    assert after.text == before.text
    assert after.probabilities == before.probabilities, "the reloaded model predicts differently from the saved one"
    app.monitor.assert_clean()


# --- uploads

def small_network() -> Network:
    return Network([784, 20, 10], cost="cross-entropy", init="scaled", seed=3)


def network_dict(sizes, seed=0) -> dict:
    network = Network(sizes, seed=seed)
    return json.loads(io.to_json(network))


def write_case(tmp_path, name: str) -> tuple:
    """A bad model file, and a pattern its error message must match."""
    path = tmp_path / f"{name}.json"
    if name == "corrupt-json":
        path.write_text('{"sizes": [784, 30, 10], "weights": [[0.1, 0.2', encoding="utf-8")
        return path, r"json"
    if name == "wrong-shapes":
        data = network_dict([784, 30, 10])
        data["weights"][0] = [row[:700] for row in data["weights"][0]]
        path.write_text(json.dumps(data), encoding="utf-8")
        return path, r"shape|rows|784"
    if name == "nan":
        data = network_dict([784, 30, 10])
        text = json.dumps(data).replace(str(data["weights"][1][0][0]), "NaN", 1)
        assert "NaN" in text
        path.write_text(text, encoding="utf-8")
        return path, r"nan|finite"
    if name == "wrong-output-size":
        path.write_text(json.dumps(network_dict([784, 20, 5])), encoding="utf-8")
        return path, r"10"
    if name == "too-many-parameters":
        path.write_text(json.dumps({"sizes": [784, 20_000, 10], "weights": [], "biases": [],
                                    "cost": "CrossEntropyCost"}), encoding="utf-8")
        return path, r"parameters|cap|too (large|big)"
    if name == "over-50-mb":
        with open(path, "wb") as file:
            file.write(b'{"sizes": [784, 30, 10], "pad": "')
            file.write(b"x" * (51 * 1024 * 1024))
            file.write(b'"}')
        return path, r"50 ?MB|too (large|big)|cap"
    if name == "not-text":
        path = tmp_path / "digit.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        return path, r"utf-?8|json|text"
    if name == "deeply-nested":
        depth = 200_000  # json's recursive parser would overflow Pyodide's stack
        path.write_text('{"sizes": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
        return path, r"nested|deep"
    if name == "empty":
        path.write_bytes(b"")
        return path, r"empty"
    raise ValueError(name)


BAD_UPLOADS = ["corrupt-json", "wrong-shapes", "nan", "wrong-output-size", "too-many-parameters", "over-50-mb",
               "not-text", "deeply-nested", "empty"]


@pytest.fixture(scope="module")
def baseline(module_app):
    """The page's model and its prediction of a drawn 3 before any upload."""
    page = module_app.page
    return {"model": by_id(page, "model-select").input_value(), "options": model_options(page),
            "prediction": predict_drawing(page)}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_upload_is_rejected(module_app, baseline, case, tmp_path, screenshot_dir):
    page = module_app.page
    path, pattern = write_case(tmp_path, case)
    by_id(page, "upload-model").set_input_files(str(path))

    error = by_id(page, "model-error")
    expect(error).to_be_visible(timeout=15_000)
    expect(error).to_have_text(re.compile(pattern, re.IGNORECASE), timeout=15_000)
    print(f"\n{case}: {error.text_content().strip()!r}")
    if case == "nan":
        shoot(page, screenshot_dir, "upload-rejected")
    wait_ready(page, 10_000)

    assert by_id(page, "model-select").input_value() == baseline["model"]
    assert model_options(page) == baseline["options"]
    again = predict_drawing(page)
    assert again.text == baseline["prediction"].text
    assert again.probabilities == baseline["prediction"].probabilities, "the model in use changed"
    module_app.monitor.assert_clean()


def test_valid_upload_is_accepted(module_app, baseline, tmp_path):
    page = module_app.page
    network = small_network()
    path = tmp_path / "small-784-20-10.json"
    io.save(network, path, meta={"name": "a small net"})
    options = model_options(page)
    by_id(page, "upload-model").set_input_files(str(path))
    page.wait_for_function("n => document.querySelector('[data-testid=model-select]').options.length > n",
                           arg=len(options), timeout=15_000)
    added = [name for name in model_options(page) if name not in options]
    assert len(added) == 1, model_options(page)
    error = by_id(page, "model-error")
    assert not error.is_visible() or not error.text_content().strip(), error.text_content()
    select_model(page, added[0])

    tap_predictions(page)
    result = predict_drawing(page, 3)
    check_against_native(page, network, result)
    module_app.monitor.assert_clean()
