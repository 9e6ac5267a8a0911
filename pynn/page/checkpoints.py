"""A training run written down mid-way, so that a reload or a crash loses little of it.

A checkpoint is an .npz (read back through pynn.files.untrusted, like a model file): the
run's settings and the trainer's position and generator state as JSON text, the
epoch's shuffle as an int64 array, and the network itself as the bytes of its own
.npz model file (pynn.files.modelfile).  Resumed from it, a run ends with the same weights, bit for
bit, as one never interrupted (pynn.training.trainer.Trainer.state says when that holds).
Anything that does not fit (another format or version, a corrupt or hostile file,
settings the form would refuse) raises CheckpointError, and nothing is half-loaded.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from pynn.files import modelfile
from pynn.files.untrusted import npz_arrays, parse_json
from pynn.nets.architectures import network_for
from pynn.page.settings import SettingsError, check_settings

FORMAT = "pynn-checkpoint"
VERSION = 1
MAX_BYTES = modelfile.MAX_BYTES + 1_000_000  # the model's own cap, and room for the shuffle of 50,000
MEMBERS = {"format", "version", "state", "order", "model"}
STATE_KEYS = {"settings", "trainer", "pending", "epochs"}
TRAINER_KEYS = {"epoch", "batch", "elapsed", "cost_sum", "cost_samples", "history", "rng"}


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from."""


@dataclass
class Checkpoint:
    """What a resumed run starts from."""

    settings: dict
    model: modelfile.Model
    trainer: dict  # pynn.training.trainer.Trainer.state(), with its order
    pending: dict | None  # the finished epoch's record while its test evaluation had not ended
    epochs: list  # each finished epoch's record, for the page's charts


def dumps(settings: dict, model: modelfile.Model, trainer_state: dict, pending: dict | None, epochs: list) -> bytes:
    return write_archive(FORMAT, {"settings": settings, "pending": pending, "epochs": epochs}, trainer_state, model)


def write_archive(format_: str, state: dict, trainer_state: dict, model: modelfile.Model,
                  **extra: Any) -> bytes:
    """The .npz every checkpoint is (a training run's, a fine-tune's): its format and version,
    ``state`` and the trainer's state but its shuffle as JSON text, the shuffle as int64, the
    network as its own .npz model file, and the ``extra`` members its kind adds."""
    trainer = {key: value for key, value in trainer_state.items() if key != "order"}
    order = trainer_state["order"]
    buffer = io.BytesIO()
    np.savez(buffer, format=np.array(format_), version=np.array(VERSION, dtype=np.int64),
             state=np.array(json.dumps({**state, "trainer": trainer}, allow_nan=False)),
             order=np.array([] if order is None else order, dtype=np.int64),
             model=np.frombuffer(modelfile.to_npz(model), dtype=np.uint8), **extra)
    return buffer.getvalue()


def read_archive(data: bytes, format_: str, members: set, max_bytes: int, name: str) -> tuple[dict, object]:
    """(the arrays, the JSON state) of a checkpoint archive of ``format_`` (``name`` in messages),
    its members and version checked, or CheckpointError."""
    if not modelfile.is_npz(data):
        raise CheckpointError(f"this is not a {name} (not an .npz archive)")
    arrays = npz_arrays(data, cap=max_bytes, max_members=len(members), error=CheckpointError)
    if set(arrays) != members or str(arrays["format"]) != format_:
        raise CheckpointError(f"this is not a {name}")
    if arrays["version"].shape != () or int(arrays["version"]) != VERSION:
        raise CheckpointError(f"this checkpoint is version {arrays['version']}; this page reads version {VERSION}")
    return arrays, parse_json(str(arrays["state"]), cap=max_bytes, max_depth=8, what="checkpoint",
                              error=CheckpointError)


def loads(data: bytes) -> Checkpoint:
    """The checkpoint in ``data``, checked throughout, or CheckpointError."""
    arrays, state = read_archive(data, FORMAT, MEMBERS, MAX_BYTES, "pynn checkpoint")
    if not isinstance(state, dict) or set(state) != STATE_KEYS or not isinstance(state["trainer"], dict) \
            or set(state["trainer"]) != TRAINER_KEYS:
        raise CheckpointError("the checkpoint's state is not what a training run writes")
    try:
        settings = check_settings(state["settings"])
    except SettingsError as error:
        raise CheckpointError(f"the checkpoint's settings are refused: {error}") from None
    try:
        model = modelfile.loads(arrays["model"].tobytes())
    except modelfile.ModelFileError as error:
        raise CheckpointError(f"the checkpoint's network is refused: {error}") from None
    if modelfile.spec_and_params(model)[0] != modelfile.spec_and_params(network_for(settings))[0]:
        raise CheckpointError("the checkpoint's network is not the one its settings make")
    order = arrays["order"]
    if order.ndim != 1 or order.dtype != np.int64:
        raise CheckpointError("the checkpoint's shuffle is not a list of indices")
    trainer = check_trainer(state["trainer"])
    trainer["order"] = order if len(order) else None
    pending, epochs = state["pending"], state["epochs"]
    if not (pending is None or isinstance(pending, dict)) or not isinstance(epochs, list):
        raise CheckpointError("the checkpoint's epoch records are not what a training run writes")
    return Checkpoint(settings, model, trainer, pending, epochs)


def check_trainer(trainer: dict) -> dict:
    """The trainer's scalars, of the types Trainer.restore takes; its generator a PCG64's."""
    counts = ("epoch", "batch", "cost_samples")
    if not all(type(trainer[key]) is int and trainer[key] >= 0 for key in counts):
        raise CheckpointError("the checkpoint's position is not made of whole numbers")
    if not all(isinstance(trainer[key], (int, float)) and not isinstance(trainer[key], bool)
               for key in ("elapsed", "cost_sum")) or not isinstance(trainer["history"], list):
        raise CheckpointError("the checkpoint's running totals are not numbers")
    check_generator(trainer["rng"])
    return dict(trainer)


def check_generator(rng) -> dict:
    """``rng`` if it is a PCG64 generator's state (numpy's bit_generator.state), else CheckpointError."""
    inner = rng.get("state") if isinstance(rng, dict) else None
    words = (inner or {}).get("state"), (inner or {}).get("inc")
    if not isinstance(inner, dict) or rng.get("bit_generator") != "PCG64" or \
            not all(type(w) is int and 0 <= w < 2**128 for w in words):
        raise CheckpointError("the checkpoint's random generator is not a PCG64 state")
    return rng
