"""Valid convolution and non-overlapping max-pooling as matrix products.

Layout.  A batch of images is (m, C, H, W), network3's (and PyTorch's) order; a
sample is one row of C·H·W numbers (for MNIST, C = 1: the 784-pixel row).
Filters are network3's (F, C, kh, kw), used as the (F, K) matrix
``w.reshape(F, -1)`` with K = C·kh·kw — a view, no copy.

Patches as columns.  ``im2col`` writes every patch as a column of a C-ordered
(K, N) matrix, N the number of output positions, and the convolution is one
product W (F, K) @ cols (K, N) → (F, N).  This "transposed" form measured
~2.3× faster in Pyodide (no BLAS) than cols (N, K) @ W (K, F), and no slower
natively; the im2col copy also runs along output positions, 2× faster than
along a patch row of kw numbers.

Pool-blocked order.  The N output positions are not in raster order but grouped
by their place in the pooling window: position (i, j, s, ph, pw) is output
pixel (ph·p + i, pw·p + j) of sample s.  Each filter's row of z then holds the
p·p window places as p·p contiguous runs of m·PH·PW values, so max-pooling, its
argmax bookkeeping and the gradient routing are elementwise operations between
contiguous runs (a strided reduction measured ~3× slower).  With pool 1 the
positions are in plain raster order.

Products go through :func:`product`, the one place that picks matmul (BLAS,
natively) or einsum (Pyodide, where numpy has no BLAS and einsum's loops beat
matmul), as :mod:`pynn.nets.kernel` does for the MLP.
"""

from __future__ import annotations

import sys
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import as_strided

WASM = sys.platform == "emscripten"


def _einsum_product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk->ik", a, b, out=out)


# out = a @ b for 2-d a, b; switch here, once, for every conv/dense product.
product = _einsum_product if WASM else np.matmul


def output_shape(h: int, w: int, kh: int, kw: int, pool: int = 1) -> tuple[int, int, int, int]:
    """(OH, OW, PH, PW): the valid convolution's output size and the pooled size."""
    oh, ow = h - kh + 1, w - kw + 1
    return oh, ow, oh // pool, ow // pool


def windows(x: np.ndarray, kh: int, kw: int, pool: int = 1) -> np.ndarray:
    """A read-only strided view (C, kh, kw, p, p, m, PH, PW) of every kh×kw patch of
    ``x`` (m, C, H, W), in pool-blocked order.  ``x`` must be C-contiguous."""
    m, c, h, w = x.shape
    _, _, ph, pw = output_shape(h, w, kh, kw, pool)
    sm, sc, sh, sw = x.strides
    return as_strided(x, shape=(c, kh, kw, pool, pool, m, ph, pw),
                      strides=(sc, sh, sw, sh, sw, sm, pool * sh, pool * sw), writeable=False)


def im2col(x: np.ndarray, kh: int, kw: int, pool: int = 1, out: np.ndarray | None = None) -> np.ndarray:
    """The patches of ``x`` (m, C, H, W) as the columns of a (C·kh·kw, m·OH·OW) matrix,
    pool-blocked; one copy."""
    view = windows(np.ascontiguousarray(x), kh, kw, pool)
    if out is None:
        out = np.empty((int(np.prod(view.shape[:3])), int(np.prod(view.shape[3:]))))
    np.copyto(out.reshape(view.shape), view)
    return out


