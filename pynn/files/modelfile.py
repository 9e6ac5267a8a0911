"""Save and load networks: the seed's MLP in Nielsen's network2 JSON layout, the layered network3
nets in a versioned JSON layout of their own, either as .npz; ONNX read too (onnx_import).

A model file may come from anywhere (an upload in the browser), so ``loads`` trusts nothing: sizes
are capped before parsing (pynn.files.untrusted), NaN/Infinity literals, pickles and object arrays
are refused, and every field is checked for type, shape and finiteness before a network is built.
There is no pickle and no eval anywhere on this path.  A network is described once, as (spec,
params), and both encodings go through that, so they check the same things.  JSON is the
download/upload format; the page loads its shipped model as .npz, which np.load reads in
milliseconds where the JSON takes a large part of a second."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TypeGuard

import numpy as np

from pynn.files.untrusted import (
    MODEL_FORMAT,
    NETWORK2_KEYS,
    UntrustedFileError,
    file_kind,
    float_array,
    megabytes,
    nesting_depth,
    npz_arrays,
    parse_json,
    read_capped,
)
from pynn.nets import network3
from pynn.nets.costs import COSTS, CrossEntropyCost, QuadraticCost
from pynn.nets.layers import Layer
from pynn.nets.network import Network

MAX_BYTES = 50 * 1024 * 1024
MAX_PARAMETERS = 10_000_000
MAX_DEPTH = 64  # a model file nests 6 deep at most; json's C parser recurses per level (Pyodide's stack is small)
MAX_LAYERS = 64
META_BYTES = 1 << 20  # an .npz's meta text (save holds a JSON file's meta to it too: one rule for both)
COST_NAMES = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost, **COSTS}  # network2's names too
NETWORK3_FORMAT, NETWORK3_KEYS = MODEL_FORMAT, {"format", "version", "layers", "params"}
NPZ_FORMAT, NPZ_KEYS = "pynn-npz", {"format", "version", "spec", "meta"}
VERSION = 1

Model = Network | network3.Network


class ModelFileError(UntrustedFileError):
    """A model file that is not a valid pynn network."""


def spec_and_params(model: Model) -> tuple[dict, list[np.ndarray]]:
    """The architecture as JSON data, and the parameter arrays in a fixed order."""
    if isinstance(model, network3.Network):
        return ({"kind": "network3", **model.describe()},
                [p for layer in model.layers for p in layer.params])
    return ({"kind": "network2", "sizes": list(model.sizes), "cost": model.cost.__name__},
            [p for pair in zip(model.weights, model.biases) for p in pair])


def build(spec, params: list, meta) -> Model:
    """A network from its spec and parameters (arrays or nested lists), all checked."""
    meta = meta if isinstance(meta, dict) else {}
    if not isinstance(spec, dict) or spec.get("kind") not in ("network2", "network3"):
        raise ModelFileError("model spec must say its kind: network2 or network3")
    if not isinstance(params, list):
        raise ModelFileError("model parameters must be a list of arrays")
    if spec["kind"] == "network2":
        sizes, cost = check_sizes(spec.get("sizes")), spec.get("cost")
        if not isinstance(cost, str) or cost not in COST_NAMES:
            raise ModelFileError(f"unknown cost {cost!r:.40}; expected one of {sorted(COST_NAMES)}")
        shapes = [shape for n_in, n_out in zip(sizes[:-1], sizes[1:]) for shape in ((n_out, n_in), (n_out, 1))]
        names = [f"{kind}[{i}]" for i in range(len(sizes) - 1) for kind in ("weights", "biases")]
        arrays = check_params(params, shapes, names)
        return Network.from_parameters(arrays[0::2], arrays[1::2], cost=COST_NAMES[cost].name, meta=meta)
    specs = spec.get("layers")
    if not isinstance(specs, list) or not 1 <= len(specs) <= MAX_LAYERS:
        raise ModelFileError(f"layers must be a list of 1 to {MAX_LAYERS} layer descriptions")
    layers = []
    for i, layer_spec in enumerate(specs):
        try:
            layers.append(Layer.from_description(layer_spec))
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"layers[{i}]: {error}") from None
    shapes = [shape for layer in layers for shape in layer.param_shapes()]
    names = [f"params[{i}][{j}]" for i, layer in enumerate(layers) for j in range(len(layer.param_shapes()))]
    arrays = check_params(params, shapes, names)
    for layer in layers:
        count = len(layer.param_shapes())
        layer.set_params(arrays[:count])
        arrays = arrays[count:]
    try:
        return network3.Network(layers, meta=meta)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"layers do not form a network: {error}") from None


def check_sizes(sizes) -> list[int]:
    if not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS + 1:
        raise ModelFileError(f"sizes must be a list of at least 2 layer sizes (at most {MAX_LAYERS + 1}), "
                             f"got {sizes!r:.80}")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes):
        raise ModelFileError(f"sizes must be positive integers, got {sizes!r:.80}")
    count = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if count > MAX_PARAMETERS:  # before the weights are looked at
        raise ModelFileError(f"sizes {sizes!r:.80} mean {count:,} parameters; the cap is {MAX_PARAMETERS:,}")
    return sizes


def check_params(params: list, shapes: list[tuple], names: list[str]) -> list[np.ndarray]:
    """Exactly one finite float array per expected shape, within the parameter cap (checked first)."""
    count = sum(int(np.prod(shape, dtype=np.float64)) for shape in shapes)
    if count > MAX_PARAMETERS:
        raise ModelFileError(f"the model's layers mean {count:,} parameters; the cap is {MAX_PARAMETERS:,}")
    if len(params) != len(shapes):
        raise ModelFileError(f"the model's layers need {len(shapes)} parameter arrays, the file has {len(params)}")
    return [float_array(p, tuple(shape), name, ModelFileError) for p, shape, name in zip(params, shapes, names)]


def to_json(model: Model, meta: dict | None = None) -> str:
    """network2's layout for the MLP (cost under network2's class name), network3's own for
    layered nets; ``meta`` defaults to the model's own.  Floats round-trip exactly."""
    spec, params = spec_and_params(model)
    meta = model.meta if meta is None else meta
    if isinstance(model, Network):
        data = {"sizes": spec["sizes"], "weights": [w.tolist() for w in params[0::2]],
                "biases": [b.tolist() for b in params[1::2]], "cost": spec["cost"]}
    else:
        nested, start = [], 0
        for count in (len(layer.param_shapes()) for layer in model.layers):
            nested.append([p.tolist() for p in params[start:start + count]])
            start += count
        data = {"format": NETWORK3_FORMAT, "version": VERSION, "layers": spec["layers"], "params": nested}
    if meta:
        data["meta"] = meta
    return json.dumps(data, allow_nan=False)


