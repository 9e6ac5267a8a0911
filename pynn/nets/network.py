"""A feedforward network of sigmoid neurons, after Nielsen's network.py.

The API is the seed's: ``Network(layer_sizes)``, ``feedforward``, ``SGD``,
``update_minibatch``, ``backprop``, ``validation_accuracy``, with the seed's argument
names (``alpha``, ``number_of_epochs``, ``minibatch_size``), so code written for the
book runs unchanged; network3's layered API (:mod:`pynn.nets.network3`) keeps network3's
names (``eta``, ``epochs``) for the same reason.  The arithmetic is the seed's too:
``backprop`` is its per-sample algorithm, kept readable as the reference, while
training sends a mini-batch through as whole matrices (one column per sample),
which :mod:`pynn.nets.kernel` does; tests/test_oracle.py holds the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pynn.checks import check_count, check_finite, check_layer_sizes, check_positive
from pynn.data.dataset import as_dataset
from pynn.nets.activations import sigmoid_slope_into
from pynn.nets.costs import get_cost
from pynn.nets.kernel import Stepper, own_parameters
from pynn.training.batches import nonzero_columns
from pynn.training.evaluation import count_correct, summed_cost
from pynn.training.trainer import Trainer

INITS = ("standard", "scaled")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The sigmoid function, 1/(1+e^-z); e^-z may overflow to inf, which gives exactly 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid function."""
    s = sigmoid(z)
    return sigmoid_slope_into(np.empty_like(s), s)


