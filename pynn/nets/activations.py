"""The neuron activations of network3 — sigmoid, tanh, ReLU — chosen by name, in place.

Layers keep the activation a = f(z), not z, and every derivative here is
written in terms of a, so the backward pass needs no extra buffer for z.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu")


def check_activation(name) -> str:
    """One of ACTIVATIONS, by name (case-insensitive, so network3's "ReLU" works too)."""
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"activation_fn: unknown activation {name!r}; choose one of {list(ACTIVATIONS)}")
    return name.lower()


def sigmoid_slope_into(out: np.ndarray, a: np.ndarray) -> np.ndarray:
    """out ← σ'(z) = a(1 − a), from the sigmoid's output a = σ(z), in place; returns ``out``.
    The one place σ' is written: the seed's sigmoid_prime, the MLP's kernel, the quadratic
    cost's output error, network3's sigmoid layers and the saliency map all use it."""
    np.subtract(1.0, a, out=out)
    out *= a
    return out


def activate(name: str, a: np.ndarray) -> None:
    """a ← f(a) in place (inside np.errstate(over="ignore") for the sigmoid's e^-z)."""
    if name == "sigmoid":
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1.0
        np.reciprocal(a, out=a)
    elif name == "tanh":
        np.tanh(a, out=a)
    else:
        np.maximum(a, 0.0, out=a)


def times_derivative(name: str, delta: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
    """delta ← delta ⊙ f'(z), from the activation a = f(z) (ReLU'(0) taken as 0)."""
    if name == "sigmoid":
        sigmoid_slope_into(scratch, a)
    elif name == "tanh":
        np.multiply(a, a, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
    else:
        np.greater(a, 0.0, out=scratch)
    delta *= scratch
