"""pynn.files.modelfile's .npz model format (the page's shipped model): exact round trip, and hostile files refused.

Pure numpy and the standard library, with no files: these also run inside Pyodide."""

import io
import json
import zipfile

import numpy as np
import pytest

from pynn import Network
from pynn.files import modelfile
from pynn.files.modelfile import ModelFileError


def network(sizes=(7, 5, 3), cost="cross-entropy"):
    return Network(list(sizes), cost=cost, init="scaled", seed=1)


def arrays_of(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def npz(arrays: dict, compressed=False) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def changed(**changes) -> bytes:
    arrays = arrays_of(modelfile.to_npz(network([3, 2, 1])))
    for name, value in changes.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    return npz(arrays)


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_round_trip_is_exact_and_matches_json(cost):
    net = network(cost=cost)
    loaded = modelfile.loads_npz(modelfile.to_npz(net, meta={"name": "pretrained", "accuracy": 0.98}))
    assert loaded.sizes == net.sizes and loaded.cost is net.cost
    for p, q in zip(net.weights + net.biases, loaded.weights + loaded.biases):
        assert q.dtype == np.float64
        np.testing.assert_array_equal(p, q)
    assert loaded.meta == {"name": "pretrained", "accuracy": 0.98}
    from_json = modelfile.loads(modelfile.to_json(net))
    x = np.random.default_rng(3).random((7, 4))
    np.testing.assert_array_equal(loaded.feedforward(x), from_json.feedforward(x))


def test_bytes_like_inputs_and_compressed_archives():
    data = modelfile.to_npz(network())
    for each in (data, bytearray(data), memoryview(data), npz(arrays_of(data), compressed=True)):
        assert modelfile.loads_npz(each).sizes == [7, 5, 3]


def test_is_npz_tells_zip_from_json():
    assert modelfile.is_npz(modelfile.to_npz(network()))
    assert not modelfile.is_npz(modelfile.to_json(network()).encode())
    assert not modelfile.is_npz(modelfile.to_json(network()))


def spec_text(**changes) -> np.ndarray:
    return np.array(json.dumps({"kind": "network2", "sizes": [3, 2, 1], "cost": "CrossEntropyCost", **changes}))


@pytest.mark.parametrize("data, message", [
    (b"", "not a valid .npz"),
    (b"PK\x03\x04garbage", "not a valid .npz"),
    (b'{"sizes": [1, 1]}', "not a valid .npz"),
    (changed(format=np.array("something-else")), "format must be 'pynn-npz'"),
    (changed(format=None), "missing \\['format'\\]"),
    (changed(version=np.array(2)), "version 2 is not supported"),
    (changed(version=np.array("1")), "'version' must be a single integer"),
    (changed(spec=None), "missing \\['spec'\\]"),
    (changed(spec=np.array("{not json")), "model spec is not valid JSON"),
    (changed(spec=spec_text(kind="network4")), "kind: network2 or network3"),
    (changed(spec=spec_text(sizes=[3.0, 2.0, 1.0])), "positive integers"),
    (changed(spec=spec_text(sizes=[3])), "sizes must be a list of at least 2"),
    (changed(spec=spec_text(sizes=[3, 0, 1])), "positive integers"),
    (changed(spec=spec_text(sizes=[3, 4, 1])), r"weights\[0\] must be \(4, 3\)"),
    (changed(spec=spec_text(sizes=[100_000, 100_000, 10])), "parameters; the cap is"),
    (changed(spec=spec_text(cost="HingeCost")), "unknown cost"),
    (changed(p0=np.array([["a", "b", "c"], ["d", "e", "f"]])), r"weights\[0\] must be \(2, 3\) numbers"),
    (changed(p0=np.zeros((3, 2))), r"weights\[0\] must be \(2, 3\)"),
    (changed(p3=np.array([[np.nan]])), r"biases\[1\] holds a number that is not finite"),
    (changed(p2=np.array([[np.inf, 0.0]])), r"weights\[1\] holds a number that is not finite"),
    (changed(p3=None), "need 4 parameter arrays, the file has 3"),
    (changed(p1=None), "members must be"),
    (changed(extra=np.zeros(1)), "members must be"),
    (changed(meta=np.array("{not json")), "meta is not valid JSON"),
    (changed(meta=np.array("[" * 1000 + "]" * 1000)), "nested too deeply"),
    (changed(p0=np.array([None, 1.0], dtype=object)), "dtype object"),
], ids=lambda value: value if isinstance(value, str) else "npz")
def test_hostile_files_are_refused_clearly(data, message):
    with pytest.raises(ModelFileError, match=message):
        modelfile.loads_npz(data)


def test_meta_that_is_not_an_object_is_dropped():
    assert modelfile.loads_npz(changed(meta=np.array("[1, 2]"))).meta == {}
    assert modelfile.loads_npz(changed(meta=None)).meta == {}


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def test_a_header_that_claims_a_huge_array_is_refused_before_allocating():
    header = npy(np.zeros(1))
    lie = header.replace(b"(1,)", b"(4000000000,)")  # same header length: the shape is padded
    assert lie != header
    with pytest.raises(ModelFileError, match="claims more data than it holds"):
        modelfile.loads_npz(zip_of({"p0.npy": lie}))


def test_a_zip_bomb_is_refused_by_its_declared_size(monkeypatch):
    monkeypatch.setattr(modelfile, "MAX_BYTES", 1 << 20)
    bomb = zip_of({"p0.npy": npy(np.zeros(300_000))}, zipfile.ZIP_DEFLATED)  # 2.4 MB, deflates to a few KB
    assert len(bomb) < 1 << 20
    with pytest.raises(ModelFileError, match="unpacks to more than"):
        modelfile.loads_npz(bomb)


def test_byte_cap(monkeypatch):
    data = modelfile.to_npz(network())
    monkeypatch.setattr(modelfile, "MAX_BYTES", len(data) - 1)
    with pytest.raises(ModelFileError, match="the cap is"):
        modelfile.loads_npz(data)


@pytest.mark.parametrize("members", [
    {"w0.txt": b"hello"},
    {f"x{i}.npy": npy(np.zeros(1)) for i in range(200)},
    {"format.npy": npy(np.zeros(1)) + b"", "a.npy": b"\x93NUMPY\x09\x00"},
])
def test_odd_archives_are_refused(members):
    with pytest.raises(ModelFileError):
        modelfile.loads_npz(zip_of(members))


def test_the_pretrained_shape_round_trips_within_the_caps():
    net = Network([784, 100, 10], init="scaled", seed=0)
    data = modelfile.to_npz(net, meta={"settings": {"eta": 0.1}})
    assert modelfile.loads_npz(data).sizes == [784, 100, 10]
    assert json.loads(str(arrays_of(data)["meta"])) == {"settings": {"eta": 0.1}}


def conv_net():
    from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
    from pynn.nets.network3 import Network as LayeredNetwork

    return LayeredNetwork([ConvPoolLayer((2, 1, 3, 3), (1, 6, 6), (2, 2), "relu"),
                           FullyConnectedLayer(8, 5, "tanh", p_dropout=0.2), SoftmaxLayer(5, 3)], seed=4,
                          meta={"name": "tiny conv"})


def test_layered_network_round_trips_through_npz_and_json_alike():
    net = conv_net()
    x = np.random.default_rng(5).random((36, 4))
    for loaded in (modelfile.loads_npz(modelfile.to_npz(net)), modelfile.loads(modelfile.to_npz(net)),
                   modelfile.loads(modelfile.to_json(net))):
        assert loaded.describe() == net.describe() and loaded.meta == {"name": "tiny conv"}
        np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))


def conv_spec(**layer0) -> np.ndarray:
    spec = {"kind": "network3", **conv_net().describe()}
    spec["layers"][0].update(layer0)
    return np.array(json.dumps(spec))


def changed_conv(**changes) -> bytes:
    arrays = arrays_of(modelfile.to_npz(conv_net()))
    arrays.update(changes)
    return npz(arrays)


@pytest.mark.parametrize("data, message", [
    (changed_conv(spec=conv_spec(type="LSTMLayer")), "layers\\[0\\]"),
    (changed_conv(spec=conv_spec(filter_shape=[2, 1, 9, 9])), "layers\\[0\\]"),
    (changed_conv(spec=conv_spec(filter_shape=[3, 1, 3, 3])), "parameter arrays|params\\[0\\]|n_in"),
    (changed_conv(p0=np.full((2, 1, 3, 3), np.nan)), "not finite"),
    (changed_conv(p1=np.zeros(7)), "params\\[0\\]\\[1\\] must be"),
], ids=lambda value: value if isinstance(value, str) else "npz")
def test_hostile_layered_npz_files_are_refused(data, message):
    with pytest.raises(ModelFileError, match=message):
        modelfile.loads_npz(data)
