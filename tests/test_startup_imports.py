"""The worker's startup imports only what the first prediction needs (issue 15, README's Startup).

The page's worker runs ``import numpy, pynn.page.browser``, loads the shipped model from its .npz
and predicts the first drawing. Modules that path never uses are imported where they are first
needed, since each costs the first prediction its import time in Pyodide. A fresh interpreter
runs that path here and must not have imported them; a top-level import of any of them put back
would fail this test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pynn.files import modelfile

pytestmark = pytest.mark.native  # a subprocess and the repository's model file: not for the in-Pyodide run
ROOT = Path(__file__).resolve().parents[1]
# What the worker's startup leaves for later: ONNX's reader, the augmenter, decimal, hashlib.
NOT_AT_STARTUP = ("pynn.files.onnx_import", "pynn.training.augment", "decimal", "hashlib")

CHILD = """
import json, sys
import numpy as np
import pynn.page.browser as browser

session = browser.Session()
loaded = browser.call(session, "load_model", {"name": "pretrained", "data": open(sys.argv[1], "rb").read()})
pixels = np.zeros((280, 280), np.uint8)
pixels[60:220, 130:150] = 255  # a stroke: a 1
predicted = browser.call(session, "predict", {"pixels": pixels.tobytes(), "width": 280, "height": 280})
print(json.dumps({"loaded": loaded["ok"], "predicted": predicted["ok"], "modules": sorted(sys.modules)}))
"""


def test_first_prediction_imports_nothing_it_does_not_use(tmp_path):
    npz = tmp_path / "pretrained.npz"
    npz.write_bytes(modelfile.encode(modelfile.load(ROOT / "web" / "models" / "pretrained.json"), form="npz"))
    out = subprocess.run([sys.executable, "-c", CHILD, str(npz)], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    result = json.loads(out.splitlines()[-1])
    assert result["loaded"] and result["predicted"], result  # the path really ran
    imported = [name for name in NOT_AT_STARTUP if name in result["modules"]]
    assert imported == [], f"the first prediction imported {imported}"


def test_lazy_imports_still_work():
    """What the startup no longer imports is imported on use: ONNX bytes, spoken numbers, hashes."""
    from pynn.page.spoken import spoken_number
    from pynn.training.memory import augment_block

    assert spoken_number(0.000001) == "0.000001"
    assert augment_block() > 0
    from pynn.files.onnx_export import to_onnx

    model = modelfile.load(ROOT / "web" / "models" / "pretrained.json")
    assert modelfile.loads(to_onnx(model)).sizes == model.sizes
