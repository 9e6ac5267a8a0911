"""How a model does on a test set, digit by digit: the page's evaluation report.

An :class:`Evaluation` runs a block of images at a time (``run(max_seconds=…)``),
so the worker can report progress and stop between blocks, then ``result()``
gives accuracy, the 10×10 confusion matrix (rows: true digit, columns:
predicted), per-digit accuracy and the mistakes, most confident first.  Works
with any :class:`pynn.nets.model.Model`.  "Confidence" is the predicted digit's share
of the summed outputs, the same normalisation as the page's live prediction
(for a softmax output it is the softmax value itself).  Given a
:class:`~pynn.page.features.FeatureCache`, a conv net's conv layers are read from it
(and kept in it), so a second evaluation of the same filters costs only the
layers above them.
"""

from __future__ import annotations

import time

import numpy as np

from pynn.checks import check_count, check_positive
from pynn.data.dataset import Dataset
from pynn.nets.model import Model
from pynn.nets.network3 import CHUNK
from pynn.page.features import FeatureCache
from pynn.training.evaluation import blocks

BLOCK = CHUNK  # images per step: a conv net's 100 take ~0.13 s in Pyodide when nothing is kept


def probabilities(outputs: np.ndarray) -> np.ndarray:
    """Outputs (n_out, m) as columns that sum to 1 (all-zero outputs become uniform)."""
    sums = outputs.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = outputs / sums
    shares[:, sums[0] <= 0] = 1.0 / len(outputs)
    return shares


