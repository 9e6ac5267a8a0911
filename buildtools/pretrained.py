"""The recipe of the model the site ships, and the run that follows it.

The page exists to read people's digits, so the shipped network is a small conv
net (network3's two conv-pool layers, ReLU, dropout) trained on MNIST's 50,000
training digits plus digits rendered from 59 font faces in printed, italic and
script styles (buildtools.styles), every image freshly distorted each epoch
(pynn.augment).  MNIST's validation set picks the best epoch; the test set is
never used for training or selection.  Training takes most of an hour on one
core, so the weights are committed with this recipe and a hash of the recipe
and the data; ``python3 build.py retrain`` runs it again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from pynn import mnist
from pynn.augment import Augmentation, augment
from pynn.data import Dataset
from pynn.evaluation import count_correct
from pynn.layers import Layer
from pynn.network3 import Network
from pynn.training import Trainer

RECIPE = {
    "layers": [
        {"type": "ConvPoolLayer", "filter_shape": [20, 1, 5, 5], "image_shape": [1, 28, 28], "poolsize": [2, 2],
         "activation_fn": "relu"},
        {"type": "ConvPoolLayer", "filter_shape": [40, 20, 5, 5], "image_shape": [20, 12, 12], "poolsize": [2, 2],
         "activation_fn": "relu"},
        {"type": "FullyConnectedLayer", "n_in": 640, "n_out": 100, "activation_fn": "relu", "p_dropout": 0.3},
        {"type": "SoftmaxLayer", "n_in": 100, "n_out": 10, "p_dropout": 0.3},
    ],
    "seed": 0,
    "minibatch_size": 10,
    "lmbda": 0.1,
    "stages": [[8, 0.03], [6, 0.01], [4, 0.003]],  # (epochs, η): a falling learning rate
    "font_copies": 8,  # each rendered face's digit appears this many times per epoch
    "augment_share": 0.5,  # of each block of images, this share is distorted, the rest kept clean
    "augmentation": asdict(Augmentation()),
}


def recipe_hash(recipe: dict, data_digests: list[str]) -> str:
    """A hash of the recipe and of the data files it reads."""
    text = json.dumps(recipe, sort_keys=True) + "".join(data_digests)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def training_set(recipe: dict) -> Dataset:
    """MNIST's training split plus the rendered font digits, ``font_copies`` times each."""
    from buildtools.styles import rendered_digits

    train = mnist.load_dataset("train")
    fonts, labels, _ = rendered_digits()
    copies = recipe["font_copies"]
    images = np.concatenate([train.x, np.repeat(fonts, copies, axis=0)])
    return Dataset.from_arrays(images, np.concatenate([train.labels, np.repeat(labels, copies)]))


