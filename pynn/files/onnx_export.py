"""Any pynn model as an ONNX file, for onnxruntime, onnxruntime-web, PyTorch (onnx2torch), Netron.

The input is ``image``, float32 [N, 1, 28, 28] with MNIST's pixels (ink 1.0 on 0.0); the output
``output`` is [N, 10]: softmax probabilities for a network3 net, the seed's sigmoid activations
for its MLP.  The graph is what ``feedforward`` computes, in float32:

- the seed's MLP (either cost): Flatten, then Gemm (W as (n_out, n_in), transB) and Sigmoid per layer;
- a ConvPoolLayer: Conv (with its bias), MaxPool p×p with stride p, then the activation — pynn adds
  the bias and activates after pooling, the same numbers since max commutes with both;
- a FullyConnectedLayer: Gemm (network3's w is (n_in, n_out) as it stands) and its activation; a
  SoftmaxLayer: Gemm and Softmax over axis 1.  Dropout is inverted in pynn, so inference is the
  identity: no node; its rate is kept in the metadata for a round trip.

A conv layer's output row is (F, PH, PW) channel-major (pynn.nets.layers), which is exactly ONNX's
Flatten of the NCHW tensor, so a dense layer above a conv one takes its weights unpermuted.
"""

from __future__ import annotations

import json

import numpy as np

from pynn import __version__
from pynn.files import modelfile
from pynn.files.onnx_proto import (
    INPUT,
    IR_VERSION,
    KEY_COST,
    KEY_DROPOUT,
    KEY_INPUT,
    KEY_META,
    KEY_OUTPUT,
    KEY_PREPROCESSING,
    OPSET,
    OUTPUT,
    PREPROCESSING,
    PRODUCER,
    schema,
)
from pynn.nets import network3
from pynn.nets.architectures import summary
from pynn.nets.layers import ConvPoolLayer, SoftmaxLayer

ACTIVATION_OPS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softmax": "Softmax"}


class Graph:
    """Nodes and initializers as they are added, each value named once (``v0``, ``w1``, …)."""

    def __init__(self, pb) -> None:
        self.pb = pb
        self.nodes: list = []  # the schema's NodeProto and TensorProto messages
        self.initializers: list = []

    def weights(self, array: np.ndarray) -> str:
        """A float32 initializer (raw little-endian data, as ONNX stores it compactly)."""
        name = f"w{len(self.initializers)}"
        array = np.ascontiguousarray(array, dtype="<f4")
        self.initializers.append(self.pb.TensorProto(name=name, dims=array.shape, raw_data=array.tobytes(),
                                                     data_type=self.pb.TensorProto.FLOAT))
        return name

    def shape(self, dims: tuple[int, ...]) -> str:
        name = f"w{len(self.initializers)}"
        self.initializers.append(self.pb.TensorProto(name=name, dims=[len(dims)], int64_data=list(dims),
                                                     data_type=self.pb.TensorProto.INT64))
        return name

    def node(self, op: str, inputs: list[str], **attributes) -> str:
        """Add ``op`` on ``inputs`` with int or int-list attributes; returns its output's name."""
        pb, out = self.pb, f"v{len(self.nodes)}"
        node = pb.NodeProto(op_type=op, name=f"{op}_{len(self.nodes)}", input=inputs, output=[out])
        for key, value in attributes.items():
            if isinstance(value, (list, tuple)):
                node.attribute.append(pb.AttributeProto(name=key, type=pb.AttributeProto.INTS, ints=value))
            else:
                node.attribute.append(pb.AttributeProto(name=key, type=pb.AttributeProto.INT, i=value))
        self.nodes.append(node)
        return out


def input_shape(model: modelfile.Model) -> tuple[int, ...]:
    """(C, H, W) of the image the first layer reads: a conv layer's own, else 1×28×28 for 784
    inputs; any other input size stays flat (n_in,), which the library allows."""
    if isinstance(model, network3.Network) and isinstance(model.layers[0], ConvPoolLayer):
        return model.layers[0].image_shape
    n_in = model.sizes[0]
    return (1, 28, 28) if n_in == 784 else (n_in,)


def flat(graph: Graph, value: str, flattened: bool) -> str:
    return value if flattened else graph.node("Flatten", [value], axis=1)


def network2_nodes(graph: Graph, model, value: str, flattened: bool) -> str:
    value = flat(graph, value, flattened)
    for w, b in zip(model.weights, model.biases):
        value = graph.node("Gemm", [value, graph.weights(w), graph.weights(b[:, 0])], transB=1)
        value = graph.node("Sigmoid", [value])
    return value


