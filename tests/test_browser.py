"""The worker's Python session (pynn.browser), exercised natively with synthetic data."""

import io as bytes_io
import json

import numpy as np
import pytest

from pynn import Network, io
from pynn.browser import Session
from pynn.settings import SettingsError, check_settings

SETTINGS = {"hidden": [8], "cost": "quadratic", "init": "standard", "epochs": 2, "minibatch_size": 10,
            "eta": 3.0, "lmbda": 0.0, "train_size": 300, "seed": 1}


def npz_bytes(count: int, seed: int) -> bytes:
    """A tiny MNIST-shaped split: class k lights up a block of pixels, so it is learnable."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 40, (count, 784)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, int(label) * 70:int(label) * 70 + 70] = 255
    buffer = bytes_io.BytesIO()
    np.savez_compressed(buffer, images=images, labels=labels)
    return buffer.getvalue()


@pytest.fixture
def session() -> Session:
    session = Session()
    session.load_model("pretrained", io.to_json(Network([784, 12, 10], seed=0)))
    return session


def ink_square(size: int = 280) -> bytes:
    image = np.zeros((size, size), dtype=np.uint8)
    image[60:220, 120:160] = 255  # a thick vertical bar: a "1"
    return image.tobytes()


def test_predict_matches_native_feedforward(session):
    from pynn.digits import normalize_digit

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
    for bad in ["not json", json.dumps({"sizes": [784, 10]}), io.to_json(Network([784, 5, 3], seed=0))]:
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


def test_training_needs_data_first(session):
    with pytest.raises(RuntimeError, match="not loaded"):
        session.start_training(SETTINGS)


def test_chunked_training_equals_uninterrupted_training(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    session.start_training(SETTINGS)
    records = [session.train_chunk(0.0)]  # tiny budget: one batch per chunk
    while not records[-1]["done"]:
        records.append(session.train_chunk(0.0))
    chunked = session.models["yours"]

    other = Session()
    other.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    other.start_training(SETTINGS)
    while not other.train_chunk(60.0)["done"]:
        pass
    for a, b in zip(chunked.weights, other.models["yours"].weights):
        np.testing.assert_array_equal(a, b)
    assert len(records) > SETTINGS["epochs"] * 30 // 2
    assert records[-1]["accuracy"] > 0.5  # chance is 0.1; the synthetic classes are learnable
    assert session.describe("yours")["meta"]["test_accuracy"] == records[-1]["accuracy"]


def test_yours_round_trips_through_json(session):
    session.set_data(npz_bytes(400, 0), npz_bytes(100, 1))
    session.start_training({**SETTINGS, "epochs": 1})
    session.train_chunk(0.0)  # stopped mid-epoch: still a usable, saveable model
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
