"""ONNX import: pynn → ONNX → pynn keeps every weight to float32 precision; the graphs PyTorch writes for
the same layers load and predict what onnxruntime predicts; hostile files are refused, each for its reason,
and the model in use stays."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx_nets import other_network3_nets, page_architectures

from pynn.files import modelfile
from pynn.files.modelfile import ModelFileError
from pynn.files.onnx_export import to_onnx
from pynn.files.onnx_proto import schema
from pynn.nets import network3
from pynn.nets.network import Network
from pynn.page.browser import Session

pytestmark = pytest.mark.native  # onnxruntime and onnx are native packages
NETS = {**page_architectures(), **other_network3_nets()}
pb = schema()
IMAGES = np.random.default_rng(0).random((300, 784)).astype(np.float32) ** 4  # mostly dark, some ink


def onnxruntime(data: bytes, images: np.ndarray = IMAGES) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: images.reshape(-1, 1, 28, 28)})[0]


@pytest.mark.parametrize("name", list(NETS))
def test_pynn_to_onnx_to_pynn_keeps_weights_to_float32_and_predictions(name):
    model = NETS[name]()
    back = modelfile.loads(to_onnx(model))
    (spec, params), (spec_back, params_back) = modelfile.spec_and_params(model), modelfile.spec_and_params(back)
    assert spec_back == spec and back.meta == model.meta  # layers, activations, dropout, cost, meta
    for p, q in zip(params, params_back, strict=True):
        np.testing.assert_array_equal(q, p.astype(np.float32))  # exactly the float32 nearest each weight
    ours, theirs = model.feedforward(IMAGES.T), back.feedforward(IMAGES.T)
    np.testing.assert_allclose(theirs, ours, atol=1e-6)
    assert (theirs.argmax(axis=0) == ours.argmax(axis=0)).all()


def test_load_reads_an_onnx_file_by_its_bytes_whatever_its_name(tmp_path):
    model = NETS["conv, ReLU 30"]()
    (tmp_path / "model.json").write_bytes(to_onnx(model))
    assert modelfile.spec_and_params(modelfile.load(tmp_path / "model.json"))[0] == modelfile.spec_and_params(model)[0]


# ------------------------------------------------------------------ graphs as PyTorch writes them

def value_info(name: str, dims: list):
    shape = pb.TensorShapeProto(dim=[pb.TensorShapeProto.Dimension(dim_param=d) if isinstance(d, str)
                                     else pb.TensorShapeProto.Dimension(dim_value=d) for d in dims])
    return pb.ValueInfoProto(name=name, type=pb.TypeProto(tensor_type=pb.TypeProto.Tensor(elem_type=1, shape=shape)))


def init(name: str, array: np.ndarray, int64: bool = False):
    array = np.asarray(array, dtype="<i8" if int64 else "<f4")
    return pb.TensorProto(name=name, dims=array.shape, data_type=7 if int64 else 1, raw_data=array.tobytes())


def attr(name: str, value):
    if isinstance(value, list):
        return pb.AttributeProto(name=name, type=pb.AttributeProto.INTS, ints=value)
    if isinstance(value, float):
        return pb.AttributeProto(name=name, type=pb.AttributeProto.FLOAT, f=value)
    return pb.AttributeProto(name=name, type=pb.AttributeProto.INT, i=value)


def model_bytes(nodes: list, inits: list, out_dims: list, in_dims=("N", 1, 28, 28), opset: int = 17, **extra) -> bytes:
    """A ModelProto from (op, inputs, attributes) triples chained v0 → v1 → … → output."""
    protos = []
    for i, (op, inputs, attrs) in enumerate(nodes):
        out = "output" if i == len(nodes) - 1 else f"v{i + 1}"
        protos.append(pb.NodeProto(op_type=op, name=f"n{i}", input=[f"v{i}" if i else "input", *inputs],
                                   output=[out], attribute=[attr(k, v) for k, v in attrs.items()]))
    graph = pb.GraphProto(name="g", node=protos, initializer=inits, input=[value_info("input", list(in_dims))],
                          output=[value_info("output", out_dims)])
    return pb.ModelProto(ir_version=8, graph=graph, opset_import=[pb.OperatorSetIdProto(version=opset)],
                         **extra).SerializeToString()


def torch_like_conv_net(rng, log_softmax: bool, matmul: bool) -> bytes:
    """Conv → Relu → MaxPool → Reshape [-1, 576] → Linear (Gemm transB, or MatMul + Add) → Tanh → Linear
    → LogSoftmax or nothing (logits): what torch.onnx.export writes for nn.Sequential of those layers."""
    w = [rng.normal(0, s, shape) for s, shape in ((0.3, (4, 1, 5, 5)), (0.1, (32, 576)), (0.3, (10, 32)))]
    b = [rng.normal(0, 0.1, n) for n in (4, 32, 10)]
    linear = ([("MatMul", ["w1t"], {}), ("Add", ["b1"], {})] if matmul else [("Gemm", ["w1", "b1"], {"transB": 1})])
    nodes = [("Conv", ["w0", "b0"], {"kernel_shape": [5, 5], "pads": [0, 0, 0, 0], "strides": [1, 1],
                                     "dilations": [1, 1], "group": 1}),
             ("Relu", [], {}), ("MaxPool", [], {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 0}),
             ("Reshape", ["shape"], {"allowzero": 1}), *linear, ("Tanh", [], {}),
             ("Gemm", ["w2", "b2"], {"transB": 1, "alpha": 1.0, "beta": 1.0})]
    nodes += [("LogSoftmax", [], {"axis": 1})] if log_softmax else []
    inits = [init("w0", w[0]), init("b0", b[0]), init("w1", w[1]), init("w1t", w[1].T), init("b1", b[1]),
             init("w2", w[2]), init("b2", b[2]), init("shape", [-1, 576], int64=True)]
    return model_bytes(nodes, inits, ["N", 10])


@pytest.mark.parametrize("log_softmax, matmul", [(True, False), (False, True), (True, True)])
def test_torch_shaped_graphs_predict_what_onnxruntime_predicts(log_softmax, matmul):
    data = torch_like_conv_net(np.random.default_rng(1), log_softmax, matmul)
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    model = modelfile.loads(data)
    assert isinstance(model, network3.Network) and model.layers[-1].activation == "softmax"
    theirs, ours = onnxruntime(data), model.feedforward(IMAGES.T).T
    # LogSoftmax or logits in the file: pynn's outputs are the softmax probabilities they stand for
    expected = np.exp(theirs) if log_softmax else np.exp(theirs) / np.exp(theirs).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    assert (ours.argmax(axis=1) == theirs.argmax(axis=1)).all()


def test_a_chain_of_sigmoid_layers_is_the_seeds_mlp_with_its_cost_from_the_metadata():
    rng = np.random.default_rng(2)
    w0, w1 = rng.normal(0, 0.2, (784, 16)), rng.normal(0, 0.5, (16, 10))
    data = model_bytes([("Flatten", [], {"axis": 1}), ("MatMul", ["w0"], {}), ("Add", ["b0"], {}),
                        ("Sigmoid", [], {}), ("Gemm", ["w1", "b1"], {}), ("Sigmoid", [], {})],
                       [init("w0", w0), init("b0", np.ones(16)), init("w1", w1), init("b1", np.zeros(10))],
                       ["N", 10], metadata_props=[pb.StringStringEntryProto(key="pynn.cost", value="cross-entropy")])
    model = modelfile.loads(data)
    assert isinstance(model, Network) and model.sizes == [784, 16, 10] and model.cost.name == "cross-entropy"
    np.testing.assert_allclose(model.feedforward(IMAGES.T).T, onnxruntime(data), atol=1e-6)


# ------------------------------------------------------------------ hostile files

def varint(n: int) -> bytes:
    out = b""
    while True:
        out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_too_deep(levels: int = 200) -> bytes:
    """If nodes whose then_branch holds a graph holding an If node … (built on the wire: protobuf itself
    refuses to build it), far past protobuf's recursion limit (100)."""
    graph = b""
    for _ in range(levels):
        attribute = field(1, b"then_branch") + field(6, graph) + varint(20 << 3) + varint(5)
        graph = field(1, field(4, b"If") + field(5, attribute))
    return varint(1 << 3) + varint(8) + field(7, graph)


