"""A training run whose steps the pool shares (pynn.page.shared_steps), driven as web/worker/worker.js
drives it: the main worker's Session hands out shares, a pool worker's Session answers them
(share_gradient), and the answers come back through give_share.  Held to one worker's run (to
rounding) and to itself (exactly, whoever answers)."""

import numpy as np
import pytest
from job_driver import run, start
from synthetic_digits import npz_bytes

from pynn.files import modelfile
from pynn.page.browser import Session, call
from pynn.page.settings import DEFAULTS
from pynn.page.shared_steps import Pace

CONV = {**DEFAULTS, "architecture": "conv", "hidden": [12], "epochs": 2, "minibatch_size": 10, "train_size": 120,
        "eta": 0.05, "seed": 4, "augment": "on"}


def a_session() -> Session:
    session = Session()
    session.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
    return session


def weights(session):
    return np.concatenate([p.ravel() for p in modelfile.spec_and_params(session.models["yours"])[1]])


def shared_run(settings=CONV, workers=2, pool=None, lose=(), every=None, stop_at=None):
    """A whole run on ``workers``; ``pool``: the Session answering shares (None: every share is
    lost and the main worker computes it); ``lose``: step numbers whose shares are lost;
    ``every``: force a checkpoint every that many turns.  (session, result, events, checkpoints)."""
    session = a_session()
    job = start(session, "train", settings=settings, workers=workers)
    sent, mine, saved = [], [], []
    for turn in range(1, 200_000):
        entry = session.jobs.entries.get(job)
        if every and entry is not None and entry.run is not None and turn % every == 0:
            entry.run.since_checkpoint = float("inf")
        if stop_at is not None and turn == stop_at:
            session.stop_job(job)
        state = session.work(0.0)
        events = [e for e in state["events"] if e["job"] == job]
        mine += events
        sent += [share for e in events for share in e.get("shares", [])]
        saved += [e["checkpoint"] for e in events if "checkpoint" in e]
        if events and ("result" in events[-1] or "error" in events[-1]):
            assert "error" not in events[-1], events[-1]
            return session, events[-1]["result"], mine, saved, sent
        if state["waiting"]:
            assert sent, "the run waits for shares that were never sent"
            for share in sent:
                lost = pool is None or share["step"] in lose
                answer = {} if lost else pool.share_gradient(**{key: share[key] for key in (
                    "settings", "weights", "x", "y", "scale", "measure_cost")})
                assert session.give_share(job, share["step"], share["index"], **answer)["taken"]
            sent = []
    raise AssertionError("the run did not end")


def test_a_run_on_two_workers_is_the_run_on_one_to_rounding():
    """Would catch a share scaled by its own rows, a share dropped, the pool's gradient ignored
    or taken for the wrong step: each moves the weights far beyond 1e-10."""
    one = a_session()
    _, single = run(one, "train", settings=CONV)
    session, result, events, _, _ = shared_run(pool=Session())
    assert events[0]["started"]["workers"] == 2
    sent = sum(len(e.get("shares", [])) for e in events)
    assert sent >= Pace.SAMPLES  # the pool is measured first (24 steps in all, 2 epochs of 12)
    a, b = weights(one), weights(session)
    assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(a))
    assert result["progress"]["done"] and result["progress"]["accuracy"] == single["progress"]["accuracy"]
    assert result["pool_shares"] == sent and single["pool_shares"] == 0


def test_a_shared_run_repeats_exactly_whoever_computes_the_shares():
    """The pool's answers, the main worker's own when the pool is lost (all of it, or some
    steps: a pool worker that died), give the same bits: would catch a lost share left out of the
    sum, or a sum whose order follows who answered first."""
    helped = weights(shared_run(pool=Session())[0])
    alone = weights(shared_run(pool=None)[0])
    partly_run = shared_run(pool=Session(), lose={2, 3, 9})
    partly = weights(partly_run[0])
    sent = sum(len(e.get("shares", [])) for e in partly_run[2])
    assert partly_run[1]["pool_shares"] == sent - 3  # the lost ones were computed by the main worker
    np.testing.assert_array_equal(helped, alone)
    np.testing.assert_array_equal(helped, partly)


def test_the_run_waits_for_the_pool_instead_of_computing_its_share():
    """Once its own share is done, the main worker idles (work says "waiting") until the pool
    answers: would catch a run that computes the pool's share itself (no parallelism at all)."""
    session = a_session()
    job = start(session, "train", settings=CONV, workers=2)
    shares = []
    for _ in range(10):
        state = session.work(0.0)
        shares += [s for e in state["events"] for s in e.get("shares", [])]
        if state["waiting"]:
            break
    assert state["waiting"] and len(shares) == 1
    batch = session.jobs.entries[job].run.trainer.batch
    for _ in range(3):
        idle = session.work(0.0)
        assert idle["waiting"] and idle["events"] == [] and session.jobs.entries[job].run.trainer.batch == batch
    assert not session.give_share(job, shares[0]["step"] + 1, 1)["taken"]  # another step's: stale
    assert session.give_share(job, shares[0]["step"], 1)["taken"]
    assert not session.give_share(job, shares[0]["step"], 1)["taken"]  # given already
    session.work(0.0)
    assert session.jobs.entries[job].run.trainer.batch == batch + 1


