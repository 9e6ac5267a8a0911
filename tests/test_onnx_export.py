"""ONNX export: onnxruntime (the real runtime, pinned) runs every exported net as pynn's feedforward does,
onnx.checker accepts every file, and the metadata says what goes in and what comes out."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx_nets import other_network3_nets, page_architectures

from pynn.data import mnist
from pynn.data.dataset import PIXEL_SCALE
from pynn.files import modelfile
from pynn.files.onnx_export import to_onnx
from pynn.nets.network import Network

pytestmark = pytest.mark.native  # onnxruntime and onnx are native packages
PAGE, OTHERS = page_architectures(), other_network3_nets()


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """MNIST's first 1,000 test images as float32 rows in 0–1 (Nielsen's byte/256, exact in float32)."""
    pixels, _ = mnist.load_arrays("test")
    return (pixels[:1000].astype(np.float32) * np.float32(PIXEL_SCALE))


def run_onnx(data: bytes, images: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {"image": images.reshape(-1, 1, 28, 28)})[0]


def check_agreement(model, images: np.ndarray, varied: bool = True) -> None:
    data = to_onnx(model)
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    ours = model.feedforward(images.astype(np.float64).T).T
    theirs = run_onnx(data, images)
    assert theirs.shape == ours.shape == (len(images), 10)
    assert np.abs(theirs - ours).max() <= 1e-5
    assert (theirs.argmax(axis=1) == ours.argmax(axis=1)).all()
    assert not varied or len(set(ours.argmax(axis=1))) > 1  # a net answering one digit everywhere would prove little


@pytest.mark.mnist
@pytest.mark.parametrize("name", list(PAGE))
def test_onnxruntime_runs_every_page_architecture_as_pynn_does(name, images):
    check_agreement(PAGE[name](), images)


@pytest.mark.mnist
@pytest.mark.parametrize("name", list(OTHERS))
def test_onnxruntime_runs_network3s_other_layers_as_pynn_does(name, images):
    check_agreement(OTHERS[name](), images[:200], varied=False)  # untrained, these answer one digit throughout


def props(data: bytes) -> dict:
    return {p.key: p.value for p in onnx.load_from_string(data).metadata_props}


def test_the_metadata_says_what_goes_in_how_a_drawing_is_prepared_and_what_comes_out():
    conv, mlp = PAGE["conv, ReLU 30"](), Network([784, 12, 10], cost="cross-entropy", seed=0, meta={"name": "mine"})
    softmax, sigmoid = props(to_onnx(conv)), props(to_onnx(mlp))
    assert "float32 [N,1,28,28]" in softmax["pynn.input"] and "0.0" in softmax["pynn.input"]
    for words in ("crop", "20x20", "centre of mass"):
        assert words in softmax["pynn.preprocessing"]
    assert "softmax probabilities" in softmax["pynn.output"] and "sigmoid" not in softmax["pynn.output"]
    assert "sigmoid activations" in sigmoid["pynn.output"]
    assert sigmoid["pynn.cost"] == "cross-entropy" and json.loads(sigmoid["pynn.meta"]) == {"name": "mine"}
    assert json.loads(props(to_onnx(OTHERS["conv sigmoid, conv tanh pool 1, dropout"]()))["pynn.dropout"]) == [
        0.0, 0.0, 0.5, 0.2]
    model = onnx.load_from_string(to_onnx(conv))
    dims = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in (*model.graph.input,
                                                                                      *model.graph.output)]
    assert dims == [["N", 1, 28, 28], ["N", 10]]
    assert model.producer_name == "pynn" and [o.version for o in model.opset_import] == [13]


def test_the_shipped_model_exports_to_under_a_megabyte():
    data = to_onnx(PAGE["shipped"]())
    assert len(data) <= 1 << 20  # the target; 86k float32 parameters are about 345 KB


def test_meta_that_load_would_refuse_is_refused_before_anything_is_encoded():
    deep: dict = {}
    for _ in range(70):
        deep = {"a": deep}
    with pytest.raises(modelfile.UnloadableModelError, match="nested over"):
        to_onnx(Network([784, 10], seed=0), meta=deep)
