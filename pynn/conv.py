"""Valid convolution and non-overlapping max-pooling as matrix products, samples first.

Layout.  Images are rows of a batch: ``x`` is (m, H, W, C), channels last, so a
row of pixels is contiguous and one sample's input is one contiguous row of
(H·W·C) numbers (for MNIST, C = 1, this is exactly the 784-pixel row).  Filters
have network3's shape (F, C, kh, kw) but are used as a (K, F) matrix with K
ordered (kh, kw, C) — see :func:`filters_matrix`.

Pool-blocked rows.  ``im2col`` lists the output positions of the convolution
not in raster order but grouped by their place in the pooling window: row
(i, j, s, ph, pw) is output pixel (ph·p + i, pw·p + j) of sample s.  The
product cols @ W then holds each of the p·p window places as one contiguous
(m·PH·PW, F) block, so max-pooling, its argmax bookkeeping and the gradient
routing are elementwise operations between contiguous blocks (no transpose,
no strided reduction, which measured ~3× slower).  With pool 1 the rows are in
plain raster order.

Products go through :func:`product`, the one place that picks matmul (BLAS,
natively) or einsum (Pyodide, where numpy has no BLAS and einsum's loops beat
matmul of transposed views), as :mod:`pynn.kernel` does for the MLP.
"""

from __future__ import annotations

import sys

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


def filters_matrix(w: np.ndarray) -> np.ndarray:
    """Filters (F, C, kh, kw) as a C-ordered (kh·kw·C, F) matrix (a copy)."""
    f = w.shape[0]
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(-1, f)


def filters_view(wmat: np.ndarray, c: int, kh: int, kw: int) -> np.ndarray:
    """The (K, F) matrix seen as network3's (F, C, kh, kw) filters (a view, no copy)."""
    return wmat.reshape(kh, kw, c, wmat.shape[1]).transpose(3, 2, 0, 1)


def windows(x: np.ndarray, kh: int, kw: int, pool: int = 1) -> np.ndarray:
    """A read-only strided view (p, p, m, PH, PW, kh, kw, C) of every kh×kw patch of
    ``x`` (m, H, W, C), in pool-blocked order.  ``x`` must be C-contiguous."""
    m, h, w, c = x.shape
    _, _, ph, pw = output_shape(h, w, kh, kw, pool)
    sm, sh, sw, sc = x.strides
    return as_strided(x, shape=(pool, pool, m, ph, pw, kh, kw, c),
                      strides=(sh, sw, sm, pool * sh, pool * sw, sh, sw, sc), writeable=False)


def im2col(x: np.ndarray, kh: int, kw: int, pool: int = 1, out: np.ndarray | None = None) -> np.ndarray:
    """The patches of ``x`` (m, H, W, C) as rows (m·OH·OW, kh·kw·C), pool-blocked; one copy.

    The matrix is stored column-major (it is the transpose of a C-ordered (K, N)
    array): the copy then runs along output positions instead of along a patch row of
    only kw·C numbers, which measured 2× faster, and BLAS takes either layout at the
    same speed.  ``out``, if given, must be such an array (``np.empty((K, N)).T``)."""
    view = windows(np.ascontiguousarray(x), kh, kw, pool)
    rows, k = int(np.prod(view.shape[:5])), int(np.prod(view.shape[5:]))
    if out is None:
        out = np.empty((k, rows)).T
    if out.shape != (rows, k) or not out.T.flags.c_contiguous:
        raise ValueError(f"im2col: out must be the transpose of a C-ordered {(k, rows)} array")
    np.copyto(out.T.reshape(view.shape[5:] + view.shape[:5]), view.transpose(5, 6, 7, 0, 1, 2, 3, 4))
    return out


