"""A training run's steps shared with the pool's workers (pynn.training.data_parallel), as turns
of the job loop (pynn.page.jobs).

Each mini-batch takes three turns, so that the pool's shares leave before the main worker
computes its own:

1. cut the mini-batch: the pool's shares go out (``outgoing``, sent by the worker's script);
2. compute share 0 here; the run then waits (``waiting``) until each other share is given,
   or said lost (a worker that died or fell silent: its share is computed here, the same bits);
3. sum the shares in order and take the step.

Turns 3 and 1 of the next mini-batch are one turn, unless a checkpoint is due: a checkpoint is
taken only with no mini-batch in flight.  A share goes out as {"step", "index", "x", "y",
"scale", "measure_cost", "weights", "settings"}: what a pool worker needs and nothing more.

Whether the pool pays is measured as the run goes (:class:`Pace`): on a device whose cores are
busy with other work, a step whose shares travel can take longer than the main worker computing
them all, and then it does.  Either way the sums are the same, so the run is the same, bit for
bit: only its speed depends on the choice.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import deque

import numpy as np

from pynn.nets.architectures import network_for
from pynn.page.settings import check_settings
from pynn.training.data_parallel import Replica, SplitSteps, share_gradient
from pynn.training.trainer import Progress, Trainer


class Pace:
    """Which way the next step goes, by the step times measured so far: with its shares sent to
    the pool, or computed here alone.  Each way is measured over SAMPLES steps first; then the
    faster goes on, and after RECHECK steps the slower is measured again (the device's load
    changes).  Each time the same way loses again, the wait before the next look doubles, up to
    MAX_RECHECK: on a device where the pool never pays, looking costs next to nothing."""

    SAMPLES = 20
    RECHECK = 500
    MAX_RECHECK = 8000

    def __init__(self) -> None:
        self.times: dict[bool, deque[float]] = {True: deque(maxlen=self.SAMPLES), False: deque(maxlen=self.SAMPLES)}
        self.steps = 0
        self.interval = self.RECHECK
        self.next_check = self.RECHECK
        self.loser: bool | None = None

    def record(self, pooled: bool, seconds: float) -> None:
        """A step's wall time, cut to step, and whether the pool computed its shares."""
        self.times[pooled].append(seconds)
        self.steps += 1
        if self.steps >= self.next_check and all(self.times.values()):  # both measured (a lost pool is not)
            loser = not self.faster()
            if loser == self.loser:
                self.interval = min(2 * self.interval, self.MAX_RECHECK)
            self.loser = loser
            self.times[loser].clear()
            self.next_check = self.steps + self.interval

    def faster(self) -> bool:
        return statistics.median(self.times[True]) <= statistics.median(self.times[False])

    def send(self) -> bool:
        """Whether the next step's shares go to the pool."""
        for way in (True, False):
            if len(self.times[way]) < self.SAMPLES:
                return way
        return self.faster()


class SharedSteps:
    def __init__(self, trainer: Trainer, workers: int, settings: dict) -> None:
        self.split = SplitSteps(trainer, workers)
        self.trainer, self.settings = trainer, settings
        self.step_id = 0  # which mini-batch is in flight: an answer for another is stale
        self.out: list[dict] = []  # shares to send, until taken
        self.owed: set[int] = set()  # shares sent and not yet answered
        self.own_done = False
        self.started = 0.0  # when the mini-batch in flight was cut
        self.given = 0  # shares the pool computed (the rest of its shares were lost, and computed here)
        self.pace = Pace()
        self.sent = self.answered = False  # whether the step in flight went to the pool, and the pool answered

    @property
    def in_flight(self) -> bool:
        return self.split.prepared

    @property
    def waiting(self) -> bool:
        """The own share is done and the pool's are not all in: nothing to do until they are."""
        return self.in_flight and self.own_done and bool(self.owed)

    def outgoing(self) -> list[dict]:
        """The shares cut this turn, for the pool (each once)."""
        out, self.out = self.out, []
        return out

    def give(self, step: int, index: int, gradient: bytes | None, cost: float | None) -> bool:
        """Share ``index`` of mini-batch ``step`` from the pool (None: lost, computed here).
        False if it is not waited for (stale, or given already)."""
        if step != self.step_id or index not in self.owed:
            return False
        self.owed.discard(index)
        if gradient is not None:
            self.split.give(index, floats(gradient), cost)
            self.given += 1
            self.answered = True
        return True

    def turn(self, checkpoint_due: bool, seconds: float) -> Progress | None:
        """About ``seconds`` of the work (see the module's docstring): steps whose shares stay
        here go on one after another; a turn that cut shares for the pool ends, so that they
        leave, and so does one whose own share is done while the pool's are not in.  The
        progress once a step is taken, else None."""
        deadline = time.perf_counter() + seconds
        progress = None
        while True:
            if self.in_flight:
                if not self.own_done:
                    self.split.compute(0)
                    self.own_done = True
                if self.owed:
                    return progress
                sent, answered, started = self.sent, self.answered, self.started
                progress = self.split.finish(started)
                if answered or not sent:  # a step whose shares were all lost (the pool not up) says nothing
                    self.pace.record(sent, time.perf_counter() - started)
                if progress.epoch_done or (checkpoint_due and self.trainer.resumable):
                    return progress
            if self.trainer.done:
                return progress
            self.cut()
            if self.out or time.perf_counter() >= deadline:
                return progress

    def cut(self) -> None:
        self.started = time.perf_counter()
        self.step_id += 1
        shares = self.split.prepare(for_pool=self.pace.send())  # else the same cut, every share computed here
        self.sent, self.answered = bool(shares), False
        self.own_done = False
        self.owed = {share["index"] for share in shares}
        self.out = [{**share, "step": self.step_id, "x": share["x"].tobytes(), "y": share["y"].tobytes(),
                     "weights": share["weights"].tobytes(), "settings": self.settings} for share in shares]


def share_of(replicas: dict, settings: dict, weights: bytes, x: bytes, y: bytes, scale: float,
             measure_cost: bool) -> dict:
    """What a pool worker answers to a share: its rows' gradient at the given weights, on a net
    built from the run's settings (kept in ``replicas`` for the next share, one run's at a time)."""
    key = json.dumps(settings, sort_keys=True)
    if key not in replicas:
        replicas.clear()
        replicas[key] = Replica(network_for(check_settings(settings)))
    replica = replicas[key]
    n_in, n_out = replica.network.n_in, replica.network.n_out
    rows = floats(x).reshape(-1, n_in)
    targets = floats(y).reshape(len(rows), n_out)
    gradient, cost = share_gradient(replica, floats(weights), rows, targets, scale, measure_cost)
    return {"gradient": gradient.tobytes(), "cost": cost}


def floats(data: bytes) -> np.ndarray:
    """float64s from bytes, copied: a bytes object's data sits at an offset that leaves them
    misaligned, and numpy's loops over misaligned arrays are several times slower (measured:
    a share's im2col 0.73 ms against 0.2)."""
    return np.frombuffer(data, dtype=np.float64).copy()
