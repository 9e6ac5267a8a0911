"""What the page keeps without Save (web/page/latest.js): the model a run or a fine-tune ended with,
as Session.model_file(name, "npz") gives it, loaded back after a reload by Session.load_model.
It must come back whole: the same parameters to the bit, and its own meta (a fine-tuned
model's measured test accuracy and record), not a bare network that the page would show with
no accuracy, or with its base's."""

import numpy as np
from job_driver import run
from synthetic_digits import make_digits, npz_bytes

from pynn.files import modelfile
from pynn.nets.architectures import network_for
from pynn.page import your_digits
from pynn.page.browser import Session
from pynn.page.settings import DEFAULTS

CONV = {**DEFAULTS, "architecture": "conv", "hidden": [12], "epochs": 1, "minibatch_size": 25, "train_size": 200,
        "eta": 0.05, "seed": 4}
MLP = {**DEFAULTS, "hidden": [8], "epochs": 1, "train_size": 300, "seed": 3}


def params(model) -> list[np.ndarray]:
    return [p for layer in model.layers for p in layer.params] if hasattr(model, "layers") else \
        [*model.weights, *model.biases]


def reloaded(session: Session, name: str) -> Session:
    """A fresh session (the reloaded page's worker) given the kept bytes."""
    fresh = Session()
    fresh.load_model(name, session.model_file(name, "npz"))
    return fresh


def session_with_data() -> Session:
    session = Session()
    session.load_model("pretrained", modelfile.to_npz(network_for(CONV)))
    session.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
    return session


def test_a_finished_run_kept_without_save_comes_back_whole():
    session = session_with_data()
    run(session, "train", settings=MLP)
    fresh = reloaded(session, "yours")
    assert fresh.describe("yours") == session.describe("yours")
    assert fresh.describe("yours")["meta"]["test_accuracy"] is not None
    for kept, original in zip(params(fresh.models["yours"]), params(session.models["yours"]), strict=True):
        assert kept.dtype == np.float64 and np.array_equal(kept, original)


def test_a_fine_tuned_model_kept_without_save_comes_back_with_its_own_measured_accuracy():
    session = session_with_data()
    session.load_digits(your_digits.dumps(make_digits([1, 1, 7, 7, 3])))
    _, result = run(session, "finetune", settings={"rounds": 1, "round_size": 40, "test_size": 100, "eta": 50.0})
    fresh = reloaded(session, "finetuned")
    meta = fresh.describe("finetuned")["meta"]
    assert meta == session.describe("finetuned")["meta"]
    assert meta["test_accuracy"] == result["result"]["after"]["mnist_test"]["accuracy"]
    assert meta["finetuned_from"] == "pretrained" and meta["finetune"]["verdict"] == result["result"]["verdict"]
    for kept, original in zip(params(fresh.models["finetuned"]), params(session.models["finetuned"]), strict=True):
        assert np.array_equal(kept, original)
