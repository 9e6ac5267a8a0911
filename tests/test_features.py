"""The kept conv outputs (pynn.page.features): feedforward's numbers exactly, recomputed when the
filters change, shared by evaluations and fine-tunes; and the frozen-conv fine-tune."""

import job_driver
import numpy as np
import pytest
from synthetic_digits import make_digits, shifts, style_dataset

from pynn import Network
from pynn.nets import network3
from pynn.nets.architectures import network_for
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
from pynn.page.features import FeatureCache, conv_depth, layers_key, upper_layers
from pynn.page.finetune import FineTune
from pynn.page.report import Evaluation


@pytest.fixture(scope="module")
def data():
    return style_dataset(350, seed=1)  # 3.5 CHUNKs: a partial chunk at the end


@pytest.fixture
def conv():
    return network_for({"architecture": "conv", "hidden": [12], "seed": 5})


def test_depth_counts_the_leading_conv_layers(conv):
    assert conv_depth(conv) == 1
    assert conv_depth(Network([784, 10, 10])) == 0
    two = network3.Network([ConvPoolLayer((4, 1, 5, 5), (1, 28, 28), 2, "relu"),
                            ConvPoolLayer((6, 4, 5, 5), (4, 12, 12), 2, "relu"),
                            FullyConnectedLayer(96, 10, "relu"), SoftmaxLayer(10, 10)], seed=0)
    assert conv_depth(two) == 2
    assert conv_depth(network3.Network([FullyConnectedLayer(784, 10), SoftmaxLayer(10, 10)], seed=0)) == 0


