"""What a fine-tune (pynn.page.finetune) settles before it runs: whether it fits in memory, the
rate it learns at when the form leaves it empty, and the copy of the model it trains, so
that the model in use is never touched.  Apart from the engine, so that a job can refuse
settings from these before any data is loaded."""

from __future__ import annotations

import math
from typing import TypeVar

from pynn.nets.model import Model
from pynn.page.features import conv_depth
from pynn.page.settings import HEAP_BUDGET, SettingsError
from pynn.training import memory

ModelT = TypeVar("ModelT", bound=Model)


def copy_model(model: ModelT) -> ModelT:
    """An independent copy of ``model``, by its ``copy()``."""
    if hasattr(model, "copy"):
        return model.copy()
    raise NotImplementedError(f"cannot copy a {type(model).__name__}: give it a copy() method")


def check_memory(settings: dict, model: Model, depth: int, cache_bytes: int) -> int:
    """The fine-tune's estimated peak memory (pynn.training.memory), or SettingsError naming the fields
    that set it when it would pass HEAP_BUDGET: refused at once, not after a minute's work."""
    estimate = memory.finetune_bytes(settings, model, depth, cache_bytes)
    thawed = settings["freeze"] == "none" and conv_depth(model) > 0
    fields = ["round_size", "minibatch_size", *(["freeze"] if thawed else [])]
    change = ("Use fewer images per round or a smaller mini-batch, or keep the conv layers fixed." if thawed
              else "Use fewer images per round or a smaller mini-batch.")
    message = memory.over_budget(estimate, HEAP_BUDGET, change)
    if message:
        raise SettingsError(dict.fromkeys(fields, message))
    return estimate


def default_eta(model: Model) -> float:
    """The rate the model says it was trained with, else one that suits its cost."""
    settings = getattr(model, "meta", {}).get("settings") if isinstance(getattr(model, "meta", None), dict) else None
    eta = settings.get("eta") if isinstance(settings, dict) else None
    if isinstance(eta, (int, float)) and not isinstance(eta, bool) and math.isfinite(eta) and 0 < eta <= 1000:
        return float(eta)
    # the log-likelihood (softmax) nets learn at network3's rates; the sigmoid MLPs at network2's
    return {"cross-entropy": 0.1, "log-likelihood": 0.01}.get(getattr(model.cost, "name", ""), 1.0)

