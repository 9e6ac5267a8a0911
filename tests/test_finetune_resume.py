"""A fine-tune that survives a reload: it checkpoints (pynn.page.finetune_checkpoints) about every
CHECKPOINT_SECONDS, and resumed from any checkpoint in a fresh Session (the reloaded page's
worker) it ends with the same weights and the same before → after figures, bit for bit, as
one never interrupted.  A checkpoint missing the round's generator state, the trainer's
shuffle or position, or the digits as they were would make them differ; a bad checkpoint is
refused for its own reason and changes nothing."""


import numpy as np
import pytest
from job_driver import events_of, run, start
from synthetic_digits import make_digits, npz_bytes
from tampered import edit_state, rewrite

from pynn.files import modelfile
from pynn.nets import network3
from pynn.nets.architectures import network_for
from pynn.page import your_digits
from pynn.page.browser import Session
from pynn.page.checkpoints import CheckpointError
from pynn.page.settings import DEFAULTS

CONV = {**DEFAULTS, "architecture": "conv", "hidden": [12], "epochs": 1, "minibatch_size": 25, "train_size": 200,
        "eta": 0.05, "seed": 4}
MLP = {**DEFAULTS, "hidden": [8], "seed": 3}
FINETUNE = {"rounds": 3, "round_size": 60, "minibatch_size": 10, "test_size": 100, "seed": 2}
DIGITS = [1, 1, 7, 7, 3, 3, 3]


def with_dropout(settings: dict) -> network3.Network:
    """The conv net of ``settings`` with dropout in its upper layers, as the shipped model has."""
    spec = network_for(settings).describe()
    for layer in spec["layers"][1:]:
        layer["p_dropout"] = 0.3
    return network3.Network.from_description(spec, seed=5)


DROPOUT = "dropout"  # a base made by with_dropout(CONV)


def fresh_session(base_settings: dict | str) -> Session:
    session = Session()
    base = with_dropout(CONV) if base_settings == DROPOUT else network_for(base_settings)
    session.load_model("pretrained", modelfile.to_npz(base))  # read from a file: its generator unseeded
    session.set_data(npz_bytes(400, 0), npz_bytes(200, 1))
    session.load_digits(your_digits.dumps(make_digits(DIGITS)))
    return session


def checkpointed_finetune(session: Session, settings: dict, every: int) -> tuple[list[bytes], dict]:
    """A whole fine-tune with a checkpoint made due at every ``every``-th turn: the checkpoints
    and the result."""
    job = start(session, "finetune", settings=settings)
    saved, turn = [], 0
    while True:
        turn += 1
        entry = session.jobs.entries.get(job)
        if entry is not None and entry.run is not None and turn % every == 0:
            entry.run.since_checkpoint = float("inf")
        events = [e for e in session.work(0.0)["events"] if e["job"] == job]
        saved += [e["checkpoint"] for e in events if "checkpoint" in e]
        assert not any("error" in e for e in events), events
        if events and "result" in events[-1]:
            return saved, events[-1]["result"]
        assert turn < 100_000, "the fine-tune did not end"


def params(model) -> list[np.ndarray]:
    return modelfile.spec_and_params(model)[1]


@pytest.mark.parametrize("base, settings", [(CONV, FINETUNE), (CONV, {**FINETUNE, "freeze": "none"}),
                                            (MLP, {**FINETUNE, "eta": 0.5}), (DROPOUT, FINETUNE)],
                         ids=["conv-frozen", "conv-thawed", "mlp", "conv-dropout"])
def test_a_resumed_fine_tune_ends_bit_for_bit_as_an_uninterrupted_one(base, settings):
    whole = fresh_session(base)
    saved, result = checkpointed_finetune(whole, settings, every=3)
    assert len(saved) >= 3 and not result["stopped"]
    expected = params(whole.models["finetuned"])
    for state in (saved[0], saved[len(saved) // 2], saved[-1]):
        reloaded = fresh_session(base)
        reloaded.load_digits(your_digits.dumps(make_digits([5, 5])))  # labelled after the reload: not in this run
        events, resumed = run(reloaded, "finetune", resume=state)
        started = events[0]["started"]
        assert started["resumed"] is True and started["progress"]["phase"] == "training"
        assert started["digits"] == len(DIGITS)
        for a, b in zip(expected, params(reloaded.models["finetuned"]), strict=True):
            np.testing.assert_array_equal(a, b)
        for key in ("before", "after", "held_out", "trained_on", "verdict"):
            assert resumed["result"][key] == result["result"][key], key
        assert reloaded.describe("finetuned")["meta"]["finetuned_from"] == "pretrained"


def test_a_fine_tune_of_a_model_with_dropout_repeats_exactly():
    """Its dropout draws from the copy's generator, which a model read from a file leaves
    unseeded: two fine-tunes with the same seed must still end the same."""
    first, second = fresh_session(DROPOUT), fresh_session(DROPOUT)
    for session in (first, second):
        run(session, "finetune", settings=FINETUNE)
    for a, b in zip(params(first.models["finetuned"]), params(second.models["finetuned"]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fine_tunes_checkpoint_about_every_ten_seconds_of_work_only(monkeypatch):
    from pynn.page import page_jobs

    monkeypatch.setattr(page_jobs, "CHECKPOINT_SECONDS", 0.0)
    assert checkpointed_finetune(fresh_session(CONV), FINETUNE, every=10**9)[0]  # due at once: taken
    monkeypatch.setattr(page_jobs, "CHECKPOINT_SECONDS", 3600.0)
    assert checkpointed_finetune(fresh_session(CONV), FINETUNE, every=10**9)[0] == []


@pytest.fixture(scope="module")
def a_checkpoint() -> bytes:
    return checkpointed_finetune(fresh_session(CONV), FINETUNE, every=3)[0][0]


@pytest.mark.parametrize("make, reason", [
    (lambda s: s[: len(s) // 2], "not a valid .npz"),
    (lambda s: rewrite(s, format=np.array("pynn-checkpoint")), "not a pynn fine-tune checkpoint"),
    (lambda s: rewrite(s, version=np.array(2)), "version 2"),
    (lambda s: rewrite(s, digits=None), "not a pynn fine-tune checkpoint"),
    (lambda s: rewrite(s, digits=np.frombuffer(b'{"digits": 5}', dtype=np.uint8)), "digits are refused"),
    (lambda s: edit_state(s, lambda t: t["settings"].update(rounds=0)), "settings are refused"),
    (lambda s: edit_state(s, lambda t: t.update(round=7)), "round or rate"),
    (lambda s: edit_state(s, lambda t: t["rng"].update(bit_generator="MT19937")), "PCG64"),
    (lambda s: edit_state(s, lambda t: t["dropout_rng"]["state"].update(state=-1)), "PCG64"),
    (lambda s: edit_state(s, lambda t: t["trainer"].update(batch=-1)), "whole numbers"),
    (lambda s: edit_state(s, lambda t: t.pop("before")), "not what a fine-tune writes"),
], ids=["truncated", "a training run's", "another version", "no digits", "hostile digits", "settings refused",
        "a round outside the run", "another generator", "a bad dropout generator", "a negative position",
        "no measurement before"])
def test_a_bad_fine_tune_checkpoint_is_refused_for_its_own_reason_and_nothing_changes(a_checkpoint, make, reason):
    session = fresh_session(CONV)
    try:
        job = start(session, "finetune", resume=make(a_checkpoint))
    except CheckpointError as error:
        assert reason in str(error), str(error)
    else:
        error = events_of(session, job)[-1]["error"]
        assert reason in error["message"], error
    assert "finetuned" not in session.models and not session.jobs.pending()