def partial_augmenter(recipe: dict) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """Distort a random ``augment_share`` of each block; the rest stay as written."""
    settings, share = Augmentation(**recipe["augmentation"]), recipe["augment_share"]

    def distort(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        chosen = rng.random(len(images)) < share
        out = images.copy()
        out[chosen] = augment(images[chosen], rng, settings)
        return out

    return distort


def build_network(recipe: dict) -> Network:
    return Network([Layer.from_description(spec) for spec in recipe["layers"]], seed=recipe["seed"])


def train(recipe: dict = RECIPE, log: Callable[[str], None] = print,
          checkpoint: Callable[[Network, dict], None] | None = None) -> tuple[Network, dict]:
    """Run the recipe; returns the network of the best validation epoch and its record."""
    network = build_network(recipe)
    data, validation = training_set(recipe), mnist.load_dataset("validation")
    distort = partial_augmenter(recipe)
    best, best_params, history, start = -1.0, None, [], time.perf_counter()
    epoch = 0
    for epochs, eta in recipe["stages"]:
        trainer = Trainer(network, data, epochs, recipe["minibatch_size"], eta, lmbda=recipe["lmbda"],
                          evaluation_data=validation, augment=distort)
        for progress in trainer.each_epoch():
            epoch += 1
            history.append({"epoch": epoch, "eta": eta, "validation_accuracy": progress.accuracy,
                            "cost": progress.cost, "minutes": (time.perf_counter() - start) / 60})
            log(f"epoch {epoch}: η {eta}, validation {progress.accuracy:.4f}, cost {progress.cost:.4f}, "
                f"{history[-1]['minutes']:.1f} min")
            if progress.accuracy > best:
                best, best_params = progress.accuracy, [p.copy() for layer in network.layers for p in layer.params]
                if checkpoint:
                    checkpoint(network, {"epoch": epoch, "validation_accuracy": best})
    chosen = max(history, key=lambda record: record["validation_accuracy"])
    for param, saved in zip([p for layer in network.layers for p in layer.params], best_params):
        param[...] = saved
    record = {"chosen_epoch": chosen["epoch"], "validation_accuracy": chosen["validation_accuracy"],
              "history": history, "training_images": len(data)}
    return network, record


def test_accuracy(network: Network) -> float:
    """Accuracy on MNIST's test set: measured once, after training, and never used to choose."""
    test = mnist.load_dataset("test")
    return count_correct(network, test) / len(test)


def data_digests() -> list[str]:
    from buildtools.styles import FONT_SOURCES
    from pynn.fetch import sha256_file

    return [sha256_file(mnist.split_path(split)) for split in ("train", "validation")] + \
        [source.sha256 for source in FONT_SOURCES]


def run(out: Path, log: Callable[[str], None] = print) -> dict:
    """Train by the recipe and write the model file (with its record) to ``out``."""
    from pynn import io

    def checkpoint(network: Network, info: dict) -> None:
        out.with_suffix(".checkpoint.json").write_text(io.to_json(network, {"checkpoint": info}))

    network, record = train(RECIPE, log, checkpoint)
    record["test_accuracy"] = test_accuracy(network)
    meta = {"name": "pretrained", "recipe": RECIPE, "recipe_hash": recipe_hash(RECIPE, data_digests()), **record}
    meta.pop("history")
    out.write_text(io.to_json(network, meta))
    log(f"test accuracy {record['test_accuracy']:.4f}; wrote {out}")
    return record


# Native builds of numpy may order a sum differently and flip a near-tie: allow this many images.
TEST_SLACK = 2


class StaleRecordError(ValueError):
    """A model file whose recorded test accuracy is not what it measures."""


def check_test_accuracy(network: Network, test: Dataset) -> float:
    """The accuracy the model measures on ``test``, or StaleRecordError if its meta records
    another (by more than TEST_SLACK images), or none."""
    recorded = network.meta.get("test_accuracy")
    correct = count_correct(network, test)
    if not isinstance(recorded, float) or abs(correct - recorded * len(test)) > TEST_SLACK:
        raise StaleRecordError(f"the model records test accuracy {recorded!r:.8}, but measures "
                               f"{correct / len(test):.4f} ({correct} / {len(test)})")
    return correct / len(test)


def verified_test_accuracy(network: Network, path: Path) -> float:
    """``check_test_accuracy`` on MNIST's test set, once per (model file, test set): the result
    is kept in the cache under both files' hashes, so a build with neither changed skips it."""
    from pynn.fetch import cache_dir, sha256_file

    key = hashlib.sha256((sha256_file(path) + sha256_file(mnist.split_path("test"))).encode()).hexdigest()
    marker = cache_dir() / "checked" / f"test-accuracy-{key[:32]}.json"
    if marker.exists():
        return json.loads(marker.read_text())["test_accuracy"]
    accuracy = check_test_accuracy(network, mnist.load_dataset("test"))
    marker.parent.mkdir(exist_ok=True)
    marker.write_text(json.dumps({"model": str(path.name), "test_accuracy": accuracy}))
    return accuracy
