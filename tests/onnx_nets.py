"""Networks for the ONNX tests: every architecture the page and the CLI build, and the rest of what
network3 allows, with seeded random parameters (a fresh SoftmaxLayer is all zeros, whose equal
outputs would make "the same argmax" a test of ties)."""

from pathlib import Path

import numpy as np

from pynn.files import modelfile
from pynn.nets import network3
from pynn.nets.architectures import network_for
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer

SHIPPED = Path(__file__).resolve().parents[1] / "web" / "models" / "pretrained.json"


def randomised(model, seed: int):
    """``model`` with every parameter redrawn from N(0, 1/fan-in) (so no layer saturates)."""
    rng = np.random.default_rng(seed)
    if isinstance(model, network3.Network):
        for layer in model.layers:
            w, b = layer.params
            fan_in = w[0].size if isinstance(layer, ConvPoolLayer) else w.shape[0]
            layer.set_params([rng.normal(0, 1 / np.sqrt(fan_in), w.shape), rng.normal(0, 0.1, b.shape)])
    else:
        for w, b in zip(model.weights, model.biases):
            w[...] = rng.normal(0, 2 / np.sqrt(w.shape[1]), w.shape)
            b[...] = rng.normal(0, 0.5, b.shape)
    return model


def page_settings(architecture: str, hidden: list[int], cost: str = "quadratic") -> dict:
    return {"architecture": architecture, "hidden": hidden, "cost": cost, "init": "standard", "seed": 0}


def page_architectures() -> dict:
    """What the page's form and ``python -m pynn train`` build (pynn.nets.architectures), and the shipped model."""
    return {
        "mlp 784-30-10 quadratic": lambda: randomised(network_for(page_settings("mlp", [30])), 1),
        "mlp 784-100-30-10 cross-entropy": lambda: randomised(network_for(page_settings("mlp", [100, 30],
                                                                                        "cross-entropy")), 2),
        "mlp 784-10 no hidden layer": lambda: randomised(network_for(page_settings("mlp", [])), 3),
        "conv, ReLU 100": lambda: randomised(network_for(page_settings("conv", [])), 4),
        "conv, ReLU 30": lambda: randomised(network_for(page_settings("conv", [30])), 5),
        "shipped": lambda: modelfile.load(SHIPPED),
    }


def other_network3_nets() -> dict:
    """network3's other layer kinds and activations, dropout, a pool of 1, a conv layer above a dense one."""
    conv = ConvPoolLayer
    return {
        "conv sigmoid, conv tanh pool 1, dropout": lambda: randomised(network3.Network([
            conv((4, 1, 5, 5), (1, 28, 28), (2, 2), "sigmoid"), conv((6, 4, 3, 3), (4, 12, 12), 1, "tanh"),
            FullyConnectedLayer(6 * 10 * 10, 20, "tanh", p_dropout=0.5), SoftmaxLayer(20, 10, p_dropout=0.2)]), 6),
        "dense sigmoid, then a conv layer": lambda: randomised(network3.Network([
            FullyConnectedLayer(784, 144, "sigmoid", p_dropout=0.1), conv((3, 1, 3, 3), (1, 12, 12), (2, 2), "relu"),
            SoftmaxLayer(3 * 5 * 5, 10)]), 7),
    }
