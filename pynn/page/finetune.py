"""Teach a model your handwriting: fine-tune a copy of it on your digits, with MNIST replay.

The recipe, in resumable pieces (``FineTune.run(max_seconds=…)``, so the
worker can report progress and Stop between them):

1. **Copy** the model (its own ``copy()``, or a save/load round trip through
   pynn.files.modelfile for the MLP), so the model in use is never touched.
2. **Hold out** some of your digits to measure on fairly: for each digit you
   drew at least twice, ``max(1, n // 4)`` of its drawings (picked at random
   with the seed) are kept out of training; a digit drawn once is only trained
   on.  One fixed split, not k-fold: k-fold would mean k fine-tunes, k times the
   wait.  ``hold_out="none"`` trains on everything (and then the accuracy on
   your digits is only the accuracy on what it trained on).
3. **Measure before**: accuracy on your held-out digits, on your training
   digits, and on MNIST's test set, a block at a time.
4. **Train** for a number of rounds (a conv net: only the layers above its
   convolutions, unless ``freeze`` is "none"; their inputs, the conv layers'
   outputs, are computed once per image and kept in a
   :class:`~pynn.page.features.FeatureCache`, for MNIST's test set and a fixed pool
   of REPLAY_POOL training images, so a second fine-tune from the same base
   costs only the upper layers and your digits' convolutions).  Each round is a fresh set of
   ``round_size`` images: ``(1 − replay)`` of them your training digits, each
   repeated and augmented anew (random shifts, or whatever the augmenter
   does), and ``replay`` of them MNIST training images drawn at random, so the
   network keeps seeing every digit and does not forget them.  The round goes
   through pynn's :class:`~pynn.training.trainer.Trainer` as one epoch, which shuffles
   it, so each mini-batch is on average ``replay`` MNIST (half and half by
   default), not exactly.
5. **Measure after**, the same way.

The augmenter is a parameter: ``augment(images (n, 784) uint8, rng, **settings)
-> (n, 784) uint8``; by default ``pynn.training.augment.augment``.

A fine-tune can make a model worse (a rate far too high drops MNIST to chance): the
result says so (``verdict``), and :func:`pynn.page.outcome.finetuned_meta` gives the new
model its own measured test accuracy rather than the base model's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Generic

import numpy as np

from pynn.data.dataset import PIXEL_SCALE, Dataset, one_hot
from pynn.nets.model import Model
from pynn.nets.network3 import CHUNK
from pynn.page import your_digits
from pynn.page.features import FeatureCache, conv_depth, upper_layers
from pynn.page.finetune_setup import ModelT, check_memory, copy_model, default_eta
from pynn.page.outcome import verdict
from pynn.page.settings import check_finetune_settings
from pynn.training.augment import augment as default_augment
from pynn.training.evaluation import evaluate_blocks
from pynn.training.trainer import Trainer

EVAL_BLOCK = CHUNK  # MNIST test images per step of the before/after measurement (a conv net's chunk)
REPLAY_POOL = 2000  # MNIST training images a frozen-conv fine-tune replays from (their features are kept)

Augmenter = Callable[..., np.ndarray]


class NoDigitsError(ValueError):
    """There is nothing of the user's to fine-tune on."""


def usable_digits(digits) -> list[dict]:
    """Your digits, checked, or NoDigitsError if there are none to learn from."""
    digits = your_digits.check_digits(digits, "digits")
    if not digits:
        raise NoDigitsError("there are none of your digits to learn from: draw a digit, choose its label "
                            "and add it (a few of each digit is best), then fine-tune")
    return digits