@pytest.mark.parametrize("ranges", [[(0, 100), (100, 350)], [(0, 350)], [(50, 130), (0, 200), (300, 350)]])
def test_outputs_equal_feedforward_exactly_cold_and_kept(conv, data, ranges):
    cache = FeatureCache()
    for _ in range(2):  # computed, then read back from what was kept
        for start, stop in ranges:
            expected = conv.feedforward(data.inputs(start, stop)).T
            assert np.array_equal(cache.of(conv).outputs(data, start, stop), expected)
    kept = cache.chunks(layers_key(conv, 1), data)
    aligned = {first // 100 for start, stop in ranges if start % 100 == 0 for first in range(start, stop, 100)}
    assert set(kept) == aligned  # an unaligned block (50..130) is computed, not kept


def test_changed_filters_are_recomputed_and_upper_layers_read_the_kept_ones(conv, data):
    cache = FeatureCache()
    cache.of(conv).outputs(data, 0, 350)
    twin = conv.copy()
    twin.layers[-1].params[0] += 0.5  # upper layers differ: the same filters, so the same key
    assert layers_key(twin, 1) == layers_key(conv, 1)
    assert np.array_equal(cache.of(twin).outputs(data, 0, 350), twin.feedforward(data.inputs(0, 350)).T)
    assert len(cache.entries) == 1
    twin.layers[0].params[0][0, 0, 0, 0] += 1e-9  # one filter weight: a new key, computed anew
    assert layers_key(twin, 1) != layers_key(conv, 1)
    assert np.array_equal(cache.of(twin).outputs(data, 0, 350), twin.feedforward(data.inputs(0, 350)).T)
    assert len(cache.entries) == 2


def test_the_cache_keeps_a_bounded_number_of_entries_and_knows_its_data_sets(conv, data):
    cache = FeatureCache(keep=1)
    other = style_dataset(100, seed=9)
    cache.of(conv).outputs(data, 0, 100)
    cache.of(conv).outputs(other, 0, 100)
    assert len(cache.entries) == 1 and next(iter(cache.entries.values())).data is other
    with pytest.raises(ValueError, match="not within"):
        cache.of(conv).outputs(other, 50, 101)


def test_the_cache_holds_at_most_its_bytes_dropping_the_least_recently_used(conv, data):
    """D3: a one-layer conv net's test-set features are 230 MB; the cache keeps only what fits."""
    chunk = 100 * conv.layers[0].n_out * 8  # one CHUNK's features, bytes
    cache = FeatureCache(max_bytes=5 * chunk)
    other, third = style_dataset(200, seed=9), style_dataset(200, seed=10)
    kept = cache.of(conv)
    assert np.array_equal(kept.outputs(data, 0, 300), conv.feedforward(data.inputs(0, 300)).T)
    assert np.array_equal(kept.outputs(other, 0, 200), conv.feedforward(other.inputs(0, 200)).T)
    assert cache.bytes == 5 * chunk  # 3 + 2 chunks: full to the byte
    kept.outputs(third, 0, 200)  # room for it: the least recently used (data) goes
    assert cache.bytes == 4 * chunk and [entry.data for entry in cache.entries.values()] == [other, third]
    assert np.array_equal(kept.outputs(data, 0, 350), conv.feedforward(data.inputs(0, 350)).T)  # computed anew
    assert cache.bytes <= 5 * chunk and [entry.data for entry in cache.entries.values()][-1] is data


def test_what_does_not_fit_is_computed_exactly_and_not_computed_ahead(conv, data):
    chunk = 100 * conv.layers[0].n_out * 8
    cache = FeatureCache(max_bytes=2 * chunk)
    kept = cache.of(conv)
    assert list(kept.fill(data, 350)) == [3, 2, 1, 0]  # four chunks asked for; two fit
    assert cache.bytes == 2 * chunk and kept.missing(data, 350) == []  # full: nothing more to warm
    for _ in range(2):
        assert np.array_equal(kept.outputs(data, 0, 350), conv.feedforward(data.inputs(0, 350)).T)
    assert cache.bytes == 2 * chunk


def test_an_mlp_goes_straight_through(data):
    mlp = Network([784, 12, 10], seed=2)
    cache = FeatureCache()
    assert np.array_equal(cache.of(mlp).outputs(data, 0, 350), mlp.feedforward(data.inputs(0, 350)).T)
    assert not cache.entries
    with pytest.raises(ValueError, match="no conv layers"):
        cache.of(mlp).features(data, 0, 100)


def test_an_evaluation_with_a_shared_cache_equals_one_without(conv, data):
    plain = Evaluation(conv, data, block=100)
    plain.run()
    cache = FeatureCache()
    for model in (conv, upper_changed(conv)):
        shared = Evaluation(model, data, block=100, cache=cache)
        shared.run()
        alone = Evaluation(model, data, block=100)
        alone.run()
        assert shared.result() == {**alone.result(), "seconds": shared.result()["seconds"]}
    assert len(cache.entries) == 1


def upper_changed(model):
    twin = model.copy()
    twin.layers[-1].params[1] += np.linspace(-1, 1, 10)
    return twin


def test_upper_layers_share_the_layer_objects(conv):
    upper = upper_layers(conv, 1)
    assert upper.layers == conv.layers[1:] and upper.rng is conv.rng
    assert upper.n_in == conv.layers[0].n_out


def test_a_frozen_conv_finetune_trains_only_the_upper_layers_and_measures_exactly(conv):
    replay, test = style_dataset(600, seed=1), style_dataset(200, seed=2)
    conv.SGD(replay, 2, 10, 0.05, verbose=False)
    settings = {"rounds": 3, "round_size": 200, "test_size": 200, "eta": 0.05}
    cache = FeatureCache()
    run = FineTune(conv, make_digits(np.arange(40) % 10), replay, test, settings, augment=shifts, cache=cache)
    while not run.done:
        run.run(max_seconds=0.05)
    result = run.result()
    assert np.array_equal(run.model.layers[0].params[0], conv.layers[0].params[0])  # filters kept
    assert np.array_equal(run.model.layers[0].params[1], conv.layers[0].params[1])
    assert not np.array_equal(run.model.layers[1].params[0], conv.layers[1].params[0])  # the rest learned
    for when, model in (("before", conv), ("after", run.model)):  # the kept features' accuracy is feedforward's
        expected = int(np.count_nonzero(np.argmax(model.feedforward(test.inputs(0, 200)), axis=0) == test.labels))
        assert result[when]["mnist_test"]["correct"] == expected
    assert result["after"]["yours_held_out"]["accuracy"] > result["before"]["yours_held_out"]["accuracy"]
    assert len(cache.chunks(layers_key(conv, 1), replay)) == 6  # the replay pool: all 600 images, kept


def test_freeze_none_trains_every_layer(conv):
    replay = style_dataset(300, seed=1)
    run = FineTune(conv, make_digits(np.arange(20) % 10), replay, None,
                   {"rounds": 1, "round_size": 100, "eta": 0.05, "freeze": "none"}, augment=shifts)
    while not run.done:
        run.run()
    assert not np.array_equal(run.model.layers[0].params[0], conv.layers[0].params[0])


def test_the_session_warms_the_active_conv_nets_features_ahead_and_then_uses_them(conv):
    import io

    from pynn.files import modelfile
    from pynn.page.browser import Session

    def npz(data):
        buffer = io.BytesIO()
        np.savez(buffer, images=data.x, labels=data.labels)
        return buffer.getvalue()

    session = Session()
    session.teaching_started()
    assert not session.jobs.pending()  # no model: nothing to compute ahead
    session.load_model("pretrained", modelfile.to_json(conv))
    replay, test = style_dataset(2100, seed=1), style_dataset(250, seed=2)
    session.set_data(npz(replay), npz(test))
    session.teaching_started()
    session.teaching_started()  # one is enough
    assert [job.kind for job in session.jobs.of_kind("warm")] == ["warm"]
    first = session.work(0)["events"]  # at least one block per turn
    assert first[0]["started"] == {"name": "pretrained", "left": 3 + 20}  # 3 test chunks, a 2000-image pool
    assert first[1]["progress"] == {"done": False, "left": 3 + 20 - 1}
    evaluation = job_driver.start(session, "evaluate", name="pretrained")
    while session.jobs.of_kind("evaluate"):
        assert all(event["job"] == evaluation for event in session.work(0)["events"])  # the foreground goes first
    while session.work(0)["pending"]:
        pass
    model = session.models["pretrained"]
    kept = session.features.of(model)
    assert kept.missing(session.test_data, 250) == []
    assert kept.missing(session.train_data, 2100) == [2000]  # beyond the pool
    warmed = dict(session.features.chunks(kept.key, session.test_data))
    report = job_driver.run(session, "evaluate", 10, name="pretrained")[1]["report"]
    assert report["correct"] == int(np.count_nonzero(
        np.argmax(model.feedforward(session.test_data.inputs(0, 250)), axis=0) == session.test_data.labels))
    after = session.features.chunks(kept.key, session.test_data)
    assert all(after[k] is warmed[k] for k in warmed) and after.keys() == warmed.keys()  # read, not redone
