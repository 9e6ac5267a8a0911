"""A file torch.onnx.export wrote (tests/fixtures/torch_convnet.onnx, made by bench/torch_fixture.py):
pynn reads it and predicts what onnxruntime predicts."""

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from pynn.data import mnist
from pynn.data.dataset import PIXEL_SCALE
from pynn.files import modelfile
from pynn.nets import network3

pytestmark = [pytest.mark.native, pytest.mark.mnist]  # onnxruntime; the real MNIST test images
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "torch_convnet.onnx"


def test_pynn_reads_pytorchs_export_and_predicts_what_onnxruntime_predicts():
    pixels, labels = mnist.load_arrays("test")
    images = pixels[:1000].astype(np.float32) * np.float32(PIXEL_SCALE)
    model = modelfile.load(FIXTURE)
    assert isinstance(model, network3.Network)
    assert [layer.describe()["type"] for layer in model.layers] == ["ConvPoolLayer", "FullyConnectedLayer",
                                                                    "SoftmaxLayer"]
    session = ort.InferenceSession(str(FIXTURE), providers=["CPUExecutionProvider"])
    log_probabilities = session.run(None, {"image": images.reshape(-1, 1, 28, 28)})[0]
    ours = model.feedforward(images.astype(np.float64).T).T
    np.testing.assert_allclose(ours, np.exp(log_probabilities), atol=1e-5)  # LogSoftmax → its probabilities
    assert (ours.argmax(axis=1) == log_probabilities.argmax(axis=1)).all()
    assert (ours.argmax(axis=1) == labels[:1000]).mean() > 0.9  # a trained net, read the right way round
