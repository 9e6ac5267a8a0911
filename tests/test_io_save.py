"""pynn.files.modelfile.save keeps its word: it never writes a file pynn.files.modelfile.load refuses.

Each cap load enforces (bytes, parameters, layers, the meta's nesting and size) is tried
at its boundary: where load would refuse the file, save refuses the model first and writes
nothing; one step inside, save writes and load reads it back exactly."""

import json

import numpy as np
import pytest

from pynn import Network
from pynn.files import modelfile
from pynn.files.modelfile import ModelFileError, UnloadableModelError


def assert_same(a, b):
    assert a.sizes == b.sizes
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)


def load_refuses(model, meta=None, form="json") -> bool:
    """The oracle: what load says of the file the plain encoder writes."""
    data = modelfile.to_json(model, meta) if form == "json" else modelfile.to_npz(model, meta)
    try:
        modelfile.loads(data)
    except ModelFileError:
        return True
    return False


@pytest.mark.native
def test_a_net_too_large_for_json_is_refused_naming_npz_and_round_trips_as_npz(tmp_path):
    """The issue's case: [784,1000,1000,1000,1000,10] made a 78 MB JSON that load refused."""
    net = Network([784, 1000, 1000, 1000, 1000, 10], seed=0)
    with pytest.raises(UnloadableModelError, match=r"7\d\.\d MB as JSON, over the 50\.0 MB .*save it as \.npz"):
        modelfile.save(net, tmp_path / "big.json")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a partial file
    modelfile.save(net, tmp_path / "big.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["big.npz"]
    assert (tmp_path / "big.npz").read_bytes()[:4] == b"PK\x03\x04"
    assert_same(modelfile.load(tmp_path / "big.npz"), net)


@pytest.mark.parametrize("form", ["json", "npz"])
def test_the_byte_cap_boundary(monkeypatch, form):
    net = Network([5, 4, 3], seed=1)
    size = len(modelfile.encode(net, form=form))
    monkeypatch.setattr(modelfile, "MAX_BYTES", size)
    assert not load_refuses(net, form=form)
    assert_same(modelfile.loads(modelfile.encode(net, form=form)), net)
    monkeypatch.setattr(modelfile, "MAX_BYTES", size - 1)
    assert load_refuses(net, form=form)
    with pytest.raises(UnloadableModelError, match=f"as {form.upper()}, over the"):
        modelfile.encode(net, form=form)


def test_the_parameter_cap_is_checked_before_encoding(monkeypatch):
    net = Network([5, 4, 3], seed=1)  # 5·4 + 4 + 4·3 + 3 = 39 parameters
    monkeypatch.setattr(modelfile, "MAX_PARAMETERS", 38)
    assert load_refuses(net) and load_refuses(net, form="npz")

    def never(*args):
        raise AssertionError("the model was encoded before its parameters were counted")

    monkeypatch.setattr(modelfile, "to_json", never)
    monkeypatch.setattr(modelfile, "to_npz", never)
    for form in ("json", "npz"):
        with pytest.raises(UnloadableModelError, match="39 parameters; pynn reads at most 38"):
            modelfile.encode(net, form=form)


def test_the_layer_cap():
    deep = Network([2] * (modelfile.MAX_LAYERS + 2), seed=0)  # one layer over
    assert load_refuses(deep) and load_refuses(deep, form="npz")
    with pytest.raises(UnloadableModelError,
                       match=f"{modelfile.MAX_LAYERS + 1} layers; pynn reads at most"):
        modelfile.encode(deep)
    fits = Network([2] * (modelfile.MAX_LAYERS + 1), seed=0)
    assert_same(modelfile.loads(modelfile.encode(fits, form="npz")), fits)


def nested(depth: int):
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("form", ["json", "npz"])
def test_meta_nesting_and_size(form):
    net = Network([3, 2], seed=2)
    deepest = nested(modelfile.MAX_DEPTH - 1)  # in a JSON file it sits one level below the top
    assert json.dumps(modelfile.loads(modelfile.encode(net, deepest, form)).meta).count("{") == modelfile.MAX_DEPTH - 1
    too_deep = nested(modelfile.MAX_DEPTH)
    assert load_refuses(net, too_deep, form="json")
    with pytest.raises(UnloadableModelError, match="meta"):
        modelfile.encode(net, too_deep, form)
    large = {"note": "x" * modelfile.META_BYTES}
    assert load_refuses(net, large, form="npz")
    with pytest.raises(UnloadableModelError, match="meta is over 1.0 MB"):
        modelfile.encode(net, large, form)


def test_save_picks_the_format_by_the_name(tmp_path):
    net = Network([4, 3, 2], seed=3)
    for name in ("m.json", "m.NPZ", "m"):
        modelfile.save(net, tmp_path / name, meta={"n": name})
        loaded = modelfile.load(tmp_path / name)
        assert_same(loaded, net) and loaded.meta == {"n": name}
    assert modelfile.is_npz((tmp_path / "m.NPZ").read_bytes())
    assert not modelfile.is_npz((tmp_path / "m").read_bytes())
    with pytest.raises(ValueError, match="form must be"):
        modelfile.encode(net, form="pickle")
