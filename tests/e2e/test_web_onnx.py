"""Models that travel, in the page: Download as ONNX runs in onnxruntime-web (the same Chromium) with
the probabilities the page shows; Download as Python runs natively with them too; a file PyTorch wrote
(tests/fixtures/torch_convnet.onnx), uploaded, predicts what onnxruntime predicts; a hostile .onnx is
refused and the model in use stays.  ONNX's packages load only when first asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from harness import SITE
from harness.app import by_id, wait_ready
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.models import model_in_use, select_model, upload_model
from harness.ort import ort_page, run_onnx
from harness.predictions import check_against_native, last_predict_call, tap_predictions, wait_prediction
from playwright.sync_api import expect

from pynn.files import modelfile

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "torch_convnet.onnx"
ONNX_FILES = ("protobuf-", "onnx_schema-")


def drawn(page, digit: int):
    clear_pad(page)
    draw(page, STROKES[digit])
    return wait_prediction(page)


def download(page, button: str, directory: Path) -> tuple[Path, int]:
    """Press a download button; the file and how long the page took to make it (data-export-ms)."""
    with page.expect_download(timeout=60_000) as info:
        by_id(page, button).click()
    path = directory / info.value.suggested_filename
    info.value.save_as(path)
    return path, int(by_id(page, button).get_attribute("data-export-ms"))


def onnx_requests(module_app) -> list[str]:
    """The page's and its worker's requests for ONNX's packages (the service worker may precache them
    in the background after the start, for offline use: not counted)."""
    return [url for source, _, url in module_app.monitor.requests
            if source != "service worker" and any(name in url for name in ONNX_FILES)]


@pytest.fixture(scope="module")
def pretrained_drawing(module_app):
    """The pretrained model reading a drawn 3: the page's prediction and its normalised input."""
    page = module_app.page
    select_model(page, "pretrained")
    tap_predictions(page)
    result = drawn(page, 3)
    x = check_against_native(page, modelfile.load(SITE / "models" / "pretrained.json"), result)
    return np.array(last_predict_call(page)["value"]["probabilities"]), x


def test_onnx_download_runs_in_onnxruntime_web_as_the_page_predicts(module_app, pretrained_drawing, browser,
                                                                     site_server, tmp_path):
    page = module_app.page
    assert not onnx_requests(module_app), "startup fetched ONNX's packages"
    probabilities, x = pretrained_drawing
    path, first_ms = download(page, "download-onnx", tmp_path)
    assert onnx_requests(module_app), "ONNX's packages were not loaded for the download"
    _, again_ms = download(page, "download-onnx", tmp_path)
    data = path.read_bytes()
    assert path.name == "pynn-pretrained.onnx" and len(data) <= 1 << 20
    print(f"\nONNX download of the shipped model: {len(data):,} bytes; {first_ms} ms the first time (with "
          f"loading protobuf and ONNX's schema), {again_ms} ms after")
    ort_tab = ort_page(browser, site_server.origin)
    try:
        theirs = run_onnx(ort_tab, data, x.reshape(1, 784))[0]
    finally:
        ort_tab.context.close()
    np.testing.assert_allclose(theirs, probabilities, rtol=0, atol=1e-5)
    assert int(np.argmax(theirs)) == int(np.argmax(probabilities)) == 3
    module_app.monitor.assert_clean()


def test_python_download_runs_natively_as_the_page_predicts(module_app, pretrained_drawing, tmp_path):
    probabilities, x = pretrained_drawing
    path, _ = download(module_app.page, "download-python", tmp_path)
    assert path.name == "pynn-pretrained.py"
    np.save(tmp_path / "x.npy", x)
    done = subprocess.run([sys.executable, str(path), "x.npy", "--json"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    outputs = np.array(json.loads(done.stdout))[0]
    np.testing.assert_allclose(outputs / outputs.sum(), probabilities, rtol=0, atol=1e-9)


def test_pytorchs_file_uploaded_predicts_what_onnxruntime_predicts(module_app):
    page = module_app.page
    upload_model(page, FIXTURE)
    expect(by_id(page, "model-select")).to_have_value("yours", timeout=60_000)
    wait_ready(page, 10_000)
    tap_predictions(page)
    for digit in (3, 7):
        result = drawn(page, digit)
        x = check_against_native(page, modelfile.load(FIXTURE), result)  # the worker's answer is pynn's
        session = ort.InferenceSession(str(FIXTURE), providers=["CPUExecutionProvider"])
        log_probabilities = session.run(None, {"image": x.reshape(1, 1, 28, 28).astype(np.float32)})[0][0]
        shown = np.array(last_predict_call(page)["value"]["probabilities"])
        np.testing.assert_allclose(shown, np.exp(log_probabilities), rtol=0, atol=1e-5)
        assert result.text == str(int(np.argmax(log_probabilities)))
    module_app.monitor.assert_clean()


def test_a_hostile_onnx_upload_is_refused_and_the_model_in_use_stays(module_app, tmp_path):
    page = module_app.page
    before = model_in_use(page)
    bad = tmp_path / "cut-short.onnx"
    bad.write_bytes(FIXTURE.read_bytes()[:-100])
    upload_model(page, bad)
    expect(by_id(page, "model-error")).to_contain_text("cut-short.onnx was not loaded: not a valid protobuf message",
                                                       timeout=30_000)
    assert model_in_use(page) == before