def to_npz(model: Model, meta: dict | None = None) -> bytes:
    """An uncompressed .npz: format, version, spec and meta as JSON text, and p0, p1, … float64."""
    spec, params = spec_and_params(model)
    meta = model.meta if meta is None else meta
    arrays = {"format": np.array(NPZ_FORMAT), "version": np.array(VERSION, dtype=np.int64),
              "spec": np.array(json.dumps(spec)), "meta": np.array(json.dumps(meta or {}, allow_nan=False))}
    arrays.update({f"p{i}": np.asarray(p, dtype=np.float64) for i, p in enumerate(params)})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stubs read a key as allow_pickle (2.1+)
    return buffer.getvalue()


class UnloadableModelError(ValueError):
    """A model that ``load`` would refuse as a file (too large, too deep), so it is not written."""


def check_parameter_count(model: Model) -> tuple[dict, int]:
    """The model's spec and parameter count, or UnloadableModelError where load's caps on layers
    and parameters would refuse it (checked before anything is encoded)."""
    spec, params = spec_and_params(model)
    layers = len(spec["sizes"]) - 1 if spec["kind"] == "network2" else len(spec["layers"])
    if layers > MAX_LAYERS:
        raise UnloadableModelError(f"the model has {layers} layers; pynn reads at most {MAX_LAYERS}")
    count = sum(p.size for p in params)
    if count > MAX_PARAMETERS:
        raise UnloadableModelError(f"the model has {count:,} parameters; pynn reads at most "
                                   f"{MAX_PARAMETERS:,}, in either format")
    return spec, count


