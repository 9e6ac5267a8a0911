"""What the training engine needs from a network, whatever its kind.

``pynn.Network`` (the seed's MLP) and the layered ``pynn.nets.network3.Network``
both satisfy :class:`Model`; the :class:`~pynn.training.trainer.Trainer`, the
evaluation helpers and the browser session use only these names, so a new kind
of network plugs in without touching them.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Cost(Protocol):
    @property
    def name(self) -> str:
        """How settings and files name the cost."""

    def fn(self, a: np.ndarray, y: np.ndarray) -> float:
        """Cost of outputs ``a`` against targets ``y`` (same shape), summed over samples."""


class Stepper(Protocol):
    """A model's buffers for one mini-batch size, and the SGD step that uses them."""

    def step(self, x: np.ndarray, y: np.ndarray, eta: float, lmbda: float, n: int,
             cols: np.ndarray | None = None, measure_cost: bool = False) -> float | None:
        """One step of SGD with L2 decay on the batch: ``x`` (m, k) holds the batch's
        inputs as rows, restricted to the input columns ``cols`` (None: all of them);
        ``y`` (m, n_out) its targets; ``n`` the size of the training set (it scales
        the decay).  Returns the batch's summed cost before the step if
        ``measure_cost``, else None."""


class Model(Protocol):
    rng: np.random.Generator  # shuffles and dropout draw from it, so a seeded run repeats
    sparse_inputs: bool  # whether ``Stepper.step`` takes a subset of input columns
    meta: dict  # free-form JSON data saved with the model (its settings, measured accuracy)

    @property
    def cost(self) -> Cost:
        """The cost it is trained on."""

    @property
    def n_in(self) -> int:
        """Inputs per sample."""

    @property
    def n_out(self) -> int:
        """Outputs per sample."""

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Outputs (n_out, m) for inputs given as columns (n_in, m), as the seed's API has it."""

    def stepper(self, batch_size: int) -> Stepper:
        """Fresh buffers for mini-batches of ``batch_size``, bound to the current parameters."""
