"""An ONNX file (pynn's own export, or what torch.onnx.export writes for the same nets) as a pynn network.

The graph must be one chain from the image to the output, of: Conv (valid, stride 1), MaxPool
(p×p, stride p), Relu / Sigmoid / Tanh, Flatten or Reshape, Gemm or MatMul + Add, Softmax or
LogSoftmax (and Identity or Dropout, the identity at inference).  It is read into layers:

- Conv [+ MaxPool] + activation (in either order: max commutes with an increasing function) is a
  ConvPoolLayer; Gemm + activation a FullyConnectedLayer; Gemm + Softmax the SoftmaxLayer;
- LogSoftmax, and a last Gemm with nothing after it (a net that outputs logits, as PyTorch
  classifiers usually do), become the SoftmaxLayer too: pynn's outputs are then the softmax
  probabilities, exp of what LogSoftmax gives, with the same argmax;
- a chain of Gemm + Sigmoid alone is the seed's sigmoid MLP (its cost from pynn's metadata).

Anything else is refused, naming the first node or shape pynn cannot take.  The file is untrusted
(pynn.files.untrusted): its size is capped before protobuf parses it (with protobuf's own recursion limit),
nodes, initializers, dims and parameters are counted before any weight is read, external data is
refused (it would read other files), and NaN/inf weights are refused.  This module builds nothing:
it returns (spec, params, meta text) for pynn.files.modelfile.build, which checks them as it does every model file.
"""

from __future__ import annotations

import json
import typing

import numpy as np

from pynn.files.onnx_proto import KEY_COST, KEY_DROPOUT, KEY_META, schema
from pynn.files.untrusted import protobuf_fields

MAX_NODES = MAX_INITIALIZERS = 1024  # a 64-layer pynn net needs at most ~5 of each per layer
MAX_DIMS, MAX_PROPS, MAX_FIELDS, MAX_DEPTH = 8, 64, 100_000, 32  # the shipped model: ~200 fields, 7 deep
FLOAT, INT64, DOUBLE = 1, 7, 11  # TensorProto.DataType
ACTIVATION_OPS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}  # pynn.nets.activations' three
PASS_THROUGH = ("Identity", "Dropout")


def is_onnx(data) -> bool:
    """Whether ``data`` looks like an ONNX ModelProto: every writer puts ir_version (field 1, varint) first."""
    return isinstance(data, (bytes, bytearray, memoryview)) and bytes(data[:1]) == b"\x08"


def parse(data, *, cap: int, max_parameters: int, error: type[Exception]) -> tuple[dict, list, str | None]:
    """(spec, params, meta JSON text or None) of the ONNX bytes, for modelfile.build; ``error`` if refused."""
    if len(data) > cap:
        raise error(f"the ONNX file is {len(data) / 2**20:.1f} MB; the cap is {cap / 2**20:.1f} MB")
    pb = schema()
    from google.protobuf.message import DecodeError  # the runtime schema() found

    model = pb.ModelProto()
    protobuf_fields(bytes(data), model.DESCRIPTOR, max_fields=MAX_FIELDS, max_depth=MAX_DEPTH, error=error)
    try:
        model.ParseFromString(bytes(data))  # protobuf refuses messages nested over its recursion limit (100)
    except (DecodeError, RecursionError, ValueError) as problem:
        raise error(f"not a valid ONNX file: {problem}") from None
    graph = model.graph
    check_counts(model, max_parameters, error)
    weights = {t.name: tensor(t, error) for t in graph.initializer}
    props = {p.key: p.value for p in model.metadata_props}
    layers = Chain(weights, error).read(graph)
    return to_spec(layers, props, error) + (props.get(KEY_META),)


def check_counts(model, max_parameters: int, error: type[Exception]) -> None:
    """Everything that could make the rest slow or large, or read other files, before it is read."""
    graph = model.graph
    if len(graph.node) > MAX_NODES or len(graph.initializer) > MAX_INITIALIZERS:
        raise error(f"the ONNX graph has {len(graph.node):,} nodes and {len(graph.initializer):,} initializers; "
                    f"pynn reads at most {MAX_NODES:,} of each")
    if len(model.metadata_props) > MAX_PROPS:
        raise error(f"the ONNX file has {len(model.metadata_props):,} metadata entries; pynn reads at most {MAX_PROPS}")
    if model.functions or graph.sparse_initializer or model.training_info:
        raise error("the ONNX file has functions, sparse initializers or training information; pynn reads none")
    for other in (o.domain for o in model.opset_import if o.domain not in ("", "ai.onnx")):
        raise error(f"the ONNX file uses operator set {other!r:.60}; pynn reads the standard operators only")
    total = 0
    for t in graph.initializer:
        if t.data_location == t.EXTERNAL or t.external_data:
            raise error(f"initializer {t.name!r:.60} refers to external data; pynn reads only self-contained "
                        "ONNX files (save with the weights inside)")
        if len(t.dims) > MAX_DIMS or any(d < 0 for d in t.dims):
            raise error(f"initializer {t.name!r:.60} has dims {list(t.dims)[:MAX_DIMS + 1]}")
        total += int(np.prod(t.dims, dtype=np.float64))
    if total > max_parameters:
        raise error(f"the ONNX file holds {total:,} numbers; the cap is {max_parameters:,}")
    if len({v.name for v in graph.input} - {t.name for t in graph.initializer}) != 1 or len(graph.output) != 1:
        raise error(f"an ONNX model for pynn has one input and one output; this one has "
                    f"{len(graph.input)} inputs and {len(graph.output)} outputs")