def test_a_shared_run_resumed_from_a_checkpoint_ends_as_the_uninterrupted_one():
    """Checkpoints come only between steps (never with shares in flight): would catch one taken
    mid-step, which would resume with a half-applied batch."""
    _, _, _, saved, _ = shared_run(pool=Session(), every=9)
    whole = weights(shared_run(pool=Session())[0])
    assert len(saved) >= 2
    for state in (saved[0], saved[-1]):
        session = a_session()
        job = start(session, "train", resume=state, workers=2)
        events_of_pool = events_of_shared(session, job, Session())
        assert events_of_pool[0]["started"]["resumed"]
        np.testing.assert_array_equal(weights(session), whole)


def events_of_shared(session, job, pool):
    events = []
    while True:
        state = session.work(0.0)
        events += [e for e in state["events"] if e["job"] == job]
        for share in [s for e in state["events"] for s in e.get("shares", [])]:
            answer = pool.share_gradient(**{k: share[k] for k in ("settings", "weights", "x", "y", "scale",
                                                                   "measure_cost")})
            session.give_share(job, share["step"], share["index"], **answer)
        if events and "result" in events[-1]:
            return events


def test_stop_while_waiting_for_the_pool_ends_the_run_and_late_answers_are_dropped():
    session, result, events, _, sent = shared_run(pool=None, stop_at=6)
    assert result["stopped"] and not result["progress"]["done"]
    assert not session.jobs.pending()
    assert not call(session, "give_share", {"job": events[0]["job"], "step": 3, "index": 1})["value"]["taken"]


def test_an_mlp_trains_on_one_worker_and_bad_worker_counts_are_refused():
    mlp = {**DEFAULTS, "hidden": [8], "epochs": 1, "minibatch_size": 10, "train_size": 100}
    events, _ = run(a_session(), "train", settings=mlp, workers=4)
    assert events[0]["started"]["workers"] == 1 and not any("shares" in e for e in events)
    for bad in (0, 9, "2", True, 1.5):
        reply = call(a_session(), "start_job", {"kind": "train", "settings": CONV, "workers": bad})
        assert not reply["ok"] and reply["name"] == "SettingsError" and "workers" in reply["fields"], bad


@pytest.mark.parametrize("bad", [{"x": b"\0" * 7}, {"weights": b"\0" * 16}])
def test_a_malformed_share_is_refused_clearly(bad):
    session, _, _, _, _ = shared_run(pool=None, stop_at=3)
    share = {"settings": CONV, "weights": weights(session).tobytes(), "x": np.zeros((5, 784)).tobytes(),
             "y": np.zeros((5, 10)).tobytes(), "scale": 0.01, "measure_cost": False, **bad}
    reply = call(Session(), "share_gradient", share)
    assert not reply["ok"] and reply["name"] == "ValueError"


def paced(pace: Pace, steps: int, pooled: float, alone: float) -> list[bool]:
    """The ways ``pace`` sends ``steps`` steps, each taking ``pooled`` or ``alone`` seconds."""
    ways = []
    for _ in range(steps):
        ways.append(pace.send())
        pace.record(ways[-1], pooled if ways[-1] else alone)
    return ways


@pytest.mark.parametrize(("pooled", "alone", "keeps"), [(0.004, 0.006, True), (0.009, 0.006, False)],
                         ids=["the pool pays", "busy cores: alone is faster"])
def test_pace_measures_both_ways_then_keeps_the_faster_and_measures_the_other_again_now_and_then(
        pooled, alone, keeps):
    """Would catch a pace that never measures one way, sticks to the slower, or never looks again
    (a device whose load changes would keep the wrong way for the whole run)."""
    pace, n = Pace(), Pace.SAMPLES
    ways = paced(pace, 4 * Pace.MAX_RECHECK, pooled, alone)
    assert ways[:2 * n] == [True] * n + [False] * n  # the pool first, then alone
    assert ways[2 * n] == keeps
    # Where the slower way is measured again: after RECHECK steps, then, as it keeps losing,
    # twice as long each time, up to MAX_RECHECK; each time for SAMPLES steps only.
    looks = [i for i in range(2 * n, len(ways)) if ways[i] != keeps and ways[i - 1] == keeps]
    assert all(ways[i:i + n] == [not keeps] * n and ways[i + n] == keeps for i in looks[:-1])
    assert [b - a for a, b in zip(looks, looks[1:])] == [500, 1000, 2000, 4000, 8000, 8000][:len(looks) - 1]
    assert looks[0] == Pace.RECHECK and sum(way != keeps for way in ways[2 * n:]) == n * len(looks)


def test_pace_never_compares_a_way_it_has_no_times_for():
    """A pool whose every share is lost is never timed (its steps say nothing): the look due
    after RECHECK steps waits, instead of failing the run (it did: "no median for empty data")."""
    pace = Pace()
    for _ in range(2 * Pace.RECHECK):
        pace.record(False, 0.006)
    assert pace.send() is True  # the pool is still to be measured
