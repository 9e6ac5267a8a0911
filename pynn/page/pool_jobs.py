"""Work split across the page's pool of workers (web/page/pool.js): each worker evaluates its
share of the test set, and the main worker makes the one report from all the shares; or, when
the page computes ahead (pynn.page.page_jobs.WarmJob), each computes a conv net's conv outputs on its
share of the test set, and the main worker keeps them as its own.

The shares' bounds fall on whole blocks (pynn.page.report.share_rows), so every worker computes
exactly the blocks one worker would: the merged report equals one worker's, count for count
and probability for probability, whatever the pool's size.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np

from pynn.checks import check_count
from pynn.page.features import conv_depth, layers_key
from pynn.page.page_jobs import EvaluateJob
from pynn.page.report import Evaluation, share_rows


class EvaluateShareJob(EvaluateJob):
    """Share ``part`` of ``parts`` of model ``name``'s evaluation on the MNIST test set: the
    evaluate job's turns and Stop, over its rows only."""

    kind = "evaluate_share"

    def __init__(self, bench, name: str, part: int, parts: int, with_features: bool = True) -> None:
        super().__init__(bench, name)
        self.parts = check_count("parts", parts, 1)
        # The main worker's own share keeps its conv outputs where they are: nothing to hand over.
        self.part, self.with_features = check_part(part, self.parts), bool(with_features)

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


def check_part(part, parts: int) -> int:
    """``part`` if it is one of ``parts`` (a count already checked), else a ValueError."""
    if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < parts:
        raise ValueError(f"part must be a whole number from 0 to {parts - 1}, got {part!r}")
    return part


class FeaturesShareJob:
    """Share ``part`` of ``parts`` of the test set through model ``name``'s conv layers, a CHUNK
    a step (pynn.page.features: the same blocks, so the same bits, as feedforward's on one worker):
    what a worker of the pool computes ahead for the main worker (``keep_features``)."""

    kind, needs_data, background = "features_share", True, False

    def __init__(self, bench, name: str, part: int, parts: int) -> None:
        if name not in bench.models:
            raise KeyError(f"no model named {name!r}")
        if not conv_depth(bench.models[name]):
            raise ValueError(f"the {name} model has no conv layers to compute ahead")
        self.bench, self.name, self.parts = bench, name, check_count("parts", parts, 1)
        self.part, self.stopped, self.left = check_part(part, self.parts), False, 0

    def begin(self) -> dict:
        data = self.bench.test_data
        self.rows = share_rows(len(data), self.parts)[self.part]
        self.kept = self.bench.features.of(self.bench.models[self.name])
        self.left = len(self.kept.missing(data, self.rows[1], self.rows[0]))
        self.blocks = self.kept.fill(data, self.rows[1], self.rows[0])
        return {"name": self.name, "part": self.part, "left": self.left}

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
        return {"left": self.left}

    def result(self) -> dict:
        """The share's conv outputs (float64 rows), with the hash of the filters that made them,
        or None if stopped, or if this worker's cache had no room to keep them all."""
        if self.stopped:
            return {"stopped": True, "part": self.part, "features": None}
        start, stop = self.rows
        rows = self.kept.kept_rows(self.bench.test_data, start, stop)
        return {"stopped": False, "part": self.part, "start": start, "key": self.kept.key,
                "features": None if rows is None else rows.tobytes()}


def missing_parts(bench, name: str, parts: int) -> list[int]:
    """The shares (of ``parts``) of the test set whose conv outputs model ``name``'s worker does not
    keep yet, all of them before the test set is loaded; none for a model with no conv layers."""
    check_count("parts", parts, 1)
    model = bench.models[name]
    if not conv_depth(model):
        return []
    if bench.test_data is None:
        return list(range(parts))
    kept, data = bench.features.of(model), bench.test_data
    return [part for part, (start, stop) in enumerate(share_rows(len(data), parts))
            if stop > start and kept.missing(data, stop, start)]


def kept_digest(bench, name: str, digest: bool = True) -> dict:
    """What model ``name``'s worker keeps of the test set's conv outputs: the CHUNKs still missing
    (None for a model with no conv layers, or before the test set is loaded) and, if ``digest``,
    the sha256 of the rows kept, in order (to hold one worker's against another's)."""
    model, data = bench.models[name], bench.test_data
    if data is None or not conv_depth(model):
        return {"missing": None, "sha256": None}
    kept = bench.features.of(model)
    rows = kept.kept_rows(data, 0, len(data)) if digest else None
    return {"missing": len(kept.missing(data, len(data))),
            "sha256": None if rows is None else hashlib.sha256(rows.tobytes()).hexdigest()}


def keep_features(bench, name: str, start: int, features: bytes, key: str) -> dict:
    """Keep conv outputs a worker of the pool computed (FeaturesShareJob's result) as this worker's
    own.  If model ``name``'s filters are no longer those that made them (``key``: it was trained
    or replaced meanwhile), they are dropped: {"kept": rows kept}."""
    model = bench.models[name]
    if bench.test_data is None or not conv_depth(model) or layers_key(model, conv_depth(model)) != key:
        return {"kept": 0}
    kept = bench.features.of(model)
    rows = np.frombuffer(bytes(features), dtype=np.float64)
    width = model.layers[kept.depth - 1].n_out
    if rows.size % width:
        raise ValueError(f"{rows.size} numbers are not whole rows of this model's {width} conv outputs")
    kept.keep_rows(bench.test_data, start, rows.reshape(-1, width))
    return {"kept": rows.size // width}


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
