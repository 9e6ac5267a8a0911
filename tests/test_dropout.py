"""Dropout (W8, M6): inverted dropout of a layer's inputs while training, at the rate asked for,
and none at inference, where a net with dropout is exactly the same net without it."""

import numpy as np
import pytest

from pynn.nets.activations import activate
from pynn.nets.layers import FullyConnectedLayer, SoftmaxLayer
from pynn.nets.network3 import Network

RATES = [0.2, 0.5, 0.8]


def layer_of(kind, p, seed=0):
    layer = kind(40, 30, p_dropout=p) if kind is SoftmaxLayer else kind(40, 30, "sigmoid", p_dropout=p)
    rng = np.random.default_rng(seed)
    layer.set_params([rng.standard_normal(shape) for shape in layer.param_shapes()])
    return layer


def trained_forward(layer, m, seed=1):
    """A training forward pass of m random rows; (inputs, outputs, the mask it applied)."""
    x = np.random.default_rng(seed).standard_normal((m, layer.n_in))
    out = layer.forward(x.copy(), training=True, rng=np.random.default_rng(seed + 1)).copy()
    return x, out, layer._last["mask"].copy()


@pytest.mark.parametrize("kind", [FullyConnectedLayer, SoftmaxLayer])
@pytest.mark.parametrize("p", RATES)
def test_the_mask_is_zero_or_one_over_keep_and_drops_about_p(kind, p):
    _, _, mask = trained_forward(layer_of(kind, p), 2500)  # 100,000 inputs
    assert set(np.unique(mask).tolist()) == {0.0, 1.0 / (1.0 - p)}
    dropped = np.mean(mask == 0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / mask.size), dropped  # within 5 standard errors


@pytest.mark.parametrize("kind", [FullyConnectedLayer, SoftmaxLayer])
def test_training_output_is_the_layer_on_its_masked_inputs(kind):
    layer = layer_of(kind, 0.5)
    x, out, mask = trained_forward(layer, 64)
    z = (x * mask) @ layer.params[0] + layer.params[1]
    if kind is SoftmaxLayer:
        expected = np.exp(z - z.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
    else:
        expected = z.copy()
        activate("sigmoid", expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    assert 0.3 < np.mean(mask == 0) < 0.7  # something was dropped


def nets(p):
    """The same weights with and without dropout."""
    layers = [FullyConnectedLayer(20, 15, "relu", p), FullyConnectedLayer(15, 12, "tanh", p), SoftmaxLayer(12, 10, p)]
    plain = [FullyConnectedLayer(20, 15, "relu"), FullyConnectedLayer(15, 12, "tanh"), SoftmaxLayer(12, 10)]
    rng = np.random.default_rng(3)
    for a, b in zip(layers, plain):
        params = [rng.standard_normal(shape) for shape in a.param_shapes()]
        a.set_params(params)
        b.set_params([q.copy() for q in params])
    return Network(layers, seed=4), Network(plain, seed=4)


@pytest.mark.parametrize("p", RATES)
def test_inference_is_the_same_net_without_dropout_and_draws_nothing(p):
    dropping, plain = nets(p)
    x = np.random.default_rng(5).standard_normal((20, 300))
    state = dropping.rng.bit_generator.state
    np.testing.assert_array_equal(dropping.feedforward(x), plain.feedforward(x))
    assert dropping.rng.bit_generator.state == state  # no mask was drawn: it does not vary between calls
    np.testing.assert_array_equal(dropping.feedforward(x), plain.feedforward(x))
