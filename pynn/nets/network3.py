"""Nielsen's network3.py (chapter 6) on numpy: a stack of layers trained by SGD.

``Network(layers)`` with :class:`~pynn.nets.layers.ConvPoolLayer`,
:class:`~pynn.nets.layers.FullyConnectedLayer` and :class:`~pynn.nets.layers.SoftmaxLayer`,
log-likelihood cost, L2 weight decay, dropout.  It satisfies
:class:`pynn.nets.model.Model`, so the training engine can drive it like the seed's
MLP: ``feedforward`` takes columns (n_in, m) as the seed does; a
:class:`Stepper` does one SGD step on rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from pynn.checks import check_bytes, check_count, check_finite
from pynn.data.dataset import as_dataset
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, Layer, SoftmaxLayer
from pynn.training.evaluation import count_correct
from pynn.training.trainer import Trainer

CHUNK = 100  # samples per block in feedforward: bounds the conv buffers (~22 MB for the MNIST net)


class LogLikelihoodCost:
    """C = −Σ y·ln a over outputs and samples: network3's cost for a softmax output."""

    name = "log-likelihood"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Summed −y·ln a for ``a`` and ``y`` of the same shape (columns or rows); terms with
        y = 0 count 0 even where a = 0, and a = 0 under y > 0 is honestly +inf."""
        a, y = np.asarray(a, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if a.shape != y.shape:
            raise ValueError(f"outputs {a.shape} and targets {y.shape} must have the same shape")
        logs = np.zeros_like(a)
        with np.errstate(divide="ignore"):
            np.log(a, out=logs, where=y != 0)
        return float(-np.sum(y * logs, where=y != 0))


class Network:
    """A network3-style stack of layers (conv-pool, fully connected, softmax last)."""

    sparse_inputs = False

    def __init__(self, layers: Sequence[Layer], seed: int | np.random.Generator | None = None, *,
                 mini_batch_size: int | None = None, meta: dict | None = None) -> None:
        """Checks that the layers chain (each n_in equal to the n_out below) and end in a
        softmax, then initialises any layer without parameters from ``seed`` (as
        network3 does: Gaussian, softmax zeros).  ``mini_batch_size`` (network3's
        second argument) is optional: it sets SGD's default and is checked against the
        buffer cap now rather than at the first step.  ``meta`` is free-form JSON data
        saved with the network."""
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or not layers:
            raise TypeError(f"layers must be a non-empty list of layers, got {layers!r:.80}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a ConvPoolLayer, FullyConnectedLayer or SoftmaxLayer")
        for i, (below, above) in enumerate(zip(layers[:-1], layers[1:])):
            if above.n_in != below.n_out:
                raise ValueError(f"layers[{i + 1}] takes n_in={above.n_in} but layers[{i}] gives {below.n_out}")
        if not isinstance(layers[-1], SoftmaxLayer) or any(isinstance(x, SoftmaxLayer) for x in layers[:-1]):
            raise ValueError("the last layer, and only the last, must be a SoftmaxLayer (log-likelihood cost)")
        if len(set(map(id, layers))) != len(layers):
            raise ValueError("the same layer object appears twice in layers")
        self.layers = list(layers)
        self.n_in, self.n_out = self.layers[0].n_in, self.layers[-1].n_out
        self.mini_batch_size = None if mini_batch_size is None else check_count("mini_batch_size", mini_batch_size, 1)
        self.check_batch(self.mini_batch_size or 1)
        self.cost = LogLikelihoodCost()
        self.meta: dict = dict(meta or {})
        # Unseeded, the generator is made on first use: a network read from a file draws nothing,
        # and importing numpy.random was a good part of the page's first model load (Pyodide).
        self._rng = None if seed is None else seed if isinstance(seed, np.random.Generator) \
            else np.random.default_rng(seed)
        for layer in self.layers:
            if not layer.params:
                layer.initialize(self.rng)

    @property
    def rng(self) -> np.random.Generator:
        """What shuffles, dropout and initialisation draw from."""
        if self._rng is None:
            self._rng = np.random.default_rng()
        return self._rng

    @rng.setter
    def rng(self, rng: np.random.Generator) -> None:
        self._rng = rng

    @property
    def sizes(self) -> list[int]:
        """[n_in, n_out of each layer], as the seed's ``sizes`` (for pynn.data.dataset.as_dataset)."""
        return [self.n_in] + [layer.n_out for layer in self.layers]

    def check_batch(self, m: int) -> None:
        """Refuse a batch size whose parameters and buffers would pass the cap, before allocating."""
        floats = sum(layer.buffer_floats(m) + 2 * sum(int(np.prod(s)) for s in layer.param_shapes())
                     for layer in self.layers)
        check_bytes(f"a mini-batch of {m}", floats)

    def __repr__(self) -> str:
        return "Network([" + ", ".join(layer.shape_text() for layer in self.layers) + "])"

    def describe(self) -> dict:
        """The architecture as a JSON-able dict (no parameters); ``from_description`` rebuilds it."""
        return {"layers": [layer.describe() for layer in self.layers]}

    @classmethod
    def from_description(cls, spec: dict, seed: int | None = None) -> Network:
        if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
            raise ValueError("a network description is a dict with a list of layer specs under 'layers'")
        return cls([Layer.from_description(s) for s in spec["layers"]], seed)

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Probabilities (n_out, m) for inputs as columns (n_in, m) or one (n_in,) vector; no dropout."""
        a = np.asarray(a)
        if a.ndim == 1 and a.shape[0] == self.n_in:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[0] != self.n_in:
            raise ValueError(f"input must have shape ({self.n_in}, 1) or ({self.n_in}, m), got {a.shape}")
        check_finite("input", a)
        return np.ascontiguousarray(self.outputs(a.T).T)

    def outputs(self, rows: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows (m, n_in of layers[start]) through layers[start:stop], no dropout: (m, n_out of
        the last of them).  CHUNK rows at a time, so a caller that keeps the output of the
        first layers (pynn.page.features) and feeds it to the rest gets feedforward's numbers exactly."""
        layers = self.layers[start:stop]
        if not layers:
            raise ValueError(f"layers[{start}:{stop}] is empty; the network has {len(self.layers)} layers")
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != layers[0].n_in:
            raise ValueError(f"rows must have shape (m, {layers[0].n_in}), got {rows.shape}")
        out = np.empty((rows.shape[0], layers[-1].n_out))
        with np.errstate(over="ignore"):
            for first in range(0, rows.shape[0], CHUNK):
                block = np.ascontiguousarray(rows[first:first + CHUNK], dtype=np.float64)
                for layer in layers:
                    block = layer.forward(block, training=False, grad=False)
                out[first:first + CHUNK] = block
        return out

    def copy(self) -> Network:
        """An independent copy: the same layers, parameters (copied), meta and generator state."""
        layers = [Layer.from_description(layer.describe()) for layer in self.layers]
        for copied, layer in zip(layers, self.layers):
            copied.set_params([p.copy() for p in layer.params])
        twin = Network(layers, meta=dict(self.meta))
        twin.rng.bit_generator.state = self.rng.bit_generator.state
        return twin

    def input_gradient(self, x: np.ndarray, unit: int) -> np.ndarray:
        """∂a_unit/∂x, a (n_in, 1) column, for one input column ``x``: the softmax output's own
        derivative, ∂a_k/∂z = a_k(e_k − a), sent back through every layer to the input."""
        row = np.asarray(x, dtype=np.float64).reshape(1, self.n_in)
        a = row
        with np.errstate(over="ignore"):
            for layer in self.layers:
                a = layer.forward(a, training=False, grad=True)
            delta = -a[0, unit] * a
            delta[0, unit] += a[0, unit]
            for layer in reversed(self.layers):
                delta = layer.backward(delta, need_input=True)
        return delta.reshape(-1, 1)

    def hidden_activations(self, x: np.ndarray) -> np.ndarray:
        """How strongly each unit of the first layer fires for one input column ``x``: a conv
        layer's filters by the mean of their pooled map, a fully connected layer's units as they are."""
        out = self.layers[0].forward(np.asarray(x, dtype=np.float64).reshape(1, self.n_in), training=False,
                                     grad=False)
        first = self.layers[0]
        if isinstance(first, ConvPoolLayer):
            return out.reshape(first.filter_shape[0], -1).mean(axis=1)
        return out[0].copy()

    def stepper(self, batch_size: int) -> Stepper:
        return Stepper(self, check_count("batch_size", batch_size, 1))

    def SGD(self, training_data, epochs: int, mini_batch_size: int | None = None, eta: float = 0.1,
            test_data=None, lmbda: float = 0.0, verbose: bool = True, augment=None) -> list[dict]:
        """network3's SGD, run by pynn's Trainer: each epoch shuffles (from the network's
        generator), steps once per mini-batch, and reports the accuracy on ``test_data``
        when given.  Data are lists of (x, y) pairs as Nielsen's loader gives them (or a
        pynn Dataset); ``augment`` as for the Trainer.  Returns the per-epoch history.

        The arguments keep network3.py's names (epochs, eta), as ``pynn.Network.SGD`` keeps
        the seed's (number_of_epochs, alpha): a reader of either file finds its own words."""
        size = check_count("mini_batch_size", mini_batch_size or self.mini_batch_size or 10, 1)
        self.check_batch(size)
        trainer = Trainer(self, training_data, epochs, size, eta, lmbda=lmbda, evaluation_data=test_data,
                          augment=augment)
        for progress in trainer.each_epoch():
            if verbose:
                print(f"Epoch {progress.epoch}: cost {progress.cost:.4f}"
                      + ("" if progress.accuracy is None else f", accuracy {progress.accuracy:.4f}"))
        return trainer.history

    def validation_accuracy(self, data) -> float:
        """Fraction of ``data`` ((x, label) or (x, one-hot) pairs) whose largest output is right."""
        data = as_dataset(data, self.sizes, "data")
        return count_correct(self, data) / len(data)


