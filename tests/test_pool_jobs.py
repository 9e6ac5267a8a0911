"""An evaluation split across the page's pool of workers (pynn.page.pool_jobs) reports exactly what
one worker's evaluation does, whatever the pool's size; each worker is a Session of its own
here, as each is a Python of its own in the page.

These would catch shares that overlap or leave a gap, shares whose bounds cut a block (their
outputs could differ in the last bit from one worker's), a merge that puts a share in the
wrong place, and a report built from a share that is short or not finite."""

import hashlib

import numpy as np
import pytest
from job_driver import events_of, run, start
from synthetic_digits import npz_bytes

from pynn import Network
from pynn.files import modelfile
from pynn.nets.architectures import network_for
from pynn.page.browser import Session
from pynn.page.report import share_rows, spanned_rows

CONV = {"architecture": "conv", "hidden": [20], "cost": "quadratic", "init": "standard", "epochs": 1,
        "minibatch_size": 10, "eta": 0.1, "lmbda": 0.0, "train_size": 300, "seed": 1, "augment": "off"}


def worker(model_bytes: bytes, test_size: int = 250) -> Session:
    session = Session()
    session.load_model("pretrained", model_bytes)
    session.set_data(npz_bytes(100, 0), npz_bytes(test_size, 1))
    return session


@pytest.mark.parametrize(("total", "parts"), [(10_000, 2), (10_000, 3), (250, 4), (250, 1), (100, 3), (99, 2)])
def test_shares_cover_every_row_once_in_whole_blocks(total, parts):
    rows = share_rows(total, parts)
    assert len(rows) == parts and rows[0][0] == 0 and rows[-1][1] == total
    assert all(stop == next_start for (_, stop), (next_start, _) in zip(rows, rows[1:]))
    assert all(start % 100 == 0 for start, _ in rows)
    sizes = [stop - start for start, stop in rows]
    assert max(sizes) - min(sizes) <= 100 or total < 100 * parts


@pytest.mark.parametrize("make", [lambda: Network([784, 12, 10], seed=0), lambda: network_for(CONV)],
                         ids=["mlp", "conv"])
@pytest.mark.parametrize("parts", [2, 3])
def test_a_pool_reports_exactly_what_one_worker_does(make, parts):
    model_bytes = modelfile.to_npz(make())
    one = worker(model_bytes)
    alone = run(one, "evaluate", name="pretrained")[1]["report"]
    pool = [worker(model_bytes) for _ in range(parts)]
    shares = [run(each, "evaluate_share", name="pretrained", part=k, parts=parts)[1] for k, each in enumerate(pool)]
    assert [share["part"] for share in shares] == list(range(parts))
    merged = pool[0].evaluation_report("pretrained", [share["share"] for share in shares], 1.5)
    assert merged["seconds"] == 1.5
    alone.pop("seconds"), merged.pop("seconds")
    assert merged == alone
    assert alone["mistakes_total"] > 0  # an untrained net errs: the mistakes' order is compared too


def test_uneven_shares_of_whole_parts_report_exactly_what_one_worker_does():
    """The pool's shares shrink as the work runs out (web/page/handout.js Shares): runs of parts of
    uneven spans, in any order of hand-out, merged by their spans.  Catches a share's rows taken
    from its first part only, a merge that places uneven shares as if they were even, and
    conv outputs kept at the wrong rows."""
    model_bytes = modelfile.to_npz(network_for(CONV))
    one = worker(model_bytes, test_size=750)
    alone = run(one, "evaluate", name="pretrained")[1]["report"]
    plan = [(0, 3), (3, 2), (5, 1), (6, 2)]  # parts (first, span) of 8: 8 blocks of 100, the last short
    assert spanned_rows(750, [span for _, span in plan]) == [(0, 300), (300, 500), (500, 600), (600, 750)]
    pool = [worker(model_bytes, test_size=750) for _ in plan]
    shares = [run(each, "evaluate_share", name="pretrained", part=part, span=span, parts=8)[1]
              for each, (part, span) in zip(pool, plan)]
    assert [s["span"] for s in shares] == [3, 2, 1, 2] and len(shares[0]["share"]) == 300 * 10 * 8
    main = pool[0]
    merged = main.evaluation_report("pretrained", [s["share"] for s in shares], 1.0, [s["features"] for s in shares],
                                    spans=[s["span"] for s in shares])
    alone.pop("seconds"), merged.pop("seconds")
    assert merged == alone
    kept = main.features.of(main.models["pretrained"])
    assert kept.missing(main.test_data, 750) == []
    own = one.features.of(one.models["pretrained"]).kept_rows(one.test_data, 0, 750)
    np.testing.assert_array_equal(kept.kept_rows(main.test_data, 0, 750), own)


