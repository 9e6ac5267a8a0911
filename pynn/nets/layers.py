"""network3's layers — ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer — on numpy.

Every layer takes and gives a batch as rows (m, n): a conv layer reads its row
as a (C, H, W) image and writes its pooled feature maps back as one (F, PH, PW)
row, network3's order (see :mod:`pynn.nets.conv`).  Buffers are made once per batch size and
reused, as in :mod:`pynn.nets.kernel`, since at mini-batch 10 a step costs mostly
numpy calls.  ``forward`` returns a layer-owned buffer: the next call with the
same batch size overwrites it.

As in network3, a conv layer adds its bias and applies its activation after
pooling (the same result, since max commutes with adding a per-map constant and
with an increasing activation, and 1/p² of the work); dropout acts on the input
of fully connected and softmax layers.  Dropout here is inverted — kept units
are scaled by 1/(1−p) while training — so inference uses the weights as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pynn.checks import check_bytes, check_count, check_dropout, seq4
from pynn.nets import conv
from pynn.nets.activations import activate, check_activation, times_derivative


class Layer:
    """What the network needs of a layer (each kind defines the callables below); parameters float64."""

    kind = ""
    n_in: int
    n_out: int
    activation: str
    p_dropout = 0.0
    decays = (True, False)  # L2 applies to the weights, not the biases
    param_shapes: Callable[[], list[tuple]]
    initialize: Callable[[np.random.Generator], None]
    buffer_floats: Callable[[int], int]
    make_buffers: Callable[[int], dict]
    forward: Callable[..., np.ndarray]
    backward: Callable[..., np.ndarray | None]
    describe: Callable[[], dict]

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []  # network3's shapes, [w, b]; empty until initialised or set
        self.grads: list[np.ndarray] = []
        self._buffers: dict[int, dict] = {}
        self._last: dict = {}  # the buffers of the last forward pass that keeps them for backward

    def buffers(self, m: int, keep: bool = True) -> dict:
        """This layer's buffers for batch size ``m``: made once and kept (a few sizes) for training;
        for inference (``keep`` False) made afresh, so an idle model holds none (a conv net's are
        tens of MB a block)."""
        b = self._buffers.get(m)
        if b is None:
            check_bytes(f"{self.kind} buffers for a batch of {m}", self.buffer_floats(m))
            if not keep:
                return self.make_buffers(m)
            if len(self._buffers) >= 4:
                self._buffers.clear()
            b = self._buffers[m] = self.make_buffers(m)
        return b

    def set_params(self, arrays: list[np.ndarray]) -> None:
        """Take parameters (copies, float64, C-ordered) in network3's shapes, e.g. from a file."""
        shapes = self.param_shapes()
        if len(arrays) != len(shapes):
            raise ValueError(f"{self.kind} takes {len(shapes)} parameter arrays, got {len(arrays)}")
        for array, shape in zip(arrays, shapes):
            if np.shape(array) != shape:
                raise ValueError(f"{self.kind}: parameter of shape {np.shape(array)}, expected {shape}")
        self.params = [np.array(a, dtype=np.float64, order="C") for a in arrays]
        self.grads = [np.empty_like(p) for p in self.params]

    def shape_text(self) -> str:
        return f"{self.kind}({self.n_in} → {self.n_out})"

    @classmethod
    def from_description(cls, spec: dict) -> Layer:
        """The layer ``describe()`` gave (without parameters)."""
        kind = spec.get("type") if isinstance(spec, dict) else None
        kind = kind if isinstance(kind, str) else repr(kind)
        types = {t.kind: t for t in (ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer)}
        if kind not in types:
            raise ValueError(f"layer type: unknown {kind!r}; choose one of {sorted(types)}")
        args = {k: v for k, v in spec.items() if k != "type"}
        return types[kind](**args)