def tensor(t, error: type[Exception]) -> np.ndarray:
    """An initializer (or Constant) as float64 or int64, its data length checked against its dims."""
    shape, count = tuple(t.dims), int(np.prod(t.dims, dtype=np.int64))
    if t.data_type not in (FLOAT, DOUBLE, INT64) or t.external_data or t.data_location == t.EXTERNAL:
        raise error(f"tensor {t.name!r:.60} has data type {t.data_type} or refers to external data; pynn reads "
                    "float32, float64 and int64 held in the file")
    dtype = {FLOAT: "<f4", DOUBLE: "<f8", INT64: "<i8"}[t.data_type]
    if t.raw_data:
        if len(t.raw_data) != count * np.dtype(dtype).itemsize:
            raise error(f"initializer {t.name!r:.60}: {len(t.raw_data):,} bytes of data for dims {list(shape)}")
        array = np.frombuffer(t.raw_data, dtype=dtype)
    else:
        values = {FLOAT: t.float_data, DOUBLE: t.double_data, INT64: t.int64_data}[t.data_type]
        if len(values) != count:
            raise error(f"initializer {t.name!r:.60}: {len(values):,} values for dims {list(shape)}")
        array = np.array(values, dtype=dtype)
    if t.data_type != INT64 and not np.isfinite(array).all():
        raise error(f"initializer {t.name!r:.60} holds a number that is not finite (NaN or infinity)")
    return array.reshape(shape).astype(np.int64 if t.data_type == INT64 else np.float64)


def attributes(node) -> dict:
    """A node's int, ints, float and string attributes; a graph or tensor attribute is refused by the caller."""
    return {a.name: {1: a.f, 2: a.i, 3: a.s, 7: list(a.ints)}.get(a.type, a) for a in node.attribute}


