"""Teaching it your handwriting: the digits file, fine-tuning, the evaluation report, saliency,
and the Session methods the page calls.  Pure numpy + pytest on synthetic data (no files),
so these run inside Pyodide too."""

import io
import json

import numpy as np
import pytest
from job_driver import events_of, progress, run, start
from synthetic_digits import make_digits, shifts, style_dataset

from pynn import Network
from pynn.data.dataset import Dataset
from pynn.data.digits import BlankImageError
from pynn.files import modelfile
from pynn.page import your_digits
from pynn.page.browser import Session
from pynn.page.explain import explain, hidden_activations, input_gradient
from pynn.page.finetune import FineTune, NoDigitsError, copy_model, split_held_out
from pynn.page.report import Evaluation
from pynn.page.settings import SettingsError, check_finetune_settings
from pynn.page.your_digits import DigitsFileError
from pynn.training.evaluation import count_correct


@pytest.fixture(scope="module")
def replay():
    return style_dataset(600, seed=1)


@pytest.fixture(scope="module")
def test_set():
    return style_dataset(200, seed=2)


@pytest.fixture(scope="module")
def base(replay):
    """A small network that has learned the "MNIST" style."""
    network = Network([784, 16, 10], cost="cross-entropy", init="scaled", seed=3)
    network.SGD(replay, 3, 10, 0.5, verbose=False)
    return network


FAST = {"rounds": 2, "round_size": 200, "test_size": 200, "eta": 0.5}

# ---------------------------------------------------------------- fine-tuning


def test_split_holds_out_a_quarter_of_each_digit_drawn_twice_or_more():
    labels = np.array([0] * 1 + [1] * 2 + [2] * 8 + [3] * 3)
    train, held = split_held_out(labels, np.random.default_rng(0))
    assert np.bincount(labels[held], minlength=4).tolist() == [0, 1, 2, 1]
    assert sorted([*train, *held]) == list(range(len(labels)))
    train, held = split_held_out(labels, np.random.default_rng(0), "none")
    assert len(held) == 0 and len(train) == len(labels)


def test_finetune_learns_your_style_and_leaves_the_model_in_use_alone(base, replay, test_set):
    before = modelfile.to_json(base)
    digits = make_digits(np.arange(40) % 10)
    run = FineTune(base, digits, replay, test_set, {**FAST, "rounds": 4}, augment=shifts)
    while not run.done:
        run.run(max_seconds=0.05)
    result = run.result()
    assert modelfile.to_json(base) == before
    assert result["before"]["yours_held_out"]["accuracy"] < 0.5  # the base model does not read this style
    assert result["after"]["yours_held_out"]["accuracy"] >= 0.9  # held out: never trained on
    assert result["after"]["yours_held_out"]["total"] == 10
    assert result["after"]["mnist_test"]["accuracy"] >= 0.9  # the replay kept the old style
    assert result["after"]["mnist_test"]["total"] == len(test_set)
    assert not set(result["held_out"]) & set(result["trained_on"])
    assert result["missing_labels"] == [] and result["notes"] == []


def test_augmenter_sees_only_training_digits_in_the_replay_mix(base, replay):
    digits = make_digits(np.arange(20) % 10, seed=5)
    seen = []

    def spy(images, rng, **settings):
        assert isinstance(rng, np.random.Generator) and settings == {"strength": 2}
        seen.append(images.copy())
        return images

    run = FineTune(base, digits, replay, None, {**FAST, "replay": 0.25, "round_size": 100}, augment=spy,
                   augment_settings={"strength": 2})
    run.run()
    assert len(seen) == 2 and all(batch.shape == (75, 784) for batch in seen)  # 75% of 100 yours, per round
    held = {digits[i]["pixels"] for i in run.held_index}
    trained = {digits[i]["pixels"] for i in run.train_index}
    rows = {row.tobytes() for batch in seen for row in batch}
    assert rows == trained and not rows & held
    data = run.round_data()
    assert len(data) == 100 and np.count_nonzero(np.isin(data.labels[75:], replay.labels)) == 25


def test_chunked_finetune_gives_the_same_model_as_one_run(base, replay, test_set):
    digits = make_digits([1, 1, 2, 5, 5, 5])
    one = FineTune(base, digits, replay, test_set, FAST, augment=shifts)
    one.run()
    chunked = FineTune(base, digits, replay, test_set, FAST, augment=shifts)
    progress = [chunked.run(max_seconds=0) for _ in range(10_000) if not chunked.done]
    assert len(progress) > 20 and progress[-1]["done"]
    assert [p["phase"] for p in progress][0] == "before" and progress[-1]["phase"] == "done"
    assert modelfile.to_json(chunked.model) == modelfile.to_json(one.model)
    assert chunked.result()["after"] == one.result()["after"]