class Dense(Layer):
    """x (m, n_in) → [dropout] → z = x·w + b → f(z); w is network3's (n_in, n_out)."""

    activation = "sigmoid"

    def __init__(self, n_in: int, n_out: int, p_dropout: float = 0.0) -> None:
        super().__init__()
        self.n_in, self.n_out = check_count("n_in", n_in, 1), check_count("n_out", n_out, 1)
        self.p_dropout = check_dropout(p_dropout)
        check_bytes(f"{self.kind} parameters", self.n_in * self.n_out + self.n_out)

    def param_shapes(self) -> list[tuple]:
        return [(self.n_in, self.n_out), (self.n_out,)]

    def initialize(self, rng: np.random.Generator) -> None:
        """network3's: w ~ N(0, 1/n_out), b ~ N(0, 1)."""
        self.set_params([rng.normal(0.0, np.sqrt(1.0 / self.n_out), (self.n_in, self.n_out)),
                         rng.normal(0.0, 1.0, (self.n_out,))])

    def buffer_floats(self, m: int) -> int:
        return 3 * m * self.n_in + 3 * m * self.n_out + m

    def make_buffers(self, m: int) -> dict:
        dropping = self.p_dropout > 0
        return {"a": np.empty((m, self.n_out)), "s": np.empty((m, self.n_out)), "below": np.empty((m, self.n_in)),
                "ones": np.ones((1, m)), "mask": np.empty((m, self.n_in)) if dropping else None,
                "keep": np.empty((m, self.n_in), dtype=bool) if dropping else None,
                "xd": np.empty((m, self.n_in)) if dropping else None, "max": np.empty((m, 1)), "sum": np.empty((m, 1))}

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None,
                grad: bool = True) -> np.ndarray:
        b = self.buffers(len(x), keep=grad)
        self._last = b if grad else {}
        b["dropped"] = training and self.p_dropout > 0
        if b["dropped"]:
            assert rng is not None, "dropout while training draws from the network's generator"
            mask = rng.random(out=b["mask"])
            np.greater_equal(mask, self.p_dropout, out=b["keep"])
            np.multiply(b["keep"], 1.0 / (1.0 - self.p_dropout), out=mask)
            x = np.multiply(x, mask, out=b["xd"])
        b["x"] = x
        a = b["a"]
        conv.product(x, self.params[0], a)
        a += self.params[1]
        self.finish(a, b)
        return a

    def finish(self, a: np.ndarray, b: dict) -> None:
        activate(self.activation, a)

    def backward(self, delta: np.ndarray, need_input: bool = True) -> np.ndarray | None:
        """Gradients from ∂C/∂a (clobbered); returns ∂C/∂x of the (undropped) input."""
        b = self._last
        times_derivative(self.activation, delta, b["a"], b["s"])
        return self.backward_z(delta, need_input)

    def backward_z(self, dz: np.ndarray, need_input: bool) -> np.ndarray | None:
        b = self._last
        conv.product(b["x"].T, dz, self.grads[0])
        np.matmul(b["ones"], dz, out=self.grads[1].reshape(1, -1))
        if not need_input:
            return None
        below = conv.product(dz, self.params[0].T, b["below"])
        if b["dropped"]:
            below *= b["mask"]
        return below


class FullyConnectedLayer(Dense):
    kind = "FullyConnectedLayer"

    def __init__(self, n_in: int, n_out: int, activation_fn: str = "sigmoid", p_dropout: float = 0.0) -> None:
        self.activation = check_activation(activation_fn)
        super().__init__(n_in, n_out, p_dropout)

    def describe(self) -> dict:
        return {"type": self.kind, "n_in": self.n_in, "n_out": self.n_out,
                "activation_fn": self.activation, "p_dropout": self.p_dropout}


