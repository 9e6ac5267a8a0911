"""The Python half of the web page's worker: models, predictions and training.

The worker (web/worker.js) holds one :class:`Session` and reaches it only
through :func:`call`, with plain values (bytes, numbers, dicts of JSON types)
in and a plain ``{"ok": ...}`` dict out, so nothing here imports Pyodide and
all of it is tested natively.  Anything the user supplies (a model file,
training settings) is validated here, and a rejected one leaves the session as
it was.  Whether a training run is going is known here and nowhere else in the
worker.
"""

from __future__ import annotations

import io as bytes_io
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pynn import io, network3
from pynn.architectures import forward_multiply_adds, network_for, step_seconds, summary
from pynn.augment import augment
from pynn.data import Dataset
from pynn.digits import BlankImageError, from_pad, preview
from pynn.evaluation import evaluate_blocks
from pynn.layers import ConvPoolLayer
from pynn.network import Network
from pynn.settings import INPUTS, OUTPUTS, SLOW_STEP_SECONDS, SettingsError, check_settings
from pynn.teaching import TeachingSession
from pynn.training import Trainer
from pynn.untrusted import megabytes

MAX_MODEL_BYTES = io.MAX_BYTES
# A test-set evaluation runs in slices of about this many flops, so that Stop, predictions and
# progress reports get in between; see evaluation_slice.  Measured in the page: a slice of
# 2000 images of [784,30,10] took ~400 ms (the uint8 → float64 copy, not the products,
# dominates small networks), hence the cap.
EVALUATION_SLICE_FLOPS = 1.5e7
EVALUATION_SLICE_MAX = 150


class ModelTooLargeError(ValueError):
    """A model whose JSON file would be over the cap the page loads models with."""


def plain(value):
    """A value from JavaScript as plain Python: typed arrays as bytes, arrays as lists,
    objects as dicts.  Duck-typed on Pyodide's JsProxy methods, so this module never imports
    pyodide: every JsProxy has to_py, a JsBuffer to_bytes too (an int has only to_bytes)."""
    if hasattr(value, "to_py"):
        value = value.to_bytes() if hasattr(value, "to_bytes") else value.to_py()
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def call(session: Session, method: str, args=()) -> dict:
    """The worker's one entry point: ``session.method(*args)`` as {"ok": True, "value": ...},
    or {"ok": False, "name", "message"} (and "fields" for a SettingsError) instead of an
    exception, so that the page gets errors as data."""
    try:
        if method.startswith("_") or not callable(getattr(Session, method, None)):
            raise AttributeError(f"the session has no method {method!r}")
        return {"ok": True, "value": getattr(session, method)(*plain(args))}
    except SettingsError as error:
        return {"ok": False, "name": "SettingsError", "message": str(error), "fields": error.fields}
    except Exception as error:
        return {"ok": False, "name": type(error).__name__, "message": str(error) or type(error).__name__}


def read_npz(data: bytes) -> Dataset:
    """An MNIST split shipped as a pickle-free .npz of uint8 images and labels."""
    with np.load(bytes_io.BytesIO(bytes(data)), allow_pickle=False) as archive:
        return Dataset.from_arrays(archive["images"], archive["labels"])


def valid_accuracy(value) -> float | None:
    """An accuracy worth showing: a real number from 0 to 1 (a model file may say anything)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1:
        return float(value)
    return None


def evaluation_slice(model) -> int:
    """Images per evaluation slice for this model."""
    flops_per_image = 2 * forward_multiply_adds(model)
    return max(1, min(EVALUATION_SLICE_MAX, int(EVALUATION_SLICE_FLOPS // flops_per_image)))


def first_layer_images(model, count: int) -> tuple[np.ndarray, int, str]:
    """(count, side²) weights of the first layer's units or filters, their side, and what they are."""
    first = model.layers[0] if isinstance(model, network3.Network) else None
    if isinstance(first, ConvPoolLayer) and first.filter_shape[1] == 1:
        filters = first.params[0][:count]
        return filters.reshape(len(filters), -1), first.filter_shape[2], "filters"
    weights = first.params[0].T[:count] if first is not None else model.weights[0][:count]
    return weights, 28, "units"


