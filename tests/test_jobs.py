"""The worker's job loop (pynn.page.jobs, pynn.page.page_jobs) through pynn.page.browser.Session, as the page's
worker drives it: every pair of jobs finishes or is refused clearly, Stop ends each kind,
and a run resumed from a checkpoint ends bit for bit where an uninterrupted one does."""

import itertools

import numpy as np
import pytest
from job_driver import events_of, progress, run, start
from synthetic_digits import make_digits, npz_bytes
from tampered import edit_state, rewrite

from pynn.files import modelfile
from pynn.nets.architectures import network_for
from pynn.page import checkpoints, your_digits
from pynn.page.browser import Session
from pynn.page.checkpoints import CheckpointError
from pynn.page.jobs import Scheduler
from pynn.page.settings import DEFAULTS

MLP = {**DEFAULTS, "hidden": [8], "epochs": 2, "minibatch_size": 10, "train_size": 300, "seed": 3}
CONV = {**DEFAULTS, "architecture": "conv", "hidden": [12], "epochs": 2, "minibatch_size": 25, "train_size": 200,
        "eta": 0.05, "seed": 4, "augment": "on"}
FAST_FINETUNE = {"rounds": 2, "round_size": 40, "minibatch_size": 10, "test_size": 100, "seed": 0}


@pytest.fixture
def session() -> Session:
    session = Session()
    session.load_model("pretrained", modelfile.to_npz(network_for({**CONV, "augment": "off"})))
    session.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
    session.load_digits(your_digits.dumps(make_digits([1, 1, 7, 7, 3])))
    return session


JOB_ARGS = {"train": {"settings": MLP}, "finetune": {"settings": FAST_FINETUNE},
            "evaluate": {"name": "pretrained"}}
# Which second job is refused while a first one runs (one run at a time, one evaluation).
REFUSED = {("train", "train"), ("train", "finetune"), ("finetune", "train"), ("finetune", "finetune"),
           ("evaluate", "evaluate")}


@pytest.mark.parametrize("first, second", list(itertools.product(JOB_ARGS, repeat=2)))
def test_every_pair_of_jobs_finishes_or_is_refused(session, first, second):
    """The hang of two jobs at once (the first never heard from again) fails here: both must
    reach their result through the same loop, or the second is refused at once, by name."""
    one = start(session, first, **JOB_ARGS[first])
    session.work(0.0)  # the first is under way
    if (first, second) in REFUSED:
        with pytest.raises(RuntimeError, match="is going"):
            session.start_job(second, **JOB_ARGS[second])
        assert "result" in events_of(session, one)[-1]
        return
    two = start(session, second, **JOB_ARGS[second])
    ended, turns = {}, 0
    while len(ended) < 2:
        turns += 1
        assert turns < 100_000, "a job never ended"
        for event in session.work(0.0)["events"]:
            if "result" in event or "error" in event:
                ended[event["job"]] = event
    assert all("result" in event for event in ended.values()), ended
    assert set(ended) == {one, two}


def test_labelling_during_a_job_starts_computing_ahead_without_stalling_it(session):
    """A labelled digit starts a background job; the foreground job keeps every turn until it ends."""
    job = start(session, "evaluate", name="pretrained")
    session.work(0.0)
    session.label_digit(bytes([255] * 28 * 28), 28, 28, 5)
    assert session.jobs.of_kind("warm")
    for _ in range(10_000):
        events = session.work(0.0)["events"]
        assert all(event["job"] == job for event in events)  # computing ahead waits its turn
        if any("result" in event for event in events):
            break
    else:
        raise AssertionError("the evaluation did not end")
    turn = session.work(0.0)
    assert turn["events"] and turn["events"][0]["started"]["name"] == "pretrained"  # now it runs


@pytest.mark.parametrize("kind", JOB_ARGS)
def test_stop_ends_every_kind_of_job_and_leaves_nothing_half_done(session, kind):
    before = session.model_json("pretrained")
    job = start(session, kind, **JOB_ARGS[kind])
    session.work(0.0)  # begun, one step done
    session.stop_job(job)
    result = events_of(session, job)[-1]["result"]
    assert result["stopped"] is True
    assert session.model_json("pretrained") == before
    if kind == "finetune":
        assert "finetuned" not in session.models
    if kind == "evaluate":
        assert result["report"] is None
    assert not session.jobs.pending() or session.jobs.of_kind("warm")


