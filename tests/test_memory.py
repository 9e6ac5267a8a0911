"""D3, D4: what would pass the worker's memory budget is refused from an estimate, at once and
in the form's words, on the fields that set it; what the forms allow by default runs.
(The figures themselves are measured by bench/memory.py, not asserted here.)"""

import numpy as np
import pytest
from synthetic_digits import make_digits, shifts, style_dataset

from pynn.nets.architectures import network_for
from pynn.page import finetune
from pynn.page.finetune import FineTune
from pynn.page.settings import DEFAULTS, HEAP_BUDGET, SettingsError, check_settings
from pynn.training import memory

CONV = {**DEFAULTS, "architecture": "conv", "hidden": [100]}


def test_the_budget_is_256_mib_and_the_page_is_told():
    from pynn.page.settings import page_config

    assert HEAP_BUDGET == 256 * 2**20 and page_config()["heap_budget"] == HEAP_BUDGET


def test_training_defaults_fit_and_a_conv_batch_of_900_is_refused_by_its_estimate():
    check_settings(DEFAULTS)
    check_settings(CONV)
    largest = {**DEFAULTS, "hidden": [1000] * 4, "minibatch_size": 100, "train_size": 50_000}
    check_settings(largest)  # 167 MiB live, natively
    # augmented: 200 MiB live natively, and a heap grows a fifth at a time: estimated 223 MiB live,
    # so up to 268 MiB of heap (refused, though Pyodide's heap happened to end at 198 MiB)
    with pytest.raises(SettingsError, match="about 268 MiB"):
        check_settings({**largest, "augment": "on"})
    settings = {**CONV, "minibatch_size": 900}  # fast enough a step (1.4 s), but ~700 MiB of buffers
    with pytest.raises(SettingsError) as error:
        check_settings(settings)
    assert set(error.value.fields) == {"minibatch_size", "hidden"}
    assert "would need about" in error.value.fields["minibatch_size"]
    assert "within 256 MiB" in error.value.fields["minibatch_size"]


def test_the_training_estimate_grows_with_the_batch_and_the_augmenter():
    small, large = (memory.training_bytes({**CONV, "minibatch_size": m}, network_for(CONV).layers) for m in (10, 500))
    assert small < large
    plain = memory.training_bytes(DEFAULTS, None)
    assert plain < memory.training_bytes({**DEFAULTS, "augment": "on"}, None)


@pytest.fixture(scope="module")
def replay():
    return style_dataset(300, seed=1)


@pytest.fixture
def conv():
    return network_for({"architecture": "conv", "hidden": [12], "seed": 5})


def refused_at_once(monkeypatch, model, replay, settings) -> SettingsError:
    """The fine-tune refused before it copied the model (so before any work)."""
    def never(model):
        raise AssertionError("the model was copied: the fine-tune began before its memory was checked")

    monkeypatch.setattr(finetune, "copy_model", never)
    with pytest.raises(SettingsError) as error:
        FineTune(model, make_digits(np.arange(20) % 10), replay, None, settings, augment=shifts)
    return error.value


def test_a_fine_tune_at_the_forms_limits_is_refused_before_it_starts(monkeypatch, conv, replay):
    """D3: 20,000 images a round, MNIST share 0: the conv outputs alone would be 460 MB."""
    error = refused_at_once(monkeypatch, conv, replay, {"round_size": 20_000, "replay": 0.0})
    assert set(error.fields) == {"round_size", "minibatch_size"}
    assert "fewer images per round" in error.fields["round_size"]


def test_every_layer_learning_at_a_batch_of_1000_is_refused_at_once_naming_keep_fixed(monkeypatch, conv, replay):
    """D4: it ran 18 s before saying it needed 1.1 GiB."""
    error = refused_at_once(monkeypatch, conv, replay,
                            {"freeze": "none", "minibatch_size": 1000, "round_size": 20_000, "replay": 0.0})
    assert set(error.fields) == {"round_size", "minibatch_size", "freeze"}
    assert "keep the conv layers fixed" in error.fields["freeze"]


def test_a_default_fine_tune_is_not_refused(conv, replay):
    for settings in ({}, {"freeze": "none"}):
        run = FineTune(conv, make_digits(np.arange(20) % 10), replay, None,
                       {**settings, "rounds": 1, "round_size": 100}, augment=shifts)
        assert memory.finetune_bytes(run.settings, conv, run.depth, run.cache.max_bytes) <= HEAP_BUDGET


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_the_buffer_counts_are_the_arrays_the_layers_make(dropout):
    """The estimate counts what each layer really keeps after a training step (and makes for inference)."""
    from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
    from pynn.nets.network3 import Network

    net = Network([ConvPoolLayer((4, 1, 5, 5), (1, 28, 28), (2, 2), "relu"),
                   ConvPoolLayer((6, 4, 3, 3), (4, 12, 12), (2, 2), "relu"),
                   FullyConnectedLayer(150, 20, "relu", dropout), SoftmaxLayer(20, 10, dropout)], seed=0)
    m = 7
    rng = np.random.default_rng(1)
    net.stepper(m).step(rng.random((m, 784)), np.eye(10)[rng.integers(0, 10, m)], 0.1, 0.0, 100)
    for i, layer in enumerate(net.layers):
        kept = sum(a.nbytes for key, a in layer._buffers[m].items()
                   if isinstance(a, np.ndarray) and key != "x")  # "x": the input, the layer below's
        assert kept == pytest.approx(8 * memory.layer_floats(layer, m, True, i > 0), rel=0.01), layer.kind
        made = sum(a.nbytes for a in layer.make_buffers(m).values() if isinstance(a, np.ndarray))
        assert made == pytest.approx(8 * memory.layer_floats(layer, m, False, False), rel=0.01), layer.kind