def test_finetune_on_one_digit_says_the_others_are_not_represented(base, replay):
    run = FineTune(base, make_digits([7, 7, 7]), replay, None, FAST, augment=shifts)
    run.run()
    result = run.result()
    assert result["missing_labels"] == [0, 1, 2, 3, 4, 5, 6, 8, 9]
    assert "0, 1, 2, 3, 4, 5, 6, 8, 9" in result["notes"][0]
    assert result["after"]["yours_held_out"]["total"] == 1 and result["after"]["mnist_test"] is None


def test_a_single_drawing_is_trained_on_and_the_note_says_the_test_is_not_fair(base, replay):
    run = FineTune(base, make_digits([4]), replay, None, FAST, augment=shifts)
    run.run()
    result = run.result()
    assert result["held_out"] == [] and result["before"]["yours_held_out"]["accuracy"] is None
    assert any("Too few drawings" in note for note in result["notes"])


def test_finetune_without_digits_says_what_to_do(base, replay):
    with pytest.raises(NoDigitsError, match="draw a digit"):
        FineTune(base, [], replay)


def test_finetune_refuses_a_bad_augmenter_and_bad_settings(base, replay):
    run = FineTune(base, make_digits([1, 2]), replay, None, FAST, augment=lambda images, rng: images[:1])
    with pytest.raises(ValueError, match="augmenter"):
        run.run()
    with pytest.raises(SettingsError) as error:
        FineTune(base, make_digits([1]), replay, None, {"rounds": 0, "replay": 1.0, "speed": 2})
    assert set(error.value.fields) == {"rounds", "replay", "settings"}


def test_finetune_settings_default_what_is_missing():
    assert check_finetune_settings({})["rounds"] == 4
    assert check_finetune_settings({"eta": None, "hold_out": "none"})["hold_out"] == "none"


class OtherModel:
    """A model of another kind: the Model contract and copy(), but not a pynn.Network."""

    sparse_inputs = False

    def __init__(self, network):
        self.inner = network
        self.n_in, self.n_out, self.cost, self.rng = network.n_in, network.n_out, network.cost, network.rng

    def feedforward(self, a):
        return self.inner.feedforward(a)

    def stepper(self, batch_size):
        return self.inner.stepper(batch_size)

    def copy(self):
        return OtherModel(modelfile.loads(modelfile.to_json(self.inner)))


def test_finetune_works_with_any_model_that_can_copy_itself(base, replay):
    model = OtherModel(base)
    run = FineTune(model, make_digits(np.arange(20) % 10), replay, None, FAST, augment=shifts)
    run.run()
    assert isinstance(run.model, OtherModel) and run.model.inner is not base
    assert modelfile.to_json(run.model.inner) != modelfile.to_json(base)  # the copy trained (with whole inputs)
    with pytest.raises(NotImplementedError, match="copy"):
        copy_model(object())

# ---------------------------------------------------------------- the evaluation report


def test_report_matches_a_plain_count(base, test_set):
    evaluation = Evaluation(base, test_set, block=64)
    steps = []
    while not evaluation.done:
        steps.append(evaluation.run(max_blocks=1))
    assert [s["evaluated"] for s in steps] == [64, 128, 192, 200]
    result = evaluation.result()
    outputs = base.feedforward(test_set.inputs(0, len(test_set)))
    predicted = np.argmax(outputs, axis=0)
    confusion = np.zeros((10, 10), dtype=int)
    for true, guess in zip(test_set.labels, predicted):
        confusion[true, guess] += 1
    assert result["confusion"] == confusion.tolist()
    assert result["correct"] == count_correct(base, test_set) == steps[-1]["correct"]
    for d, row in enumerate(result["per_digit"]):
        assert row["count"] == (test_set.labels == d).sum() and row["correct"] == confusion[d, d]
    wrong = np.flatnonzero(predicted != test_set.labels)
    assert result["mistakes_total"] == len(wrong) == len(result["mistakes"])
    confidences = [m["confidence"] for m in result["mistakes"]]
    assert confidences == sorted(confidences, reverse=True)
    for m in result["mistakes"]:
        column = outputs[:, m["index"]]
        assert m["predicted"] == np.argmax(column) != m["true"] == test_set.labels[m["index"]]
        np.testing.assert_allclose(m["probabilities"], column / column.sum())
        assert m["confidence"] == max(m["probabilities"])


def test_report_needs_a_finished_run_and_caps_mistakes():
    network = Network([784, 5, 10], seed=0)
    evaluation = Evaluation(network, style_dataset(50, seed=4), block=10)
    evaluation.run(max_blocks=2)
    with pytest.raises(RuntimeError, match="not finished"):
        evaluation.result()
    evaluation.run()
    assert len(evaluation.result(max_mistakes=3)["mistakes"]) == 3