class Chain:
    """Walks the nodes in order, each taking the value the one before gave, into pynn's layers."""

    def __init__(self, weights: dict, error: type[Exception]) -> None:
        self.weights, self.error = dict(weights), error
        self.layers: list[dict] = []  # {"kind": "conv"|"dense", arrays, "pool", "activation"}

    def refuse(self, i: int, node, why: str) -> typing.NoReturn:
        raise self.error(f"ONNX node {i} ({node.op_type} {node.name!r:.40}): {why}")

    def read(self, graph) -> list[dict]:
        inputs = [v for v in graph.input if v.name not in self.weights]
        dims = inputs[0].type.tensor_type.shape.dim
        if not 2 <= len(dims) <= 4 or any(not d.HasField("dim_value") or d.dim_value < 1 for d in dims[1:]):
            raise self.error(f"the ONNX input {inputs[0].name!r:.40} has shape "
                             f"{[d.dim_param or d.dim_value for d in dims][:MAX_DIMS]}; pynn takes [N, C, H, W] "
                             "images or [N, features] with fixed sizes")
        self.shape, value = tuple(d.dim_value for d in dims[1:]), inputs[0].name
        self.shape = self.shape if len(self.shape) != 2 else (1, *self.shape)  # [N, H, W]: one channel
        for i, node in enumerate(graph.node):
            if node.op_type == "Constant" and len(node.output) == 1 and not node.input:
                if len(node.attribute) != 1 or node.attribute[0].name != "value":
                    self.refuse(i, node, "pynn reads Constants of one tensor (value) only")
                self.weights[node.output[0]] = tensor(node.attribute[0].t, self.error)
                continue
            if not node.input or node.input[0] != value or len(node.output) < 1:
                self.refuse(i, node, "does not take the output of the node before it: pynn reads one chain of layers")
            if any(name not in self.weights for name in node.input[1:] if name):
                self.refuse(i, node, "takes a second value that is not a weight: pynn reads one chain of layers")
            if any(a.type not in (1, 2, 3, 7) for a in node.attribute):
                self.refuse(i, node, "has a graph or tensor attribute")
            self.node(i, node, attributes(node), [self.weights[n] if n else None for n in node.input[1:]])
            value = node.output[0]
        if value != graph.output[0].name:
            raise self.error(f"the ONNX output {graph.output[0].name!r:.40} is not the chain's last value")
        if not self.layers:
            raise self.error("the ONNX graph has no Gemm, MatMul or Conv layer: nothing for pynn to read")
        return self.layers

    def node(self, i: int, node, attrs: dict, args: list) -> None:
        op, last = node.op_type, self.layers[-1] if self.layers else {}  # {}: no layer yet
        open_ = bool(last) and last["activation"] is None
        if op in PASS_THROUGH:
            return
        if op == "Conv":
            w, b = (args + [None])[:2]
            if len(self.shape) != 3 or w is None or w.ndim != 4 or w.shape[1] != self.shape[0]:
                self.refuse(i, node, f"weights {None if w is None else list(w.shape)} for an input of "
                                     f"shape {list(self.shape)}")
            self.close(i, node)
            for key, ok in (("strides", {1}), ("dilations", {1}), ("pads", {0}), ("group", 1)):
                value = attrs.get(key, ok if isinstance(ok, int) else [])
                if (value != ok) if isinstance(ok, int) else not set(value) <= ok:
                    self.refuse(i, node, f"{key} {value}: pynn's convolutions are valid, stride 1, one group")
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID"):
                self.refuse(i, node, f"auto_pad {attrs['auto_pad']!r}: pynn's convolutions are valid")
            f, c, kh, kw = w.shape
            if kh > self.shape[1] or kw > self.shape[2]:
                self.refuse(i, node, f"a {kh}×{kw} filter on a {self.shape[1]}×{self.shape[2]} image")
            bias = np.zeros(f) if b is None else b.reshape(-1)
            self.layers.append({"kind": "conv", "image": self.shape, "w": w, "b": bias, "pool": 1, "activation": None})
            self.shape = (f, self.shape[1] - kh + 1, self.shape[2] - kw + 1)
        elif op == "MaxPool":
            kernel = attrs.get("kernel_shape", [])
            if not last or last["kind"] != "conv" or last["pool"] != 1 or len(self.shape) != 3:
                self.refuse(i, node, "pynn pools only right after a convolution")
            if len(kernel) != 2 or kernel[0] != kernel[1] or attrs.get("strides") != kernel \
                    or set(attrs.get("pads", [0])) != {0} or set(attrs.get("dilations", [1])) != {1} \
                    or len(node.output) != 1 or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID"):
                self.refuse(i, node, f"kernel {kernel}, strides {attrs.get('strides')}: pynn pools p×p windows "
                                     "with stride p, no padding")
            p = kernel[0]
            if self.shape[1] % p or self.shape[2] % p:
                self.refuse(i, node, f"{p}×{p} pooling does not divide the {self.shape[1]}×{self.shape[2]} maps")
            last["pool"], self.shape = p, (self.shape[0], self.shape[1] // p, self.shape[2] // p)
        elif op in ACTIVATION_OPS:
            if not open_:
                self.refuse(i, node, "pynn applies one activation per layer, after a Conv, Gemm or MatMul")
            last["activation"] = ACTIVATION_OPS[op]
        elif op in ("Flatten", "Reshape"):
            self.reshape(i, node, attrs, args)
        elif op in ("Gemm", "MatMul"):
            self.dense(i, node, attrs, args)
        elif op == "Add":
            if not open_ or last["kind"] != "dense" or last["b"] is not None or args[0] is None \
                    or args[0].size != last["w"].shape[1]:
                self.refuse(i, node, "pynn reads Add only as the bias of the MatMul before it")
            last["b"] = args[0].reshape(-1)
        elif op in ("Softmax", "LogSoftmax"):
            axis = attrs.get("axis", 1)
            if not open_ or last["kind"] != "dense" or axis not in (1, -1):
                self.refuse(i, node, f"axis {axis}: pynn's output is a softmax over a Gemm's outputs")
            last["activation"] = "softmax"
        else:
            self.refuse(i, node, "pynn cannot take this operator (it reads Conv, MaxPool, Relu, Sigmoid, Tanh, "
                                 "Flatten, Reshape, Gemm, MatMul, Add, Softmax, LogSoftmax)")

    def close(self, i: int, node) -> None:
        """The layer before a new Conv or Gemm must be complete: pynn's hidden layers all have an activation."""
        if self.layers and self.layers[-1]["activation"] in (None, "softmax"):
            self.refuse(i, node, "follows a layer with no sigmoid, tanh or ReLU (or the softmax): pynn's hidden "
                                 "layers each have one")
        if self.layers and self.layers[-1]["kind"] == "dense" and self.layers[-1]["b"] is None:
            self.layers[-1]["b"] = np.zeros(self.layers[-1]["w"].shape[1])

    def reshape(self, i: int, node, attrs: dict, args: list) -> None:
        size = int(np.prod(self.shape))
        if node.op_type == "Flatten":
            if attrs.get("axis", 1) != 1:
                self.refuse(i, node, f"axis {attrs['axis']}: pynn flattens each image (axis 1)")
            self.shape = (size,)
            return
        target = args[0] if args else None
        if target is None or target.dtype != np.int64 or target.ndim != 1 or not 2 <= len(target) <= 4 \
                or list(target).count(-1) > 1:
            self.refuse(i, node, f"shape {None if target is None else target.tolist()}: pynn reads a Reshape "
                                 "to [N, features] or [N, C, H, W] only")
        known = int(np.prod([d for d in target[1:] if d != -1]))  # the batch is first: -1, 0 or its size
        rest = [size // known if d == -1 and known > 0 else int(d) for d in target[1:]]
        if int(np.prod(rest)) != size or min(rest) < 1:
            self.refuse(i, node, f"shape {target.tolist()} for values of shape [N, {', '.join(map(str, self.shape))}]")
        self.shape = tuple(rest)

    def dense(self, i: int, node, attrs: dict, args: list) -> None:
        w, b = (args + [None])[:2]
        if len(self.shape) != 1 or w is None or w.ndim != 2:
            self.refuse(i, node, f"weights {None if w is None else list(w.shape)} on values of shape "
                                 f"[N, {', '.join(map(str, self.shape))}]: flatten first")
        if node.op_type == "Gemm":
            if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or attrs.get("transA", 0):
                self.refuse(i, node, "pynn reads Gemm with alpha 1, beta 1 and no transA")
            w = w.T if attrs.get("transB", 0) else w
        if w.shape[0] != self.shape[0] or b is not None and b.size != w.shape[1]:
            self.refuse(i, node, f"weights {list(w.shape)} and bias {None if b is None else list(b.shape)} "
                                 f"for {self.shape[0]} inputs")
        self.close(i, node)
        self.layers.append({"kind": "dense", "w": w, "b": None if b is None else b.reshape(-1), "activation": None})
        self.shape = (w.shape[1],)


def to_spec(layers: list[dict], props: dict, error: type[Exception]) -> tuple[dict, list]:
    """pynn.files.modelfile's (spec, params): the seed's MLP for a chain of Gemm + Sigmoid, else network3 layers."""
    last = layers[-1]
    if last["kind"] == "dense" and last["b"] is None:
        last["b"] = np.zeros(last["w"].shape[1])
    if last["kind"] != "dense":
        raise error("the ONNX graph ends in a convolution; pynn's nets end in a fully connected layer")
    if all(layer["kind"] == "dense" and layer["activation"] == "sigmoid" for layer in layers):
        sizes = [layers[0]["w"].shape[0]] + [layer["w"].shape[1] for layer in layers]
        params = [a for layer in layers for a in (layer["w"].T, layer["b"].reshape(-1, 1))]
        return {"kind": "network2", "sizes": sizes, "cost": props.get(KEY_COST, "quadratic")}, params
    if last["activation"] is None:
        last["activation"] = "softmax"  # logits (or LogSoftmax): pynn's outputs are their softmax
    if last["activation"] != "softmax":
        raise error(f"the ONNX graph ends in {last['activation']} after other activations; pynn's layered nets "
                    "end in a softmax, and its sigmoid MLP has sigmoids throughout")
    dropout = dropout_rates(props, len(layers), error)
    specs, params = [], []
    for layer, p in zip(layers, dropout):
        if layer["kind"] == "conv":
            specs.append({"type": "ConvPoolLayer", "filter_shape": list(layer["w"].shape),
                          "image_shape": list(layer["image"]), "poolsize": [layer["pool"]] * 2,
                          "activation_fn": layer["activation"]})
        elif layer["activation"] == "softmax":
            specs.append({"type": "SoftmaxLayer", "n_in": layer["w"].shape[0], "n_out": layer["w"].shape[1],
                          "p_dropout": p})
        else:
            specs.append({"type": "FullyConnectedLayer", "n_in": layer["w"].shape[0], "n_out": layer["w"].shape[1],
                          "activation_fn": layer["activation"], "p_dropout": p})
        params += [layer["w"], layer["b"]]
    return {"kind": "network3", "layers": specs}, params


def dropout_rates(props: dict, count: int, error: type[Exception]) -> list[float]:
    """pynn's dropout rates from its metadata (training-time only: the graph cannot show them), else 0."""
    if KEY_DROPOUT not in props:
        return [0.0] * count
    try:
        rates = json.loads(props[KEY_DROPOUT][:10_000])
    except ValueError:  # not JSON, or cut short: refused below
        rates = None
    if not isinstance(rates, list) or len(rates) != count or not all(type(r) is float for r in rates):
        raise error(f"the ONNX metadata {KEY_DROPOUT} must list one dropout rate per layer ({count})")
    return rates
