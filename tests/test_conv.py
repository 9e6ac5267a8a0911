"""pynn.nets.conv and ConvPoolLayer against plain-Python loops (the oracle), forward and backward.

Images are (m, C, H, W), filters network3's (F, C, kh, kw).  The oracle is the
definition written out as loops, so it shares no code or layout trick with
pynn.nets.conv's pool-blocked im2col.
"""

import numpy as np
import pytest

from pynn.nets import conv
from pynn.nets.layers import ConvPoolLayer

# (m, C, H, W), (F, kh, kw), pool: non-square images and filters, several channels, batch > 1
CASES = [
    ((3, 2, 7, 9), (4, 3, 2), 1),
    ((2, 3, 8, 7), (5, 3, 2), 2),
    ((2, 1, 9, 10), (3, 4, 2), 3),
    ((1, 1, 5, 5), (1, 5, 5), 1),
    ((4, 2, 6, 6), (2, 1, 1), 2),
]


def conv_oracle(x, w):
    m, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    z = np.zeros((m, f, h - kh + 1, wd - kw + 1))
    for s in range(m):
        for i in range(h - kh + 1):
            for j in range(wd - kw + 1):
                for k in range(f):
                    total = 0.0
                    for ch in range(c):
                        for a in range(kh):
                            for b in range(kw):
                                total += x[s, ch, i + a, j + b] * w[k, ch, a, b]
                    z[s, k, i, j] = total
    return z


def conv_backward_oracle(x, w, g):
    """∂L/∂w and ∂L/∂x for L = Σ z·g, z = conv(x, w)."""
    gw, gx = np.zeros_like(w), np.zeros_like(x)
    m, f, oh, ow = g.shape
    _, c, kh, kw = w.shape
    for s in range(m):
        for i in range(oh):
            for j in range(ow):
                for k in range(f):
                    for ch in range(c):
                        for a in range(kh):
                            for b in range(kw):
                                gw[k, ch, a, b] += g[s, k, i, j] * x[s, ch, i + a, j + b]
                                gx[s, ch, i + a, j + b] += g[s, k, i, j] * w[k, ch, a, b]
    return gw, gx


