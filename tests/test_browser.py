"""The worker's Python session (pynn.page.browser), exercised natively with synthetic data."""

import json

import numpy as np
import pytest
from job_driver import events_of, progress, run, start
from synthetic_digits import npz_bytes

from pynn import Network
from pynn.files import modelfile
from pynn.files.untrusted import megabytes
from pynn.nets.architectures import network_for, step_seconds
from pynn.page import browser, page_jobs
from pynn.page.browser import Session, call
from pynn.page.page_jobs import evaluation_slice
from pynn.page.settings import MAX_HIDDEN_LAYERS, MAX_HIDDEN_UNITS, MAX_STEP_SECONDS, SettingsError, check_settings
from pynn.training import augment
from pynn.training.trainer import Trainer

SETTINGS = {"architecture": "mlp", "hidden": [8], "cost": "quadratic", "init": "standard", "epochs": 2,
            "minibatch_size": 10, "eta": 3.0, "lmbda": 0.0, "train_size": 300, "seed": 1, "augment": "off"}


@pytest.fixture
def session() -> Session:
    session = Session()
    session.load_model("pretrained", modelfile.to_json(Network([784, 12, 10], seed=0)))
    return session


def ink_square(size: int = 280) -> bytes:
    image = np.zeros((size, size), dtype=np.uint8)
    image[60:220, 120:160] = 255  # a thick vertical bar: a "1"
    return image.tobytes()


def test_predict_matches_native_feedforward(session):
    from pynn.data.digits import normalize_digit

    result = session.predict(ink_square(), 280, 280)
    x = normalize_digit(np.frombuffer(ink_square(), np.uint8).reshape(280, 280))
    outputs = session.models["pretrained"].feedforward(x)[:, 0]
    assert result["blank"] is False
    assert result["digit"] == int(np.argmax(outputs))
    np.testing.assert_array_equal(result["probabilities"], outputs / outputs.sum())
    assert len(result["preview"]) == 784 and max(result["preview"]) == 255


def test_blank_pad_gives_no_guess(session):
    assert session.predict(bytes(280 * 280), 280, 280) == {"blank": True}


def test_pixel_count_must_match_size(session):
    with pytest.raises(ValueError, match="pixels"):
        session.predict(bytes(100), 280, 280)


def test_bad_model_is_rejected_and_current_one_kept(session):
    before = session.model_json("pretrained")
    for bad in ["not json", json.dumps({"sizes": [784, 10]}), modelfile.to_json(Network([784, 5, 3], seed=0))]:
        with pytest.raises(ValueError):
            session.load_model("pretrained", bad)
    assert session.model_json("pretrained") == before
    assert session.active == "pretrained"


def test_settings_are_validated_field_by_field():
    bad = {**SETTINGS, "hidden": ["x"], "eta": -1, "epochs": 0, "minibatch_size": 2.5, "cost": "l1", "seed": True}
    with pytest.raises(SettingsError) as error:
        check_settings(bad)
    assert set(error.value.fields) == {"hidden", "eta", "epochs", "minibatch_size", "cost", "seed"}
    assert check_settings(SETTINGS)["eta"] == 3.0


def test_non_finite_settings_are_field_errors_not_crashes():
    bad = {**SETTINGS, "epochs": float("nan"), "minibatch_size": float("inf"), "eta": float("nan")}
    with pytest.raises(SettingsError) as error:
        check_settings(bad)
    assert set(error.value.fields) == {"epochs", "minibatch_size", "eta"}


def test_training_waits_for_both_sets_and_says_so(session):
    started = session.start_job("train", settings=SETTINGS)
    assert started["needs_data"] == ["test", "train"] and session.running
    turn = session.work(0.0)
    # nothing runs without its data
    assert turn == {"events": [], "pending": True, "needs_data": ["test", "train"], "waiting": False}
    session.set_data(test=npz_bytes(100, 1))
    turn = session.work(0.0)
    assert turn["needs_data"] == ["train"] and not turn["events"], "training began without its training set"
    session.set_data(train=npz_bytes(400, 0))
    assert session.work(0.0)["needs_data"] == []


def test_an_evaluation_needs_only_the_test_set(session):
    """It would otherwise wait for the training set (six times the test set) before its first
    block: the main worker's share of a split evaluation came last by that much."""
    job = session.start_job("evaluate", name="pretrained")["job"]
    assert session.work(0.0)["needs_data"] == ["test"]
    assert session.set_data(test=npz_bytes(100, 1)) == {"train": 0, "test": 100}
    events = []
    while session.jobs.pending():
        events += session.work(1.0)["events"]
    assert [e["result"]["report"]["total"] for e in events if e["job"] == job and "result" in e] == [100]