def small() -> bytes:
    return to_onnx(Network([784, 3, 10], seed=0))


def edited(change) -> bytes:
    model = pb.ModelProto()
    model.ParseFromString(small())
    change(model)
    return model.SerializeToString()


def external(model):
    model.graph.initializer[0].ClearField("raw_data")
    model.graph.initializer[0].data_location = pb.TensorProto.EXTERNAL
    model.graph.initializer[0].external_data.append(pb.StringStringEntryProto(key="location", value="/etc/passwd"))


def nan_weight(model):
    values = np.frombuffer(model.graph.initializer[0].raw_data, "<f4").copy()
    values[5] = np.nan
    model.graph.initializer[0].raw_data = values.tobytes()


HOSTILE = [
    ("over the size cap", lambda: b"\x08\x08" + bytes(modelfile.MAX_BYTES),
     r"ONNX file is 50\.0 MB; the cap is 50\.0 MB"),
    ("cut short", lambda: small()[:-40], "not a valid protobuf message: a field runs past its end"),
    ("packed floats of 3 bytes", lambda: b"\x08\x08" + field(7, field(5, field(4, b"\0\0\0"))),
     "not a valid ONNX file"),  # protobuf's own parser refuses it
    ("nested past protobuf's limit", nested_too_deep, "nests messages over 32 deep"),
    ("50 MB of empty nodes", lambda: b"\x08\x08" + field(7, b"\x0a\x00" * 24_000_000),
     "over 100,000 protobuf fields"),
    ("a flood of nodes", lambda: edited(lambda m: m.graph.node.extend(
        [pb.NodeProto(op_type="Identity")] * 5000)), "5,005 nodes .* pynn reads at most 1,024"),
    ("weights in another file", lambda: edited(external), "refers to external data"),
    ("a NaN weight", lambda: edited(nan_weight), "not finite"),
    ("dims that claim 10^10 numbers", lambda: edited(lambda m: m.graph.initializer[0].dims.extend([10**5, 10**5])),
     "holds 23,520,000,000,043 numbers; the cap is 10,000,000"),
    ("less data than its dims", lambda: edited(lambda m: setattr(m.graph.initializer[1], "raw_data", b"\0" * 4)),
     "4 bytes of data for dims"),
    ("an operator pynn has not", lambda: edited(lambda m: setattr(m.graph.node[2], "op_type", "BatchNormalization")),
     r"node 2 \(BatchNormalization .*cannot take this operator"),
    ("a padded convolution", lambda: model_bytes(
        [("Conv", ["w"], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}), ("Relu", [], {}), ("Flatten", [], {}),
         ("Gemm", ["w2"], {}), ("Softmax", [], {})],
        [init("w", np.ones((2, 1, 3, 3))), init("w2", np.ones((1568, 10)))], ["N", 10]),
     r"node 0 \(Conv .*pads \[1, 1, 1, 1\]"),
    ("a branch off the chain", lambda: edited(lambda m: m.graph.node[3].input.__setitem__(0, "image")),
     "does not take the output of the node before it"),
    ("a custom operator set", lambda: edited(lambda m: m.opset_import.append(pb.OperatorSetIdProto(
        domain="com.example", version=1))), "operator set 'com.example'"),
    ("a flood of metadata", lambda: edited(lambda m: m.metadata_props.extend(
        [pb.StringStringEntryProto(key=str(i), value="") for i in range(100)])), "metadata entries"),
    ("int32 weights", lambda: edited(lambda m: setattr(m.graph.initializer[0], "data_type", 6)),
     "has data type 6 or refers to external data"),
    ("two inputs", lambda: edited(lambda m: m.graph.input.add(name="mask", type=m.graph.input[0].type)),
     "one input and one output; this one has 2 inputs"),
    ("meta that is not JSON", lambda: edited(lambda m: m.metadata_props.append(pb.StringStringEntryProto(
        key="pynn.meta", value="{'a': NaN"))), "model meta is not valid JSON"),
]


@pytest.mark.parametrize("make, message", [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_onnx_files_are_refused_for_their_reason_and_the_model_in_use_stays(make, message):
    session = Session()
    session.load_model("pretrained", to_onnx(NETS["conv, ReLU 30"]()))
    before = session.model_json("pretrained")
    data = make()
    with pytest.raises(ModelFileError, match=message):
        session.load_model("pretrained", data)
    assert session.model_json("pretrained") == before


def test_the_page_refuses_an_onnx_net_of_other_sizes_by_name():
    data = to_onnx(Network([784, 5, 3], seed=0))
    assert modelfile.loads(data).sizes == [784, 5, 3]
    with pytest.raises(ModelFileError, match="needs a 784 → … → 10 network"):
        Session().load_model("pretrained", data)


def test_hidden_layer_without_an_activation_is_refused_by_name():
    data = model_bytes([("Flatten", [], {}), ("Gemm", ["a"], {}), ("Gemm", ["b"], {}), ("Softmax", [], {})],
                       [init("a", np.ones((784, 5))), init("b", np.ones((5, 10)))], ["N", 10])
    with pytest.raises(ModelFileError, match=r"node 2 \(Gemm .*no sigmoid, tanh or ReLU"):
        modelfile.loads(data)