def test_a_job_that_fails_ends_alone_and_the_loop_goes_on(session, monkeypatch):
    from pynn.page import page_jobs

    monkeypatch.setattr(page_jobs.TrainRun, "step", lambda self, seconds: 1 / 0)
    good = start(session, "evaluate", name="pretrained")
    bad = start(session, "train", settings=MLP)
    events = events_of(session, bad)
    assert events[-1]["error"]["name"] == "ZeroDivisionError"
    assert "result" in events_of(session, good)[-1]


def test_a_job_waiting_for_data_that_cannot_come_is_stopped():
    session = Session()
    session.load_model("pretrained", modelfile.to_npz(network_for({**MLP})))
    job = start(session, "evaluate", name="pretrained")
    assert session.work(0.0)["needs_data"] == ["test"]
    assert session.stop_waiting() == [job]
    assert events_of(session, job)[-1]["result"]["stopped"] is True


def checkpointed_run(settings: dict, every: int) -> tuple[list[bytes], Session, dict]:
    """A whole run with a checkpoint forced at turn ``every``, 2·``every``, …: the checkpoints,
    the session and the run's result."""
    session = Session()
    session.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
    job = start(session, "train", settings=settings)
    saved, turn = [], 0
    while True:
        turn += 1
        train = session.jobs.entries.get(job)
        if train is not None and train.run is not None and turn % every == 0:
            train.run.since_checkpoint = float("inf")  # due now: the job steers to a resumable point
        events = [e for e in session.work(0.0)["events"] if e["job"] == job]
        saved += [e["checkpoint"] for e in events if "checkpoint" in e]
        assert not any("error" in e for e in events), events
        if events and "result" in events[-1]:
            return saved, session, events[-1]["result"]
        assert turn < 100_000, "the run did not end"


