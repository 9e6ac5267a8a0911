"""The training engine: mini-batch SGD that can be driven a chunk at a time.

``Network.SGD`` runs it to the end; the browser's worker calls ``run`` with a
time budget, reports the returned :class:`Progress`, and may simply stop
calling.  All of the engine's state (epoch, position, this epoch's shuffled
order, the random generator) lives on the Trainer, so the network is
consistent between chunks and any split into chunks gives the same result.

The Trainer works with any :class:`pynn.nets.model.Model`: the seed's MLP and the
layered conv nets alike.  Mini-batches come from :class:`pynn.training.batches.EpochBatches`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from pynn.checks import check_count, check_positive
from pynn.data.dataset import as_dataset
from pynn.nets.model import Model, Stepper
from pynn.training.batches import Augmenter, EpochBatches
from pynn.training.evaluation import count_correct


@dataclass
class Progress:
    """Where training stands after a chunk."""

    epoch: int  # the epoch in progress, or just finished if epoch_done (0-based)
    number_of_epochs: int
    batch: int  # mini-batches done in this epoch
    batches_per_epoch: int
    cost: float | None  # running mean cost per sample this epoch, from sampled batches
    elapsed: float  # seconds spent training, over all chunks so far
    eta: float | None  # estimated seconds left
    epoch_done: bool
    accuracy: float | None  # on the evaluation data, when an epoch is done
    done: bool

    def as_dict(self) -> dict:
        return asdict(self)


class Trainer:
    """SGD over ``training_data`` for a number of epochs, in resumable chunks."""

    def __init__(
        self,
        network: Model,
        training_data,
        number_of_epochs: int,
        minibatch_size: int,
        eta: float,
        lmbda: float = 0.0,
        evaluation_data=None,
        seed: int | None = None,
        cost_every: int = 10,
        augment: Augmenter | None = None,
    ) -> None:
        """``seed`` gives the shuffles their own generator; by default they draw
        from the network's.  The running cost is measured on every
        ``cost_every``-th mini-batch, since measuring costs a forward pass's worth
        of numpy calls.  ``augment(images, rng)`` (e.g. pynn.training.augment's) makes new
        variants of each block of training images as it is gathered, drawing from
        the same generator as the shuffles, so a seeded run still repeats exactly."""
        self.network = network
        self.number_of_epochs = check_count("number_of_epochs", number_of_epochs, 0)
        self.minibatch_size = check_count("minibatch_size", minibatch_size, 1)
        self.eta = check_positive("learning rate (eta/alpha)", eta)
        self.lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        self.cost_every = check_count("cost_every", cost_every, 1)
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be a function (images, rng) → images, got {augment!r}")
        self.augment = augment
        shape = [network.n_in, network.n_out]
        self.data = as_dataset(training_data, shape, "training_data")
        self.evaluation = None if evaluation_data is None else as_dataset(evaluation_data, shape, "test_data")
        self.rng = network.rng if seed is None else np.random.default_rng(seed)
        self.batches_per_epoch = -(-len(self.data) // self.minibatch_size)
        self.epoch, self.batch = 0, 0
        self.order: np.ndarray | None = None  # this epoch's shuffle, drawn when it starts
        self.elapsed = 0.0
        self.cost_sum, self.cost_samples = 0.0, 0
        self.history: list[dict] = []
        self.epoch_batches: EpochBatches | None = None

    @property
    def done(self) -> bool:
        return self.epoch >= self.number_of_epochs

    def run(self, max_batches: int | None = None, max_seconds: float | None = None) -> Progress:
        """Train until the epoch ends, ``max_batches`` are done or ``max_seconds`` pass.
        Each call takes the network's parameter arrays afresh, so arrays assigned
        between chunks are the ones trained."""
        if max_batches is not None:
            max_batches = check_count("max_batches", max_batches, 1)
        if max_seconds is not None:
            max_seconds = check_positive("max_seconds", max_seconds, allow_zero=True)
        start = time.perf_counter()
        deadline = None if max_seconds is None else start + max_seconds
        limit = self.batches_per_epoch if max_batches is None else min(self.batches_per_epoch, self.batch + max_batches)
        if self.done:
            return self.progress(False, None)
        steppers: dict[int, Stepper] = {}  # by batch size: the last batch of an epoch may be short
        eta, lmbda, n = self.eta, self.lmbda, len(self.data)
        while self.batch < limit:
            x, cols, y = self.current_batch()
            stepper = steppers.get(len(x)) or steppers.setdefault(len(x), self.network.stepper(len(x)))
            cost = stepper.step(x, y, eta, lmbda, n, cols, measure_cost=self.measures_cost())
            self.count_batch(cost, len(x))
            if deadline is not None and time.perf_counter() >= deadline:
                break
        return self.after_batches(time.perf_counter() - start)

    def current_batch(self) -> tuple:
        """The mini-batch to train next, as (x, cols, y); its epoch's shuffle (and batches) are
        set up on its first.  With ``measures_cost``, ``count_batch`` and ``after_batches``, the
        parts of ``run``'s loop that a data-parallel step (pynn.training.data_parallel) shares."""
        if self.order is None:
            self.order = self.rng.permutation(len(self.data))
        order = self.order
        if self.epoch_batches is None or self.epoch_batches.order is not order:
            transform = None if self.augment is None else functools.partial(self.augment, rng=self.rng)
            self.epoch_batches = EpochBatches(self.data, order, self.minibatch_size, self.network.sparse_inputs,
                                              transform)
        return self.epoch_batches.batch(self.batch)

    def measures_cost(self) -> bool:
        """Whether the current mini-batch's cost is measured (every ``cost_every``-th)."""
        return self.batch % self.cost_every == 0

    def count_batch(self, cost: float | None, size: int) -> None:
        """The current mini-batch is trained: its cost (if measured) joins the running mean."""
        if cost is not None:
            self.cost_sum += cost
            self.cost_samples += size
        self.batch += 1

    def after_batches(self, seconds: float) -> Progress:
        """Where training stands after ``seconds`` of batches; the epoch ends with its last."""
        self.elapsed += seconds
        if self.batch < self.batches_per_epoch:
            return self.progress(False, None)
        return self.finish_epoch()

    def finish_epoch(self) -> Progress:
        """Evaluate, record the epoch in the history, and set up the next one."""
        evaluation = self.evaluation
        accuracy = None if evaluation is None else count_correct(self.network, evaluation) / len(evaluation)
        progress = self.progress(True, accuracy)
        self.history.append({"epoch": self.epoch, "cost": progress.cost, "accuracy": accuracy, "seconds": self.elapsed})
        self.epoch, self.batch, self.order = self.epoch + 1, 0, None
        self.epoch_batches = None  # its gathered block, ~16 MB, is not needed any more
        self.cost_sum, self.cost_samples = 0.0, 0
        return progress

    def progress(self, epoch_done: bool, accuracy: float | None) -> Progress:
        done_batches = self.epoch * self.batches_per_epoch + self.batch
        left = self.number_of_epochs * self.batches_per_epoch - done_batches
        return Progress(
            epoch=self.epoch, number_of_epochs=self.number_of_epochs,
            batch=self.batch, batches_per_epoch=self.batches_per_epoch,
            cost=self.cost_sum / self.cost_samples if self.cost_samples else None,
            elapsed=self.elapsed, eta=self.elapsed / done_batches * left if done_batches else None,
            epoch_done=epoch_done, accuracy=accuracy,
            done=self.done or (epoch_done and self.epoch + 1 >= self.number_of_epochs),
        )

    @property
    def resumable(self) -> bool:
        """Whether ``state()`` now resumes bit for bit: with an augmenter, only between blocks of
        batches, since a block's augmentation draws from the generator when it is gathered."""
        batches = self.epoch_batches
        return self.augment is None or batches is None or not batches.holds(self.batch)

    def batches_to_resumable(self) -> int:
        """Mini-batches to train before ``resumable`` holds (0 if it holds now)."""
        batches = self.epoch_batches
        return 0 if self.resumable or batches is None else batches.end - self.batch

    def state(self) -> dict:
        """Where the run stands, as plain values and one array, for ``restore`` (see
        pynn.page.checkpoints); the network's parameters are saved apart."""
        if not self.resumable:
            raise RuntimeError("the trainer is inside a block of augmented batches; see batches_to_resumable")
        return {"epoch": self.epoch, "batch": self.batch, "order": self.order, "elapsed": self.elapsed,
                "cost_sum": self.cost_sum, "cost_samples": self.cost_samples, "history": list(self.history),
                "rng": self.rng.bit_generator.state}

    def restore(self, state: dict) -> None:
        """Continue from ``state()`` (checked by pynn.page.checkpoints); the same network must have
        been given its saved parameters."""
        order = state["order"]
        if order is not None and sorted(order.tolist()) != list(range(len(self.data))):
            raise ValueError("the saved shuffle is not an order of this training data")
        if not 0 <= state["epoch"] <= self.number_of_epochs or not 0 <= state["batch"] < self.batches_per_epoch:
            raise ValueError("the saved position is outside this run")
        self.rng.bit_generator.state = state["rng"]
        # the platform's index type (int32 in Pyodide), once the values are known to fit
        self.epoch, self.batch = state["epoch"], state["batch"]
        self.order = None if order is None else order.astype(np.intp)
        self.elapsed, self.cost_sum, self.cost_samples = state["elapsed"], state["cost_sum"], state["cost_samples"]
        self.history = list(state["history"])
        self.epoch_batches = None

    def each_epoch(self) -> Iterator[Progress]:
        """Run to the end, yielding the record of each finished epoch."""
        while not self.done:
            progress = self.run()
            if progress.epoch_done:
                yield progress