class SoftmaxLayer(Dense):
    """The output layer; its ``backward`` takes ∂C/∂z = a − y (log-likelihood), not ∂C/∂a."""

    kind = "SoftmaxLayer"
    activation = "softmax"

    def initialize(self, rng: np.random.Generator) -> None:
        """network3's: zeros."""
        self.set_params([np.zeros((self.n_in, self.n_out)), np.zeros(self.n_out)])

    def finish(self, a: np.ndarray, b: dict) -> None:
        """a ← softmax(a) row by row, shifted by the row's max so e^z cannot overflow;
        keeps z − max and ln Σe^(z−max) for an exact, stable log-likelihood."""
        np.max(a, axis=1, keepdims=True, out=b["max"])
        a -= b["max"]
        np.copyto(b["s"], a)
        np.exp(a, out=a)
        np.sum(a, axis=1, keepdims=True, out=b["sum"])
        a /= b["sum"]

    def log_likelihood(self, y: np.ndarray) -> float:
        """−Σ y·ln softmax(z) for the last forward batch, from z − max (no ln 0)."""
        b = self._last
        return float(np.sum(np.log(b["sum"]) * y.sum(axis=1, keepdims=True)) - np.sum(y * b["s"]))

    def backward(self, delta: np.ndarray, need_input: bool = True) -> np.ndarray | None:
        return self.backward_z(delta, need_input)

    def describe(self) -> dict:
        return {"type": self.kind, "n_in": self.n_in, "n_out": self.n_out, "p_dropout": self.p_dropout}