class Stepper:
    """One mini-batch size's SGD step; the layers hold the buffers, made on first use."""

    def __init__(self, network: Network, batch_size: int) -> None:
        network.check_batch(batch_size)
        self.network, self.batch_size = network, batch_size
        self.delta = np.empty((batch_size, network.n_out))

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        a = x
        for layer in self.network.layers:
            a = layer.forward(a, training, self.network.rng)
        return a

    def gradient(self, x: np.ndarray, y: np.ndarray, scale: float = 1.0, training: bool = True,
                 measure_cost: bool = True) -> float | None:
        """Per-sample gradients summed (times ``scale``) into each layer's ``grads``;
        returns the batch's summed log-likelihood cost (before any step) if asked."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.batch_size, self.network.n_in) or np.shape(y) != (self.batch_size, self.network.n_out):
            raise ValueError(f"a batch of {self.batch_size} is x ({self.batch_size}, {self.network.n_in}) and "
                             f"y ({self.batch_size}, {self.network.n_out}), got {x.shape} and {np.shape(y)}")
        with np.errstate(over="ignore"):
            a = self.forward(x, training)
            layers = self.network.layers
            cost = cast(SoftmaxLayer, layers[-1]).log_likelihood(y) if measure_cost else None  # checked at __init__
            delta = np.subtract(a, y, out=self.delta)  # ∂C/∂z of softmax + log-likelihood
            if scale != 1.0:
                delta *= scale  # every gradient is linear in it: η/m once, here
            for i in range(len(layers) - 1, -1, -1):
                delta = layers[i].backward(delta, need_input=i > 0)
        return cost

    def step(self, x: np.ndarray, y: np.ndarray, eta: float, lmbda: float, n: int,
             cols: np.ndarray | None = None, measure_cost: bool = False) -> float | None:
        """w ← (1 − ηλ/n)·w − η·mean gradient; b ← b − η·mean gradient.  ``cols`` must be
        None: a conv net needs every input column."""
        if cols is not None:
            raise ValueError("network3 takes whole input rows (sparse_inputs is False); cols must be None")
        cost = self.gradient(x, y, eta / len(x), measure_cost=measure_cost)
        self.update(eta, lmbda, n)
        return cost

    def update(self, eta: float, lmbda: float, n: int) -> None:
        """The step from the gradient in the layers' ``grads`` (already times η/m): apart from
        ``step`` so that a data-parallel step (pynn.training.data_parallel), which sums its
        shares' gradients into ``grads``, moves the weights by the very same arithmetic."""
        decay = 1.0 - eta * lmbda / n
        for layer in self.network.layers:
            for param, grad, decays in zip(layer.params, layer.grads, layer.decays):
                if decays and lmbda:
                    param *= decay
                param -= grad


__all__ = ["ConvPoolLayer", "FullyConnectedLayer", "LogLikelihoodCost", "Network", "SoftmaxLayer", "Stepper"]