@dataclass
class Run:
    """One training run: its checked settings, and, once started, its trainer and the
    end-of-epoch evaluation under way (the epoch's progress record and the count so far)."""

    settings: dict
    stop: bool = False
    trainer: Trainer | None = None
    pending: dict | None = None  # the finished epoch's record while its test evaluation runs
    evaluation: Iterator[tuple[int, int]] | None = None  # pynn.evaluation.evaluate_blocks, resumed
    evaluated: int = 0
    correct: int = 0
    step_seconds: float = 0.0


class Session(TeachingSession):
    """Models by name ("pretrained", "yours"), the active one, and a training run."""

    def __init__(self) -> None:
        self.models: dict[str, Network] = {}
        self.active: str | None = None
        self.run: Run | None = None
        self.train_data: Dataset | None = None
        self.test_data: Dataset | None = None
        super().__init__()

    @property
    def running(self) -> bool:
        return self.run is not None

    # --- models

    def load_model(self, name: str, text: str | bytes) -> dict:
        """Validate a model file and make it ``name``; on any error nothing changes."""
        if name == "yours" and self.running:
            raise RuntimeError("wait for training to finish before replacing your model")
        network = io.loads(text)  # size-capped; a UTF-8 byte order mark (Windows editors add one) is fine
        if network.n_in != INPUTS or network.n_out != OUTPUTS:
            raise io.ModelFileError(f"this page needs a {INPUTS} → … → {OUTPUTS} network; "
                                    f"the file has sizes {network.sizes}")
        self.models[name] = network
        self.active = self.active or name
        return self.describe(name)

    def describe(self, name: str) -> dict:
        network = self.models[name]
        meta = dict(network.meta)
        if "test_accuracy" in meta:
            meta["test_accuracy"] = valid_accuracy(meta["test_accuracy"])
        return {"name": name, "kind": io.spec_and_params(network)[0]["kind"], "sizes": network.sizes,
                "summary": summary(network), "cost": network.cost.name, "meta": meta}

    def use(self, name: str) -> dict:
        if name not in self.models:
            raise KeyError(f"no model named {name!r}")
        self.active = name
        return self.describe(name)

    def model_json(self, name: str) -> str:
        """The model file, or ModelTooLargeError if it would be over the cap load_model enforces
        (what the page saves or downloads, it must be able to load)."""
        text = io.to_json(self.models[name])
        if len(text) > MAX_MODEL_BYTES:  # ASCII: characters are bytes
            raise ModelTooLargeError(f"the {name} model is {megabytes(len(text))} as a file, over the "
                                     f"{megabytes(MAX_MODEL_BYTES)} this page can load back; "
                                     "a network with fewer weights can be saved")
        return text

    def predict(self, pixels: bytes, width: int, height: int) -> dict:
        """Digit, normalised outputs and the 28×28 preview for a width×height uint8 ink image.

        A blank image gives ``{"blank": True}`` instead of a guess."""
        try:
            x = from_pad(pixels, width, height)
        except BlankImageError:
            return {"blank": True}
        outputs = self.models[self.active].feedforward(x)[:, 0]
        return {
            "blank": False,
            "digit": int(np.argmax(outputs)),
            "probabilities": (outputs / outputs.sum()).tolist(),
            "preview": preview(x),
        }

    def hidden_units(self, name: str, count: int = 16) -> dict:
        """What the first layer learned, as grey images (uint8, 128 = 0, each scaled by its own
        largest |w|): a conv net's filters, or the incoming weights of ``count`` hidden units."""
        weights, side, kind = first_layer_images(self.models[name], count)
        scale = np.abs(weights).max(axis=1, keepdims=True)
        scale[scale == 0] = 1.0
        images = np.rint(127.5 + 127.5 * weights / scale).astype(np.uint8)
        return {"count": len(images), "side": side, "kind": kind, "pixels": images.tobytes()}

    # --- training

    def set_data(self, train_npz: bytes, test_npz: bytes) -> dict:
        """Keep the training and test sets (uint8) for training runs."""
        self.train_data, self.test_data = read_npz(train_npz), read_npz(test_npz)
        return {"train": len(self.train_data), "test": len(self.test_data)}

    def prepare_training(self, settings: dict) -> dict:
        """Check the settings and claim the run (before the data is loaded, so that bad
        settings are refused at once and Stop works while the data loads)."""
        if self.running:
            raise RuntimeError("a training run is already going")
        checked = check_settings(settings)
        seconds = step_seconds(checked)
        self.run = Run(checked, step_seconds=seconds)
        return {"settings": checked, "needs_data": self.train_data is None, "step_seconds": seconds,
                "slow": seconds > SLOW_STEP_SECONDS}

    def start_training(self, settings: dict | None = None) -> dict:
        """A fresh network and trainer for the prepared run (or for ``settings``, prepared
        first).  If Stop came first, the run ends here: {"stopped": True}."""
        if settings is not None:
            self.prepare_training(settings)
        if self.run is None:
            raise RuntimeError("no training run was prepared")
        if self.train_data is None or self.test_data is None:
            self.run = None
            raise RuntimeError("training data is not loaded yet")
        run = self.run
        if run.stop:
            self.run = None
            return {"stopped": True}
        s = run.settings
        network = network_for(s, meta={"settings": s})
        # The test set is evaluated here, in slices, not by the Trainer in one go.
        run.trainer = Trainer(network, self.train_data.subset(s["train_size"]), s["epochs"], s["minibatch_size"],
                              s["eta"], lmbda=s["lmbda"], augment=augment if s["augment"] == "on" else None)
        self.models["yours"] = network
        return {"stopped": False, "batches_per_epoch": run.trainer.batches_per_epoch, "epochs": s["epochs"],
                "settings": s, "step_seconds": run.step_seconds, "model": self.describe("yours")}

    def stop(self) -> dict:
        """Ask the run to stop: the next train_chunk ends it (the model keeps what it learned)."""
        if self.run is not None:
            self.run.stop = True
        return {"running": self.running}

    def end_run(self) -> dict:
        """Forget the run whatever its state (after the worker failed mid-run)."""
        self.run = None
        return {"running": False}

    def train_chunk(self, seconds: float = 0.05) -> dict:
        """Train, or evaluate the test set after an epoch, for about ``seconds`` (at least one
        step or slice), and report progress.  "evaluated" counts the test images done while an
        epoch's evaluation is under way (else None); "stopped" ends the run after a Stop."""
        run = self.run
        if run is None or run.trainer is None:
            raise RuntimeError("no training run; start one first")
        deadline = time.perf_counter() + seconds
        if run.stop:
            self.run = None
            record = run.pending or run.trainer.progress(False, None).as_dict()
            return {**record, "epoch_done": False, "done": False, "evaluated": None, "stopped": True,
                    "accuracy": None}
        if run.pending is None:
            progress = run.trainer.run(max_seconds=seconds).as_dict()
            if not progress["epoch_done"]:
                return {**progress, "evaluated": None, "stopped": False}
            run.pending = progress
        return self.evaluate(run, deadline)

    def evaluate(self, run: Run, deadline: float) -> dict:
        """Evaluate slices of the test set until ``deadline`` (at least one slice)."""
        data, network = self.test_data, run.trainer.network
        if run.evaluation is None:
            run.evaluation = evaluate_blocks(network, data, evaluation_slice(network))
        blocks = run.evaluation
        for done, correct in blocks:  # both cumulative
            run.evaluated, run.correct = done, correct
            if done == len(data) or time.perf_counter() >= deadline:
                break
        record = run.pending
        if run.evaluated < len(data):
            return {**record, "epoch_done": False, "done": False, "evaluated": run.evaluated, "stopped": False}
        accuracy = run.correct / len(data)
        network.meta["test_accuracy"] = accuracy
        run.pending, run.evaluation, run.evaluated, run.correct = None, None, 0, 0
        if record["done"]:
            self.run = None
        return {**record, "accuracy": accuracy, "evaluated": None, "stopped": False}
