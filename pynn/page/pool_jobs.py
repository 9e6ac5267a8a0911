"""Work split across the page's pool of workers (web/page/pool.js): each worker evaluates its
share of the test set, and the main worker makes the one report from all the shares.

The shares' bounds fall on whole blocks (pynn.page.report.share_rows), so every worker computes
exactly the blocks one worker would: the merged report equals one worker's, count for count
and probability for probability, whatever the pool's size.
"""

from __future__ import annotations

import numpy as np

from pynn.checks import check_count
from pynn.page.page_jobs import EvaluateJob
from pynn.page.report import Evaluation, share_rows


class EvaluateShareJob(EvaluateJob):
    """Share ``part`` of ``parts`` of model ``name``'s evaluation on the MNIST test set: the
    evaluate job's turns and Stop, over its rows only."""

    kind = "evaluate_share"

    def __init__(self, bench, name: str, part: int, parts: int, with_features: bool = True) -> None:
        super().__init__(bench, name)
        self.parts = check_count("parts", parts, 1)
        if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < parts:
            raise ValueError(f"part must be a whole number from 0 to {parts - 1}, got {part!r}")
        # The main worker's own share keeps its conv outputs where they are: nothing to hand over.
        self.part, self.with_features = part, bool(with_features)

    def begin(self) -> dict:
        data = self.bench.test_data
        rows = share_rows(len(data), self.parts)[self.part]
        self.evaluation = Evaluation(self.bench.models[self.name], data, cache=self.bench.features, rows=rows)
        return {"name": self.name, "part": self.part, **self.evaluation.progress()}

    def result(self) -> dict:
        if self.stopped:
            return {"stopped": True, "share": None}
        start, stop = self.evaluation.rows
        features = self.evaluation.features.kept_rows(self.bench.test_data, start, stop) if self.with_features else None
        return {"stopped": False, "part": self.part, "share": self.evaluation.share(),
                "features": None if features is None else features.tobytes(), "seconds": self.evaluation.elapsed}


def merged_report(bench, name: str, shares: list[bytes], seconds: float, features: list | None = None,
                  max_mistakes: int = 100) -> dict:
    """The evaluation report of model ``name`` from every share of it, in order of part.  A
    conv net's conv outputs that the shares' workers computed (``features``, bytes or None for
    each share) are kept as the main worker's own, so what reads them next (a fine-tune, an
    evaluation) need not compute them again."""
    if name not in bench.models:
        raise KeyError(f"no model named {name!r}")
    if bench.test_data is None:
        raise RuntimeError("the MNIST test set is not loaded yet")
    check_count("shares", len(shares), 1)
    model, data = bench.models[name], bench.test_data
    evaluation = Evaluation.merged(model, data, shares, seconds)
    report = evaluation.result(max_mistakes)
    kept = bench.features.of(model)
    for (start, stop), share in zip(share_rows(len(data), len(shares)), features or []):
        if share is not None and stop > start:
            rows = np.frombuffer(bytes(share), dtype=np.float64)
            kept.keep_rows(data, start, rows.reshape(stop - start, -1))
    return report