def split_held_out(labels: np.ndarray, rng: np.random.Generator, mode: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices): with mode "auto", max(1, n // 4) of each label's
    n ≥ 2 digits are held out, chosen by ``rng``; with "none", nothing is."""
    labels = np.asarray(labels)
    chosen: list[int] = []
    if mode == "auto":
        for label in np.unique(labels):
            where = np.flatnonzero(labels == label)
            if len(where) >= 2:
                chosen.extend(rng.permutation(where)[:max(1, len(where) // 4)].tolist())
    elif mode != "none":
        raise ValueError(f"hold_out must be 'auto' or 'none', got {mode!r}")
    held = np.array(sorted(chosen), dtype=np.int64)
    return np.setdiff1d(np.arange(len(labels)), held), held


def accuracy(model: Model, images: np.ndarray, labels: np.ndarray) -> dict:
    """{"correct", "total", "accuracy" (None if there are none), "predicted"} for uint8 images."""
    if len(images) == 0:
        return {"correct": 0, "total": 0, "accuracy": None, "predicted": []}
    predicted = np.argmax(model.feedforward((images * PIXEL_SCALE).T), axis=0)
    correct = int(np.count_nonzero(predicted == labels))
    return {"correct": correct, "total": len(labels), "accuracy": correct / len(labels),
            "predicted": predicted.tolist()}


class FineTune(Generic[ModelT]):
    """A fine-tune of a copy of ``model`` on ``digits`` (your_digits dicts), run a chunk at a time.

    ``replay`` is the MNIST training set to mix in; ``test`` the MNIST test set to
    measure on (None: skip that measurement).  ``settings`` are the fields of
    pynn.page.settings.FINETUNE_FIELDS (missing ones take their defaults)."""

    def __init__(self, model: ModelT, digits, replay: Dataset, test: Dataset | None = None,
                 settings: dict | None = None, augment: Augmenter | None = None,
                 augment_settings: dict | None = None, cache: FeatureCache | None = None) -> None:
        self.settings = s = check_finetune_settings(settings)
        digits = usable_digits(digits)
        if replay is None or len(replay) == 0:
            raise ValueError("fine-tuning needs MNIST training images to replay; load them first")
        if replay.x.shape[1] != model.n_in or model.n_out != your_digits.LABELS:
            raise ValueError(f"the model is {model.n_in} → {model.n_out}; fine-tuning needs "
                             f"{replay.x.shape[1]} → {your_digits.LABELS}")
        if s["eta"] is None:
            s["eta"] = default_eta(model)
        self.augment = augment or default_augment
        self.augment_settings = dict(augment_settings or {})
        self.rng = np.random.default_rng(s["seed"])
        self.images, self.labels = your_digits.images_and_labels(digits)
        self.train_index, self.held_index = split_held_out(self.labels, self.rng, s["hold_out"])
        self.replay, self.test = replay, test
        self.test_count = 0 if test is None else min(len(test), s["test_size"])
        self.cache = cache or FeatureCache()
        self.depth = conv_depth(model) if s["freeze"] == "conv" else 0
        check_memory(s, model, self.depth, self.cache.max_bytes)
        self.model: ModelT = copy_model(model)
        # dropout draws from the copy's generator: seeded (a model read from a file has none) to repeat
        self.model.rng = np.random.default_rng([s["seed"], 1])
        self.kept = self.cache.of(self.model)  # the filters never change when they are frozen
        self.trained = upper_layers(self.model, self.depth) if self.depth else self.model
        self.replay_count = min(len(replay), REPLAY_POOL) if self.depth else len(replay)
        self.yours_per_round = round(s["round_size"] * (1 - s["replay"]))
        self.replay_per_round = s["round_size"] - self.yours_per_round
        self.batches_per_round = -(-s["round_size"] // s["minibatch_size"])
        self.total_batches = s["rounds"] * self.batches_per_round
        self.batches, self.round = 0, 0
        self.cost: float | None = None
        self.phase = "before"
        self.measured: dict[str, dict] = {}
        self.elapsed = 0.0
        self.deadline: float | None = None
        self.position: tuple[Mapping, Trainer] | None = None  # the round's generator state at its start, its trainer
        self.work = self.steps()

    # ------------------------------------------------------------------ driving
    @property
    def done(self) -> bool:
        return self.phase == "done"

    def run(self, max_seconds: float | None = None) -> dict:
        """Work for about ``max_seconds`` (None: to the end); returns ``progress()``.
        Each call does at least one step (an evaluation block or a mini-batch)."""
        start = time.perf_counter()
        self.deadline = None if max_seconds is None else start + max(0.0, float(max_seconds))
        try:
            for _ in self.work:
                if self.deadline is not None and time.perf_counter() >= self.deadline:
                    break
        finally:
            self.elapsed += time.perf_counter() - start
        return self.progress()

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.perf_counter())

    def steps(self, resume: dict | None = None) -> Iterator[None]:
        """The whole fine-tune as a generator that yields between steps; from ``resume`` (see
        ``state``) it starts in that round, where its trainer was."""
        if resume is None:
            yield from self.measure("before")
        self.phase = "training"
        s = self.settings
        if self.depth:  # the replay pool's conv features, a chunk at a time
            for _ in self.kept.fill(self.replay, self.replay_count):
                yield
        for self.round in range(0 if resume is None else resume["round"], s["rounds"]):
            round_start = self.rng.bit_generator.state  # this round's draws, made again on resuming
            trainer = Trainer(self.trained, self.round_data(), 1, s["minibatch_size"], s["eta"], lmbda=s["lmbda"],
                              seed=int(self.rng.integers(2**32)), cost_every=1)
            if resume is not None and resume["round"] == self.round:
                trainer.restore(resume["trainer"])
            self.position = (round_start, trainer)
            while not trainer.done:
                progress = trainer.run(max_seconds=self.seconds_left())
                self.batches = self.round * self.batches_per_round + progress.batch
                if progress.epoch_done:
                    self.batches = (self.round + 1) * self.batches_per_round
                self.cost = progress.cost
                yield
        self.position = None
        self.phase = "after"
        yield from self.measure("after")
        self.phase = "done"

    def state(self) -> dict | None:
        """Where the fine-tune stands, as plain values and the trainer's state, when ``resume``
        continues from here bit for bit (in a round, between its mini-batches), else None.
        The model itself, its digits and settings are saved apart (pynn.page.finetune_checkpoints)."""
        if self.phase != "training" or self.position is None or self.position[1].done:
            return None
        round_start, trainer = self.position
        return {"round": self.round, "rng": round_start, "trainer": trainer.state(),
                "dropout_rng": self.model.rng.bit_generator.state,
                "before": self.measured["before"], "batches": self.batches, "cost": self.cost,
                "elapsed": self.elapsed}

    def resume(self, state: dict) -> None:
        """Continue from ``state()``, in a FineTune made from the saved model (the copy as it was
        then), digits and settings: the round's draws are made again from its generator state."""
        self.measured["before"] = state["before"]
        self.rng.bit_generator.state = state["rng"]
        self.model.rng.bit_generator.state = state["dropout_rng"]
        self.batches, self.cost, self.elapsed = state["batches"], state["cost"], state["elapsed"]
        self.round, self.phase = state["round"], "training"
        self.work = self.steps(state)

    def round_data(self) -> Dataset:
        """One round's images: your training digits repeated and augmented, and MNIST replay."""
        train = self.train_index
        repeats = -(-self.yours_per_round // len(train))
        pick = np.concatenate([self.rng.permutation(train) for _ in range(repeats)])[:self.yours_per_round]
        yours = self.augment(self.images[pick], self.rng, **self.augment_settings)
        yours = np.asarray(yours)
        if yours.shape != (len(pick), self.images.shape[1]) or yours.dtype != np.uint8:
            raise ValueError(f"the augmenter returned {yours.dtype} {yours.shape}; "
                             f"expected uint8 {(len(pick), self.images.shape[1])}")
        count = self.replay_per_round
        rows = self.rng.choice(self.replay_count, size=count, replace=count > self.replay_count)
        replay_x = self.replay.x[rows]
        if self.replay.scale != PIXEL_SCALE or replay_x.dtype != np.uint8:
            raise ValueError("the MNIST replay set must be uint8 pixels (scale 1/256)")
        labels = np.concatenate([self.labels[pick], self.replay.labels[rows]])
        y = one_hot(labels, your_digits.LABELS)
        if not self.depth:
            return Dataset(np.concatenate([yours, replay_x]), y, labels, PIXEL_SCALE)
        # the upper layers learn from the conv layers' outputs: your digits' now, the replay's kept;
        # written in place, a CHUNK at a time (outputs' own blocks, so the numbers are the same)
        x = np.empty((len(labels), self.trained.n_in))
        for start in range(0, len(pick), CHUNK):
            stop = min(start + CHUNK, len(pick))
            x[start:stop] = self.model.outputs(yours[start:stop] * PIXEL_SCALE, stop=self.depth)
        x[len(pick):] = self.kept.features(self.replay, 0, self.replay_count)[rows]
        return Dataset(x, y, labels, 1.0)

    def measure(self, when: str) -> Iterator[None]:
        """Accuracy on your held-out and training digits, then on MNIST's test set block by block."""
        record = {"yours_held_out": accuracy(self.model, self.images[self.held_index], self.labels[self.held_index]),
                  "yours_trained": accuracy(self.model, self.images[self.train_index],
                                            self.labels[self.train_index]),
                  "mnist_test": None}
        self.measured[when] = record
        if self.test is not None:
            kept = self.cache.of(self.model)  # anew: with freeze "none" the filters have changed
            for evaluated, correct in evaluate_blocks(self.model, self.test, EVAL_BLOCK, self.test_count,
                                                      lambda start, stop: kept.outputs(self.test, start, stop).T):
                record["mnist_test"] = {"correct": correct, "total": evaluated, "accuracy": correct / evaluated,
                                        "done": evaluated == self.test_count}
                yield
        yield

    # ------------------------------------------------------------------ reporting
    def progress(self) -> dict:
        return {"phase": self.phase, "round": min(self.round + 1, self.settings["rounds"]),
                "rounds": self.settings["rounds"], "batches": self.batches, "total_batches": self.total_batches,
                "cost": self.cost, "elapsed": self.elapsed, "done": self.done}

    def notes(self) -> list[str]:
        """Plain sentences about what the numbers can and cannot show."""
        counts = np.bincount(self.labels.astype(np.intp), minlength=your_digits.LABELS)
        missing = [str(d) for d in range(your_digits.LABELS) if counts[d] == 0]
        notes = []
        if missing:
            notes.append(f"Your drawings have no {', '.join(missing)}: for "
                         f"{'that digit' if len(missing) == 1 else 'those digits'} it only sees MNIST, "
                         "so it learns nothing about your way of writing them.")
        if len(self.held_index) == 0:
            notes.append("Too few drawings to hold any out: the accuracy on your digits is on the ones it "
                         "trained on, which flatters it. Draw each digit at least twice for a fair test.")
        return notes

    def result(self) -> dict:
        """Before → after (JSON types); the fine-tune must be done."""
        if not self.done:
            raise RuntimeError("the fine-tune is not finished; call run() until progress says done")
        counts = np.bincount(self.labels.astype(np.intp), minlength=your_digits.LABELS)
        return {
            "before": self.measured["before"], "after": self.measured["after"],
            "held_out": self.held_index.tolist(), "trained_on": self.train_index.tolist(),
            "per_label": counts.tolist(),
            "missing_labels": [d for d in range(your_digits.LABELS) if counts[d] == 0],
            "notes": self.notes(), "settings": dict(self.settings), "seconds": self.elapsed,
            "verdict": verdict(self.measured["before"], self.measured["after"]),
        }