def col2im(dcols: np.ndarray, x_shape: tuple, kh: int, kw: int, pool: int = 1,
           out: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of ``im2col``: each patch row of ``dcols`` added back onto the pixels it
    was read from, giving (m, H, W, C).  One add per filter tap (kh·kw calls)."""
    m, h, w, c = x_shape
    oh, ow, ph, pw = output_shape(h, w, kh, kw, pool)
    if out is None:
        out = np.empty(x_shape)
    out.fill(0.0)
    d = dcols.reshape(pool, pool, m, ph, pw, kh, kw, c).transpose(2, 3, 0, 4, 1, 5, 6, 7)
    for a in range(kh):
        for b in range(kw):
            target = out[:, a:a + ph * pool, b:b + pw * pool, :].reshape(m, ph, pool, pw, pool, c)
            target += d[:, :, :, :, :, a, b, :]
    return out


def conv_forward(cols: np.ndarray, wmat: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pre-bias convolution outputs (rows of ``cols``) × F filters: cols @ W."""
    if out is None:
        out = np.empty((cols.shape[0], wmat.shape[1]))
    return product(cols, wmat, out)


def conv_backward(cols: np.ndarray, dz: np.ndarray, wmat: np.ndarray, grad_w: np.ndarray | None = None,
                  dcols: np.ndarray | None = None, need_input: bool = True) -> tuple:
    """Gradients for z = cols @ W given dz = ∂C/∂z (rows × F): (∂C/∂W (K, F), ∂C/∂cols or None).
    Pass ``dcols`` to ``col2im`` for ∂C/∂x.  The bias gradient is the column sum of
    whatever the bias was added to (here: after pooling, see :mod:`pynn.layers`)."""
    if grad_w is None:
        grad_w = np.empty(wmat.shape)
    product(cols.T, dz, grad_w)
    if not need_input:
        return grad_w, None
    if dcols is None:
        dcols = np.empty(cols.shape)
    product(dz, wmat.T, dcols)
    return grad_w, dcols


def maxpool_forward(z: np.ndarray, pool_area: int, out: np.ndarray | None = None,
                    winner: np.ndarray | None = None, scratch: np.ndarray | None = None) -> tuple:
    """Max over each pooling window of pool-blocked rows ``z`` (p·p·G, F): returns
    (pooled (G, F), winner).  ``winner`` (p·p, G, F) bool is the argmax bookkeeping,
    one-hot over each window's candidates; pass ``winner=False`` to skip it (inference).
    On a tie the first candidate in row-major window order wins, as in PyTorch, so the
    gradient goes to exactly one input (ties are common: blank MNIST margins give 0s).
    Everything is branch-free elementwise work: ``np.copyto(..., where=)`` on a random
    mask was ~5× slower than the comparisons and logical ops used here."""
    f = z.shape[1]
    z3 = z.reshape(pool_area, -1, f)
    g = z3.shape[1]
    if out is None:
        out = np.empty((g, f))
    np.maximum(z3[0], z3[1], out=out) if pool_area > 1 else np.copyto(out, z3[0])
    for k in range(2, pool_area):
        np.maximum(out, z3[k], out=out)
    if winner is False:
        return out, None
    if winner is None:
        winner = np.empty((pool_area, g, f), dtype=bool)
    if scratch is None:
        scratch = np.empty((g, f), dtype=bool)
    free = scratch  # windows whose winner is not found yet
    free.fill(True)
    for k in range(pool_area):
        won = winner[k]
        np.equal(z3[k], out, out=won)
        if k:
            won &= free
        if k < pool_area - 1:
            free ^= won
    return out, winner


def maxpool_backward(dpooled: np.ndarray, winner: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Route ∂C/∂pooled (G, F) to the winning candidate of each window: (p·p·G, F), zeros elsewhere."""
    pool_area, g, f = winner.shape
    if out is None:
        out = np.empty((pool_area * g, f))
    np.multiply(dpooled, winner, out=out.reshape(pool_area, g, f))
    return out


def unblock(z: np.ndarray, m: int, oh: int, ow: int, pool: int) -> np.ndarray:
    """Pool-blocked rows (m·OH·OW, F) back in raster order (m, OH, OW, F) (a copy), e.g. to compare."""
    f = z.shape[-1]
    blocked = z.reshape(pool, pool, m, oh // pool, ow // pool, f)
    return blocked.transpose(2, 3, 0, 4, 1, 5).reshape(m, oh, ow, f)
