"""The page's runs as jobs for pynn.page.jobs.Scheduler: training a network, and fine-tuning
a copy of one (the jobs that read the test set only are in pynn.page.evaluate_jobs).

Each adapts an engine that already works in resumable chunks (pynn.training.trainer.Trainer,
pynn.page.finetune.FineTune) and reads the session's models and data through :class:`Bench`.
A job's settings are checked when it is made, so bad ones are refused before any data is
loaded; its ``begin`` makes the run, engine and all, once the data is there.  Stop ends a run
at its next turn: a training run keeps what it learned, a fine-tune leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from pynn.data.dataset import Dataset
from pynn.files import modelfile
from pynn.nets.architectures import forward_multiply_adds, network_for, step_seconds
from pynn.page import checkpoints, finetune_checkpoints
from pynn.page.features import FeatureCache, conv_depth
from pynn.page.finetune import FineTune, usable_digits
from pynn.page.finetune_setup import check_memory
from pynn.page.jobs import CHECKPOINT_SECONDS
from pynn.page.outcome import finetuned_meta
from pynn.page.settings import check_finetune_settings, check_settings, check_workers
from pynn.page.shared_steps import SharedSteps
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
    features: FeatureCache
    your_digits: list

    def describe(self, name: str) -> dict: ...

    def test_set(self) -> Dataset: ...

    def train_set(self) -> Dataset: ...


def evaluation_slice(model) -> int:
    """Test images per evaluation slice for this model."""
    flops_per_image = 2 * forward_multiply_adds(model)
    return max(1, min(EVALUATION_SLICE_MAX, int(EVALUATION_SLICE_FLOPS // flops_per_image)))


class TrainJob:
    """A training run of the model "yours", asked for: its settings checked (or a checkpoint
    read, to resume from) before any data is loaded."""

    kind, needs_data, background = "train", ("train", "test"), False

    def __init__(self, bench: Bench, settings: dict | None = None, resume: bytes | None = None,
                 workers: int = 1) -> None:
        """``workers``: how many workers share each step (the page's pool, this one included);
        a conv net's steps split across them (pynn.page.shared_steps), an MLP's do not (its
        steps are too short for the messages: it trains here alone)."""
        self.bench = bench
        self.saved = None if resume is None else checkpoints.loads(resume)
        self.settings = self.saved.settings if self.saved else check_settings({} if settings is None else settings)
        self.workers = check_workers(workers) if self.settings["architecture"] == "conv" else 1

    def begin(self) -> TrainRun:
        return TrainRun(self.bench, self.settings, self.saved, self.workers)

    def stopped_early(self) -> dict:
        return {"progress": None, "stopped": True}


class TrainRun:
    """A training run under way: the Trainer's chunks, then each epoch's test accuracy a slice
    at a time.  Checkpoints (pynn.page.checkpoints) about every CHECKPOINT_SECONDS of training,
    at points it resumes from bit for bit."""

    def __init__(self, bench: Bench, s: dict, saved: checkpoints.Checkpoint | None, workers: int = 1) -> None:
        self.bench, self.settings = bench, s
        # resumed: the saved network, whose generator the trainer's restore sets
        network = saved.model if saved else network_for(s)
        network.meta = {"settings": s}
        self.trainer = Trainer(network, bench.train_set().subset(s["train_size"]), s["epochs"], s["minibatch_size"],
                               s["eta"], lmbda=s["lmbda"], augment=augment if s["augment"] == "on" else None)
        self.pending: dict | None = None  # the finished epoch's record while its test evaluation runs
        self.epochs: list[dict] = []
        if saved:
            self.trainer.restore(saved.trainer)
            self.pending, self.epochs = saved.pending, list(saved.epochs)
            if self.epochs:
                network.meta["test_accuracy"] = self.epochs[-1]["accuracy"]
        self.evaluation: Iterator[tuple[int, int]] | None = None  # evaluate_blocks over the test set, slice by slice
        self.evaluated = self.correct = 0
        self.stopping = self.finished = False
        self.last: dict | None = None
        self.since_checkpoint = 0.0
        self.reported = 0.0  # when the last progress went out (perf_counter)
        bench.models["yours"] = self.network = network
        self.shared = SharedSteps(self.trainer, workers, s) if workers > 1 else None
        self.started = {"batches_per_epoch": self.trainer.batches_per_epoch, "epochs": s["epochs"], "settings": s,
                        "workers": workers,
                        "step_seconds": step_seconds(s), "model": bench.describe("yours"),
                        "resumed": saved is not None, "epochs_done": self.epochs,
                        "progress": self.trainer.progress(False, None).as_dict() if saved else None}

    @property
    def done(self) -> bool:
        return self.finished

    def stop(self) -> None:
        self.stopping = True

    def step(self, seconds: float) -> dict | None:
        """About ``seconds`` of training, or of the finished epoch's test evaluation."""
        deadline = time.perf_counter() + seconds
        trainer = self.trainer
        if self.stopping:
            self.finished = True
            so_far = self.pending or trainer.progress(False, None).as_dict()
            self.last = {**so_far, "epoch_done": False, "done": False, "evaluated": None, "stopped": True,
                         "accuracy": None}
            return self.last
        record = self.pending
        if record is None:
            started = time.perf_counter()
            due = self.since_checkpoint >= CHECKPOINT_SECONDS
            if self.shared is not None:
                progress = self.shared.turn(due, seconds) or trainer.progress(False, None)
            else:
                # a checkpoint is due: stop where it can be taken (the end of a block of augmented batches)
                limit = (trainer.batches_to_resumable() or None) if due else None
                progress = trainer.run(max_seconds=seconds, max_batches=limit)
            self.since_checkpoint += time.perf_counter() - started
            self.last = {**progress.as_dict(), "evaluated": None, "stopped": False}
            if not progress.epoch_done:
                return self.report(seconds)
            record = self.pending = progress.as_dict()
        self.last = self.evaluate(deadline, record)
        return self.last

    def report(self, seconds: float) -> dict | None:
        """The progress, or None if the last went out less than ``seconds`` ago: a shared run's
        turns are a phase of one step each (hundreds a second), and the page draws every report."""
        now = time.perf_counter()
        if self.shared is not None and now - self.reported < seconds:
            return None
        self.reported = now
        return self.last

    def evaluate(self, deadline: float, record: dict) -> dict:
        """Slices of the test set until ``deadline`` (at least one), for the epoch ``record``."""
        data, network = self.bench.test_set(), self.network
        if self.evaluation is None:
            self.evaluation = evaluate_blocks(network, data, evaluation_slice(network))
        for done, correct in self.evaluation:  # both cumulative
            self.evaluated, self.correct = done, correct
            if done == len(data) or time.perf_counter() >= deadline:
                break
        if self.evaluated < len(data):
            return {**record, "epoch_done": False, "done": False, "evaluated": self.evaluated, "stopped": False}
        accuracy = self.correct / len(data)
        network.meta["test_accuracy"] = accuracy
        self.pending, self.evaluation, self.evaluated = None, None, 0
        self.epochs.append({"epoch": record["epoch"], "cost": record["cost"], "accuracy": accuracy})
        self.finished = record["done"]
        return {**record, "accuracy": accuracy, "evaluated": None, "stopped": False}

    @property
    def waiting(self) -> bool:
        """For the pool's shares of the step in flight (pynn.page.jobs.Sharing)."""
        return self.shared is not None and not self.stopping and self.shared.waiting

    def outgoing(self) -> list[dict]:
        return [] if self.shared is None else self.shared.outgoing()

    def give(self, step: int, index: int, gradient: bytes | None, cost: float | None) -> bool:
        return self.shared is not None and self.shared.give(step, index, gradient, cost)

    def checkpoint(self) -> bytes | None:
        trainer = self.trainer
        in_flight = self.shared is not None and self.shared.in_flight
        if self.since_checkpoint < CHECKPOINT_SECONDS or not trainer.resumable or self.finished or in_flight:
            return None
        self.since_checkpoint = 0.0
        return checkpoints.dumps(self.settings, self.network, trainer.state(), self.pending, self.epochs)

    def result(self) -> dict:
        """How it ended; "pool_shares": how many shares of its steps the pool's workers computed."""
        return {"progress": self.last, "stopped": self.stopping, "pool_shares": self.shared.given if self.shared else 0}


class FineTuneJob:
    """A fine-tune of a copy of the model in use (pynn.page.finetune), asked for: its settings
    and its memory estimate checked (or a checkpoint read) before any data is loaded."""

    kind, needs_data, background = "finetune", ("train", "test"), False

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

    def begin(self) -> FineTuneRun:
        bench = self.bench
        run = FineTune(self.model, self.digits, bench.train_set(), bench.test_set(), self.settings,
                       cache=bench.features)
        if self.saved:
            run.resume(self.saved.state)
        return FineTuneRun(bench, self.base, self.digits, run, resumed=self.saved is not None)

    def stopped_early(self) -> dict:
        return {"stopped": True, "progress": None, "result": None}


class FineTuneRun:
    """A fine-tune under way; when it is done the copy becomes the model "finetuned", with the
    test accuracy it measured.  Checkpoints (pynn.page.finetune_checkpoints) about every
    CHECKPOINT_SECONDS, as a training run does."""

    def __init__(self, bench: Bench, base: str | None, digits: list, run: FineTune[modelfile.Model],
                 resumed: bool) -> None:
        self.bench, self.base, self.digits, self.run = bench, base, digits, run
        self.stopped = False
        self.since_checkpoint = 0.0
        self.started = {"base": base, "digits": len(digits), "held_out": len(run.held_index),
                        "trained_on": len(run.train_index), "total_batches": run.total_batches,
                        "settings": dict(run.settings), "notes": run.notes(), "resumed": resumed,
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
            return {"stopped": True, "progress": self.run.progress(), "result": None}
        result = self.run.result()
        model = self.run.model
        model.meta = finetuned_meta(model.meta, result, self.base)
        self.bench.models["finetuned"] = model
        return {"stopped": False, "progress": self.run.progress(), "result": result}
