"""A fine-tune written down mid-way (pynn.page.finetune.FineTune.state), so that a reload or a crash
loses little of it, as pynn.page.checkpoints does for a training run.

An .npz read back through pynn.files.untrusted: as JSON text the settings (with the rate the run
resolved), the base model's name, the generator states (the round's draws', the dropout's,
the trainer's), its position and the measurement made before; the trainer's shuffle as an
int64 array; the copy being trained as its own .npz model file; and the digits it learns
from as their file (pynn.page.your_digits), so that labelling more after a reload leaves the run
as it was.  Resumed from it, the fine-tune
ends with the same weights, bit for bit, as one never interrupted.  Anything else raises
CheckpointError, and nothing is half-loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pynn.files import modelfile
from pynn.page import your_digits
from pynn.page.checkpoints import (
    TRAINER_KEYS,
    CheckpointError,
    check_generator,
    check_trainer,
    read_archive,
    write_archive,
)
from pynn.page.settings import OUTPUTS, SettingsError, check_finetune_settings

FORMAT = "pynn-finetune-checkpoint"
MAX_BYTES = modelfile.MAX_BYTES + your_digits.MAX_BYTES + 1_000_000  # the model, the digits, the rest
MEMBERS = {"format", "version", "state", "order", "model", "digits"}
STATE_KEYS = {"settings", "base", "round", "rng", "dropout_rng", "trainer", "before", "batches", "cost", "elapsed"}
MEASURES = {"yours_held_out", "yours_trained", "mnist_test"}


@dataclass
class FineTuneCheckpoint:
    """What a resumed fine-tune starts from: FineTune(model, digits, …, settings), then resume(state)."""

    settings: dict
    base: str | None
    model: modelfile.Model
    digits: list[dict]
    state: dict  # FineTune.state(), the trainer's with its order


def dumps(settings: dict, base: str | None, model: modelfile.Model, digits: list[dict], state: dict) -> bytes:
    return write_archive(FORMAT, {**state, "settings": settings, "base": base}, state["trainer"], model,
                         digits=np.frombuffer(your_digits.dumps(digits), dtype=np.uint8))


def loads(data: bytes) -> FineTuneCheckpoint:
    """The fine-tune checkpoint in ``data``, checked throughout, or CheckpointError."""
    arrays, state = read_archive(data, FORMAT, MEMBERS, MAX_BYTES, "pynn fine-tune checkpoint")
    if not isinstance(state, dict) or set(state) != STATE_KEYS or not isinstance(state["trainer"], dict) \
            or not isinstance(state["before"], dict) or set(state["before"]) != MEASURES:
        raise CheckpointError("the checkpoint's state is not what a fine-tune writes")
    try:
        settings = check_finetune_settings(state.pop("settings"))
    except SettingsError as error:
        raise CheckpointError(f"the checkpoint's settings are refused: {error}") from None
    if settings["eta"] is None or type(state["round"]) is not int or not 0 <= state["round"] < settings["rounds"]:
        raise CheckpointError("the checkpoint's round or rate is not one of its run")
    try:
        model = modelfile.loads(arrays["model"].tobytes())
        digits = your_digits.loads(arrays["digits"].tobytes())
    except (modelfile.ModelFileError, your_digits.DigitsFileError) as error:
        raise CheckpointError(f"the checkpoint's network or digits are refused: {error}") from None
    if model.n_out != OUTPUTS:
        raise CheckpointError(f"the checkpoint's network has {model.n_out} outputs, not {OUTPUTS}")
    order = arrays["order"]
    if order.ndim != 1 or order.dtype != np.int64:
        raise CheckpointError("the checkpoint's shuffle is not a list of indices")
    trainer = check_trainer(state["trainer"]) if set(state["trainer"]) == TRAINER_KEYS else None
    if trainer is None or not isinstance(state["batches"], int) or not isinstance(state["elapsed"], (int, float)):
        raise CheckpointError("the checkpoint's position is not what a fine-tune writes")
    trainer["order"] = order if len(order) else None
    base = state.pop("base")
    check_generator(state["rng"])
    check_generator(state["dropout_rng"])
    return FineTuneCheckpoint(settings, base if isinstance(base, str) else None, model, digits,
                              {**state, "trainer": trainer})
