"""Save and load networks as JSON, in the layout of Nielsen's network2.py.

A model file may come from anywhere (an upload in the browser), so ``loads``
trusts nothing: the size is capped before parsing, NaN/Infinity literals are
refused, and every field is checked for type, shape and finiteness before a
Network is built.  There is no pickle and no eval anywhere on this path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from pynn.costs import COSTS, CrossEntropyCost, QuadraticCost
from pynn.network import Network

MAX_BYTES = 50 * 1024 * 1024
MAX_PARAMETERS = 10_000_000
MAX_DEPTH = 64  # a network2 file nests 4 deep; json's C parser recurses per level, which overflows Pyodide's stack
JSON_STRING = re.compile(r'"[^"]*"')  # once escaped backslashes and quotes are gone
BLOCK = 1 << 22
COST_NAMES = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost, **COSTS}  # network2's names too
KEYS = {"sizes", "weights", "biases", "cost"}


class ModelFileError(ValueError):
    """A model file that is not a valid pynn/network2 network."""


def to_json(network: Network, meta: dict | None = None) -> str:
    """The network as network2-style JSON (the cost under network2's class name)."""
    data = {
        "sizes": list(network.sizes),
        "weights": [w.tolist() for w in network.weights],
        "biases": [b.tolist() for b in network.biases],
        "cost": network.cost.__name__,
    }
    if meta:
        data["meta"] = meta
    return json.dumps(data, allow_nan=False)


def save(network: Network, path: str | Path, meta: dict | None = None) -> None:
    """Write ``to_json`` to ``path`` (atomically, so a crash leaves no half file)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(to_json(network, meta), encoding="utf-8")
    partial.replace(path)


def read_capped(path: str | Path, cap: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes.  Devices and pipes are refused
    before reading (/dev/zero never ends, a FIFO may never answer), and at most cap + 1
    bytes are read, in case the file grows."""
    path, cap = Path(path), MAX_BYTES if cap is None else cap
    if not path.is_file():
        raise ModelFileError(f"{path} is not a regular file")
    with path.open("rb") as file:
        data = file.read(cap + 1)
    if len(data) > cap:
        raise ModelFileError(f"{path.name} is over the {megabytes(cap)} cap for model files")
    return data


def megabytes(size: int) -> str:
    """A byte count as the page and the CLI both show it (MiB, written MB)."""
    return f"{size / 2**20:.1f} MB"


def load(path: str | Path) -> Network:
    """Read and validate a model file; see ``loads``."""
    return loads(read_capped(path))


def refuse_constant(name: str):
    raise ModelFileError(f"model file contains {name}; weights must be finite numbers")


def loads(text: str | bytes | bytearray | memoryview) -> Network:
    """A Network from JSON text, or ModelFileError saying exactly what is wrong."""
    if len(text) > MAX_BYTES:
        raise ModelFileError(f"model file is {megabytes(len(text))}; the cap is {megabytes(MAX_BYTES)}")
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError("model file is not UTF-8 text (is it a JSON file?)") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise ModelFileError("model file is nested too deeply to be a network")
    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"model file is not valid JSON: {error}") from None
    except ModelFileError:
        raise
    except ValueError as error:  # e.g. an integer literal longer than Python will convert
        raise ModelFileError(f"model file has a number that cannot be read: {error}") from None
    except RecursionError:
        raise ModelFileError("model file is nested too deeply to be a network") from None
    return from_dict(data)


def nesting_depth(text: str) -> int:
    """How deep [ and { nest outside strings, found without recursion (so before json parses)."""
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    codes = np.frombuffer(JSON_STRING.sub("", unescaped).encode("utf-8"), dtype=np.uint8)
    depth = deepest = 0
    for start in range(0, len(codes), BLOCK):  # in blocks, to bound the memory the running sum takes
        block = codes[start:start + BLOCK]
        steps = (block == ord("[")).astype(np.int32) + (block == ord("{")) - (block == ord("]")) - (block == ord("}"))
        levels = depth + np.cumsum(steps)
        deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
    return deepest


def from_dict(data) -> Network:
    """Validate a parsed model file and build the Network."""
    if not isinstance(data, dict):
        raise ModelFileError(f"model file must be a JSON object, got {type(data).__name__}")
    missing, unknown = KEYS - data.keys(), data.keys() - KEYS - {"meta"}
    if missing or unknown:
        raise ModelFileError(f"model file needs keys {sorted(KEYS)}; "
                             f"missing {sorted(missing)}, unknown {sorted(unknown)}")
    sizes = check_sizes(data["sizes"])
    cost = data["cost"]
    if not isinstance(cost, str) or cost not in COST_NAMES:
        raise ModelFileError(f"unknown cost {cost!r}; expected one of {sorted(COST_NAMES)}")
    weights = check_layers("weights", data["weights"], [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])])
    biases = check_layers("biases", data["biases"], [(n_out, 1) for n_out in sizes[1:]])
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    return Network.from_parameters(weights, biases, cost=COST_NAMES[cost].name, meta=meta)


def check_sizes(sizes) -> list[int]:
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise ModelFileError(f"sizes must be a list of at least 2 layer sizes, got {sizes!r:.80}")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes):
        raise ModelFileError(f"sizes must be positive integers, got {sizes!r:.80}")
    parameters = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if parameters > MAX_PARAMETERS:
        raise ModelFileError(f"sizes {sizes!r:.80} mean {parameters:,} parameters; the cap is {MAX_PARAMETERS:,}")
    return sizes


def check_layers(name: str, layers, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    """Each layer a nested list of plain numbers with exactly the expected shape, all finite."""
    if not isinstance(layers, list) or len(layers) != len(shapes):
        raise ModelFileError(f"{name} must be a list of {len(shapes)} layers for these sizes")
    arrays = []
    for i, (layer, shape) in enumerate(zip(layers, shapes)):
        where = f"{name}[{i}]"
        if not isinstance(layer, list) or len(layer) != shape[0]:
            raise ModelFileError(f"{where} must be {shape[0]} rows of {shape[1]} numbers (shape {shape})")
        for row in layer:
            if not isinstance(row, list) or len(row) != shape[1]:
                raise ModelFileError(f"{where} must be {shape[0]} rows of {shape[1]} numbers (shape {shape})")
            if not all(type(value) is float or type(value) is int for value in row):  # not bool, str, None…
                raise ModelFileError(f"{where} must hold only numbers")
        array = np.array(layer)
        if array.shape != shape or array.dtype.kind not in "if":
            raise ModelFileError(f"{where} must hold only numbers (found {array.dtype.name} values)")
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            raise ModelFileError(f"{where} holds a number too large to be a float64")
        arrays.append(array)
    return arrays