def network3_nodes(graph: Graph, model: network3.Network, value: str, flattened: bool) -> str:
    for layer in model.layers:
        w, b = layer.params
        if isinstance(layer, ConvPoolLayer):
            if flattened:  # a conv layer above a dense one reads its row as (C, H, W)
                value = graph.node("Reshape", [value, graph.shape((-1, *layer.image_shape))])
            kh, kw = layer.filter_shape[2:]
            value = graph.node("Conv", [value, graph.weights(w), graph.weights(b)], kernel_shape=[kh, kw])
            if layer.pool > 1:
                value = graph.node("MaxPool", [value], kernel_shape=[layer.pool] * 2, strides=[layer.pool] * 2)
            flattened = False
        else:
            value = flat(graph, value, flattened)
            value = graph.node("Gemm", [value, graph.weights(w), graph.weights(b)])
            flattened = True
        op = ACTIVATION_OPS[layer.activation]
        value = graph.node(op, [value], axis=1) if op == "Softmax" else graph.node(op, [value])
    return value


def tensor_type(pb, dims: list):
    """A float32 tensor type whose dims are sizes (int) or symbolic names (str)."""
    shape = pb.TensorShapeProto(dim=[pb.TensorShapeProto.Dimension(dim_param=d) if isinstance(d, str)
                                     else pb.TensorShapeProto.Dimension(dim_value=d) for d in dims])
    return pb.TypeProto(tensor_type=pb.TypeProto.Tensor(elem_type=pb.TensorProto.FLOAT, shape=shape))


def descriptions(model: modelfile.Model, shape: tuple[int, ...], meta: dict) -> dict[str, str]:
    """metadata_props: what goes in, what the page does to a drawing first, what comes out, and
    what pynn reads back (cost, dropout rates, meta) that the graph itself does not say."""
    dims = "x".join(map(str, shape))
    pixels = ("grayscale digits, MNIST's pixels: ink 1.0 on background 0.0" if len(shape) == 3
              else "feature vectors")
    n_out = model.sizes[-1]
    texts = {KEY_INPUT: f"{INPUT}: float32 [N,{','.join(map(str, shape))}], N {dims} {pixels}",
             KEY_PREPROCESSING: PREPROCESSING}
    if isinstance(model, network3.Network):
        texts[KEY_OUTPUT] = f"{OUTPUT}: float32 [N,{n_out}], softmax probabilities of the {n_out} classes (digits)"
        texts[KEY_DROPOUT] = json.dumps([layer.p_dropout if not isinstance(layer, ConvPoolLayer) else 0.0
                                         for layer in model.layers])
    else:
        texts[KEY_OUTPUT] = (f"{OUTPUT}: float32 [N,{n_out}], sigmoid activations of the {n_out} classes (digits), "
                             "each in 0-1; not probabilities (they need not sum to 1: the page divides by their sum)")
        texts[KEY_COST] = model.cost.name
    if meta:
        texts[KEY_META] = json.dumps(meta, allow_nan=False)
    return texts


def to_onnx(model: modelfile.Model, meta: dict | None = None) -> bytes:
    """The model as ONNX bytes (opset 13); ``meta`` defaults to the model's own.  A model pynn.files.modelfile.load
    would refuse (too many layers or parameters) raises modelfile.UnloadableModelError, as for the other forms."""
    modelfile.check_parameter_count(model)
    meta = model.meta if meta is None else meta
    modelfile.check_meta(meta)
    pb = schema()
    graph, shape = Graph(pb), input_shape(model)
    if isinstance(model, network3.Network):
        network3_nodes(graph, model, INPUT, len(shape) == 1)
    else:
        network2_nodes(graph, model, INPUT, len(shape) == 1)
    graph.nodes[-1].output[0] = OUTPUT
    last = model.layers[-1] if isinstance(model, network3.Network) else None
    kind = "softmax probabilities" if isinstance(last, SoftmaxLayer) else "sigmoid activations"
    onnx_graph = pb.GraphProto(
        name="pynn", node=graph.nodes, initializer=graph.initializers,
        doc_string=f"pynn {summary(model)}; {OUTPUT} is {kind}",
        input=[pb.ValueInfoProto(name=INPUT, type=tensor_type(pb, ["N", *shape]))],
        output=[pb.ValueInfoProto(name=OUTPUT, type=tensor_type(pb, ["N", model.sizes[-1]]))])
    proto = pb.ModelProto(ir_version=IR_VERSION, producer_name=PRODUCER, producer_version=__version__,
                          graph=onnx_graph,
                          opset_import=[pb.OperatorSetIdProto(domain="", version=OPSET)],
                          metadata_props=[pb.StringStringEntryProto(key=k, value=v)
                                          for k, v in descriptions(model, shape, meta).items()])
    return proto.SerializeToString()