def check_meta(meta) -> None:
    """Meta that load would read back: within the nesting and size it allows."""
    text = json.dumps(meta or {}, allow_nan=False)
    if len(text) > META_BYTES or nesting_depth(text) > MAX_DEPTH - 1:  # JSON files nest it under the top level
        raise UnloadableModelError(f"the model's meta is over {megabytes(META_BYTES)} or nested over "
                                   f"{MAX_DEPTH - 1} levels; pynn.files.modelfile.load would refuse it")


def encode(model: Model, meta: dict | None = None, form: str = "json") -> bytes:
    """The model file's bytes as ``form`` ("json" or "npz"), or UnloadableModelError if
    ``loads`` would refuse them: what pynn writes, pynn reads back."""
    if form not in ("json", "npz"):
        raise ValueError(f"form must be 'json' or 'npz', got {form!r}")
    _, count = check_parameter_count(model)
    meta = model.meta if meta is None else meta
    check_meta(meta)
    data = to_npz(model, meta) if form == "npz" else to_json(model, meta).encode("utf-8")
    if len(data) > MAX_BYTES:
        hint = ""
        if form == "json":
            npz_bytes = 8 * count + 4096  # float64 parameters and the headers
            hint = ("; save it as .npz (a path ending in .npz), which takes about "
                    f"{megabytes(npz_bytes)}" if npz_bytes <= MAX_BYTES else "; as .npz it is too large as well")
        raise UnloadableModelError(f"the model is {megabytes(len(data))} as {form.upper()}, over the "
                                   f"{megabytes(MAX_BYTES)} pynn.files.modelfile.load reads{hint}")
    return data


def save(model: Model, path: str | Path, meta: dict | None = None) -> None:
    """Write the model to ``path``: .npz if its name ends so, else JSON (``to_json``).  A model
    ``load`` would refuse raises UnloadableModelError and writes nothing; the file is
    written atomically, so a crash leaves no half file."""
    path = Path(path)
    data = encode(model, meta, "npz" if path.suffix.lower() == ".npz" else "json")
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def load(path: str | Path) -> Model:
    """Read and validate a model file (JSON, .npz or .onnx); see ``loads``."""
    return loads(read_capped(path, MAX_BYTES, ModelFileError))


def is_npz(data) -> TypeGuard[bytes | bytearray | memoryview]:
    """Whether ``data`` looks like an .npz (a zip archive) rather than JSON text."""
    return isinstance(data, (bytes, bytearray, memoryview)) and bytes(data[:4]) == b"PK\x03\x04"


