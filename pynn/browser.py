"""The Python half of the web page's worker: models, predictions and training.

The worker (web/worker.js) holds one :class:`Session` and calls it with plain
values (bytes, numbers, dicts of JSON types) and gets plain values back, so
nothing here knows about JavaScript and all of it is tested natively.
Anything the user supplies (a model file, training settings) is validated
here, and a rejected one leaves the session as it was.
"""

from __future__ import annotations

import io as bytes_io

import numpy as np

from pynn import io
from pynn.data import Dataset
from pynn.digits import BlankImageError, normalize_digit
from pynn.network import Network
from pynn.settings import INPUTS, OUTPUTS, check_settings
from pynn.training import Trainer


def read_npz(data: bytes) -> Dataset:
    """An MNIST split shipped as a pickle-free .npz of uint8 images and labels."""
    with np.load(bytes_io.BytesIO(bytes(data)), allow_pickle=False) as archive:
        return Dataset.from_arrays(archive["images"], archive["labels"])


class Session:
    """Models by name ("pretrained", "yours"), the active one, and a training run."""

    def __init__(self) -> None:
        self.models: dict[str, Network] = {}
        self.active: str | None = None
        self.trainer: Trainer | None = None
        self.train_data: Dataset | None = None
        self.test_data: Dataset | None = None

    def load_model(self, name: str, text: str | bytes) -> dict:
        """Validate a model file and make it ``name``; on any error nothing changes."""
        network = io.loads_npz(text) if io.is_npz(text) else io.loads(text)
        if network.sizes[0] != INPUTS or network.sizes[-1] != OUTPUTS:
            raise io.ModelFileError(f"this page needs a {INPUTS} → … → {OUTPUTS} network; "
                                    f"the file has sizes {network.sizes}")
        self.models[name] = network
        self.active = self.active or name
        return self.describe(name)

    def describe(self, name: str) -> dict:
        network = self.models[name]
        return {"name": name, "sizes": network.sizes, "cost": network.cost.name,
                "meta": network.meta}

    def use(self, name: str) -> dict:
        if name not in self.models:
            raise KeyError(f"no model named {name!r}")
        self.active = name
        return self.describe(name)

    def model_json(self, name: str) -> str:
        return io.to_json(self.models[name], self.models[name].meta)

    def predict(self, pixels: bytes, width: int, height: int) -> dict:
        """Digit, normalised outputs and the 28×28 preview for a width×height uint8 ink image.

        A blank image gives ``{"blank": True}`` instead of a guess."""
        ink = np.frombuffer(bytes(pixels), dtype=np.uint8)
        if ink.size != width * height:
            raise ValueError(f"got {ink.size} pixels for a {width}×{height} image")
        try:
            x = normalize_digit(ink.reshape(height, width))
        except BlankImageError:
            return {"blank": True}
        outputs = self.models[self.active].feedforward(x)[:, 0]
        return {
            "blank": False,
            "digit": int(np.argmax(outputs)),
            "probabilities": (outputs / outputs.sum()).tolist(),
            "preview": np.rint(x[:, 0] * 255).astype(np.uint8).tobytes(),
        }

    def set_data(self, train_npz: bytes, test_npz: bytes) -> dict:
        """Keep the training and test sets (uint8) for training runs."""
        self.train_data, self.test_data = read_npz(train_npz), read_npz(test_npz)
        return {"train": len(self.train_data), "test": len(self.test_data)}

    def start_training(self, settings: dict) -> dict:
        """A fresh network and trainer from the page's settings (validated first)."""
        if self.train_data is None:
            raise RuntimeError("training data is not loaded yet")
        s = check_settings(settings)
        network = Network([INPUTS, *s["hidden"], OUTPUTS], cost=s["cost"], init=s["init"], seed=s["seed"],
                          meta={"settings": s})
        self.trainer = Trainer(network, self.train_data.subset(s["train_size"]), s["epochs"], s["minibatch_size"],
                               s["eta"], lmbda=s["lmbda"], evaluation_data=self.test_data)
        self.models["yours"] = network
        return {"batches_per_epoch": self.trainer.batches_per_epoch, "epochs": s["epochs"], "settings": s}

    def train_chunk(self, seconds: float = 0.2) -> dict:
        """Train for about ``seconds`` (or to the end of the epoch) and report progress."""
        if self.trainer is None:
            raise RuntimeError("no training run; start one first")
        progress = self.trainer.run(max_seconds=seconds).as_dict()
        if progress["epoch_done"] and progress["accuracy"] is not None:
            self.trainer.network.meta["test_accuracy"] = progress["accuracy"]
        return progress

    def hidden_units(self, name: str, count: int = 16) -> dict:
        """The first layer's incoming weights of ``count`` hidden units as 28×28 grey images
        (uint8, 128 = 0, each unit scaled by its own largest |w|)."""
        weights = self.models[name].weights[0][:count]
        scale = np.abs(weights).max(axis=1, keepdims=True)
        scale[scale == 0] = 1.0
        images = np.rint(127.5 + 127.5 * weights / scale).astype(np.uint8)
        return {"count": len(images), "pixels": images.tobytes()}

    # ---------------------------------------------------------------- teaching it your handwriting
    # (Imports are local to keep this block additive while the rest of the module is refactored.)

    def label_digit(self, pixels: bytes, width: int, height: int, label: int, strokes: list | None = None) -> dict:
        """Normalise a drawing as ``predict`` does and add it to your digits with ``label``.
        A blank drawing raises BlankImageError (its message says to draw first); a bad label
        or strokes raise DigitsFileError.  Returns the new digit's index, the per-label
        counts and the 28×28 preview that was stored."""
        from pynn import your_digits

        ink = np.frombuffer(bytes(pixels), dtype=np.uint8)
        if ink.size != width * height:
            raise ValueError(f"got {ink.size} pixels for a {width}×{height} image")
        x = normalize_digit(ink.reshape(height, width))  # raises BlankImageError
        preview = np.rint(x[:, 0] * 255).astype(np.uint8).tobytes()
        digits = getattr(self, "your_digits", [])
        if len(digits) >= your_digits.MAX_DIGITS:
            raise your_digits.DigitsFileError(f"you have {len(digits)} digits, the most a file holds; "
                                              "remove some first")
        digit = your_digits.check_digit({"label": label, "pixels": preview, "strokes": strokes or []})
        self.your_digits = [*digits, digit]
        return {"index": len(self.your_digits) - 1, "count": len(self.your_digits),
                "per_label": your_digits.counts(self.your_digits), "preview": preview}

    def digits_summary(self) -> dict:
        """Your digits for the page: labels, previews (784 bytes each) and strokes, and counts."""
        from pynn import your_digits

        digits = getattr(self, "your_digits", [])
        return {"count": len(digits), "per_label": your_digits.counts(digits),
                "digits": [{"label": d["label"], "preview": d["pixels"], "strokes": d["strokes"]} for d in digits]}

    def remove_digit(self, index: int) -> dict:
        digits = list(getattr(self, "your_digits", []))
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(digits):
            raise IndexError(f"no digit number {index!r}")
        del digits[index]
        self.your_digits = digits
        return self.digits_summary()

    def digits_file(self) -> bytes:
        """Your digits as the downloadable file (pynn.your_digits format)."""
        from pynn import your_digits

        return your_digits.dumps(getattr(self, "your_digits", []))

    def load_digits(self, data: bytes, replace: bool = True) -> dict:
        """Read a digits file (validated; on error nothing changes), replacing or adding to yours."""
        from pynn import your_digits

        loaded = your_digits.loads(data)
        digits = loaded if replace else [*getattr(self, "your_digits", []), *loaded]
        your_digits.check_digits(digits, "digits")  # the count cap, for the merged list
        self.your_digits = digits
        return self.digits_summary()

    def start_finetune(self, digits_bytes: bytes | None = None, settings: dict | None = None) -> dict:
        """Start fine-tuning a copy of the active model on your digits (the file ``digits_bytes``,
        or the ones labelled in this session if None) with MNIST replay.  Settings are
        pynn.settings.FINETUNE_FIELDS (missing ones take defaults).  The copy becomes the
        model "finetuned" when the run is done; the active model is not changed."""
        from pynn import your_digits
        from pynn.finetune import FineTune

        if self.active is None:
            raise RuntimeError("no model is loaded to fine-tune")
        if self.train_data is None:
            raise RuntimeError("MNIST is not loaded yet: fine-tuning mixes in MNIST images so it does not forget")
        digits = getattr(self, "your_digits", []) if digits_bytes is None else your_digits.loads(digits_bytes)
        self.finetune = FineTune(self.models[self.active], digits, self.train_data, self.test_data, settings)
        self.finetune_base = self.active
        run = self.finetune
        return {"base": self.active, "digits": len(digits), "held_out": len(run.held_index),
                "trained_on": len(run.train_index), "total_batches": run.total_batches,
                "settings": dict(run.settings), "notes": run.notes()}

    def finetune_chunk(self, seconds: float = 0.2) -> dict:
        """Fine-tune for about ``seconds``; the progress, with ``result`` (before → after) once done.
        To stop, simply stop calling: the model in use was never touched."""
        run = getattr(self, "finetune", None)
        if run is None:
            raise RuntimeError("no fine-tune; start one first")
        progress = run.run(max_seconds=seconds)
        if run.done:
            result = run.result()
            if "finetuned" not in self.models or self.models["finetuned"] is not run.model:
                run.model.meta = {**getattr(run.model, "meta", {}), "name": "finetuned",
                                  "finetuned_from": self.finetune_base, "finetune": {
                                      k: result[k] for k in ("before", "after", "per_label", "settings")}}
                self.models["finetuned"] = run.model
            progress["result"] = result
        return progress

    def evaluate_start(self, name: str | None = None) -> dict:
        """Start evaluating model ``name`` (default: the active one) on the MNIST test set."""
        from pynn.report import Evaluation

        name = self.active if name is None else name
        if name not in self.models:
            raise KeyError(f"no model named {name!r}")
        if self.test_data is None:
            raise RuntimeError("the MNIST test set is not loaded yet")
        self.evaluation = Evaluation(self.models[name], self.test_data)
        return {"name": name, **self.evaluation.progress()}

    def evaluate_chunk(self, seconds: float = 0.2, max_mistakes: int | None = 200) -> dict:
        """Evaluate for about ``seconds``; the progress, with ``result`` once done (see pynn.report)."""
        evaluation = getattr(self, "evaluation", None)
        if evaluation is None:
            raise RuntimeError("no evaluation; start one first")
        progress = evaluation.run(max_seconds=seconds)
        if evaluation.done:
            progress["result"] = evaluation.result(max_mistakes)
        return progress

    def test_image(self, index: int) -> bytes:
        """Test image ``index`` as 784 bytes (to show a mistake)."""
        if self.test_data is None:
            raise RuntimeError("the MNIST test set is not loaded yet")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.test_data):
            raise IndexError(f"no test image number {index!r}")
        row = self.test_data.x[index]
        if row.dtype == np.uint8:
            return row.tobytes()
        return np.clip(np.rint(row * self.test_data.scale * 256), 0, 255).astype(np.uint8).tobytes()

    def explain(self, pixels: bytes, width: int, height: int, name: str | None = None) -> dict:
        """Why the model (default: the active one) answers as it does for this drawing: the
        answer, the saliency of each input pixel and the first hidden layer's activations
        (see pynn.explain), with the 28×28 preview.  A blank drawing gives ``{"blank": True}``."""
        from pynn.explain import explain

        ink = np.frombuffer(bytes(pixels), dtype=np.uint8)
        if ink.size != width * height:
            raise ValueError(f"got {ink.size} pixels for a {width}×{height} image")
        try:
            x = normalize_digit(ink.reshape(height, width))
        except BlankImageError:
            return {"blank": True}
        result = explain(self.models[self.active if name is None else name], x)
        return {"blank": False, **result, "preview": np.rint(x[:, 0] * 255).astype(np.uint8).tobytes()}
