"""Cost functions, in the shape of Nielsen's network2.py.

Each cost knows its value and the error ``delta`` it sends back through the
output layer.  The two differ only in that last step: the quadratic cost keeps
the sigmoid's derivative (and so learns slowly when an output saturates); the
cross-entropy cost cancels it.
"""

from __future__ import annotations

import numpy as np

from pynn.nets.activations import sigmoid_slope_into

SMALLEST_A = np.nextafter(0.0, 1.0)  # an output of exactly 0 means a smaller true value
SMALLEST_1_MINUS_A = 2.0**-53  # below this, 1 − a rounds to 0


class QuadraticCost:
    """C = ½‖a − y‖², the seed's cost."""

    name = "quadratic"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Total cost of the outputs ``a`` against the targets ``y`` (summed over columns)."""
        return 0.5 * float(np.sum((a - y) ** 2))

    @staticmethod
    def derivative(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """∂C/∂a = a − y."""
        return a - y

    @staticmethod
    def delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The output layer's error δ = ∂C/∂z = (a − y) ⊙ σ'(z), from its activation a = σ(z)."""
        return (a - y) * sigmoid_slope_into(np.empty_like(a), a)

    @staticmethod
    def delta_into(out: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
        """Turn ``out`` = a − y into δ = (a − y) ⊙ σ'(z), in place; σ'(z) = a(1 − a)."""
        out *= sigmoid_slope_into(scratch, a)


class CrossEntropyCost:
    """C = −Σ y ln a + (1 − y) ln(1 − a), which cancels σ'(z) from the output error."""

    name = "cross-entropy"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Total cost.  An output that saturated to exactly 0 or 1 counts as the
        nearest value that rounds to it (so the cost stays finite and is a lower
        bound), and 0·ln 0 is 0, as in network2; elsewhere the values are network2's."""
        terms = y * np.log(np.maximum(a, SMALLEST_A)) + (1 - y) * np.log(np.maximum(1 - a, SMALLEST_1_MINUS_A))
        return -float(np.sum(terms))

    @staticmethod
    def derivative(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """∂C/∂a = (a − y) / (a(1 − a))."""
        return (a - y) / (a * (1 - a))

    @staticmethod
    def delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The output layer's error δ = ∂C/∂z = a − y: σ'(z) cancels."""
        return a - y

    @staticmethod
    def delta_into(out: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
        """δ = a − y: ``out`` already holds it."""


COSTS = {cost.name: cost for cost in (QuadraticCost, CrossEntropyCost)}


def get_cost(name: str) -> type[QuadraticCost] | type[CrossEntropyCost]:
    """Look a cost up by name, with an error that lists the choices."""
    if isinstance(name, type) and name in COSTS.values():
        return name
    try:
        return COSTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown cost {name!r}; choose one of {sorted(COSTS)}") from None