# ---------------------------------------------------------------- why this answer


@pytest.mark.parametrize("sizes", [[784, 10], [784, 12, 10], [784, 9, 7, 10]])
def test_saliency_matches_finite_differences(sizes):
    network = Network(sizes, init="scaled", seed=len(sizes))
    x = np.random.default_rng(0).random((784, 1))
    unit = int(np.argmax(network.feedforward(x)))
    gradient = input_gradient(network, x, unit)
    h = 1e-6
    steps = np.eye(784) * h
    numeric = (network.feedforward(x + steps)[unit] - network.feedforward(x - steps)[unit]) / (2 * h)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-9)
    assert np.abs(gradient).max() > 1e-4


def test_hidden_activations_are_the_first_layer_of_the_network():
    network = Network([784, 12, 10], seed=1)
    x = np.random.default_rng(1).random(784)
    first = Network.from_parameters(network.weights[:1], network.biases[:1])
    np.testing.assert_array_equal(hidden_activations(network, x), first.feedforward(x)[:, 0])


def test_explain_gives_plain_values_and_refuses_models_without_the_means(base):
    x = np.random.default_rng(2).random(784)
    result = explain(base, x)
    assert result["digit"] == base.predict(x.reshape(-1, 1))
    assert len(result["saliency"]) == 784 and len(result["saliency_image"]) == 784
    assert len(result["hidden"]) == 16 and abs(sum(result["probabilities"]) - 1) < 1e-12
    image = np.frombuffer(result["saliency_image"], np.uint8)
    assert image.min() in (0, 1) or image.max() in (254, 255)  # the largest |gradient| reaches an end
    with pytest.raises(NotImplementedError, match="input_gradient"):
        input_gradient(OtherModel(base), x, 0)
    with pytest.raises(NotImplementedError, match="hidden_activations"):
        hidden_activations(OtherModel(base), x)

# ---------------------------------------------------------------- the worker's session


def npz(data: Dataset) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=data.x, labels=data.labels.astype(np.uint8))
    return buffer.getvalue()


def drawing(size=140):
    image = np.zeros((size, size), dtype=np.uint8)
    image[30:110, 60:80] = 255
    return image.tobytes()


@pytest.fixture
def session(base, replay, test_set):
    session = Session()
    session.load_model("pretrained", modelfile.to_json(base))
    session.set_data(npz(replay), npz(test_set))
    return session


def test_session_labels_digits_and_round_trips_the_file(session):
    first = session.label_digit(drawing(), 140, 140, 1, [[[0.4, 0.2], [0.4, 0.8]]])
    assert first["index"] == 0 and first["per_label"][1] == 1 and len(first["preview"]) == 784
    assert first["preview"] == session.predict(drawing(), 140, 140)["preview"]
    session.label_digit(drawing(), 140, 140, 7)
    with pytest.raises(BlankImageError, match="draw"):
        session.label_digit(bytes(140 * 140), 140, 140, 3)
    with pytest.raises(DigitsFileError, match="label"):
        session.label_digit(drawing(), 140, 140, 10)
    file = session.digits_file()
    assert session.remove_digit(0)["count"] == 1
    summary = session.load_digits(file)
    assert summary["count"] == 2 and [d["label"] for d in summary["digits"]] == [1, 7]
    with pytest.raises(DigitsFileError):
        session.load_digits(b"nonsense")
    assert session.digits_summary()["count"] == 2
    assert session.clear_digits()["count"] == 0 and session.load_digits(file)["count"] == 2


def test_session_finetune_runs_in_chunks_to_a_new_model(session):
    with pytest.raises(NoDigitsError):
        session.start_job("finetune", settings=FAST)
    session.load_digits(your_digits.dumps(make_digits([2, 2, 9])))
    before = session.model_json("pretrained")
    events, outcome = run(session, "finetune", 0.05, settings=FAST)
    started = events[0]["started"]
    assert started["digits"] == 3 and started["held_out"] == 1 and started["base"] == "pretrained"
    result = outcome["result"]
    assert outcome["stopped"] is False and outcome["progress"]["done"]
    assert result["missing_labels"] == [0, 1, 3, 4, 5, 6, 7, 8] and result["after"]["mnist_test"]["total"] == 200
    assert session.active == "pretrained" and session.model_json("pretrained") == before
    meta = session.models["finetuned"].meta
    assert meta["finetuned_from"] == "pretrained"
    assert meta["test_accuracy"] == result["after"]["mnist_test"]["accuracy"]  # its own figure, not its base's
    json.dumps(events)  # plain JSON types
    assert session.use("finetuned")["name"] == "finetuned"


