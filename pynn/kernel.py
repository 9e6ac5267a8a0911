"""Backpropagation for a whole mini-batch at once, in preallocated buffers.

This is the seed's algorithm with the per-sample loop turned into matrix
products: sample i of the batch is column i of every activation and error
matrix, so summing the per-sample gradients becomes one product per layer.
Every buffer is allocated once per batch size and reused, because at
mini-batch 10 the cost of a step is the number of numpy calls, not FLOPs.

The ``_``-prefixed methods assume the caller is already inside
``np.errstate(over="ignore")`` (e^-z overflows to inf for very negative z, which
is harmless); the training loop enters it once per chunk instead of per step.
"""

from __future__ import annotations

import numpy as np


class Workspace:
    """Buffers for one network and one mini-batch size, and the step that uses them."""

    def __init__(self, network, batch_size: int) -> None:
        self.network = network
        self.batch_size = batch_size
        sizes = network.sizes
        own_parameters(network)
        self.activations = [np.empty((n, batch_size)) for n in sizes[1:]]
        self.deltas = [np.empty((n, batch_size)) for n in sizes[1:]]
        self.scratch = [np.empty((n, batch_size)) for n in sizes[1:]]
        self.grad_w = [np.empty_like(w) for w in network.weights]
        self.grad_b = [np.empty_like(b) for b in network.biases]
        self.ones = np.ones((batch_size, 1))  # δ @ ones sums over the batch, faster than np.sum

    def gradient(self, x: np.ndarray, y: np.ndarray) -> None:
        """Sum of the per-sample gradients for the rows of ``x`` (inputs) and ``y`` (targets)."""
        with np.errstate(over="ignore"):
            self._gradient(x, y)

    def step(self, x: np.ndarray, y: np.ndarray, eta: float, lmbda: float, n: int) -> None:
        """One SGD step: w ← (1 − ηλ/n)·w − η·mean gradient; b ← b − η·mean gradient."""
        with np.errstate(over="ignore"):
            self._gradient(x, y, eta / len(x))
        self._apply(eta, lmbda, n)

    def batch_cost(self, y: np.ndarray) -> float:
        """Cost of the batch last passed to ``gradient``, summed over its samples."""
        return self.network.cost.fn(self.activations[-1], y.T)

    def _gradient(self, x: np.ndarray, y: np.ndarray, scale: float = 1.0) -> None:
        # Every δ below is linear in the output δ, so scaling that one by
        # ``scale`` (η/m when stepping) scales all the gradients at the cost of one call.
        net = self.network
        weights, biases = net.weights, net.biases
        inputs = x.T
        a_prev = inputs
        for w, b, a in zip(weights, biases, self.activations):
            np.matmul(w, a_prev, out=a)
            a += b
            np.negative(a, out=a)  # sigmoid, in place: 1 / (1 + e^-z)
            np.exp(a, out=a)
            a += 1.0
            np.reciprocal(a, out=a)
            a_prev = a

        delta = self.deltas[-1]
        np.subtract(self.activations[-1], y.T, out=delta)
        net.cost.delta_into(delta, self.activations[-1], self.scratch[-1])
        if scale != 1.0:
            delta *= scale
        for layer in range(len(weights) - 1, -1, -1):
            delta = self.deltas[layer]
            a_prev = self.activations[layer - 1] if layer else inputs
            np.matmul(delta, a_prev.T, out=self.grad_w[layer])
            np.matmul(delta, self.ones, out=self.grad_b[layer])
            if layer:
                below, a_below, scratch = self.deltas[layer - 1], self.activations[layer - 1], self.scratch[layer - 1]
                np.matmul(weights[layer].T, delta, out=below)
                np.subtract(1.0, a_below, out=scratch)  # σ'(z) = a(1 − a)
                scratch *= a_below
                below *= scratch

    def _apply(self, eta: float, lmbda: float, n: int) -> None:
        """Subtract the gradients, already scaled by η/m in ``_gradient``."""
        net = self.network
        decay = 1.0 - eta * lmbda / n
        for w, b, gw, gb in zip(net.weights, net.biases, self.grad_w, self.grad_b):
            if lmbda:
                w *= decay
            w -= gw
            b -= gb


def own_parameters(network) -> None:
    """Check the parameters' shapes against ``sizes`` and make them float64,
    C-ordered arrays, because training updates them in place."""
    sizes = network.sizes
    if len(network.weights) != len(sizes) - 1 or len(network.biases) != len(sizes) - 1:
        raise ValueError(f"network has {len(network.weights)} weight and {len(network.biases)} bias arrays; "
                         f"sizes {sizes} need {len(sizes) - 1} of each")
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w, b = np.asarray(network.weights[i]), np.asarray(network.biases[i])
        if w.shape != (n_out, n_in) or b.shape != (n_out, 1):
            raise ValueError(f"layer {i + 1}: weights {w.shape} and biases {b.shape} should be "
                             f"{(n_out, n_in)} and {(n_out, 1)} for sizes {sizes}")
    network.weights = [np.ascontiguousarray(w, dtype=np.float64) for w in network.weights]
    network.biases = [np.ascontiguousarray(b, dtype=np.float64) for b in network.biases]
