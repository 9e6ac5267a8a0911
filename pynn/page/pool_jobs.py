"""Work split across the page's pool of workers (web/page/pool.js), as the main worker sees it:
each worker evaluates its share of the test set (pynn.page.evaluate_jobs.EvaluateShareJob),
and the main worker makes the one report from all the shares; or, when the page computes ahead
(pynn.page.evaluate_jobs.WarmJob), each computes a conv net's conv outputs on its share
(FeaturesShareJob), and the main worker keeps them as its own.

The shares' bounds fall on whole blocks (pynn.page.report.share_rows), so every worker computes
exactly the blocks one worker would: the merged report equals one worker's, count for count
and probability for probability, whatever the pool's size.
"""

from __future__ import annotations

import hashlib

import numpy as np

from pynn.checks import check_count
from pynn.page.features import conv_depth, layers_key
from pynn.page.report import Evaluation, share_rows, spanned_rows


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
    """Keep conv outputs a worker of the pool computed (pynn.page.evaluate_jobs.FeaturesShareJob's
    result) as this worker's own.  If model ``name``'s filters are no longer those that made them
    (``key``: it was trained or replaced meanwhile), they are dropped: {"kept": rows kept}."""
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
                  max_mistakes: int = 100, spans: list[int] | None = None) -> dict:
    """The evaluation report of model ``name`` from every share of it, in order of part (share k
    spanning ``spans[k]`` parts, pynn.page.report.spanned_rows; one each by default).  A
    conv net's conv outputs that the shares' workers computed (``features``, bytes or None for
    each share) are kept as the main worker's own, so what reads them next (a fine-tune, an
    evaluation) need not compute them again."""
    if name not in bench.models:
        raise KeyError(f"no model named {name!r}")
    if bench.test_data is None:
        raise RuntimeError("the MNIST test set is not loaded yet")
    check_count("shares", len(shares), 1)
    model, data = bench.models[name], bench.test_data
    rows = spanned_rows(len(data), spans or [1] * len(shares))
    report = Evaluation.merged(model, data, shares, seconds, rows).result(max_mistakes)
    kept = bench.features.of(model)
    for (start, stop), share in zip(rows, features or []):
        if share is not None and stop > start:
            outputs = np.frombuffer(bytes(share), dtype=np.float64)
            kept.keep_rows(data, start, outputs.reshape(stop - start, -1))
    return report
