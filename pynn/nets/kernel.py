"""Backpropagation for a whole mini-batch at once, in preallocated buffers.

This is the seed's algorithm with the per-sample loop turned into matrix
products: sample i of the batch is row i of every activation and error
matrix, so summing the per-sample gradients becomes one product per layer.
Every buffer is allocated once per batch size and reused, because at
mini-batch 10 the cost of a step is mostly the number of numpy calls
(~1 µs each natively, ~4 µs in Pyodide), not FLOPs.

Weights are stored transposed: layer l lives in a C-ordered (n_in, n_out)
array, and ``network.weights[l]`` is its ``.T``, a view with the seed's
(n_out, n_in) shape and values.  In that layout one input's outgoing weights
are a contiguous row, which makes the sparse first layer cheap: MNIST pixels
are ~81% zeros, so the first layer's product and weight update use only the
k input columns that are nonzero somewhere in the batch (k ≈ 370 of 784 at
mini-batch 10), gathered as rows.  The skipped terms are exact zeros, so the
result is the same up to the order of summation, and the two largest
products halve.
"""

from __future__ import annotations

import sys

import numpy as np

from pynn.nets.activations import sigmoid_slope_into

WASM = sys.platform == "emscripten"


def einsum_product(x: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = x @ w through einsum, whose loops beat matmul's where there is no BLAS."""
    return np.einsum("ij,jk->ik", x, w, out=out)


# The first layer's forward product, (m, k) @ (k, n_hidden), the largest of a step.
# Pyodide's numpy has no BLAS: there einsum takes ~0.7× matmul's time; natively
# BLAS matmul is ~4× faster than einsum.  Without BLAS both add each output's
# terms one after another in the same order, so in Pyodide the choice does not
# change a bit of the result (the same tests run natively and in Pyodide).
input_product = einsum_product if WASM else np.matmul


def sigmoid_into(a: np.ndarray) -> None:
    """a ← 1 / (1 + e^-a), in place, as the seed computes it."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


class Stepper:
    """Buffers for one network and one mini-batch size, and the steps that use them.

    A Stepper takes the network's parameter arrays when it is made; a
    network given new arrays afterwards needs a new Stepper."""

    def __init__(self, network, batch_size: int) -> None:
        own_parameters(network)
        self.cost = network.cost
        self.wt = [w.T for w in network.weights]  # (n_in, n_out) C-ordered storage, updated in place
        self.brow = [b.T for b in network.biases]
        sizes = network.sizes
        self.activations = [np.empty((batch_size, n)) for n in sizes[1:]]
        self.deltas = [np.empty((batch_size, n)) for n in sizes[1:]]
        self.scratch = [np.empty((batch_size, n)) for n in sizes[1:]]
        self.grad_wt = [np.empty((n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.grad_brow = [np.empty((1, n)) for n in sizes[1:]]
        self.ones = np.ones((1, batch_size))  # ones @ δ sums over the batch, faster than np.sum

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Sums of the per-sample gradients for the rows of ``x`` (inputs) and ``y`` (targets),
        as (nabla_w, nabla_b) in the seed's shapes: views of this workspace's buffers."""
        with np.errstate(over="ignore"):
            self._forward(x, self.wt[0])
            self._backward(x, y, 1.0, self.grad_wt[0])
        return [g.T for g in self.grad_wt], [g.T for g in self.grad_brow]

    def step(self, x: np.ndarray, y: np.ndarray, eta: float, lmbda: float, n: int,
             cols: np.ndarray | None = None, measure_cost: bool = False) -> float | None:
        """One SGD step, w ← (1 − ηλ/n)·w − η·mean gradient and b ← b − η·mean gradient, on
        the batch rows ``x`` (m, k): the input columns ``cols`` of the batch (None: all of
        them; the skipped columns must be zero).  Returns the batch's summed cost before
        the step if ``measure_cost``."""
        m = len(x)
        w0 = self.wt[0] if cols is None else self.wt[0].take(cols, axis=0)
        g0 = self.grad_wt[0] if cols is None else self.grad_wt[0][:x.shape[1]]
        with np.errstate(over="ignore"):
            self._forward(x, w0)
            cost = self.cost.fn(self.activations[-1], y) if measure_cost else None
            self._backward(x, y, eta / m, g0)
        self._apply(lmbda * eta / n, w0, g0, cols)
        return cost

    def _forward(self, x: np.ndarray, w0: np.ndarray) -> None:
        """Activations for the rows of ``x``, with ``w0`` the first layer's rows for x's columns."""
        acts = self.activations
        input_product(x, w0, acts[0])
        for layer, a in enumerate(acts):
            if layer:
                np.matmul(acts[layer - 1], self.wt[layer], out=a)
            a += self.brow[layer]
            sigmoid_into(a)

    def _backward(self, x: np.ndarray, y: np.ndarray, scale: float, g0: np.ndarray) -> None:
        """Gradients times ``scale`` into grad_wt (the first layer's into ``g0``) and grad_brow."""
        # Every δ below is linear in the output δ, so scaling that one by
        # ``scale`` (η/m when stepping) scales all the gradients at the cost of one call.
        acts, deltas, ones = self.activations, self.deltas, self.ones
        delta = deltas[-1]
        np.subtract(acts[-1], y, out=delta)
        self.cost.delta_into(delta, acts[-1], self.scratch[-1])
        if scale != 1.0:
            delta *= scale
        for layer in range(len(acts) - 1, 0, -1):
            a_below, below, s = acts[layer - 1], deltas[layer - 1], self.scratch[layer - 1]
            np.matmul(a_below.T, delta, out=self.grad_wt[layer])
            np.matmul(ones, delta, out=self.grad_brow[layer])
            np.matmul(delta, self.wt[layer].T, out=below)
            below *= sigmoid_slope_into(s, a_below)
            delta = below
        np.matmul(x.T, delta, out=g0)
        np.matmul(ones, delta, out=self.grad_brow[0])

    def _apply(self, decay_rate: float, w0: np.ndarray, g0: np.ndarray, cols: np.ndarray | None) -> None:
        """Subtract the scaled gradients and decay the weights by (1 − ``decay_rate``).  With
        ``cols``, the first layer's gathered rows ``w0`` are updated and put back."""
        decay = 1.0 - decay_rate
        for layer, (w, b, gw, gb) in enumerate(zip(self.wt, self.brow, self.grad_wt, self.grad_brow)):
            if decay_rate:
                w *= decay
            if layer or cols is None:
                w -= gw
            b -= gb
        if cols is not None:  # only the batch's columns have a gradient
            if decay_rate:
                w0 *= decay
            w0 -= g0
            self.wt[0][cols] = w0


def own_parameters(network) -> None:
    """Check the parameters' shapes against ``sizes``; make the weights float64 views of
    C-ordered transposed storage and the biases float64 C-ordered columns, because
    training updates them in place.  Arrays already in that form are kept as they are."""
    sizes = network.sizes
    if len(network.weights) != len(sizes) - 1 or len(network.biases) != len(sizes) - 1:
        raise ValueError(f"network has {len(network.weights)} weight and {len(network.biases)} bias arrays; "
                         f"sizes {sizes} need {len(sizes) - 1} of each")
    weights, biases = list(network.weights), list(network.biases)
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w, b = np.asarray(weights[i]), np.asarray(biases[i])
        if w.shape != (n_out, n_in) or b.shape != (n_out, 1):
            raise ValueError(f"layer {i + 1}: weights {w.shape} and biases {b.shape} should be "
                             f"{(n_out, n_in)} and {(n_out, 1)} for sizes {sizes}")
        if not (w.dtype == np.float64 and w.T.flags.c_contiguous and w.flags.writeable):
            weights[i] = np.array(w.T, dtype=np.float64, order="C").T
        if not (b.dtype == np.float64 and b.flags.c_contiguous and b.flags.writeable):
            biases[i] = np.array(b, dtype=np.float64, order="C")
    network.weights, network.biases = weights, biases