class ConvPoolLayer(Layer):
    """Valid convolution by F filters, max-pooling over p×p windows, + bias, activation."""

    kind = "ConvPoolLayer"

    def __init__(self, filter_shape, image_shape, poolsize=(2, 2), activation_fn: str = "sigmoid") -> None:
        """``filter_shape`` (F, C, kh, kw); ``image_shape`` (C, H, W), or network3's
        (mini_batch_size, C, H, W), whose batch size is then checked against the cap."""
        super().__init__()
        self.activation = check_activation(activation_fn)
        f, c, kh, kw = self.filter_shape = tuple(
            check_count(f"filter_shape[{i}]", v, 1) for i, v in enumerate(seq4("filter_shape", filter_shape, (4,))))
        image = seq4("image_shape", image_shape, (3, 4))
        image = tuple(check_count(f"image_shape[{i}]", v, 1) for i, v in enumerate(image))
        batch, (ci, h, w) = (image[0] if len(image) == 4 else 1), image[-3:]
        self.image_shape = (ci, h, w)
        pool = poolsize if isinstance(poolsize, int) else tuple(seq4("poolsize", poolsize, (2,)))
        if not isinstance(pool, int) and pool[0] != pool[1]:
            raise ValueError(f"poolsize: only square pools are supported, got {poolsize}")
        self.pool = check_count("poolsize", pool if isinstance(pool, int) else pool[0], 1)
        if ci != c:
            raise ValueError(f"filter_shape has {c} input channels but image_shape has {ci}")
        if kh > h or kw > w:
            raise ValueError(f"filter_shape: a {kh}×{kw} filter is larger than the {h}×{w} image")
        oh, ow, ph, pw = conv.output_shape(h, w, kh, kw, self.pool)
        if oh % self.pool or ow % self.pool:
            raise ValueError(f"poolsize: {self.pool}×{self.pool} pooling does not divide the {oh}×{ow} conv output")
        self.k, self.groups = kh * kw * c, ph * pw
        self.n_in, self.n_out = h * w * c, ph * pw * f
        check_bytes("ConvPoolLayer parameters", self.k * f + f)
        check_bytes(f"ConvPoolLayer buffers for a batch of {batch}", self.buffer_floats(batch))

    def param_shapes(self) -> list[tuple]:
        return [self.filter_shape, (self.filter_shape[0],)]

    def initialize(self, rng: np.random.Generator) -> None:
        """network3's: w ~ N(0, 1/n_out) with n_out = F·kh·kw/p², b ~ N(0, 1)."""
        f, _, kh, kw = self.filter_shape
        scale = np.sqrt(1.0 / (f * kh * kw / self.pool ** 2))
        self.set_params([rng.normal(0.0, scale, self.filter_shape), rng.normal(0.0, 1.0, (f,))])

    def buffer_floats(self, m: int) -> int:
        rows, f = m * self.groups * self.pool ** 2, self.filter_shape[0]
        return 2 * rows * self.k + 2 * rows * f + 4 * m * self.groups * f + 2 * m * self.n_in

    def make_buffers(self, m: int) -> dict:
        rows, g, f = m * self.groups * self.pool ** 2, m * self.groups, self.filter_shape[0]
        return {"cols": np.empty((self.k, rows)), "z": np.empty((f, rows)), "pooled": np.empty((f, g)),
                "a": np.empty((m, self.n_out)), "s": np.empty((m, self.n_out)), "ones": np.ones((g, 1)),
                "beats": np.empty((f, self.pool ** 2, g), dtype=bool), "dz": None, "dcols": None, "below": None}

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None,
                grad: bool = True) -> np.ndarray:
        """Rows (m, C·H·W) → rows (m, F·PH·PW), each sample's maps in network3's (F, PH, PW) order."""
        b = self.buffers(len(x), keep=grad)
        self._last = b if grad else {}
        m, (f, _, kh, kw) = len(x), self.filter_shape
        conv.im2col(np.ascontiguousarray(x).reshape(m, *self.image_shape), kh, kw, self.pool, b["cols"])
        conv.conv_forward(b["cols"], self.params[0].reshape(f, -1), b["z"])
        pooled = b["pooled"]
        conv.maxpool_forward(b["z"], self.pool ** 2, pooled, b["beats"] if grad else False)
        b["grad"] = grad
        a = b["a"]  # (F, m, PH·PW) → (m, F, PH·PW), adding the bias on the way: one call
        np.add(pooled.reshape(f, m, self.groups).transpose(1, 0, 2), self.params[1].reshape(1, f, 1),
               out=a.reshape(m, f, self.groups))
        activate(self.activation, a)
        return a

    def backward(self, delta: np.ndarray, need_input: bool = True) -> np.ndarray | None:
        b, (f, _, kh, kw) = self._last, self.filter_shape
        if not b.get("grad"):
            raise RuntimeError("ConvPoolLayer.backward needs a forward with grad=True (the max-pool bookkeeping)")
        m = len(delta)
        times_derivative(self.activation, delta, b["a"], b["s"])
        dpooled = b["pooled"]  # its values are not needed any more: reuse it for ∂C/∂pooled (F, G)
        np.copyto(dpooled.reshape(f, m, self.groups), delta.reshape(m, f, self.groups).transpose(1, 0, 2))
        np.matmul(dpooled, b["ones"], out=self.grads[1].reshape(f, 1))
        if b["dz"] is None:  # backward-only buffers: inference never makes them
            b["dz"] = np.empty_like(b["z"])
        conv.maxpool_backward(dpooled, b["beats"], b["dz"])
        if need_input and b["dcols"] is None:
            b["dcols"], b["below"] = np.empty_like(b["cols"]), np.empty((m, self.n_in))
        wmat = self.params[0].reshape(f, -1)
        _, dcols = conv.conv_backward(b["cols"], b["dz"], wmat, self.grads[0].reshape(f, -1), b["dcols"], need_input)
        if not need_input:
            return None
        conv.col2im(dcols, (m, *self.image_shape), kh, kw, self.pool, b["below"].reshape(m, *self.image_shape))
        return b["below"]

    def describe(self) -> dict:
        return {"type": self.kind, "filter_shape": list(self.filter_shape), "image_shape": list(self.image_shape),
                "poolsize": [self.pool, self.pool], "activation_fn": self.activation}

    def shape_text(self) -> str:
        f, c, kh, kw = self.filter_shape
        ci, h, w = self.image_shape
        return f"ConvPoolLayer({c}×{h}×{w} → {f} {kh}×{kw} filters, {self.pool}×{self.pool} max-pool → {self.n_out})"

