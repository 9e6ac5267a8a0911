"""A model as one Python file that needs only numpy: "Download as Python".

The file holds the weights (float64, exactly pynn's, as an .npz in base64) and a forward pass in plain
numpy that gives what ``feedforward`` gives, and it reads drawings the way the page does: its
normalisation is pynn.data.digits itself, copied into the file from that module's source when the file is
made, so there is one source of that logic.  Run it as ``python FILE.py images.npy`` (28×28 digits,
MNIST's pixels) or ``python FILE.py drawing.npy --drawing`` (any size, ink > 0 on 0), or import it
and call ``outputs(images)`` / ``predict(image, drawing=True)``.
"""

from __future__ import annotations

import ast
import base64
import importlib.resources
import json

from pynn import __version__
from pynn.files import modelfile
from pynn.nets import network3
from pynn.nets.architectures import summary

DROPPED_IMPORTS = ("from __future__ import annotations", "import numpy as np", "from pynn.checks import check_finite")

TEMPLATE = '''"""{title}: a digit reader exported by pynn {version}, needing only numpy.

    python {{this file}} images.npy              # N×28×28 (or N×784, or one 28×28) digits, MNIST's pixels 0–1
    python {{this file}} drawing.npy --drawing   # one grayscale drawing of any size, ink > 0 on 0

or, imported: ``outputs(images)`` gives the network's {n_out} outputs per image ({kind}), exactly as
pynn's feedforward; ``predict(image, drawing=False)`` gives (digit, shares summing to 1), as the page shows.
A drawing is first normalised as MNIST's digits were (crop, 20×20 box, centre of mass): the code under
"pynn.data.digits" below is that module of pynn, copied in.
"""

from __future__ import annotations

import base64
import io
import json
import sys

import numpy as np

SPEC = json.loads({spec!r})
META = json.loads({meta!r})
WEIGHTS = {weights!r}  # an .npz (p0, p1, …: float64 parameters in pynn's shapes), base64


# ---------------------------------------------------------------- pynn.checks.check_finite
{check_finite}

# ---------------------------------------------------------------- pynn.data.digits
{digits}

# ---------------------------------------------------------------- the network


def parameters() -> list:
    with np.load(io.BytesIO(base64.b64decode(WEIGHTS)), allow_pickle=False) as archive:
        return [archive[f"p{{i}}"] for i in range(sum(name.startswith("p") for name in archive.files))]


PARAMS = parameters()


def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    e = np.exp(z - z.max(axis=1, keepdims=True))  # softmax, row by row
    return e / e.sum(axis=1, keepdims=True)


def conv_pool(x: np.ndarray, w: np.ndarray, b: np.ndarray, pool: int, name: str) -> np.ndarray:
    """Valid convolution (as cross-correlation, pynn's and ONNX's), p×p max-pooling, bias, activation."""
    f, _, kh, kw = w.shape
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # (m, C, OH, OW, kh, kw)
    z = np.einsum("mchwij,fcij->mfhw", patches, w)
    m, _, oh, ow = z.shape
    pooled = z.reshape(m, f, oh // pool, pool, ow // pool, pool).max(axis=(3, 5))
    return activate(name, pooled + b.reshape(1, f, 1, 1))


def outputs(images) -> np.ndarray:
    """(N, {n_out}) outputs for N images given as (N, 28, 28), (N, 784), (28, 28) or (784,)."""
    x = np.asarray(images, dtype=np.float64)
    x = x.reshape(-1, SPEC.get("n_in", 784))
    check_finite("images", x)
    if SPEC["kind"] == "network2":
        a = x.T
        for w, b in zip(PARAMS[0::2], PARAMS[1::2]):
            a = activate("sigmoid", w @ a + b)
        return a.T
    a = x
    for layer, w, b in zip(SPEC["layers"], PARAMS[0::2], PARAMS[1::2]):
        if layer["type"] == "ConvPoolLayer":
            a = conv_pool(a.reshape(len(a), *layer["image_shape"]), w, b, layer["poolsize"][0],
                          layer["activation_fn"]).reshape(len(a), -1)
        else:
            a = activate(layer.get("activation_fn", "softmax"), a.reshape(len(a), -1) @ w + b)
    return a


def predict(image, drawing: bool = False) -> tuple:
    """(digit, shares of the outputs summing to 1) for one 28×28 image, or a drawing normalised first."""
    x = normalize_digit(image) if drawing else np.asarray(image, dtype=np.float64)
    out = outputs(x)[0]
    return int(np.argmax(out)), out / out.sum()


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    array = np.load(sys.argv[1], allow_pickle=False)
    rows = outputs(normalize_digit(array)) if "--drawing" in sys.argv else outputs(array)
    if "--json" in sys.argv:
        print(json.dumps(rows.tolist()))
    else:
        for i, row in enumerate(rows):
            print(f"{{i}}: digit {{int(np.argmax(row))}}  " + " ".join(f"{{v:.3f}}" for v in row / row.sum()))
'''


def source(name: str) -> str:
    """The text of pynn/NAME.py (NAME such as "data/digits"): the file itself, or in a wheel of .pyc
    only (the site's) the copy the wheel carries as pynn/sources/BASENAME.py.txt
    (buildtools/hatch_build.py)."""
    package = importlib.resources.files("pynn")
    base = name.rsplit("/", 1)[-1]
    for path in (package.joinpath(*f"{name}.py".split("/")), package / "sources" / f"{base}.py.txt"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise RuntimeError(f"pynn/{name}.py's source is not installed; cannot write a Python predictor")


def module_source(name: str) -> str:
    """A module's source, without the imports the generated file makes itself."""
    lines = source(name).splitlines()
    return "\n".join(line for line in lines if line.strip() not in DROPPED_IMPORTS).strip() + "\n"


def function_source(module: str, function: str) -> str:
    text = source(module)
    node = next(node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef) and node.name == function)
    segment = ast.get_source_segment(text, node)
    if segment is None:  # the node came from this very text
        raise ValueError(f"{module}.{function}'s source cannot be read back")
    return segment


def to_python(model: modelfile.Model, meta: dict | None = None) -> str:
    """The model as the text of one Python file needing only numpy (see the module docstring)."""
    spec, params = modelfile.spec_and_params(model)
    if spec["kind"] == "network2":
        spec["n_in"] = model.sizes[0]
    npz = modelfile.to_npz(model, meta)  # p0, p1, … plus pynn's header; the file reads the p's
    kind = "softmax probabilities" if isinstance(model, network3.Network) else "sigmoid activations"
    return TEMPLATE.format(
        title=f"pynn {summary(model)}", version=__version__, n_out=model.sizes[-1], kind=kind,
        spec=json.dumps(spec), meta=json.dumps(model.meta if meta is None else meta, allow_nan=False),
        weights=base64.b64encode(npz).decode("ascii"), check_finite=function_source("checks", "check_finite"),
        digits=module_source("data/digits"))