def test_a_set_given_later_keeps_the_one_given_before(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    assert session.set_data(test=npz_bytes(50, 2)) == {"train": 400, "test": 50}
    assert session.loaded() == ("train", "test")


def test_chunked_training_equals_uninterrupted_training(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    events, result = run(session, "train", settings=SETTINGS)  # tiny budget: one batch or slice a turn
    records = progress(events)
    chunked = session.models["yours"]

    other = Session()
    other.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    run(other, "train", 60.0, settings=SETTINGS)
    for a, b in zip(chunked.weights, other.models["yours"].weights):
        np.testing.assert_array_equal(a, b)
    assert len(records) > SETTINGS["epochs"] * 30 // 2
    assert records[-1]["accuracy"] > 0.5  # chance is 0.1; the synthetic classes are learnable
    assert result == {"progress": records[-1], "stopped": False, "pool_shares": 0}
    assert session.describe("yours")["meta"]["test_accuracy"] == records[-1]["accuracy"]


def test_yours_round_trips_through_json(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    start(session, "train", settings={**SETTINGS, "epochs": 1})
    session.work(0.0)  # begun, one batch
    record = session.work(0.0)["events"][0]["progress"]  # mid-epoch: still a usable, saveable model
    assert 1 <= record["batch"] < record["batches_per_epoch"] and not record["epoch_done"]
    restored = Session()
    restored.load_model("yours", session.model_json("yours"))
    for a, b in zip(session.models["yours"].weights, restored.models["yours"].weights):
        np.testing.assert_array_equal(a, b)
    assert restored.predict(ink_square(), 280, 280)["blank"] is False


def test_hidden_units_are_grey_images(session):
    units = session.hidden_units("pretrained", 5)
    images = np.frombuffer(units["pixels"], np.uint8).reshape(5, 784)
    w = session.models["pretrained"].weights[0][:5]
    assert units["count"] == 5
    assert (images[w > 0] >= 128).all() and (images[w < 0] <= 127).all()  # 128 is zero weight
    strongest = np.abs(w).argmax(axis=1)
    assert set(images[np.arange(5), strongest]) <= {0, 255}  # each unit scaled by its own largest |w|


# --- the worker's entry point


class FakeJsBuffer:
    """What Pyodide hands Python for a Uint8Array: a proxy with to_bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data

    def to_py(self) -> memoryview:
        return memoryview(self.data)


class FakeJsProxy:
    """A JS array or object: to_py converts one level here, the rest is left to plain()."""

    def __init__(self, value) -> None:
        self.value = value

    def to_py(self):
        return self.value


def test_call_converts_js_values_and_answers_with_data(session):
    args = FakeJsProxy({"pixels": FakeJsBuffer(ink_square()), "width": 280, "height": 280})
    reply = call(session, "predict", args)
    assert reply["ok"] is True and reply["value"]["blank"] is False
    again = call(session, "predict", {"pixels": memoryview(ink_square()), "width": 280, "height": 280})
    assert again["value"]["digit"] == reply["value"]["digit"]


def test_call_turns_errors_into_data(session):
    reply = call(session, "start_job", FakeJsProxy({"kind": "train", "settings": {**SETTINGS, "eta": -1}}))
    assert reply["ok"] is False and reply["name"] == "SettingsError" and set(reply["fields"]) == {"eta"}
    assert not session.running
    reply = call(session, "use", {"name": "nobody"})
    assert reply == {"ok": False, "name": "KeyError", "message": "\"no model named 'nobody'\""}
    assert call(session, "use", ["pretrained"])["name"] == "TypeError"  # arguments go by name
    for bad in ("__init__", "_private", "models", "no_such_method", "describe", "refuse_clash"):
        assert call(session, bad, {})["name"] == "AttributeError"


# --- training runs: one at a time, Stop, evaluation in slices


def test_one_run_at_a_time_and_yours_is_kept_while_it_runs(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    job = start(session, "train", settings=SETTINGS)
    assert session.running
    with pytest.raises(RuntimeError, match="training run is going"):
        session.start_job("train", settings=SETTINGS)
    with pytest.raises(RuntimeError, match="wait for training"):
        session.load_model("yours", session.model_json("pretrained"))
    events_of(session, job)
    assert not session.running
    session.load_model("yours", session.model_json("pretrained"))  # allowed once the run is over


def test_stop_during_data_loading_ends_the_run_before_it_starts(session):
    job = start(session, "train", settings=SETTINGS)
    assert session.stop_job(job) == {"stopping": True}
    events = events_of(session, job)  # a stopping job may end without its data
    assert events[-1]["result"]["stopped"] is True
    assert not session.running and "yours" not in session.models


def test_stop_mid_epoch_ends_the_run_at_the_next_chunk(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    job = start(session, "train", settings=SETTINGS)
    session.work(0.0)
    session.stop_job(job)
    record = events_of(session, job, 60.0)[-1]["result"]["progress"]  # a long budget: Stop still wins
    assert record["stopped"] is True and record["done"] is False and record["batch"] == 1
    assert not session.running
    assert session.stop_job(job) == {"stopping": False}  # it has ended


def test_evaluation_is_sliced_and_stop_works_during_it(session, monkeypatch):
    monkeypatch.setattr(page_jobs, "EVALUATION_SLICE_MAX", 7)
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    records = progress(run(session, "train", settings={**SETTINGS, "epochs": 1})[0])
    evaluating = [r for r in records if r["evaluated"] is not None]
    assert [r["evaluated"] for r in evaluating] == list(range(7, 100, 7))  # one slice per chunk, reported
    assert all(not r["epoch_done"] and not r["done"] and r["batch"] == 30 for r in evaluating)
    assert records[-1]["epoch_done"] and records[-1]["done"] and records[-1]["accuracy"] is not None

    job = start(session, "train", settings={**SETTINGS, "epochs": 1})
    while not any(e.get("progress", {}).get("evaluated") for e in session.work(0.0)["events"]):
        pass
    session.stop_job(job)
    record = events_of(session, job)[-1]["result"]["progress"]
    assert record["stopped"] and record["accuracy"] is None and not session.running


def test_evaluation_slices_shrink_with_the_network():
    assert evaluation_slice(Network([784, 30, 10])) == page_jobs.EVALUATION_SLICE_MAX
    biggest = Network([784, *[MAX_HIDDEN_UNITS] * MAX_HIDDEN_LAYERS, 10])
    assert 1 <= evaluation_slice(biggest) <= 20  # ~7.6 Mflop an image: tens of ms a slice, not seconds
    conv = network_for({"architecture": "conv", "hidden": [], "seed": 0})
    assert 1 <= evaluation_slice(conv) < evaluation_slice(Network([784, 30, 10]))


def test_a_conv_run_trains_and_shows_its_filters(session):
    """W6: every layer's weights moved from the fresh net's, and it reads the test set well above chance."""
    session.set_data(npz_bytes(200, 1), npz_bytes(50, 2))
    settings = {**SETTINGS, "architecture": "conv", "hidden": [16], "epochs": 3, "train_size": 200, "eta": 0.05}
    fresh = network_for(check_settings(settings))  # the same seed: the weights it started from
    events, result = run(session, "train", 0.5, settings=settings)
    assert events[0]["started"]["batches_per_epoch"] == 20
    record = result["progress"]
    assert record["done"] and record["accuracy"] >= 0.8  # chance is 0.1
    trained = session.models["yours"]
    for before, after in zip(fresh.layers, trained.layers):
        assert all(not np.array_equal(p, q) for p, q in zip(before.params, after.params))
    described = session.describe("yours")
    assert described["kind"] == "network3" and described["cost"] == "log-likelihood"
    filters = session.hidden_units("yours", 30)
    assert (filters["kind"], filters["count"], filters["side"]) == ("filters", 20, 5)
    assert len(filters["pixels"]) == 20 * 25
    units = session.hidden_units("pretrained", 4)
    assert (units["kind"], units["count"], units["side"], len(units["pixels"])) == ("units", 4, 28, 4 * 784)
    reloaded = Session()
    reloaded.load_model("yours", session.model_json("yours"))
    x = np.random.default_rng(0).random((784, 3))
    np.testing.assert_array_equal(reloaded.models["yours"].feedforward(x), session.models["yours"].feedforward(x))


# --- settings whose single step is too slow to stop


def test_a_step_that_would_outlast_stop_is_a_field_error():
    biggest = {**SETTINGS, "hidden": [MAX_HIDDEN_UNITS] * MAX_HIDDEN_LAYERS, "minibatch_size": 1000}
    with pytest.raises(SettingsError) as error:
        check_settings(biggest)
    assert set(error.value.fields) == {"hidden", "minibatch_size"}
    assert "Stop" in error.value.fields["minibatch_size"]
    check_settings({**biggest, "minibatch_size": 10})  # the same network with small batches is fine
    check_settings({**SETTINGS, "hidden": [MAX_HIDDEN_UNITS], "minibatch_size": 1000})  # measured 1.1 s a step


def test_step_estimate_grows_with_weights_and_batch():
    small = step_seconds({"hidden": [30], "minibatch_size": 10})
    assert small < 0.01
    assert step_seconds({"hidden": [30], "minibatch_size": 100}) == pytest.approx(10 * small)
    assert step_seconds({"hidden": [1000] * 4, "minibatch_size": 200}) > MAX_STEP_SECONDS
    conv = step_seconds({"architecture": "conv", "hidden": [], "minibatch_size": 10})
    assert 0.005 < conv < 0.03  # measured 11–20 ms a step in Pyodide


def test_the_largest_first_layer_product_fits_pyodides_32_bit_iterator():
    """Pyodide's einsum failed with "iterator is too large" at batch × hidden × inputs ≥ 2³¹
    (hidden 1000, batch 5000); the form's maxima keep every product below that."""
    from pynn.page.settings import BY_NAME, INPUTS

    assert BY_NAME["minibatch_size"].maximum * MAX_HIDDEN_UNITS * INPUTS < 2**31


# --- what is saved must load; what is shown must be valid


def test_a_model_too_big_to_load_back_is_refused_before_saving(session, monkeypatch):
    size = len(modelfile.to_json(session.models["pretrained"]))
    monkeypatch.setattr(browser, "MAX_MODEL_BYTES", size - 1)
    with pytest.raises(browser.ModelTooLargeError, match=r"over the .* MB this page can load back"):
        session.model_json("pretrained")
    monkeypatch.setattr(browser, "MAX_MODEL_BYTES", size + 100)
    assert Session().load_model("yours", session.model_json("pretrained"))["sizes"] == [784, 12, 10]


def test_an_oversized_upload_is_refused_in_mb(session):
    with pytest.raises(modelfile.ModelFileError, match=r"model file is 50\.0 MB; the cap is 50\.0 MB"):
        session.load_model("yours", b" " * (browser.MAX_MODEL_BYTES + 1))
    assert megabytes(78 * 2**20) == "78.0 MB"


def test_a_utf8_bom_is_accepted(session):
    text = session.model_json("pretrained")
    assert session.load_model("yours", b"\xef\xbb\xbf" + text.encode())["sizes"] == [784, 12, 10]
    assert session.load_model("yours", "\ufeff" + text)["sizes"] == [784, 12, 10]


@pytest.mark.parametrize(("claimed", "shown"), [(1e308, None), (-5, None), (float("nan"), None), (True, None),
                                                ("0.9", None), (0.9731, 0.9731), (1, 1.0), (0, 0.0)])
def test_only_valid_accuracies_are_described(session, claimed, shown):
    session.models["pretrained"].meta = {"test_accuracy": claimed}
    assert session.describe("pretrained")["meta"]["test_accuracy"] == shown


def test_the_augment_switch_trains_on_distorted_images(session, monkeypatch):
    """W7: with the switch on, the augmenter runs on every block gathered, changes the images,
    and the run equals a Trainer given pynn.training.augment itself, bit for bit; an augmenter that draws
    the same random numbers but returns its input unchanged gives other weights."""
    session.set_data(npz_bytes(300, 1), npz_bytes(50, 2))
    calls = []

    def spy(images, rng):
        out = augment.augment(images, rng)
        calls.append((images.copy(), out.copy()))
        return out

    def weights(switch: str) -> np.ndarray:
        run(session, "train", 1.0, settings={**SETTINGS, "epochs": 1, "augment": switch})
        return session.models["yours"].weights[0].copy()

    monkeypatch.setattr(page_jobs, "augment", spy)
    off = weights("off")
    assert calls == [] and np.array_equal(off, weights("off"))
    on = weights("on")
    assert sum(len(images) for images, _ in calls) == 300  # every training image, once per epoch
    assert all(np.mean(images != out) > 0.05 for images, out in calls)  # distorted, not copied

    def trained_with(fn) -> np.ndarray:
        settings = check_settings({**SETTINGS, "epochs": 1, "augment": "on"})
        network = network_for(settings)
        Trainer(network, browser.read_npz(npz_bytes(300, 1)).subset(300), 1, 10, 3.0, augment=fn).run()
        return network.weights[0]

    def same_draws_no_change(images, rng):
        augment.augment(images, rng)
        return images

    np.testing.assert_array_equal(on, trained_with(augment.augment))  # the oracle
    assert not np.array_equal(on, off) and not np.array_equal(on, trained_with(same_draws_no_change))
