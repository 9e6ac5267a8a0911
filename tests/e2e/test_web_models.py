"""Your model: kept in IndexedDB across visits, and uploads that are checked before use."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from harness import SITE
from harness.app import by_id, model_json, shoot, wait_ready
from harness.digits import STROKES
from harness.drawing import clear_pad, draw, pad_ink
from harness.models import (
    download_model,
    model_in_use,
    model_options,
    select_model,
    upload_model,
    wait_saved,
)
from harness.predictions import check_against_native, tap_predictions, wait_prediction
from harness.training import train
from playwright.sync_api import expect

from pynn import Network
from pynn.data.digits import normalize_digit
from pynn.files import modelfile


def predict_drawing(page, digit: int = 3):
    clear_pad(page)
    draw(page, STROKES[digit])
    return wait_prediction(page)


def test_saved_model_survives_a_reload(app):
    page = app.page
    train(page, train_size=1000, epochs=1, seed=7)
    assert "yours" in model_options(page)
    select_model(page, "yours")
    before = predict_drawing(page)
    pretrained_p = modelfile.load(SITE / "models" / "pretrained.json").feedforward(normalize_digit(pad_ink(page)))[:, 0]
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
    return json.loads(modelfile.to_json(network))


# Every hostile file is uploaded under the same neutral name, so that only the reason in the
# message can match: the page's sentence starts with the file's name.
UPLOAD_NAME = "model.json"


def write_case(tmp_path, case: str) -> tuple:
    """A bad model file named UPLOAD_NAME, and a pattern of the reason its message must give."""
    path = tmp_path / UPLOAD_NAME
    if case == "corrupt-json":
        path.write_text('{"sizes": [784, 30, 10], "weights": [[0.1, 0.2', encoding="utf-8")
        return path, r"is not valid JSON"
    if case == "wrong-shapes":
        data = network_dict([784, 30, 10])
        data["weights"][0] = [row[:700] for row in data["weights"][0]]
        path.write_text(json.dumps(data), encoding="utf-8")
        return path, r"weights\[0\] must have shape \(30, 784\)"
    if case == "non-finite":
        data = network_dict([784, 30, 10])
        text = json.dumps(data).replace(str(data["weights"][1][0][0]), "NaN", 1)
        assert "NaN" in text
        path.write_text(text, encoding="utf-8")
        return path, r"contains NaN; numbers must be finite"
    if case == "wrong-output-size":
        path.write_text(json.dumps(network_dict([784, 20, 5])), encoding="utf-8")
        return path, r"needs a 784 → … → 10 network; the file has sizes \[784, 20, 5\]"
    if case == "too-many-parameters":
        path.write_text(json.dumps({"sizes": [784, 20_000, 10], "weights": [], "biases": [],
                                    "cost": "CrossEntropyCost"}), encoding="utf-8")
        return path, r"15,900,010 parameters; the cap is 10,000,000"
    if case == "over-the-size-cap":
        with open(path, "wb") as file:
            file.write(b'{"sizes": [784, 30, 10], "pad": "')
            file.write(b"x" * (51 * 1024 * 1024))
            file.write(b'"}')
        return path, r"51\.0 MB; model files are capped at 50(\.0)? MB"
    if case == "not-text":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        return path, r"is not UTF-8 text"
    if case == "deeply-nested":
        depth = 200_000  # json's recursive parser would overflow Pyodide's stack
        path.write_text('{"sizes": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
        return path, r"model file is nested too deeply"
    if case == "empty":
        path.write_bytes(b"")
        return path, r"\bis empty\.\s*$"
    raise ValueError(case)


BAD_UPLOADS = ["corrupt-json", "wrong-shapes", "non-finite", "wrong-output-size", "too-many-parameters",
               "over-the-size-cap", "not-text", "deeply-nested", "empty"]


def test_reasons_do_not_match_the_file_name(tmp_path):
    """The patterns must be about the reason: none matches the upload's name or the case's."""
    for case in BAD_UPLOADS:
        path, pattern = write_case(tmp_path, case)
        assert path.name == UPLOAD_NAME
        for text in (f"{UPLOAD_NAME} was not loaded: ", case, case.replace("-", " ")):
            assert not re.search(pattern, text, re.IGNORECASE), f"{case}: {pattern!r} matches {text!r}"


@pytest.fixture(scope="module")
def baseline(module_app):
    """The page's model and its prediction of a drawn 3 before any upload."""
    page = module_app.page
    return {"model": model_in_use(page), "options": model_options(page), "prediction": predict_drawing(page)}


def expect_refused(page, path, pattern: str) -> str:
    upload_model(page, path)
    error = by_id(page, "model-error")
    expect(error).to_be_visible(timeout=15_000)
    expect(error).to_have_text(re.compile(pattern), timeout=15_000)
    wait_ready(page, 10_000)
    return error.text_content().strip()


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_upload_is_rejected(module_app, baseline, case, tmp_path, screenshot_dir):
    page = module_app.page
    path, pattern = write_case(tmp_path, case)
    print(f"\n{case}: {expect_refused(page, path, pattern)!r}")
    if case == "non-finite":
        shoot(page, screenshot_dir, "upload-rejected")

    assert model_in_use(page) == baseline["model"]
    assert model_options(page) == baseline["options"]
    again = predict_drawing(page)
    assert again.text == baseline["prediction"].text
    assert again.probabilities == baseline["prediction"].probabilities, "the model in use changed"
    module_app.monitor.assert_clean()


def test_valid_upload_is_accepted(module_app, baseline, tmp_path):
    page = module_app.page
    network = small_network()
    path = tmp_path / "small-784-20-10.json"
    modelfile.save(network, path, meta={"name": "a small net"})
    options = model_options(page)
    upload_model(page, path)
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


def test_download_and_upload_round_trip(module_app, tmp_path):
    """Download a model, upload the file: the page holds the identical model JSON."""
    page = module_app.page
    select_model(page, "pretrained")
    pretrained = model_json(page, "pretrained")
    path = download_model(page, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text == pretrained, "the downloaded file is not the page's model JSON"
    assert modelfile.loads(text).sizes == modelfile.load(SITE / "models" / "pretrained.json").sizes

    upload_model(page, path)
    expect(by_id(page, "model-select")).to_have_value("yours", timeout=15_000)
    wait_ready(page, 10_000)
    assert model_json(page, "yours") == text, "the uploaded model differs from the downloaded file"
    tap_predictions(page)
    check_against_native(page, modelfile.loads(text), predict_drawing(page, 5))
    module_app.monitor.assert_clean()


def test_bad_upload_leaves_yours_in_use(module_app, tmp_path):
    """A refused file while "yours" is in use: "yours" stays, unchanged, and in use."""
    page = module_app.page
    if model_in_use(page) != "yours":
        select_model(page, "yours")
    before, options = model_json(page, "yours"), model_options(page)
    prediction = predict_drawing(page, 2)
    path, pattern = write_case(tmp_path, "wrong-output-size")
    expect_refused(page, path, pattern)
    assert model_in_use(page) == "yours"
    assert model_options(page) == options
    assert model_json(page, "yours") == before, "the refused upload changed 'yours'"
    again = predict_drawing(page, 2)
    assert (again.text, again.probabilities) == (prediction.text, prediction.probabilities)
    module_app.monitor.assert_clean()
