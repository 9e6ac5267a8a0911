"""The page's long work as jobs for pynn.page.jobs.Scheduler: training a network, fine-tuning a
copy of one, evaluating one on the test set, and computing a conv net's features ahead.

Each adapts an engine that already works in resumable chunks (pynn.training.trainer.Trainer,
pynn.page.finetune.FineTune, pynn.page.report.Evaluation, pynn.page.features.KeptFeatures) and
reads the session's models and data through :class:`Bench`.  Settings are checked
when a job is made, so bad ones are refused before any data is loaded; the engine
itself is made in ``begin``, once the data is there.  Stop ends a job at its next
turn: a training run keeps what it learned, the others leave nothing behind.
"""

from __future__ import annotations

import time
from typing import Protocol

from pynn.data.dataset import Dataset
from pynn.nets.architectures import forward_multiply_adds, network_for, step_seconds
from pynn.page import checkpoints, finetune_checkpoints
from pynn.page.features import FeatureCache, conv_depth
from pynn.page.finetune import REPLAY_POOL, FineTune, usable_digits
from pynn.page.finetune_setup import check_memory
from pynn.page.jobs import CHECKPOINT_SECONDS
from pynn.page.outcome import finetuned_meta
from pynn.page.report import Evaluation
from pynn.page.settings import check_finetune_settings, check_settings
from pynn.training.augment import augment
from pynn.training.evaluation import evaluate_blocks
from pynn.training.trainer import Trainer

# An epoch's test evaluation runs in slices of about this many flops, so that Stop, predictions
# and progress reports get in between.  Measured in the page: a slice of 2000 images of
# [784,30,10] took ~400 ms (the uint8 → float64 copy, not the products, dominates small
# networks), hence the cap.
EVALUATION_SLICE_FLOPS = 1.5e7
EVALUATION_SLICE_MAX = 150


class Bench(Protocol):
    """What the jobs read and write of the worker's session."""

    models: dict
    train_data: Dataset | None
    test_data: Dataset | None
    features: FeatureCache
    your_digits: list

    def describe(self, name: str) -> dict: ...