@pytest.mark.parametrize("settings", [MLP, CONV], ids=["mlp", "conv-augmented"])
def test_a_resumed_run_ends_bit_for_bit_as_an_uninterrupted_one(settings):
    """Resuming from each checkpoint, in a fresh session (a reload), ends with the same weights
    as the run that never stopped: a checkpoint missing the generator, the shuffle or a block
    of augmented batches would make them differ."""
    saved, whole, result = checkpointed_run(settings, every=7)
    assert len(saved) >= 3 and result["progress"]["done"]
    expected = modelfile.spec_and_params(whole.models["yours"])[1]
    for state in (saved[0], saved[len(saved) // 2], saved[-1]):
        reloaded = Session()
        reloaded.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
        events, resumed = run(reloaded, "train", resume=state)
        assert events[0]["started"]["resumed"] is True
        for a, b in zip(expected, modelfile.spec_and_params(reloaded.models["yours"])[1]):
            np.testing.assert_array_equal(a, b)
        assert resumed["progress"]["accuracy"] == result["progress"]["accuracy"]
        assert [r["accuracy"] for r in progress(events) if r["epoch_done"]][-1] == result["progress"]["accuracy"]


def test_checkpoints_come_about_every_ten_seconds_of_training_only(monkeypatch):
    from pynn.page import page_jobs

    monkeypatch.setattr(page_jobs, "CHECKPOINT_SECONDS", 0.0)
    saved, _, _ = checkpointed_run({**MLP, "epochs": 1}, every=10**9)
    assert saved  # at once, once due
    monkeypatch.setattr(page_jobs, "CHECKPOINT_SECONDS", 3600.0)
    assert checkpointed_run({**MLP, "epochs": 1}, every=10**9)[0] == []


@pytest.fixture(scope="module")
def a_checkpoint() -> bytes:
    return checkpointed_run({**MLP, "epochs": 1}, every=5)[0][0]


@pytest.mark.parametrize("name, make, reason", [
    ("not an archive", lambda s: b"{}", "not a pynn checkpoint"),
    ("truncated", lambda s: s[: len(s) // 2], "not a valid .npz"),
    ("another format", lambda s: rewrite(s, format=np.array("pynn-network3")), "not a pynn checkpoint"),
    ("another version", lambda s: rewrite(s, version=np.array(2)), "version 2"),
    ("a member missing", lambda s: rewrite(s, order=None), "not a pynn checkpoint"),
    ("a pickle", lambda s: rewrite(s, order=np.array([object()], dtype=object)), "dtype object"),
    ("settings refused", lambda s: edit_state(s, lambda t: t["settings"].update(eta=-1)), "settings are refused"),
    ("settings of another network", lambda s: edit_state(s, lambda t: t["settings"].update(hidden=[9])),
     "not the one its settings make"),
    ("a generator of another kind", lambda s: edit_state(s, lambda t: t["trainer"]["rng"].update(
        bit_generator="MT19937")), "PCG64"),
    ("a position of floats", lambda s: edit_state(s, lambda t: t["trainer"].update(batch=1.5)), "whole numbers"),
    ("a position outside the run", lambda s: edit_state(s, lambda t: t["trainer"].update(batch=10**6)),
     "outside this run"),
    ("a shuffle of other data", lambda s: rewrite(s, order=np.arange(5, dtype=np.int64)), "not an order"),
    ("a network with NaN", lambda s: rewrite(s, model=np.frombuffer(modelfile.to_npz(nan_network()), dtype=np.uint8)),
     "not finite"),
])
def test_a_bad_checkpoint_is_refused_for_its_own_reason_and_nothing_changes(a_checkpoint, name, make, reason):
    session = Session()
    session.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
    session.load_model("yours", modelfile.to_npz(network_for(MLP)))
    before = session.model_json("yours")
    bad = make(a_checkpoint)
    try:
        job = start(session, "train", resume=bad)
    except CheckpointError as error:
        assert reason in str(error), str(error)
    else:  # refused once its data is there (the shuffle and position are checked against it)
        error = events_of(session, job)[-1]["error"]
        assert reason in error["message"], error
    assert session.model_json("yours") == before and not session.running


def nan_network():
    network = network_for(MLP)
    network.weights[0][0, 0] = np.nan
    return network


def test_checkpoint_round_trip_keeps_everything_it_was_given():
    network = network_for(MLP)
    state = {"epoch": 1, "batch": 3, "order": np.arange(300, dtype=np.int64)[::-1].copy(), "elapsed": 1.5,
             "cost_sum": 2.0, "cost_samples": 10, "history": [{"epoch": 0}],
             "rng": np.random.default_rng(9).bit_generator.state}
    back = checkpoints.loads(checkpoints.dumps(MLP, network, state, {"epoch": 1}, [{"epoch": 0, "accuracy": 0.5}]))
    assert back.settings == MLP and back.pending == {"epoch": 1} and back.epochs == [{"epoch": 0, "accuracy": 0.5}]
    np.testing.assert_array_equal(back.trainer.pop("order"), state["order"])
    assert back.trainer == {k: v for k, v in state.items() if k != "order"}
    for a, b in zip(modelfile.spec_and_params(network)[1], modelfile.spec_and_params(back.model)[1]):
        np.testing.assert_array_equal(a, b)


def test_the_scheduler_serves_foreground_jobs_in_turn():
    class Count:
        needs_data, background, started = (), False, {}

        def __init__(self, kind, steps):
            self.kind, self.left = kind, steps

        def begin(self):
            return self

        def step(self, seconds):
            self.left -= 1
            return {}

        done = property(lambda self: self.left == 0)

        def result(self):
            return {}

        def stop(self):
            self.left = 0

    scheduler = Scheduler()
    a, b = scheduler.start(Count("a", 3)), scheduler.start(Count("b", 3))
    served = [scheduler.work(0, ("train", "test"))["events"][0]["job"] for _ in range(6)]
    assert served == [a, b, a, b, a, b]  # neither starves the other
    assert not scheduler.pending()


def test_a_fine_tune_over_the_memory_budget_is_refused_before_its_data_loads():
    """Refused at start_job, by field, with no MNIST loaded: not after a minute of work."""
    from pynn.page.settings import SettingsError

    session = Session()
    session.load_model("pretrained", modelfile.to_npz(network_for({**CONV, "augment": "off"})))
    session.load_digits(your_digits.dumps(make_digits([1, 1, 7, 7, 3])))
    with pytest.raises(SettingsError) as refused:
        session.start_job("finetune", settings={"round_size": 20_000, "replay": 0, "minibatch_size": 1000,
                                                "freeze": "none"})
    assert "round_size" in refused.value.fields and not session.jobs.pending()
