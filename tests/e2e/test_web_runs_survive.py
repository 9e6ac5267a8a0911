"""Runs survive a reload (issue 14, part 1): a conv net's run resumed after a reload ends, to
the bit, as the same run never interrupted."""

from __future__ import annotations

import numpy as np
from harness.app import by_id, model_json
from harness.forms import VALID_SETTINGS, fill_settings
from harness.runs import CHECKPOINT, reload_and_resume, uninterrupted, wait_gone

from pynn import modelfile

# Long enough for a checkpoint (one per ~10 s of training; about 1 s per 1,000 images), short enough
# for a test; the reload comes before the last epoch, so an epoch's shuffle is drawn after it.
CONV_RESUME = {**VALID_SETTINGS, "architecture": "conv", "hidden": [30], "epochs": 2, "eta": 0.1,
               "train_size": 15_000, "seed": 7}


def params(json_text: str) -> list[np.ndarray]:
    model = modelfile.loads(json_text)
    return [p for layer in model.layers for p in layer.params]


def test_a_conv_run_resumed_after_a_reload_ends_bit_identical_to_an_unbroken_one(app, browser,
                                                                                browser_context_args, base_url):
    page = app.page
    fill_settings(page, **CONV_RESUME)
    by_id(page, "train").click()
    kept = reload_and_resume(page)
    assert kept["epoch"] < CONV_RESUME["epochs"] - 1 and kept["bytes"] > 0  # a shuffle is drawn after resuming
    resumed = model_json(page, "yours")
    assert modelfile.loads(resumed).describe()["layers"][0]["type"] == "ConvPoolLayer"
    wait_gone(page, CHECKPOINT)  # dropped once the run ended

    unbroken = uninterrupted(browser, browser_context_args, base_url, CONV_RESUME)
    ours, theirs = params(resumed), params(unbroken)
    assert len(ours) == len(theirs) == 6
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and np.array_equal(a, b)  # bit for bit, not merely close
    assert app.monitor.errors == []
