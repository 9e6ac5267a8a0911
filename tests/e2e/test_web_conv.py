"""A conv net (network3's layers) trained in the page: it trains, shows its filters, predicts
exactly as pynn does natively with the same weights, and equals a native run of the same
settings to the weight."""

from __future__ import annotations

import numpy as np
from harness.app import by_id, model_json
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.models import model_in_use, select_model
from harness.predictions import check_against_native, tap_predictions, wait_prediction
from harness.training import native_run, train

from pynn.files import modelfile

CONV_RUN = {"architecture": "conv", "hidden": [30], "cost": "quadratic", "init": "standard", "epochs": 1,
            "minibatch_size": 10, "eta": 0.1, "lmbda": 0.0, "train_size": 2000, "seed": 3, "augment": "off"}


def test_the_page_trains_a_conv_net_and_predicts_with_it(module_app):
    page = module_app.page
    final = train(page, CONV_RUN)
    assert final["done"] == "true"
    trained = modelfile.loads(model_json(page, "yours"))
    assert trained.describe()["layers"][0]["type"] == "ConvPoolLayer"

    native_result, native = native_run(CONV_RUN)
    for ours, theirs in zip([p for layer in trained.layers for p in layer.params],
                            [p for layer in native.layers for p in layer.params]):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    accuracy = float(by_id(page, "accuracy").text_content())
    assert abs(accuracy - native_result["accuracy"]) < 1e-4 and accuracy > 0.6  # natively 0.7564

    units = by_id(page, "units")
    assert units.get_attribute("data-kind") == "filters"
    assert units.locator("canvas").count() == 20
    assert units.locator("canvas").first.get_attribute("width") == "5"
    assert "5×5 weights it slides over the image" in by_id(page, "units-what").inner_text()

    select_model(page, "yours")  # the select keeps the user's choice when a run ends
    assert model_in_use(page) == "yours"
    tap_predictions(page)
    clear_pad(page)
    draw(page, STROKES[7])
    result = wait_prediction(page)
    check_against_native(page, trained, result)