def test_session_evaluates_in_chunks_and_explains_a_drawing(session):
    events, outcome = run(session, "evaluate", name="pretrained")
    assert events[0]["started"]["evaluated"] == 0 and events[0]["started"]["total"] == 200
    assert len(progress(events)) > 1  # a block a turn
    result = outcome["report"]
    assert result["total"] == 200 and sum(map(sum, result["confusion"])) == 200
    json.dumps(result)
    with pytest.raises(KeyError):
        session.start_job("evaluate", name="nonexistent")
    assert session.explain(bytes(140 * 140), 140, 140) == {"blank": True}
    why = session.explain(drawing(), 140, 140)
    assert why["digit"] == session.predict(drawing(), 140, 140)["digit"]
    assert len(why["hidden"]) == 16 and len(why["preview"]) == 784


def test_the_mistakes_shown_are_the_test_images_it_got_wrong(session, test_set):
    """W5: with a model that errs (untrained), each mistake's image is that test image's bytes."""
    session.load_model("poor", modelfile.to_json(Network([784, 16, 10], seed=9)))
    mistakes = run(session, "evaluate", name="poor", max_mistakes=200)[1]["report"]["mistakes"]
    outputs = session.models["poor"].feedforward(test_set.inputs(0, len(test_set)))
    wrong = np.flatnonzero(np.argmax(outputs, axis=0) != test_set.labels)
    assert len(wrong) > 100 and sorted(m["index"] for m in mistakes) == wrong.tolist()
    images = session.test_images([m["index"] for m in mistakes])
    for i, mistake in enumerate(mistakes):
        image = images[i * 784:(i + 1) * 784]
        assert image == test_set.x[mistake["index"]].tobytes() and mistake["true"] == test_set.labels[mistake["index"]]
    assert len({images[i * 784:(i + 1) * 784] for i in range(len(mistakes))}) > 1  # not one image for every index


def test_a_conv_net_fine_tunes_and_explains_itself(replay):
    from pynn.nets.architectures import network_for

    conv = network_for({"architecture": "conv", "hidden": [12], "seed": 5})
    fresh = network_for({"architecture": "conv", "hidden": [12], "seed": 5})
    run = FineTune(conv, make_digits(np.arange(20) % 10), replay, None, FAST, augment=shifts)
    while not run.done:
        run.run(max_seconds=0.5)
    assert type(run.model) is type(conv) and run.model is not conv
    # the filters stay (freeze "conv"), the layers above learn; the copy trained, the original did not
    assert all(np.array_equal(p, q) for p, q in zip(run.model.layers[0].params, conv.layers[0].params))
    assert not np.array_equal(run.model.layers[1].params[0], conv.layers[1].params[0])
    assert all(np.array_equal(p, q) for p, q in zip(conv.layers[1].params, fresh.layers[1].params))
    x = np.random.default_rng(6).random(784)
    result = explain(conv, x)
    assert len(result["saliency"]) == 784 and len(result["hidden"]) == 20  # one activity per filter
    assert abs(sum(result["probabilities"]) - 1) < 1e-12


def test_a_fine_tune_is_decided_by_its_seed_alone_dropout_too(replay):
    """Dropout's masks come from the fine-tune's seed, not from the base model's generator (the
    page's model has an unseeded one, in whatever state use left it), so that a fine-tune run
    natively with the seed the outcome records is the page's, weight for weight."""
    from pynn.nets import network3
    from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer

    layers = [ConvPoolLayer((4, 1, 5, 5), (1, 28, 28), (2, 2), "relu"),
              FullyConnectedLayer(4 * 12 * 12, 12, "relu", p_dropout=0.3), SoftmaxLayer(12, 10, p_dropout=0.3)]
    conv = network3.Network(layers, seed=5)
    runs = []
    for draws in (0, 3):
        base = conv.copy()
        base.rng.random(draws)  # the base's generator left in another state
        run = FineTune(base, make_digits(np.arange(20) % 10), replay, None, {**FAST, "eta": 0.1}, augment=shifts)
        run.run()
        runs.append([p for layer in run.model.layers for p in layer.params])
    assert all(np.array_equal(p, q) for p, q in zip(*runs))
    assert not np.array_equal(runs[0][2], conv.layers[1].params[0])  # it did learn


def test_the_model_being_trained_is_not_evaluated_until_the_run_ends(session):
    from pynn.page.settings import DEFAULTS

    job = start(session, "train", settings={**DEFAULTS, "hidden": [8], "epochs": 1, "train_size": 100})
    session.work(0.0)
    session.use("yours")
    with pytest.raises(RuntimeError, match="being trained"):
        session.start_job("evaluate", name="yours")
    assert run(session, "evaluate", name="pretrained")[1]["report"]["total"] == 200  # another model: fine
    session.stop_job(job)
    events_of(session, job)
    assert not session.running
    assert run(session, "evaluate", name="yours")[0][0]["started"]["name"] == "yours"