class Network:
    """Weights and biases of a sigmoid network, and the ways to train and use them."""

    sparse_inputs = True  # a step may take only the batch's nonzero input columns (pynn.nets.model)

    def __init__(
        self,
        layer_sizes: Sequence[int],
        cost: str = "quadratic",
        init: str = "standard",
        seed: int | np.random.Generator | None = None,
        *,
        weights: list[np.ndarray] | None = None,
        biases: list[np.ndarray] | None = None,
        meta: dict | None = None,
    ) -> None:
        """Random N(0,1) biases, and N(0,1) weights ("standard", the seed's) or
        N(0,1/√n_in) ("scaled", network2's, which keeps hidden neurons out of
        saturation), unless ``weights`` and ``biases`` are given.  ``seed`` makes
        the whole life of the network reproducible: it feeds the initial weights
        and every later shuffle.  ``meta`` is free-form JSON data saved with it."""
        self.sizes = check_layer_sizes(layer_sizes)
        self.num_layers = len(self.sizes)
        self.cost = get_cost(cost)
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {list(INITS)}")
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.meta: dict = dict(meta or {})
        if (weights is None) != (biases is None):
            raise ValueError("give both weights and biases, or neither")
        if weights is None or biases is None:  # both, as just checked
            biases = [self.rng.standard_normal((n, 1)) for n in self.sizes[1:]]
            weights = [self.rng.standard_normal((n_out, n_in)) / (np.sqrt(n_in) if init == "scaled" else 1.0)
                       for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        self.weights, self.biases = list(weights), list(biases)
        own_parameters(self)

    @classmethod
    def from_parameters(cls, weights: list[np.ndarray], biases: list[np.ndarray], cost: str = "quadratic",
                        seed: int | None = None, meta: dict | None = None) -> Network:
        """A network with the given weights (n_out, n_in) and biases (n_out, 1), e.g. a loaded one."""
        if not weights:
            raise ValueError("a network needs at least one layer of weights")
        sizes = [np.shape(weights[0])[1]] + [np.shape(w)[0] for w in weights]
        return cls(sizes, cost=cost, seed=seed, weights=weights, biases=biases, meta=meta)

    def copy(self) -> Network:
        """An independent copy: the same sizes and cost, parameters (copied), meta and generator state."""
        twin = Network(self.sizes, cost=self.cost.name, weights=[w.copy() for w in self.weights],
                       biases=[b.copy() for b in self.biases], meta=self.meta)
        twin.rng.bit_generator.state = self.rng.bit_generator.state
        return twin

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    def stepper(self, batch_size: int) -> Stepper:
        """Buffers and the SGD step for mini-batches of ``batch_size`` (see pynn.nets.model)."""
        return Stepper(self, batch_size)

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """The output for input ``a``: one column (n_in, 1), or a batch of columns (n_in, n)."""
        a = np.asarray(a)
        if a.ndim == 1 and a.shape[0] == self.sizes[0]:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[0] != self.sizes[0]:
            raise ValueError(f"input must have shape ({self.sizes[0]}, 1) or ({self.sizes[0]}, n), got {a.shape}")
        check_finite("input", a)
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def SGD(
        self,
        training_data,
        number_of_epochs: int,
        minibatch_size: int,
        alpha: float,
        test_data=None,
        lmbda: float = 0.0,
        verbose: bool = True,
    ) -> list[dict]:
        """Mini-batch stochastic gradient descent, as in the seed: each epoch
        shuffles the data, steps once per mini-batch, and prints a line (with the
        accuracy on ``test_data`` when given).  ``lmbda`` adds L2 weight decay.
        Returns the per-epoch history: training cost, and accuracy if measured."""
        trainer = Trainer(
            self, training_data, number_of_epochs, minibatch_size, alpha,
            lmbda=lmbda, evaluation_data=test_data,
        )
        for progress in trainer.each_epoch():
            if verbose:
                if progress.accuracy is None:
                    print(f"Epoch {progress.epoch} finished")
                else:
                    print(f"Epoch {progress.epoch}: {progress.accuracy:.4f} accuracy")
        return trainer.history

    def update_minibatch(self, minibatch, alpha: float, lmbda: float = 0.0, n: int | None = None) -> None:
        """One gradient step on the mean gradient of ``minibatch``, a list of
        (x, y) pairs (or a Dataset).  ``n`` is the size of the whole training set,
        which scales the L2 decay as in network2."""
        alpha = check_positive("alpha (learning rate)", alpha)
        lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        n = len(minibatch) if n is None else check_count("n", n, 1)
        batch = as_dataset(minibatch, self.sizes, "minibatch")
        x, cols = nonzero_columns(batch.inputs(0, len(batch)).T)  # rows, as the step takes them
        self.stepper(len(batch)).step(x, batch.y, alpha, lmbda, n, cols)

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The gradient of the cost for one sample, as (nabla_w, nabla_b), layer by layer.

        This is the book's algorithm as the seed writes it, one sample and one layer at a
        time, with its names: feed forward keeping every z and activation, take the output
        error δ, and carry it back through the transposed weights.  It is the reference:
        training runs pynn.nets.kernel's matrix form of the same steps (a whole mini-batch at
        once, in preallocated buffers), and tests/test_oracle.py holds the two equal."""
        sample = as_dataset([(x, y)], self.sizes, "sample")  # checks shapes and values
        x, y = sample.inputs(0, 1), sample.y.T
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        activation, activations, zs = x, [x], []
        for w, b in zip(self.weights, self.biases):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost.delta(activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, self.num_layers):
            delta = (self.weights[-layer + 1].T @ delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ activations[-layer - 1].T
        return nabla_w, nabla_b

    def validation_accuracy(self, test_data) -> float:
        """Fraction of ``test_data`` (x, int label) pairs whose largest output is the label."""
        data = as_dataset(test_data, self.sizes, "test_data")
        return count_correct(self, data) / len(data)

    def total_cost(self, data, lmbda: float = 0.0) -> float:
        """Mean cost over ``data`` plus the L2 term ½λ/n Σw², as network2 reports it."""
        lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        data = as_dataset(data, self.sizes, "data")
        cost = summed_cost(self, data) / len(data)
        return cost + 0.5 * (lmbda / len(data)) * sum(float(np.sum(w * w)) for w in self.weights)

    def cost_gradient_wrt_output(self, output_activations: np.ndarray, label: np.ndarray) -> np.ndarray:
        """∂C/∂a for this network's cost (for the seed's quadratic cost, simply a − y)."""
        return self.cost.derivative(output_activations, label)

    def predict(self, x: np.ndarray) -> int:
        """The digit (index of the largest output) for one input."""
        return int(np.argmax(self.feedforward(x)))


__all__ = ["INITS", "Network", "sigmoid", "sigmoid_prime"]
