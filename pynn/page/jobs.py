"""The worker's one job loop: long work (training, fine-tuning, evaluating, computing ahead)
as jobs that take turns, a short slice each.

The page's worker calls :meth:`Scheduler.work` between the messages it serves, so a
prediction or a Stop waits at most one slice; every job goes through the same loop, so
two jobs at once share the time instead of one starving (or hanging) the other.  A job
is any object with the :class:`Job` methods, and what it begins a :class:`Run`: the engines
(``Trainer``, ``FineTune``, ``Evaluation``) already work in resumable chunks, and the jobs in
:mod:`pynn.page.page_jobs` and :mod:`pynn.page.evaluate_jobs` adapt them.  What the loop says
comes back as plain events for the page.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol


class Run(Protocol):
    """A job under way: ``started`` is what its start reports; ``step`` does about ``seconds``
    of work and reports (None: nothing new to report yet); ``stop`` asks it to end at its next turn."""

    started: dict

    def step(self, seconds: float) -> dict | None: ...

    @property
    def done(self) -> bool: ...

    def result(self) -> dict: ...

    def stop(self) -> None: ...


class Job(Protocol):
    """Long work asked for and checked, not begun: ``begin`` makes its :class:`Run` once the data
    it needs is there (so a run is whole from its first step); ``stopped_early`` is its result
    if it is stopped before that."""

    kind: str
    needs_data: tuple[str, ...]  # the MNIST sets it reads ("train", "test"): the worker loads each on first need
    background: bool  # it runs only when no other job can (computing ahead)

    def begin(self) -> Run: ...

    def stopped_early(self) -> dict: ...


class Checkpointing(Protocol):
    """A run whose state can be written down between steps and resumed bit for bit: after a
    step, ``checkpoint`` gives the state when one is due (about every CHECKPOINT_SECONDS of
    work, at a point it can resume from exactly), else None."""

    def checkpoint(self) -> bytes | None: ...


class Sharing(Protocol):
    """A run whose steps the pool's workers share (pynn.page.shared_steps): after a step,
    ``outgoing`` gives the shares to send (the worker's script sends them, and brings each answer
    back through ``give``); while ``waiting`` it cannot take a turn."""

    @property
    def waiting(self) -> bool: ...

    def outgoing(self) -> list[dict]: ...

    def give(self, step: int, index: int, gradient: bytes | None, cost: float | None) -> bool: ...


CHECKPOINT_SECONDS = 10.0  # a reload or a crash loses at most about this much of a run


@dataclass
class Entry:
    """A job in the loop, and what the loop knows of it."""

    job: Job
    run: Run | None = None  # None until it begins
    stopping: bool = False


class Scheduler:
    """Jobs by id, served in turn: foreground jobs round-robin, background ones when no
    foreground job can run."""

    def __init__(self) -> None:
        self.entries: dict[int, Entry] = {}
        self.next_id = 1
        self.turn = 0

    def start(self, job: Job) -> int:
        job_id = self.next_id
        self.next_id += 1
        self.entries[job_id] = Entry(job)
        return job_id

    def stop(self, job_id: int) -> bool:
        """Ask job ``job_id`` to end at its next turn; False if there is no such job (it ended)."""
        entry = self.entries.get(job_id)
        if entry is None:
            return False
        entry.stopping = True
        if entry.run is not None:
            entry.run.stop()
        return True

    def stop_waiting(self, loaded: Collection[str]) -> list[int]:
        """Stop the jobs that cannot begin for want of data (``loaded``: the sets there are); their ids."""
        waiting = [i for i, e in self.entries.items() if e.run is None and not has_data(e.job, loaded)]
        for job_id in waiting:
            self.stop(job_id)
        return waiting

    def of_kind(self, kind: str) -> list[Job]:
        return [entry.job for entry in self.entries.values() if entry.job.kind == kind]

    def pending(self) -> bool:
        return bool(self.entries)

    def runnable(self, loaded: Collection[str]) -> list[int]:
        """Ids that can take a turn now, foreground first (stopping jobs can always end)."""
        ready = [i for i, e in self.entries.items()
                 if (e.stopping or has_data(e.job, loaded)) and not waiting(e.run)]
        foreground = [i for i in ready if not self.entries[i].job.background or self.entries[i].stopping]
        return foreground or ready

    def needs_data(self, loaded: Collection[str]) -> list[str]:
        """The MNIST sets that jobs wait for and are not ``loaded`` (an evaluation needs only the
        test set, so it does not wait for the training set, six times its size)."""
        wanted = {name for e in self.entries.values() if not e.stopping for name in e.job.needs_data}
        return sorted(wanted - set(loaded))

    def work(self, seconds: float, loaded: Collection[str]) -> dict:
        """One turn: about ``seconds`` of one job's work.  Returns {"events": [...], "pending",
        "needs_data", "waiting"}; an event is {"job": id, "started" | "progress" | "shares" |
        "checkpoint" | "result" | "error": ...}, and a job's last event is its "result" or its
        "error".  "waiting": no job can take a turn until the pool's shares come (``give``)."""
        ids = self.runnable(loaded)
        events: list[dict] = []
        if ids:
            job_id = ids[self.turn % len(ids)]
            self.turn += 1
            events = self.serve(job_id, seconds)
        return {"events": events, "pending": self.pending(), "needs_data": self.needs_data(loaded),
                "waiting": not self.runnable(loaded) and any(waiting(e.run) for e in self.entries.values())}

    def give(self, job_id: int, step: int, index: int, gradient: bytes | None, cost: float | None) -> bool:
        """A pool worker's share of job ``job_id``'s step ``step`` (None: the worker is gone, the
        run computes it); False if nothing waits for it (the job ended, or the share is stale)."""
        entry = self.entries.get(job_id)
        give = None if entry is None else getattr(entry.run, "give", None)
        return give is not None and give(step, index, gradient, cost)

    def serve(self, job_id: int, seconds: float) -> list[dict]:
        entry = self.entries[job_id]
        events: list[dict] = []
        try:
            if entry.run is None:
                if entry.stopping:  # stopped before its data came: nothing to undo
                    del self.entries[job_id]
                    return [{"job": job_id, "result": entry.job.stopped_early()}]
                entry.run = entry.job.begin()
                events.append({"job": job_id, "started": entry.run.started})
            run = entry.run
            if not run.done:
                if (progress := run.step(seconds)) is not None:
                    events.append({"job": job_id, "progress": progress})
                if shares := outgoing(run):
                    events.append({"job": job_id, "shares": shares})
            if run.done:
                del self.entries[job_id]
                events.append({"job": job_id, "result": run.result()})
            elif not entry.stopping and (state := checkpoint(run)) is not None:
                events.append({"job": job_id, "checkpoint": state})
        except Exception as error:  # one job's failure ends that job, not the loop
            self.entries.pop(job_id, None)
            events.append({"job": job_id, "error": {"name": type(error).__name__,
                                                    "message": str(error) or type(error).__name__}})
        return events


def has_data(job: Job, loaded: Collection[str]) -> bool:
    """Whether every MNIST set ``job`` reads is among the ``loaded`` ones."""
    return set(job.needs_data) <= set(loaded)


def waiting(run: Run | None) -> bool:
    """Whether the run waits for the pool's shares (see Sharing)."""
    return bool(getattr(run, "waiting", False))


def outgoing(run: Run) -> list[dict]:
    """The shares the run has for the pool's workers now (see Sharing), if any."""
    take = getattr(run, "outgoing", None)
    return [] if take is None else take()


def checkpoint(run: Run) -> bytes | None:
    """The run's checkpoint if it keeps them (see Checkpointing) and one is due."""
    take = getattr(run, "checkpoint", None)
    return None if take is None else take()
