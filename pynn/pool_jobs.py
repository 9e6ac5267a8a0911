"""Work split across the page's pool of workers (web/pool.js): each worker evaluates its
share of the test set, and the main worker makes the one report from all the shares.

The shares' bounds fall on whole blocks (pynn.report.share_rows), so every worker computes
exactly the blocks one worker would: the merged report equals one worker's, count for count
and probability for probability, whatever the pool's size.
"""

from __future__ import annotations

from pynn.checks import check_count
from pynn.report import Evaluation, share_rows


class EvaluateShareJob:
    """Share ``part`` of ``parts`` of model ``name``'s evaluation on the MNIST test set."""

    kind, needs_data, background = "evaluate_share", True, False

    def __init__(self, bench, name: str, part: int, parts: int) -> None:
        if name not in bench.models:
            raise KeyError(f"no model named {name!r}")
        self.parts = check_count("parts", parts, 1)
        if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < parts:
            raise ValueError(f"part must be a whole number from 0 to {parts - 1}, got {part!r}")
        self.bench, self.name, self.part = bench, name, part
        self.evaluation: Evaluation | None = None
        self.stopped = False

    def begin(self) -> dict:
        data = self.bench.test_data
        rows = share_rows(len(data), self.parts)[self.part]
        self.evaluation = Evaluation(self.bench.models[self.name], data, cache=self.bench.features, rows=rows)
        return {"name": self.name, "part": self.part, **self.evaluation.progress()}

    @property
    def done(self) -> bool:
        return self.stopped or self.evaluation.done

    def stop(self) -> None:
        self.stopped = True

    def step(self, seconds: float) -> dict:
        return self.evaluation.run(max_seconds=seconds)

    def result(self) -> dict:
        if self.stopped:
            return {"stopped": True, "share": None}
        return {"stopped": False, "part": self.part, "share": self.evaluation.share(),
                "seconds": self.evaluation.elapsed}


def merged_report(bench, name: str, shares: list[bytes], seconds: float, max_mistakes: int = 100) -> dict:
    """The evaluation report of model ``name`` from every share of it, in order of part."""
    if name not in bench.models:
        raise KeyError(f"no model named {name!r}")
    if bench.test_data is None:
        raise RuntimeError("the MNIST test set is not loaded yet")
    check_count("shares", len(shares), 1)
    evaluation = Evaluation.merged(bench.models[name], bench.test_data, shares, seconds)
    return evaluation.result(max_mistakes)