def share_rows(total: int, parts: int, block: int = BLOCK) -> list[tuple[int, int]]:
    """``parts`` consecutive (start, stop) ranges covering ``total`` rows, as even as whole
    blocks allow.  Every bound is a multiple of ``block``, so each worker computes exactly the
    blocks one worker would (the same rows through the same code): the shares' outputs are
    those of one evaluation, bit for bit."""
    check_count("parts", parts, 1)
    count = -(-total // check_count("block", block, 1))
    bounds = [min(total, (count * part // parts) * block) for part in range(parts + 1)]
    bounds[-1] = total
    return list(zip(bounds[:-1], bounds[1:]))


def spanned_rows(total: int, spans: list[int], block: int = BLOCK) -> list[tuple[int, int]]:
    """Consecutive shares of ``total`` rows of uneven sizes: share k is the next ``spans[k]`` of
    ``share_rows(total, sum(spans))``, so its bounds fall on whole blocks too (the pool hands out
    shares that shrink as the work runs out: web/page/pool.js)."""
    if not spans or any(isinstance(span, bool) or not isinstance(span, int) or span < 1 for span in spans):
        raise ValueError(f"each share spans a whole number of parts, at least 1; got {spans!r}")
    fine = share_rows(total, sum(spans), block)
    ends = np.cumsum(spans)
    return [(fine[end - span][0], fine[end - 1][1]) for span, end in zip(spans, ends.tolist())]


class Evaluation:
    """The model's predictions on ``data`` (or on its ``rows``, one share of the work), gathered
    a block at a time."""

    def __init__(self, model: Model, data: Dataset, block: int = BLOCK, cache: FeatureCache | None = None,
                 rows: tuple[int, int] | None = None) -> None:
        if len(data) == 0:
            raise ValueError("nothing to evaluate: the test set is empty")
        if data.x.shape[1] != model.n_in or data.y.shape[1] != model.n_out:
            raise ValueError(f"the test set is {data.x.shape[1]} → {data.y.shape[1]}, "
                             f"the model {model.n_in} → {model.n_out}")
        self.model, self.data = model, data
        self.features = (cache or FeatureCache(keep=1)).of(model)
        self.rows = (0, len(data)) if rows is None else rows
        start, stop = self.rows
        if not 0 <= start <= stop <= len(data) or start % block:
            raise ValueError(f"rows {start}..{stop} are not a share of {len(data)} in blocks of {block}")
        self.ranges = [(begin, end) for begin, end in blocks(data, check_count("block", block, 1))
                       if start <= begin < stop]
        self.next_block = 0
        self.predicted = np.zeros(len(data), dtype=np.int64)
        self.probabilities = np.zeros((len(data), model.n_out))
        self.elapsed = 0.0

    @property
    def done(self) -> bool:
        return self.next_block >= len(self.ranges)

    def run(self, max_seconds: float | None = None, max_blocks: int | None = None) -> dict:
        """Evaluate blocks until ``max_seconds`` pass or ``max_blocks`` are done (at least one
        block per call, unless all are done); returns ``progress()``."""
        if max_seconds is not None:
            max_seconds = check_positive("max_seconds", max_seconds, allow_zero=True)
        if max_blocks is not None:
            max_blocks = check_count("max_blocks", max_blocks, 1)
        start = time.perf_counter()
        count = 0
        while not self.done:
            begin, end = self.ranges[self.next_block]
            shares = probabilities(self.features.outputs(self.data, begin, end).T)
            self.probabilities[begin:end] = shares.T
            self.predicted[begin:end] = np.argmax(shares, axis=0)
            self.next_block += 1
            count += 1
            if (max_blocks is not None and count >= max_blocks) or \
                    (max_seconds is not None and time.perf_counter() - start >= max_seconds):
                break
        self.elapsed += time.perf_counter() - start
        return self.progress()

    def progress(self) -> dict:
        start, stop = self.rows
        reached = self.ranges[self.next_block - 1][1] if self.next_block else start
        evaluated = reached - start
        correct = int(np.count_nonzero(self.predicted[start:reached] == self.data.labels[start:reached]))
        return {"evaluated": evaluated, "total": stop - start, "correct": correct,
                "accuracy": correct / evaluated if evaluated else None, "elapsed": self.elapsed, "done": self.done}

    def share(self) -> bytes:
        """The finished share's probabilities, float64 rows of ``n_out``, for ``merged``."""
        if not self.done:
            raise RuntimeError("the share is not finished; call run() until progress says done")
        start, stop = self.rows
        return self.probabilities[start:stop].tobytes()

    @classmethod
    def merged(cls, model: Model, data: Dataset, shares: list[bytes], seconds: float,
               rows: list[tuple[int, int]]) -> Evaluation:
        """A finished evaluation of all of ``data`` from the shares of it that workers computed,
        share k of ``rows[k]`` (spanned_rows); ``result()`` then reports exactly what one
        evaluation would."""
        whole = cls(model, data)
        if len(rows) != len(shares):
            raise ValueError(f"{len(shares)} shares came for {len(rows)} spans")
        for (start, stop), share in zip(rows, shares):
            values = np.frombuffer(bytes(share), dtype=np.float64)
            if values.size != (stop - start) * model.n_out or not np.all(np.isfinite(values)):
                raise ValueError(f"the share of rows {start}..{stop} is not {stop - start} finite rows of "
                                 f"{model.n_out} probabilities")
            whole.probabilities[start:stop] = values.reshape(stop - start, model.n_out)
        whole.predicted[:] = np.argmax(whole.probabilities, axis=1)
        whole.next_block, whole.elapsed = len(whole.ranges), seconds
        return whole

    def result(self, max_mistakes: int | None = None) -> dict:
        """The report (JSON types); the evaluation must be done.  ``mistakes`` lists every
        wrong answer, most confident first (ties: lower index first), or the first
        ``max_mistakes`` of them."""
        if not self.done:
            raise RuntimeError("the evaluation is not finished; call run() until progress says done")
        n_out, labels, predicted = self.model.n_out, self.data.labels, self.predicted
        pairs = (labels * n_out + predicted).astype(np.intp)  # bincount takes intp only (int32 in Pyodide)
        confusion = np.bincount(pairs, minlength=n_out * n_out).reshape(n_out, n_out)
        totals, right = confusion.sum(axis=1), np.diag(confusion)
        wrong = np.flatnonzero(predicted != labels)
        confidence = self.probabilities[wrong, predicted[wrong]]
        wrong = wrong[np.lexsort((wrong, -confidence))]
        if max_mistakes is not None:
            wrong = wrong[:check_count("max_mistakes", max_mistakes, 0)]
        return {
            "total": len(labels),
            "correct": int(right.sum()),
            "accuracy": float(right.sum() / len(labels)),
            "confusion": confusion.tolist(),
            "per_digit": [{"digit": d, "count": int(totals[d]), "correct": int(right[d]),
                           "accuracy": float(right[d] / totals[d]) if totals[d] else None} for d in range(n_out)],
            "mistakes_total": int(np.count_nonzero(predicted != labels)),
            "mistakes": [{"index": int(i), "true": int(labels[i]), "predicted": int(predicted[i]),
                          "confidence": float(self.probabilities[i, predicted[i]]),
                          "probabilities": self.probabilities[i].tolist()} for i in wrong],
            "seconds": self.elapsed,
        }


def evaluate(model: Model, data: Dataset, max_mistakes: int | None = None) -> dict:
    """The whole report in one call."""
    evaluation = Evaluation(model, data)
    evaluation.run()
    return evaluation.result(max_mistakes)