def col2im(dcols: np.ndarray, x_shape: tuple, kh: int, kw: int, pool: int = 1,
           out: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of ``im2col``: each patch column of ``dcols`` added back onto the pixels
    it was read from, giving (m, C, H, W).  One add per filter tap (kh·kw calls)."""
    m, c, h, w = x_shape
    _, _, ph, pw = output_shape(h, w, kh, kw, pool)
    if out is None:
        out = np.empty(x_shape)
    out.fill(0.0)
    # (C, kh, kw, i, j, m, ph, pw) → (kh, kw, m, C, ph, i, pw, j), to match the target's split axes
    d = dcols.reshape(c, kh, kw, pool, pool, m, ph, pw).transpose(1, 2, 5, 0, 6, 3, 7, 4)
    for a in range(kh):
        for b in range(kw):
            target = out[:, :, a:a + ph * pool, b:b + pw * pool].reshape(m, c, ph, pool, pw, pool)
            target += d[a, b]
    return out


def conv_forward(cols: np.ndarray, wmat: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pre-bias convolution outputs, one row per filter: W (F, K) @ cols (K, N)."""
    if out is None:
        out = np.empty((wmat.shape[0], cols.shape[1]))
    return product(wmat, cols, out)


def conv_backward(cols: np.ndarray, dz: np.ndarray, wmat: np.ndarray, grad_w: np.ndarray | None = None,
                  dcols: np.ndarray | None = None, need_input: bool = True) -> tuple:
    """Gradients for z = W @ cols given dz = ∂C/∂z (F, N): (∂C/∂W (F, K), ∂C/∂cols (K, N) or None).
    Pass ``dcols`` to ``col2im`` for ∂C/∂x.  The bias gradient is the row sum of
    whatever the bias was added to (here: after pooling, see :mod:`pynn.nets.layers`)."""
    if grad_w is None:
        grad_w = np.empty(wmat.shape)
    product(dz, cols.T, grad_w)
    if not need_input:
        return grad_w, None
    if dcols is None:
        dcols = np.empty(cols.shape)
    product(wmat.T, dz, dcols)
    return grad_w, dcols


def maxpool_forward(z: np.ndarray, pool_area: int, out: np.ndarray | None = None,
                    beats: np.ndarray | Literal[False] | None = None) -> tuple:
    """Max over each pooling window of pool-blocked ``z`` (F, p·p·G): returns (pooled (F, G),
    beats).  ``beats`` (F, p·p, G) bool is the argmax bookkeeping: ``beats[:, k]`` says
    candidate k is strictly larger than every candidate before it, so the window's
    argmax is the last k for which it holds (0 if none) — the first maximum in
    row-major window order, as PyTorch picks it, so on a tie (common: blank MNIST
    margins give equal outputs) the gradient goes to exactly one input.  Pass
    ``beats=False`` to skip it (inference).  Two elementwise calls per candidate and
    no boolean chains: fewest passes, which matters most in Pyodide (no SIMD there)."""
    f = z.shape[0]
    z3 = z.reshape(f, pool_area, -1)
    g = z3.shape[2]
    if out is None:
        out = np.empty((f, g))
    if beats is None:
        beats = np.empty((f, pool_area, g), dtype=bool)
    if pool_area == 1:
        np.copyto(out, z3[:, 0])
    for k in range(1, pool_area):
        best = z3[:, 0] if k == 1 else out
        if beats is not False:
            np.greater(z3[:, k], best, out=beats[:, k])
        np.maximum(best, z3[:, k], out=out)
    return out, (None if beats is False else beats)


def maxpool_backward(dpooled: np.ndarray, beats: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Route ∂C/∂pooled (F, G) to each window's argmax: (F, p·p·G), zeros elsewhere.  From the
    last candidate down, candidate k takes what is left if it beat those before it;
    ``rest − rest·1`` is exactly 0, so the routing is exact."""
    f, pool_area, g = beats.shape
    if out is None:
        out = np.empty((f, pool_area * g))
    out3 = out.reshape(f, pool_area, g)
    rest = out3[:, 0]
    np.copyto(rest, dpooled)
    for k in range(pool_area - 1, 0, -1):
        np.multiply(rest, beats[:, k], out=out3[:, k])
        rest -= out3[:, k]
    return out


def unblock(z: np.ndarray, m: int, oh: int, ow: int, pool: int) -> np.ndarray:
    """Pool-blocked (F, m·OH·OW) back in raster order (m, F, OH, OW) (a copy), e.g. to compare."""
    f = z.shape[0]
    blocked = z.reshape(f, pool, pool, m, oh // pool, ow // pool)
    return blocked.transpose(3, 0, 4, 1, 5, 2).reshape(m, f, oh, ow)
