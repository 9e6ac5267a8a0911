"""Jobs for pynn.page.jobs.Scheduler that read MNIST's test set through a model: evaluating it
(pynn.page.report), computing its conv outputs ahead (pynn.page.features), and a share of
either for a worker of the page's pool (web/page/pool.js; the shares are merged by
pynn.page.pool_jobs).

The shares' bounds fall on whole blocks (pynn.page.report.share_rows), so every worker computes
exactly the blocks one worker would.  Stop ends any of them at its next turn, leaving nothing
behind but the conv outputs already kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from pynn.checks import check_count
from pynn.page.features import conv_depth
from pynn.page.finetune import REPLAY_POOL
from pynn.page.page_jobs import Bench
from pynn.page.report import Evaluation, share_rows


class EvaluateJob:
    """Model ``name`` on the MNIST test set (pynn.page.report): confusion, per digit, mistakes."""

    kind, needs_data, background = "evaluate", ("test",), False

    def __init__(self, bench: Bench, name: str, max_mistakes: int = 100) -> None:
        if name not in bench.models:
            raise KeyError(f"no model named {name!r}")
        self.bench, self.name, self.max_mistakes = bench, name, max_mistakes

    def begin(self) -> EvaluateRun:
        evaluation = Evaluation(self.bench.models[self.name], self.bench.test_set(), cache=self.bench.features)
        return EvaluateRun(evaluation, {"name": self.name, **evaluation.progress()},
                           lambda: {"stopped": False, "report": evaluation.result(self.max_mistakes)},
                           self.stopped_early)

    def stopped_early(self) -> dict:
        return {"stopped": True, "report": None}


class EvaluateShareJob(EvaluateJob):
    """Parts ``part`` to ``part + span - 1`` of ``parts`` of model ``name``'s evaluation on the
    MNIST test set (pynn.page.report.share_rows): the evaluate job's turns and Stop, over their
    rows only."""

    kind = "evaluate_share"

    def __init__(self, bench: Bench, name: str, part: int, parts: int, with_features: bool = True,
                 span: int = 1) -> None:
        super().__init__(bench, name)
        self.parts = check_count("parts", parts, 1)
        # The main worker's own share keeps its conv outputs where they are: nothing to hand over.
        self.part, self.with_features = check_part(part, self.parts), bool(with_features)
        self.span = check_count("span", span, 1)
        if self.part + self.span > self.parts:
            raise ValueError(f"a share from part {part} spans at most {self.parts - self.part} of {parts} parts, "
                             f"not {span}")

    def begin(self) -> EvaluateRun:
        data = self.bench.test_set()
        fine = share_rows(len(data), self.parts)
        start, stop = rows = fine[self.part][0], fine[self.part + self.span - 1][1]
        evaluation = Evaluation(self.bench.models[self.name], data, cache=self.bench.features, rows=rows)

        def share() -> dict:
            features = evaluation.features.kept_rows(data, start, stop) if self.with_features else None
            return {"stopped": False, "part": self.part, "span": self.span, "share": evaluation.share(),
                    "features": None if features is None else features.tobytes(), "seconds": evaluation.elapsed}

        # test_size: the whole evaluation's rows, for the pool's progress over all its shares
        return EvaluateRun(evaluation, {"name": self.name, "part": self.part, "test_size": len(data),
                                        **evaluation.progress()}, share, self.stopped_early)

    def stopped_early(self) -> dict:
        return {"stopped": True, "share": None}


class EvaluateRun:
    """An evaluation (or a share of one) under way: the Evaluation's slices; ``result`` makes
    its outcome when it is done, ``stopped`` the one after a Stop (its job's, as before it began)."""

    def __init__(self, evaluation: Evaluation, started: dict, result, stopped) -> None:
        self.evaluation, self.started = evaluation, started
        self.made, self.made_stopped = result, stopped
        self.stopped = False

    @property
    def done(self) -> bool:
        return self.stopped or self.evaluation.done

    def stop(self) -> None:
        self.stopped = True

    def step(self, seconds: float) -> dict:
        return self.evaluation.run(max_seconds=seconds)

    def result(self) -> dict:
        return self.made_stopped() if self.stopped else self.made()


def check_part(part, parts: int) -> int:
    """``part`` if it is one of ``parts`` (a count already checked), else a ValueError."""
    if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < parts:
        raise ValueError(f"part must be a whole number from 0 to {parts - 1}, got {part!r}")
    return part


class WarmJob:
    """Computes ahead what a fine-tune or an evaluation of the model in use will read from
    the feature cache: its conv layers' outputs on MNIST's test set, then on the replay pool.
    In the background: it runs only while no other job can."""

    kind, needs_data, background = "warm", ("train", "test"), True

    def __init__(self, bench: Bench, name: str) -> None:
        self.bench, self.name = bench, name

    def begin(self) -> BlocksRun:
        bench = self.bench
        kept = bench.features.of(bench.models[self.name])
        test = bench.test_set()
        targets = ((test, len(test)), (bench.train_set(), REPLAY_POOL))
        left = sum(len(kept.missing(data, stop)) for data, stop in targets)
        computed = (block for data, stop in targets for block in kept.fill(data, stop))
        countdown = (left - done for done, _ in enumerate(computed, 1))  # left in both targets together
        return BlocksRun(countdown, left, {"name": self.name, "left": left}, dict)

    def stopped_early(self) -> dict:
        return {}


def warm_job(bench: Bench, name: str | None) -> WarmJob | None:
    """A WarmJob for model ``name`` if it has conv features worth keeping, else None."""
    if name is None or name not in bench.models or not conv_depth(bench.models[name]):
        return None
    return WarmJob(bench, name)


class FeaturesShareJob:
    """Share ``part`` of ``parts`` of the test set through model ``name``'s conv layers, a CHUNK
    a step (pynn.page.features: the same blocks, so the same bits, as feedforward's on one worker):
    what a worker of the pool computes ahead for the main worker (``keep_features``)."""

    kind, needs_data, background = "features_share", ("test",), False

    def __init__(self, bench: Bench, name: str, part: int, parts: int) -> None:
        if name not in bench.models:
            raise KeyError(f"no model named {name!r}")
        if not conv_depth(bench.models[name]):
            raise ValueError(f"the {name} model has no conv layers to compute ahead")
        self.bench, self.name, self.parts = bench, name, check_count("parts", parts, 1)
        self.part = check_part(part, self.parts)

    def begin(self) -> BlocksRun:
        data = self.bench.test_set()
        start, stop = share_rows(len(data), self.parts)[self.part]
        kept = self.bench.features.of(self.bench.models[self.name])
        left = len(kept.missing(data, stop, start))

        def share() -> dict:
            """The share's conv outputs (float64 rows), with the hash of the filters that made
            them, or None if this worker's cache had no room to keep them all."""
            rows = kept.kept_rows(data, start, stop)
            return {"stopped": False, "part": self.part, "start": start, "key": kept.key,
                    "features": None if rows is None else rows.tobytes()}

        return BlocksRun(kept.fill(data, stop, start), left, {"name": self.name, "part": self.part, "left": left},
                         share, stopped=self.stopped_early)

    def stopped_early(self) -> dict:
        return {"stopped": True, "part": self.part, "features": None}


class BlocksRun:
    """Conv outputs computed ahead, a block at a time, until ``blocks`` (which yields the blocks
    still missing after each) is spent: ``result`` makes the outcome, ``stopped`` the one after
    a Stop."""

    def __init__(self, blocks: Iterator[int], left: int, started: dict, result, stopped=dict) -> None:
        self.blocks, self.left, self.started = blocks, left, started
        self.made, self.made_stopped = result, stopped
        self.stopped = False

    @property
    def done(self) -> bool:
        return self.stopped or self.left == 0

    def stop(self) -> None:
        self.stopped = True

    def step(self, seconds: float) -> dict:
        deadline = time.perf_counter() + seconds
        for left in self.blocks:
            self.left = left
            if left == 0 or time.perf_counter() >= deadline:
                break
        else:
            self.left = 0
        return {"done": self.left == 0, "left": self.left}

    def result(self) -> dict:
        return self.made_stopped() if self.stopped else self.made()