def test_spans_that_do_not_fit_are_refused():
    session = worker(modelfile.to_npz(Network([784, 12, 10], seed=0)))
    with pytest.raises(ValueError, match="spans at most 2 of 4 parts, not 3"):
        session.start_job("evaluate_share", name="pretrained", part=2, span=3, parts=4)
    with pytest.raises(ValueError, match="span must be ≥ 1"):
        session.start_job("evaluate_share", name="pretrained", part=0, span=0, parts=4)
    good = [run(session, "evaluate_share", name="pretrained", part=k, span=1, parts=2)[1]["share"] for k in range(2)]
    with pytest.raises(ValueError, match="at least 1"):
        session.evaluation_report("pretrained", good, 1.0, spans=[2, 0])
    with pytest.raises(ValueError, match="2 shares came for 1 spans"):
        session.evaluation_report("pretrained", good, 1.0, spans=[2])
    with pytest.raises(ValueError, match="rows 0..250 is not 250 finite rows"):  # a span that says too much
        session.evaluation_report("pretrained", good[:1], 1.0, spans=[1])


def test_a_share_reports_progress_over_its_own_rows_and_stops():
    session = worker(modelfile.to_npz(Network([784, 12, 10], seed=0)))
    events, result = run(session, "evaluate_share", name="pretrained", part=1, parts=2)
    assert events[0]["started"]["total"] == 150 and events[0]["started"]["evaluated"] == 0
    assert result["stopped"] is False and len(result["share"]) == 150 * 10 * 8
    job = start(session, "evaluate_share", name="pretrained", part=0, parts=2)
    session.stop_job(job)
    assert events_of(session, job)[-1]["result"] == {"stopped": True, "share": None}
    session = worker(modelfile.to_npz(Network([784, 12, 10], seed=0)), test_size=1000)
    job = start(session, "evaluate_share", name="pretrained", part=0, parts=2)  # five blocks
    session.work(0.0)  # begun, one block done: stopped now, it says the same, not an evaluate job's words
    session.stop_job(job)
    assert events_of(session, job)[-1]["result"] == {"stopped": True, "share": None}


