"""Cost functions, in the shape of Nielsen's network2.py.

Each cost knows its value and the error ``delta`` it sends back through the
output layer.  The two differ only in that last step: the quadratic cost keeps
the sigmoid's derivative (and so learns slowly when an output saturates); the
cross-entropy cost cancels it.
"""

from __future__ import annotations

import numpy as np


class QuadraticCost:
    """C = ½‖a − y‖², the seed's cost."""

    name = "quadratic"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Total cost of the outputs ``a`` against the targets ``y`` (summed over columns)."""
        return 0.5 * float(np.sum((a - y) ** 2))

    @staticmethod
    def delta_into(out: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
        """Turn ``out`` = a − y into δ = (a − y) ⊙ σ'(z), in place; σ'(z) = a(1 − a)."""
        np.subtract(1.0, a, out=scratch)
        scratch *= a
        out *= scratch


class CrossEntropyCost:
    """C = −Σ y ln a + (1 − y) ln(1 − a), which cancels σ'(z) from the output error."""

    name = "cross-entropy"

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        """Total cost; ``nan_to_num`` turns 0·ln 0 into 0, as in network2."""
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = -y * np.log(a) - (1 - y) * np.log(1 - a)
        return float(np.sum(np.nan_to_num(terms)))

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
