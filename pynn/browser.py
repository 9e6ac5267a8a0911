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
