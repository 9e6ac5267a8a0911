"""Why the network gives its answer: saliency and the hidden units' activity.

*Saliency* is the gradient of the predicted digit's output (its sigmoid
activation, before the page's normalisation) with respect to each of the 784
input pixels: how much, and which way, nudging that pixel would move the
answer.  It is backprop with the error at the output replaced by "1 for the
predicted unit": the same passes pynn trains with, taken one layer further, to
the input.  The *hidden activations* are the first hidden layer's outputs for
the drawing; the page lights each unit's weight tile by them.

A model supplies these through methods ``input_gradient(x, unit)`` and
``hidden_activations(x)`` (x a (n_in, 1) column).  The seed's MLP
(:class:`pynn.nets.network.Network`) does not have to: the functions below compute
them from its weights.  Any other model without the methods gets a
NotImplementedError naming what is missing.
"""

from __future__ import annotations

import numpy as np

from pynn.checks import check_count
from pynn.nets import network3
from pynn.nets.activations import sigmoid_slope_into
from pynn.nets.layers import ConvPoolLayer
from pynn.nets.model import Model
from pynn.nets.network import Network, sigmoid


def as_column(model: Model, x) -> np.ndarray:
    """``x`` as a finite float64 (n_in, 1) column."""
    x = np.asarray(x, dtype=np.float64)
    if x.size != model.n_in or x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[1] != 1):
        raise ValueError(f"input must have shape ({model.n_in},) or ({model.n_in}, 1), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("input contains NaN or infinity")
    return x.reshape(-1, 1)


def mlp_activations(network: Network, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's activations for the column ``x``, the input first."""
    activations = [x]
    for w, b in zip(network.weights, network.biases):
        activations.append(sigmoid(w @ activations[-1] + b))
    return activations


def mlp_input_gradient(network: Network, x: np.ndarray, unit: int) -> np.ndarray:
    """∂a_unit/∂x for output ``unit``, a (n_in, 1) column: backprop from the output to the input.
    With δ_L = σ'(z_L) ⊙ e_unit, each layer below gets δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l),
    and the input's gradient is W_1ᵀ δ_1; σ'(z) = a(1 − a)."""
    activations = mlp_activations(network, x)
    out = activations[-1]
    delta = np.zeros_like(out)
    delta[unit] = sigmoid_slope_into(np.empty_like(out[unit]), out[unit])
    for layer in range(len(network.weights) - 1, 0, -1):
        a = activations[layer]
        delta = (network.weights[layer].T @ delta) * sigmoid_slope_into(np.empty_like(a), a)
    return network.weights[0].T @ delta


def input_gradient(model: Model, x, unit: int) -> np.ndarray:
    """∂(output ``unit``)/∂(input), shape (n_in,), for one input ``x``."""
    x = as_column(model, x)
    unit = check_count("unit", unit, 0)
    if unit >= model.n_out:
        raise ValueError(f"unit must be in 0..{model.n_out - 1}, got {unit}")
    method = getattr(model, "input_gradient", None)
    if method is not None:
        gradient = method(x, unit)
    elif isinstance(model, Network):
        gradient = mlp_input_gradient(model, x, unit)
    else:
        raise NotImplementedError(f"{type(model).__name__} has no input_gradient(x, unit) method, "
                                  "so its saliency cannot be computed")
    return np.asarray(gradient, dtype=np.float64).reshape(model.n_in)


def hidden_activations(model: Model, x) -> np.ndarray:
    """The first hidden layer's activations for one input ``x``, shape (n_hidden,)."""
    x = as_column(model, x)
    method = getattr(model, "hidden_activations", None)
    if method is not None:
        return np.asarray(method(x), dtype=np.float64).ravel()
    if isinstance(model, Network):
        if len(model.weights) < 2:
            raise ValueError("this network has no hidden layer")
        return sigmoid(model.weights[0] @ x + model.biases[0])[:, 0]
    raise NotImplementedError(f"{type(model).__name__} has no hidden_activations(x) method")


def signed_image(values: np.ndarray) -> tuple[bytes, float]:
    """Values as uint8 grey (128 = 0, 0/255 = ∓ the largest |value|) and that largest |value|."""
    peak = float(np.abs(values).max()) if values.size else 0.0
    scaled = values / peak if peak > 0 else np.zeros_like(values)
    return np.rint(127.5 + 127.5 * scaled).astype(np.uint8).tobytes(), peak


def explain(model: Model, x) -> dict:
    """The answer for ``x`` and why, as JSON types and bytes:

    ``digit``, ``probabilities`` (outputs normalised to sum 1), ``saliency`` (784 floats,
    ∂output[digit]/∂pixel), ``saliency_image`` (784 bytes, 128 = 0, scaled by
    ``saliency_peak``), and ``hidden`` (first hidden layer's activations in 0..1 for a
    sigmoid layer; None if the model does not provide them)."""
    x = as_column(model, x)
    outputs = np.asarray(model.feedforward(x), dtype=np.float64)[:, 0]
    digit = int(np.argmax(outputs))
    saliency = input_gradient(model, x, digit)
    image, peak = signed_image(saliency)
    try:
        hidden = hidden_activations(model, x).tolist()
    except (NotImplementedError, ValueError):
        hidden = None
    total = outputs.sum()
    return {
        "digit": digit,
        "output": float(outputs[digit]),
        "probabilities": (outputs / total if total > 0 else np.full_like(outputs, 1 / len(outputs))).tolist(),
        "saliency": saliency.tolist(),
        "saliency_image": image,
        "saliency_peak": peak,
        "hidden": hidden,
    }


def first_layer_images(model, count: int) -> tuple[np.ndarray, int, str]:
    """(count, side²) weights of the first layer's units or filters, their side, and what they are."""
    first = model.layers[0] if isinstance(model, network3.Network) else None
    if isinstance(first, ConvPoolLayer) and first.filter_shape[1] == 1:
        filters = first.params[0][:count]
        return filters.reshape(len(filters), -1), first.filter_shape[2], "filters"
    weights = first.params[0].T[:count] if first is not None else model.weights[0][:count]
    return weights, 28, "units"


def first_layer_pictures(model, count: int = 16) -> dict:
    """What the first layer learned, as grey images (uint8, 128 = 0, each scaled by its own
    largest |w|): a conv net's filters, or the incoming weights of ``count`` hidden units."""
    weights, side, kind = first_layer_images(model, count)
    scale = np.abs(weights).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    images = np.rint(127.5 + 127.5 * weights / scale).astype(np.uint8)
    return {"count": len(images), "side": side, "kind": kind, "pixels": images.tobytes()}