def loads(data: str | bytes | bytearray | memoryview) -> Model:
    """A network from a model file's JSON text, .npz or ONNX bytes, or ModelFileError saying what is wrong."""
    if is_npz(data):
        return loads_npz(data)
    from pynn.files import onnx_import  # here: the page's start reads .npz only (README's Startup)
    if onnx_import.is_onnx(data):
        spec, params, meta = onnx_import.parse(data, cap=MAX_BYTES, max_parameters=MAX_PARAMETERS, error=ModelFileError)
        return build(spec, params, parsed_meta(meta or "{}"))
    parsed = parse_json(data, cap=MAX_BYTES, max_depth=MAX_DEPTH, what="model file", error=ModelFileError)
    if not isinstance(parsed, dict):
        raise ModelFileError(f"model file must be a JSON object, got {type(parsed).__name__}")
    if file_kind(parsed) == "digits":
        raise ModelFileError("this is a file of your digits (labelled drawings), not a model file")
    if "format" in parsed:
        check_header(parsed, NETWORK3_FORMAT, NETWORK3_KEYS)
        nested = parsed["params"]
        if not isinstance(nested, list) or not all(isinstance(layer, list) for layer in nested):
            raise ModelFileError("params must be a list of each layer's list of arrays")
        spec = {"kind": "network3", "layers": parsed["layers"]}
        counts = check_layer_counts(spec, nested)
        return build(spec, [p for layer, count in zip(nested, counts) for p in layer], parsed.get("meta"))
    check_keys(parsed, NETWORK2_KEYS)
    sizes = check_sizes(parsed["sizes"])
    weights, biases = parsed["weights"], parsed["biases"]
    for name, layers in (("weights", weights), ("biases", biases)):
        if not isinstance(layers, list) or len(layers) != len(sizes) - 1:
            raise ModelFileError(f"{name} must be a list of {len(sizes) - 1} layers for these sizes")
    spec = {"kind": "network2", "sizes": parsed["sizes"], "cost": parsed["cost"]}
    return build(spec, [p for pair in zip(weights, biases) for p in pair], parsed.get("meta"))


def check_keys(data: dict, keys: set[str] | frozenset[str]) -> None:
    """Exactly ``keys``, and optionally "meta"."""
    missing, unknown = keys - data.keys(), data.keys() - keys - {"meta"}
    if missing or unknown:
        raise ModelFileError(f"model file needs keys {sorted(keys)}; "
                             f"missing {sorted(missing)}, unknown {sorted(unknown)}")


def check_header(data: dict, form: str, keys: set[str]) -> None:
    check_keys(data, keys)
    if data["format"] != form:
        raise ModelFileError(f"format must be {form!r}, got {data['format']!r:.80}")
    if type(data["version"]) is not int or data["version"] != VERSION:
        raise ModelFileError(f"version {data['version']!r:.40} is not supported; this pynn reads version {VERSION}")


def check_layer_counts(spec: dict, nested: list) -> list[int]:
    """Each layer's entry holds its two arrays, weights and biases (so a misplaced array is named)."""
    layers = spec["layers"] if isinstance(spec["layers"], list) else []
    if len(nested) != len(layers):
        raise ModelFileError(f"params has {len(nested)} layers' arrays; layers describes {len(layers)}")
    for i, arrays in enumerate(nested):
        if len(arrays) != 2:
            raise ModelFileError(f"params[{i}] must be a list of 2 arrays (weights, biases)")
    return [2] * len(nested)


def loads_npz(data: bytes | bytearray | memoryview) -> Model:
    """A network from .npz bytes written by ``to_npz``, or ModelFileError saying what is wrong."""
    arrays = npz_arrays(data, cap=MAX_BYTES, max_members=len(NPZ_KEYS) + 3 * MAX_LAYERS, error=ModelFileError)
    header = {name: npz_text_or_int(arrays, name) for name in NPZ_KEYS & arrays.keys()}
    params = {name for name in arrays if name not in NPZ_KEYS}
    check_header({**header, "meta": None}, NPZ_FORMAT, {"format", "version", "spec"})
    if params != {f"p{i}" for i in range(len(params))}:
        raise ModelFileError(f"model .npz members must be {sorted(NPZ_KEYS)} and p0, p1, …; has {sorted(arrays)}")
    spec = parse_json(header["spec"], cap=1 << 20, max_depth=8, what="model spec", error=ModelFileError)
    return build(spec, [arrays[f"p{i}"] for i in range(len(params))], parsed_meta(header.get("meta", "{}")))


def parsed_meta(text: str):
    return parse_json(text, cap=META_BYTES, max_depth=MAX_DEPTH, what="model meta", error=ModelFileError)


def npz_text_or_int(arrays: dict, name: str):
    array = arrays[name]
    if array.shape != () or array.dtype.kind not in ("i" if name == "version" else "U"):
        raise ModelFileError(f"model .npz field {name!r} must be a single {'integer' if name == 'version' else 'text'}")
    return array.item()