def pool_oracle(z, p):
    """Max over p×p windows, and the (row, col) of the first maximum in row-major order."""
    m, f, oh, ow = z.shape
    pooled = np.zeros((m, f, oh // p, ow // p))
    where = {}
    for s in range(m):
        for i in range(oh // p):
            for j in range(ow // p):
                for k in range(f):
                    best = None
                    for a in range(p):
                        for b in range(p):
                            v = z[s, k, i * p + a, j * p + b]
                            if best is None or v > best:
                                best, where[s, k, i, j] = v, (i * p + a, j * p + b)
                    pooled[s, k, i, j] = best
    return pooled, where


def pool_backward_oracle(dp, where, z_shape):
    dz = np.zeros(z_shape)
    for (s, k, i, j), (r, c) in where.items():
        dz[s, k, r, c] += dp[s, k, i, j]
    return dz


def block(z4, p):
    """Raster (m, F, OH, OW) → pool-blocked (F, N), the inverse of conv.unblock."""
    m, f, oh, ow = z4.shape
    return z4.reshape(m, f, oh // p, p, ow // p, p).transpose(1, 3, 5, 0, 2, 4).reshape(f, -1)


def per_map(pooled4):
    """(m, F, PH, PW) → (F, m·PH·PW), the layout of conv.maxpool_forward's output."""
    return pooled4.transpose(1, 0, 2, 3).reshape(pooled4.shape[1], -1)


@pytest.mark.parametrize("xs, fs, p", CASES)
def test_convolution_forward_and_backward_match_loops(xs, fs, p):
    rng = np.random.default_rng(sum(xs) + sum(fs) + p)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((fs[0], xs[1], fs[1], fs[2]))
    m, c, h, wd = xs
    oh, ow, _, _ = conv.output_shape(h, wd, fs[1], fs[2], p)
    cols = conv.im2col(x, fs[1], fs[2], p)
    assert cols.shape == (c * fs[1] * fs[2], m * oh * ow)
    wmat = w.reshape(fs[0], -1)
    z = conv.conv_forward(cols, wmat)
    expected = conv_oracle(x, w)
    np.testing.assert_allclose(conv.unblock(z, m, oh, ow, p), expected, rtol=0, atol=1e-12)

    g = rng.standard_normal(expected.shape)
    gw, dcols = conv.conv_backward(cols, block(g, p), wmat)
    dx = conv.col2im(dcols, x.shape, fs[1], fs[2], p)
    gw_oracle, gx_oracle = conv_backward_oracle(x, w, g)
    np.testing.assert_allclose(gw.reshape(w.shape), gw_oracle, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, gx_oracle, rtol=0, atol=1e-12)


def test_im2col_reads_a_non_contiguous_batch():
    x = np.random.default_rng(0).standard_normal((6, 2, 5, 4))[::2]
    cols = conv.im2col(x, 2, 3)
    assert np.array_equal(cols, conv.im2col(x.copy(), 2, 3))
    assert np.array_equal(cols[:, 0], x[0, :, 0:2, 0:3].ravel())  # patch of sample 0 at (0, 0), as (C, kh, kw)


@pytest.mark.parametrize("p, ties", [(2, False), (3, False), (2, True), (3, True)])
def test_maxpool_forward_and_backward_match_loops(p, ties):
    rng = np.random.default_rng(p + 10 * ties)
    shape = (3, 4, 2 * p, 3 * p)
    z4 = rng.integers(-1, 2, shape).astype(float) if ties else rng.standard_normal(shape)
    pooled, beats = conv.maxpool_forward(block(z4, p), p * p)
    expected, where = pool_oracle(z4, p)
    np.testing.assert_array_equal(pooled, per_map(expected))
    dp = rng.standard_normal(expected.shape)
    dz = conv.maxpool_backward(per_map(dp), beats)
    assert np.count_nonzero(dz) == dp.size  # exactly one input per window receives its gradient
    routed = conv.unblock(dz, 3, 2 * p, 3 * p, p)
    np.testing.assert_array_equal(routed, pool_backward_oracle(dp, where, shape))
    if ties:  # the test means something only if some windows really tie
        flat = block(z4, p).reshape(4, p * p, -1)
        assert np.any(np.sum(flat == flat.max(axis=1, keepdims=True), axis=1) > 1)


def test_maxpool_without_bookkeeping_gives_the_same_max():
    z = np.random.default_rng(3).standard_normal((5, 32))
    pooled, beats = conv.maxpool_forward(z, 4, beats=False)
    assert beats is None
    np.testing.assert_array_equal(pooled, z.reshape(5, 4, 8).max(axis=1))


ACTS = {"sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
        "tanh": (np.tanh, lambda a: 1 - a * a),
        "relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(float))}


@pytest.mark.parametrize("activation", sorted(ACTS))
def test_conv_pool_layer_matches_loops(activation):
    """The whole layer: a = f(maxpool(conv(x, w)) + b); gradients wrt w, b and x."""
    rng = np.random.default_rng(len(activation))
    m, h, wd, c, f, kh, kw, p = 2, 7, 8, 2, 3, 2, 3, 2
    layer = ConvPoolLayer((f, c, kh, kw), (m, c, h, wd), (p, p), activation)
    w, b = rng.standard_normal((f, c, kh, kw)), rng.standard_normal(f)
    layer.set_params([w, b])
    x = rng.standard_normal((m, c, h, wd))
    a = layer.forward(x.reshape(m, -1), training=True).copy()
    fn, prime = ACTS[activation]
    pooled, where = pool_oracle(conv_oracle(x, w), p)
    a_oracle = fn(pooled + b[:, None, None])  # each sample's row is its (F, PH, PW) maps
    np.testing.assert_allclose(a.reshape(a_oracle.shape), a_oracle, rtol=0, atol=1e-12)

    delta = rng.standard_normal(a_oracle.shape)
    dx = layer.backward(delta.reshape(m, -1).copy(), need_input=True)
    dp = delta * prime(a_oracle)
    dz = pool_backward_oracle(dp, where, (m, f, h - kh + 1, wd - kw + 1))
    gw, gx = conv_backward_oracle(x, w, dz)
    grad_w, grad_b = layer.grads
    np.testing.assert_allclose(grad_w, gw, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad_b, dp.sum(axis=(0, 2, 3)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx.reshape(x.shape), gx, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(layer.params[0], w)


def test_conv_layer_backward_needs_a_bookkeeping_forward():
    layer = ConvPoolLayer((2, 1, 3, 3), (1, 6, 6))
    layer.initialize(np.random.default_rng(0))
    a = layer.forward(np.ones((2, 36)), grad=False)
    with pytest.raises(RuntimeError, match="grad=True"):
        layer.backward(np.ones_like(a))