def evaluation_slice(model) -> int:
    """Test images per evaluation slice for this model."""
    flops_per_image = 2 * forward_multiply_adds(model)
    return max(1, min(EVALUATION_SLICE_MAX, int(EVALUATION_SLICE_FLOPS // flops_per_image)))


class TrainJob:
    """A training run of the model "yours": the Trainer's chunks, then each epoch's test
    accuracy a slice at a time.  Checkpoints (pynn.page.checkpoints) about every
    CHECKPOINT_SECONDS of training, at points it resumes from bit for bit."""

    kind, needs_data, background = "train", True, False

    def __init__(self, bench: Bench, settings: dict | None = None, resume: bytes | None = None) -> None:
        self.bench = bench
        self.saved = None if resume is None else checkpoints.loads(resume)
        self.settings = self.saved.settings if self.saved else check_settings(settings)
        self.trainer: Trainer | None = None
        self.stopping = self.finished = False
        self.pending: dict | None = None  # the finished epoch's record while its test evaluation runs
        self.evaluation = None  # pynn.training.evaluation.evaluate_blocks over the test set, resumed slice by slice
        self.evaluated = self.correct = 0
        self.epochs: list[dict] = []
        self.last: dict | None = None
        self.since_checkpoint = 0.0

    def begin(self) -> dict:
        s, bench = self.settings, self.bench
        # resumed: the saved network, whose generator the trainer's restore sets
        network = self.saved.model if self.saved else network_for(s)
        network.meta = {"settings": s}
        self.trainer = Trainer(network, bench.train_data.subset(s["train_size"]), s["epochs"], s["minibatch_size"],
                               s["eta"], lmbda=s["lmbda"], augment=augment if s["augment"] == "on" else None)
        if self.saved:
            self.trainer.restore(self.saved.trainer)
            self.pending, self.epochs = self.saved.pending, list(self.saved.epochs)
            if self.epochs:
                network.meta["test_accuracy"] = self.epochs[-1]["accuracy"]
        bench.models["yours"] = network
        return {"batches_per_epoch": self.trainer.batches_per_epoch, "epochs": s["epochs"], "settings": s,
                "step_seconds": step_seconds(s), "model": bench.describe("yours"),
                "resumed": self.saved is not None, "epochs_done": self.epochs,
                "progress": self.trainer.progress(False, None).as_dict() if self.saved else None}

    @property
    def done(self) -> bool:
        return self.finished

    def stop(self) -> None:
        self.stopping = True

    def step(self, seconds: float) -> dict:
        """About ``seconds`` of training, or of the finished epoch's test evaluation."""
        deadline = time.perf_counter() + seconds
        trainer = self.trainer
        if self.stopping:
            self.finished = True
            record = self.pending or trainer.progress(False, None).as_dict()
            self.last = {**record, "epoch_done": False, "done": False, "evaluated": None, "stopped": True,
                         "accuracy": None}
            return self.last
        if self.pending is None:
            started = time.perf_counter()
            due = self.since_checkpoint >= CHECKPOINT_SECONDS
            # a checkpoint is due: stop where it can be taken (the end of a block of augmented batches)
            limit = (trainer.batches_to_resumable() or None) if due else None
            progress = trainer.run(max_seconds=seconds, max_batches=limit)
            self.since_checkpoint += time.perf_counter() - started
            self.last = {**progress.as_dict(), "evaluated": None, "stopped": False}
            if not progress.epoch_done:
                return self.last
            self.pending = progress.as_dict()
        self.last = self.evaluate(deadline)
        return self.last

    def evaluate(self, deadline: float) -> dict:
        """Slices of the test set until ``deadline`` (at least one)."""
        data, network = self.bench.test_data, self.trainer.network
        if self.evaluation is None:
            self.evaluation = evaluate_blocks(network, data, evaluation_slice(network))
        for done, correct in self.evaluation:  # both cumulative
            self.evaluated, self.correct = done, correct
            if done == len(data) or time.perf_counter() >= deadline:
                break
        record = self.pending
        if self.evaluated < len(data):
            return {**record, "epoch_done": False, "done": False, "evaluated": self.evaluated, "stopped": False}
        accuracy = self.correct / len(data)
        network.meta["test_accuracy"] = accuracy
        self.pending, self.evaluation, self.evaluated = None, None, 0
        self.epochs.append({"epoch": record["epoch"], "cost": record["cost"], "accuracy": accuracy})
        self.finished = record["done"]
        return {**record, "accuracy": accuracy, "evaluated": None, "stopped": False}

    def checkpoint(self) -> bytes | None:
        trainer = self.trainer
        if self.since_checkpoint < CHECKPOINT_SECONDS or not trainer.resumable or self.finished:
            return None
        self.since_checkpoint = 0.0
        return checkpoints.dumps(self.settings, trainer.network, trainer.state(), self.pending, self.epochs)

    def result(self) -> dict:
        return {"progress": self.last, "stopped": self.stopping}


class FineTuneJob:
    """A fine-tune of a copy of the model in use (pynn.page.finetune); when it is done the copy
    becomes the model "finetuned", with the test accuracy it measured.  Checkpoints
    (pynn.page.finetune_checkpoints) about every CHECKPOINT_SECONDS, as a training run does."""

    kind, needs_data, background = "finetune", True, False

    def __init__(self, bench: Bench, base: str | None, settings: dict | None = None,
                 resume: bytes | None = None) -> None:
        self.bench = bench
        self.saved = None if resume is None else finetune_checkpoints.loads(resume)
        if self.saved:  # the copy as it was, its digits and settings: the model in use may differ now
            self.base, model, self.settings = self.saved.base, self.saved.model, self.saved.settings
            self.digits = self.saved.digits
        else:
            if base is None or base not in bench.models:
                raise RuntimeError("no model is loaded to fine-tune")
            self.base, model, self.settings = base, bench.models[base], check_finetune_settings(settings)
            self.digits = usable_digits(bench.your_digits)  # as they are now: labelling more leaves this run alone
        # refused now, from the estimate, before MNIST is loaded (FineTune checks it again)
        check_memory(self.settings, model, conv_depth(model) if self.settings["freeze"] == "conv" else 0,
                     bench.features.max_bytes)
        self.model = model
        self.run: FineTune | None = None
        self.stopped = False
        self.since_checkpoint = 0.0

    def begin(self) -> dict:
        bench = self.bench
        self.run = run = FineTune(self.model, self.digits, bench.train_data, bench.test_data,
                                  self.settings, cache=bench.features)
        if self.saved:
            run.resume(self.saved.state)
        return {"base": self.base, "digits": len(self.digits), "held_out": len(run.held_index),
                "trained_on": len(run.train_index), "total_batches": run.total_batches,
                "settings": dict(run.settings), "notes": run.notes(), "resumed": self.saved is not None,
                "progress": run.progress()}

    @property
    def done(self) -> bool:
        return self.stopped or self.run.done

    def stop(self) -> None:
        self.stopped = True  # the model in use was never touched: not going on is all there is to it

    def step(self, seconds: float) -> dict:
        started = time.perf_counter()
        progress = self.run.run(max_seconds=seconds)
        self.since_checkpoint += time.perf_counter() - started
        return progress

    def checkpoint(self) -> bytes | None:
        if self.since_checkpoint < CHECKPOINT_SECONDS or (state := self.run.state()) is None:
            return None
        self.since_checkpoint = 0.0
        return finetune_checkpoints.dumps(self.run.settings, self.base, self.run.model, self.digits, state)

    def result(self) -> dict:
        if self.stopped:
            return {"stopped": True, "progress": self.run.progress() if self.run else None, "result": None}
        result = self.run.result()
        model = self.run.model
        model.meta = finetuned_meta(model.meta, result, self.base)
        self.bench.models["finetuned"] = model
        return {"stopped": False, "progress": self.run.progress(), "result": result}


class EvaluateJob:
    """Model ``name`` on the MNIST test set (pynn.page.report): confusion, per digit, mistakes."""

    kind, needs_data, background = "evaluate", True, False

    def __init__(self, bench: Bench, name: str, max_mistakes: int = 100) -> None:
        if name not in bench.models:
            raise KeyError(f"no model named {name!r}")
        self.bench, self.name, self.max_mistakes = bench, name, max_mistakes
        self.evaluation: Evaluation | None = None
        self.stopped = False

    def begin(self) -> dict:
        self.evaluation = Evaluation(self.bench.models[self.name], self.bench.test_data, cache=self.bench.features)
        return {"name": self.name, **self.evaluation.progress()}

    @property
    def done(self) -> bool:
        return self.stopped or self.evaluation.done

    def stop(self) -> None:
        self.stopped = True

    def step(self, seconds: float) -> dict:
        return self.evaluation.run(max_seconds=seconds)

    def result(self) -> dict:
        if self.stopped:
            return {"stopped": True, "report": None}
        return {"stopped": False, "report": self.evaluation.result(self.max_mistakes)}


class WarmJob:
    """Computes ahead what a fine-tune or an evaluation of the model in use will read from
    the feature cache: its conv layers' outputs on MNIST's test set, then on the replay pool.
    In the background: it runs only while no other job can."""

    kind, needs_data, background = "warm", True, True

    def __init__(self, bench: Bench, name: str) -> None:
        self.bench, self.name = bench, name
        self.blocks = None
        self.left = 0
        self.finished = False

    def begin(self) -> dict:
        bench = self.bench
        kept = bench.features.of(bench.models[self.name])
        targets = ((bench.test_data, len(bench.test_data)), (bench.train_data, REPLAY_POOL))
        self.left = sum(len(kept.missing(data, stop)) for data, stop in targets)
        self.blocks = (left for data, stop in targets for left in kept.fill(data, stop))
        return {"name": self.name, "left": self.left}

    @property
    def done(self) -> bool:
        return self.finished

    def stop(self) -> None:
        self.finished = True

    def step(self, seconds: float) -> dict:
        deadline = time.perf_counter() + seconds
        for _ in self.blocks:
            self.left -= 1
            if time.perf_counter() >= deadline:
                return {"done": self.left == 0, "left": self.left}
        self.finished = True
        return {"done": True, "left": 0}

    def result(self) -> dict:
        return {}


def warm_job(bench: Bench, name: str | None) -> WarmJob | None:
    """A WarmJob for model ``name`` if it has conv features worth keeping, else None."""
    return WarmJob(bench, name) if name in bench.models and conv_depth(bench.models[name]) else None
