"""The Python half of the prediction worker (web/page/workers.js): a model copied from the main
worker's Session to another through ``model_file(name, "npz")`` answers exactly as the original does.

These would catch a copy that loses precision (float32), one that drops or reorders a layer's
parameters, or a ``predict`` that ignores the model it is asked for."""

import numpy as np
import pytest
from job_driver import start
from synthetic_digits import npz_bytes

from pynn import Network
from pynn.files import modelfile
from pynn.nets import network3
from pynn.nets.architectures import network_for
from pynn.page.browser import Session, call

SETTINGS = {"architecture": "mlp", "hidden": [8], "cost": "quadratic", "init": "standard", "epochs": 1,
            "minibatch_size": 10, "eta": 3.0, "lmbda": 0.0, "train_size": 300, "seed": 1, "augment": "off"}


def ink(seed: int) -> bytes:
    """A 140×140 drawing of random strokes: not a digit, but never blank."""
    rng = np.random.default_rng(seed)
    image = np.zeros((140, 140), dtype=np.uint8)
    for _ in range(3):
        row, col = rng.integers(20, 100, size=2)
        image[row:row + 30, col:col + 8] = 255
    return image.tobytes()


def conv_net() -> network3.Network:
    return network_for({**SETTINGS, "architecture": "conv", "hidden": [20]})


@pytest.mark.parametrize("make", [lambda: Network([784, 12, 10], seed=0), conv_net], ids=["mlp", "conv"])
def test_a_copied_model_predicts_and_explains_bit_for_bit(make):
    main, lane = Session(), Session()
    main.load_model("pretrained", modelfile.to_npz(make()))
    lane.load_model("pretrained", main.model_file("pretrained", "npz"))
    for seed in range(3):
        assert lane.predict(ink(seed), 140, 140) == main.predict(ink(seed), 140, 140)
        assert lane.explain(ink(seed), 140, 140) == main.explain(ink(seed), 140, 140)


def test_a_model_mid_run_is_copied_as_it_is_now():
    main, lane = Session(), Session()
    main.load_model("pretrained", modelfile.to_npz(Network([784, 12, 10], seed=0)))
    main.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    start(main, "train", settings=SETTINGS)
    main.work(0.0)
    main.work(0.0)  # some batches in: "yours" is no longer the fresh net
    lane.load_model("yours", call(main, "model_file", {"name": "yours", "form": "npz"})["value"])
    for mine, copied in zip(main.models["yours"].weights, lane.models["yours"].weights):
        np.testing.assert_array_equal(mine, copied)
    assert lane.predict(ink(0), 140, 140, name="yours") == main.predict(ink(0), 140, 140, name="yours")


def test_predict_reads_the_model_it_is_asked_for():
    session = Session()
    session.load_model("pretrained", modelfile.to_npz(Network([784, 12, 10], seed=0)))
    session.load_model("yours", modelfile.to_npz(Network([784, 12, 10], seed=5)))
    assert session.active == "pretrained"
    named = session.predict(ink(1), 140, 140, name="yours")["probabilities"]
    assert named != session.predict(ink(1), 140, 140)["probabilities"]
    session.use("yours")
    assert named == session.predict(ink(1), 140, 140)["probabilities"]
    with pytest.raises(KeyError):
        session.predict(ink(1), 140, 140, name="finetuned")
