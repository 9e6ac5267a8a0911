"""Save and load a layered (network3) network as versioned JSON.

    {"format": "pynn-network3", "version": 1,
     "layers": [layer.describe(), ...],
     "params": [[weights, biases], ...],   # nested lists, network3's shapes
     "meta": {...}}

Like :mod:`pynn.io` (whose size cap, NaN refusal and nesting check this reuses),
a file may come from anywhere, so everything is checked — the format tag and
version, every layer spec (through the same validators as the constructors),
the parameter count against a cap before any array is made, every parameter's
exact shape, type (no bools, strings or nulls) and finiteness — and anything
else is a :class:`pynn.io.ModelFileError`.  Floats go through JSON's repr, so a
round trip is exact.
"""

from __future__ import annotations

import json

import numpy as np

from pynn.io import MAX_BYTES, MAX_DEPTH, MAX_PARAMETERS, ModelFileError, nesting_depth, refuse_constant
from pynn.layers import Layer
from pynn.network3 import Network

FORMAT, VERSION = "pynn-network3", 1
KEYS = {"format", "version", "layers", "params"}


def to_dict(network: Network, meta: dict | None = None) -> dict:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "layers": [layer.describe() for layer in network.layers],
        "params": [[p.tolist() for p in layer.params] for layer in network.layers],
    }
    if meta:
        data["meta"] = meta
    return data


def to_json(network: Network, meta: dict | None = None) -> str:
    """The network as JSON text (NaN or inf parameters are refused by json itself)."""
    return json.dumps(to_dict(network, meta), allow_nan=False)


def parse(text: str | bytes | bytearray | memoryview):
    """JSON text to Python values, with pynn.io's limits: size, UTF-8, nesting, no NaN/Infinity."""
    if len(text) > MAX_BYTES:
        raise ModelFileError(f"model file is {len(text) / 1e6:.1f} MB; the cap is {MAX_BYTES // 2**20} MB")
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError("model file is not UTF-8 text (is it a JSON file?)") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise ModelFileError("model file is nested too deeply to be a network")
    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"model file is not valid JSON: {error}") from None
    except ModelFileError:
        raise
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"model file cannot be read: {error}") from None


def loads_network3(data) -> Network:
    """A Network from a parsed model file (dict) or its JSON text, or ModelFileError."""
    if isinstance(data, (str, bytes, bytearray, memoryview)):
        data = parse(data)
    if not isinstance(data, dict):
        raise ModelFileError(f"model file must be a JSON object, got {type(data).__name__}")
    missing, unknown = KEYS - data.keys(), data.keys() - KEYS - {"meta"}
    if missing or unknown:
        raise ModelFileError(f"model file needs keys {sorted(KEYS)}; missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
    if data["format"] != FORMAT:
        raise ModelFileError(f"format must be {FORMAT!r}, got {data['format']!r:.80}")
    version = data["version"]
    if type(version) is not int or version != VERSION:
        raise ModelFileError(f"version {version!r:.40} is not supported; this pynn reads version {VERSION}")
    specs, params = data["layers"], data["params"]
    if not isinstance(specs, list) or not specs or not isinstance(params, list) or len(params) != len(specs):
        raise ModelFileError("layers and params must be non-empty lists of the same length")
    layers = []
    for i, spec in enumerate(specs):
        try:
            layers.append(Layer.from_description(spec))
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"layers[{i}]: {error}") from None
    shapes = [layer.param_shapes() for layer in layers]
    count = sum(int(np.prod(shape)) for layer_shapes in shapes for shape in layer_shapes)
    if count > MAX_PARAMETERS:
        raise ModelFileError(f"layers mean {count:,} parameters; the cap is {MAX_PARAMETERS:,}")
    for i, (layer, values, layer_shapes) in enumerate(zip(layers, params, shapes)):
        if not isinstance(values, list) or len(values) != len(layer_shapes):
            raise ModelFileError(f"params[{i}] must be a list of {len(layer_shapes)} arrays (weights, biases)")
        layer.set_params([to_array(v, s, f"params[{i}][{j}]") for j, (v, s) in enumerate(zip(values, layer_shapes))])
    try:
        network = Network(layers)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"layers do not form a network: {error}") from None
    meta = data.get("meta")
    network.meta = meta if isinstance(meta, dict) else {}
    return network


def to_array(value, shape: tuple, where: str) -> np.ndarray:
    """Nested lists of exactly ``shape`` holding only finite JSON numbers, as float64."""
    rows = [value]
    for depth, size in enumerate(shape):
        for row in rows:
            if not isinstance(row, list) or len(row) != size:
                raise ModelFileError(f"{where} must have shape {shape} (wrong length at depth {depth})")
        rows = [item for row in rows for item in row]
    if not all(type(item) is float or type(item) is int for item in rows):  # not bool, str, None, list…
        raise ModelFileError(f"{where} must hold only numbers")
    try:
        array = np.array(rows, dtype=np.float64).reshape(shape)
    except OverflowError:
        raise ModelFileError(f"{where} holds a number too large to be a float64") from None
    if not np.isfinite(array).all():
        raise ModelFileError(f"{where} holds a number too large to be a float64")
    return array