def test_shares_that_do_not_fit_are_refused():
    session = worker(modelfile.to_npz(Network([784, 12, 10], seed=0)))
    good = [run(session, "evaluate_share", name="pretrained", part=k, parts=2)[1]["share"] for k in range(2)]
    with pytest.raises(ValueError, match="rows 0..100 is not 100 finite rows"):
        session.evaluation_report("pretrained", [good[0][:-8], good[1]], 1.0)
    not_finite = np.frombuffer(good[1], dtype=np.float64).copy()
    not_finite[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        session.evaluation_report("pretrained", [good[0], not_finite.tobytes()], 1.0)
    with pytest.raises(ValueError, match="part must be a whole number from 0 to 1"):
        session.start_job("evaluate_share", name="pretrained", part=2, parts=2)
    with pytest.raises(KeyError):
        session.evaluation_report("nonexistent", good, 1.0)


def test_the_pools_conv_outputs_are_kept_by_the_main_worker_as_its_own():
    """What a fine-tune or the next evaluation reads: the main worker's cache then holds every
    CHUNK of the test set, each equal to what the main worker computes itself."""
    model_bytes = modelfile.to_npz(network_for(CONV))
    pool = [worker(model_bytes) for _ in range(2)]
    shares = [run(each, "evaluate_share", name="pretrained", part=k, parts=2)[1] for k, each in enumerate(pool)]
    assert all(share["features"] is not None for share in shares)
    main = pool[0]
    kept = main.features.of(main.models["pretrained"])
    assert kept.missing(main.test_data, len(main.test_data)) == [100, 200]  # the other share: rows 100..250
    main.evaluation_report("pretrained", [s["share"] for s in shares], 1.0, [s["features"] for s in shares])
    assert kept.missing(main.test_data, len(main.test_data)) == []
    fresh = worker(model_bytes)
    own = fresh.features.of(fresh.models["pretrained"]).features(fresh.test_data, 0, len(fresh.test_data))
    np.testing.assert_array_equal(kept.kept_rows(main.test_data, 0, len(main.test_data)), own)
    with pytest.raises(ValueError, match="not whole CHUNKs"):
        kept.keep_rows(main.test_data, 50, own[:100])


def test_the_main_workers_own_share_hands_nothing_over():
    session = worker(modelfile.to_npz(network_for(CONV)))
    share = run(session, "evaluate_share", name="pretrained", part=0, parts=2, with_features=False)[1]
    assert share["features"] is None and len(share["share"]) == 100 * 10 * 8


def test_conv_outputs_computed_ahead_across_the_pool_are_feedforwards_bit_for_bit():
    """Computing ahead across the pool: each worker's share of the test set through the conv
    layers, kept by the main worker, equals what one worker's computing ahead (the warm job) keeps,
    and the conv part of feedforward itself, bit for bit.  Catches a share whose rows land at the
    wrong place, and conv outputs computed in other blocks than feedforward's."""
    model_bytes = modelfile.to_npz(network_for(CONV))
    one = worker(model_bytes)
    one.teaching_started()  # one worker computes ahead on its own (pynn.page.evaluate_jobs.WarmJob)
    while one.jobs.pending():
        one.work(1.0)
    alone = one.features.of(one.models["pretrained"]).kept_rows(one.test_data, 0, 250)
    main = worker(model_bytes)
    assert main.missing_features("pretrained", 3) == [0, 1, 2]
    for part in (2, 1, 0):  # in the pool's order: from the back
        share = run(worker(model_bytes), "features_share", name="pretrained", part=part, parts=3)[1]
        assert main.keep_features("pretrained", share["start"], share["features"], share["key"]) == {
            "kept": [100, 100, 50][part]}
        assert main.missing_features("pretrained", 3) == list(range(part))
    pooled = main.features.of(main.models["pretrained"]).kept_rows(main.test_data, 0, 250)
    model = main.models["pretrained"]
    direct = model.outputs(main.test_data.inputs(0, 250).T, stop=1)
    assert pooled.tobytes() == alone.tobytes() == direct.tobytes()


def test_conv_outputs_of_other_filters_are_not_kept():
    """A model trained or replaced while the pool computed: its conv outputs are dropped, not kept
    as this model's (they would be another model's features)."""
    model_bytes = modelfile.to_npz(network_for(CONV))
    share = run(worker(model_bytes), "features_share", name="pretrained", part=0, parts=2)[1]
    main = worker(modelfile.to_npz(network_for({**CONV, "seed": 2})))
    assert main.keep_features("pretrained", share["start"], share["features"], share["key"]) == {"kept": 0}
    assert main.missing_features("pretrained", 2) == [0, 1]
    with pytest.raises(ValueError, match="not whole rows"):
        same = worker(model_bytes)
        same.keep_features("pretrained", 0, share["features"][:-8], share["key"])


def test_computing_ahead_is_for_conv_nets_and_stops():
    mlp = worker(modelfile.to_npz(Network([784, 12, 10], seed=0)))
    assert mlp.missing_features("pretrained", 2) == []
    with pytest.raises(ValueError, match="no conv layers"):
        mlp.start_job("features_share", name="pretrained", part=0, parts=2)
    session = worker(modelfile.to_npz(network_for(CONV)))
    job = start(session, "features_share", name="pretrained", part=0, parts=2)
    session.stop_job(job)
    result = events_of(session, job)[-1]["result"]
    assert result["stopped"] is True and result["features"] is None
    with pytest.raises(ValueError, match="part must be a whole number from 0 to 1"):
        session.start_job("features_share", name="pretrained", part=-1, parts=2)


def test_what_is_kept_is_said_by_its_digest():
    """The e2e tests read the main worker's kept conv outputs through this: missing CHUNKs, and a
    digest of the rows that changes with any of them."""
    session = worker(modelfile.to_npz(network_for(CONV)))
    assert session.kept_features("pretrained") == {"missing": 3, "sha256": None}
    kept = session.features.of(session.models["pretrained"])
    rows = kept.features(session.test_data, 0, 250)
    assert session.kept_features("pretrained") == {"missing": 0, "sha256": hashlib.sha256(rows.tobytes()).hexdigest()}
    assert session.kept_features("pretrained", digest=False) == {"missing": 0, "sha256": None}
    mlp = worker(modelfile.to_npz(Network([784, 12, 10], seed=0)))
    assert mlp.kept_features("pretrained") == {"missing": None, "sha256": None}
