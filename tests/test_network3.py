"""pynn.nets.network3: gradients against finite differences, the SGD step, training,
validation, and the save format (pure numpy, no files: also runs in Pyodide)."""

import json
import math

import numpy as np
import pytest

from pynn.files.modelfile import ModelFileError, to_json
from pynn.files.modelfile import loads as loads_network3
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
from pynn.nets.network3 import LogLikelihoodCost, Network


def small_net(conv_act="sigmoid", fc_act="sigmoid", p_fc=0.0, p_soft=0.0, two_convs=False, seed=0):
    """Image 2×6×6 → conv 3 filters 3×3, pool 2 → FC 7 → softmax 4 (or two conv layers)."""
    if two_convs:
        layers = [ConvPoolLayer((3, 2, 2, 2), (2, 7, 7), (2, 2), conv_act),   # → 3×3×3 = 27
                  ConvPoolLayer((2, 3, 2, 2), (3, 3, 3), (1, 1), conv_act)]  # → 2×2×2 = 8
        n = 8
    else:
        layers = [ConvPoolLayer((3, 2, 3, 3), (2, 6, 6), (2, 2), conv_act)]  # → 2×2×3 = 12
        n = 12
    layers += [FullyConnectedLayer(n, 7, fc_act, p_fc), SoftmaxLayer(7, 4, p_soft)]
    net = Network(layers, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for layer in net.layers:  # network3 starts the softmax at zero; random makes the check stronger
        for p in layer.params:
            p[...] = rng.standard_normal(p.shape) * 0.7
    return net


def batch(net, m=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, net.n_in))
    y = np.eye(net.n_out)[rng.integers(0, net.n_out, m)]
    return x, y


def cost_at(net, x, y, dropout_seed=None):
    """Summed log-likelihood of the batch; dropout (if any) with a mask fixed by ``dropout_seed``."""
    if dropout_seed is not None:
        net.rng = np.random.default_rng(dropout_seed)
    return net.stepper(len(x)).gradient(x, y, training=dropout_seed is not None)


def check_gradients(net, x, y, dropout_seed=None, eps=1e-6):
    cost_at(net, x, y, dropout_seed)
    analytic = [[g.copy() for g in layer.grads] for layer in net.layers]
    worst = 0.0
    for layer, grads in zip(net.layers, analytic):
        for param, grad in zip(layer.params, grads):
            flat, numeric = param.reshape(-1), np.empty(param.size)
            for i in range(param.size):
                old = flat[i]
                flat[i] = old + eps
                up = cost_at(net, x, y, dropout_seed)
                flat[i] = old - eps
                down = cost_at(net, x, y, dropout_seed)
                flat[i] = old
                numeric[i] = (up - down) / (2 * eps)
            scale = max(1.0, np.abs(numeric).max())
            worst = max(worst, np.abs(numeric - grad.reshape(-1)).max() / scale)
    assert worst < 1e-7, worst


def pre_activations_clear_of_kinks(net, x, margin=1e-3):
    """True if no ReLU input is near 0 and no pooling window is a near-tie (the FD check
    would straddle a kink there)."""
    a = x
    for layer in net.layers[:-1]:
        a = layer.forward(a, training=False)
        if layer.activation == "relu":
            if np.any((a > 0) & (a < margin)):
                return False
        if isinstance(layer, ConvPoolLayer) and layer.pool > 1:
            z = layer._last["z"].reshape(layer.filter_shape[0], layer.pool ** 2, -1)
            top2 = np.sort(z, axis=1)[:, -2:]
            if np.any(top2[:, 1] - top2[:, 0] < margin):
                return False
    return True


@pytest.mark.parametrize("conv_act, fc_act", [("sigmoid", "sigmoid"), ("tanh", "tanh"), ("relu", "relu"),
                                              ("relu", "sigmoid"), ("tanh", "relu")])
def test_gradients_match_finite_differences(conv_act, fc_act):
    net = small_net(conv_act, fc_act)
    x, y = batch(net)
    assert pre_activations_clear_of_kinks(net, x)
    check_gradients(net, x, y)


def test_gradients_through_two_conv_layers():
    net = small_net("tanh", "sigmoid", two_convs=True)
    x, y = batch(net, m=2)
    assert pre_activations_clear_of_kinks(net, x)
    check_gradients(net, x, y)


def test_gradients_with_a_fixed_dropout_mask():
    net = small_net("sigmoid", "tanh", p_fc=0.3, p_soft=0.25)
    x, y = batch(net, m=4)
    check_gradients(net, x, y, dropout_seed=7)
    masks = net.layers[1]._last["mask"], net.layers[2]._last["mask"]
    assert all(np.any(m == 0) and np.any(m > 1) for m in masks)  # units really were dropped and rescaled


def test_softmax_log_likelihood_gradient_wrt_z_is_a_minus_y():
    layer = SoftmaxLayer(5, 4)
    net = Network([layer], seed=3)
    layer.params[0][...] = np.random.default_rng(4).standard_normal((5, 4))
    x, y = batch(net, m=3, seed=5)
    a = layer.forward(x).copy()
    dx = layer.backward(a - y, need_input=True).copy()
    eps, numeric = 1e-6, np.empty_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (LogLikelihoodCost.fn(net.feedforward(up.T), y.T)
                      - LogLikelihoodCost.fn(net.feedforward(down.T), y.T)) / (2 * eps)
    np.testing.assert_allclose(dx, numeric, rtol=1e-7, atol=1e-8)


def test_log_likelihood_cost():
    a = np.array([[0.7, 0.0], [0.2, 1.0], [0.1, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    assert LogLikelihoodCost.fn(a, y) == pytest.approx(-np.log(0.7))  # zeros under y = 0 count 0
    assert LogLikelihoodCost.fn(a.T, y.T) == LogLikelihoodCost.fn(a, y)
    assert LogLikelihoodCost.fn(np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]])) == np.inf
    assert LogLikelihoodCost.name == "log-likelihood"


def test_stepper_measures_the_cost_before_the_step_stably():
    net = small_net()
    x, y = batch(net, m=3)
    before = LogLikelihoodCost.fn(net.feedforward(x.T), y.T)
    cost = net.stepper(3).step(x, y, 0.5, 0.0, 100, measure_cost=True)
    assert cost == pytest.approx(before, rel=1e-12)
    assert net.stepper(3).step(x, y, 0.5, 0.0, 100) is None
    big = Network([SoftmaxLayer(3, 2)], seed=0)
    big.layers[0].params[0][...] = [[800.0, -800.0]] * 3  # softmax of ±2400: no overflow, no ln 0
    cost = big.stepper(1).step(np.ones((1, 3)), np.array([[0.0, 1.0]]), 0.1, 0.0, 1, measure_cost=True)
    assert cost == pytest.approx(4800.0)


def test_step_is_sgd_with_l2_decay():
    net = small_net("tanh", "sigmoid")
    x, y = batch(net, m=3)
    stepper = net.stepper(3)
    stepper.gradient(x, y)
    grads = [[g.copy() for g in layer.grads] for layer in net.layers]
    before = [[p.copy() for p in layer.params] for layer in net.layers]
    eta, lmbda, n = 0.3, 2.0, 50
    stepper.step(x, y, eta, lmbda, n)
    for layer, old, grad in zip(net.layers, before, grads):
        (w, b), (w0, b0), (gw, gb) = layer.params, old, grad
        np.testing.assert_allclose(w, (1 - eta * lmbda / n) * w0 - eta * gw / 3, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(b, b0 - eta * gb / 3, rtol=1e-13, atol=1e-15)


def test_model_contract():
    net = Network([ConvPoolLayer((2, 1, 5, 5), (1, 28, 28)), FullyConnectedLayer(288, 10),
                   SoftmaxLayer(10, 10)], seed=1)
    assert (net.n_in, net.n_out, net.sparse_inputs, net.cost.name) == (784, 10, False, "log-likelihood")
    assert "2 5×5 filters, 2×2 max-pool → 288" in repr(net)
    out = net.feedforward(np.random.default_rng(0).random((784, 300)))  # more than one feedforward chunk
    assert out.shape == (10, 300)
    np.testing.assert_allclose(out.sum(axis=0), 1.0, rtol=1e-13)
    assert net.feedforward(np.zeros(784)).shape == (10, 1)
    with pytest.raises(ValueError, match="cols must be None"):
        net.stepper(2).step(np.zeros((2, 784)), np.zeros((2, 10)), 0.1, 0.0, 1, cols=np.arange(3))
    with pytest.raises(ValueError, match="input must have shape"):
        net.feedforward(np.zeros((10, 3)))


def test_same_seed_same_network_and_training():
    def run(seed):
        net = small_net("relu", "relu", p_fc=0.5, seed=seed)
        net.rng = np.random.default_rng(seed)
        data = [(x.reshape(-1, 1), int(np.argmax(y))) for x, y in zip(*batch(net, m=20, seed=9))]
        net.SGD(data, 2, 5, 0.1, lmbda=0.1, verbose=False)
        return [p.copy() for layer in net.layers for p in layer.params]

    first, again, other = run(3), run(3), run(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    assert [np.array_equal(a.params[0], b.params[0]) for a, b in zip(
        Network([SoftmaxLayer(3, 2)], seed=1).layers, Network([SoftmaxLayer(3, 2)], seed=1).layers)] == [True]


def bars(n, rng):
    """8×8 images of one bright bar (4 kinds: two rows, two columns) at a random place, plus noise."""
    pairs = []
    for _ in range(n):
        label, pos = int(rng.integers(4)), int(rng.integers(1, 7))
        img = rng.random((8, 8)) * 0.3
        if label < 2:
            img[pos, (0 if label == 0 else 4):(4 if label == 0 else 8)] += 1.0
        else:
            img[(0 if label == 2 else 4):(4 if label == 2 else 8), pos] += 1.0
        pairs.append((img.reshape(64, 1), label))
    return pairs


def test_short_training_learns_a_tiny_problem():
    rng = np.random.default_rng(0)
    train, test = bars(300, rng), bars(200, rng)
    net = Network([ConvPoolLayer((6, 1, 3, 3), (1, 8, 8), (2, 2), "relu"), FullyConnectedLayer(54, 20, "relu"),
                   SoftmaxLayer(20, 4)], seed=1)
    before = net.validation_accuracy(test)
    history = net.SGD([(x, np.eye(4)[y].reshape(4, 1)) for x, y in train], 6, 10, 0.1, test_data=test,
                      lmbda=0.1, verbose=False)
    after = net.validation_accuracy(test)
    assert after == history[-1]["accuracy"]
    assert before < 0.5 and after > 0.9, (before, after)
    assert history[-1]["cost"] < history[0]["cost"]


BAD = [
    (lambda: ConvPoolLayer((4, 1, 9, 3), (1, 8, 8)), ValueError, "filter_shape.*larger"),
    (lambda: ConvPoolLayer((4, 1, 3, 3), (1, 9, 9), (4, 4)), ValueError, "poolsize.*divide"),
    (lambda: ConvPoolLayer((0, 1, 3, 3), (1, 8, 8)), ValueError, r"filter_shape\[0\]"),
    (lambda: ConvPoolLayer((4, 1, -3, 3), (1, 8, 8)), ValueError, r"filter_shape\[2\]"),
    (lambda: ConvPoolLayer((4, 1, 3, 3), (1, 0, 8)), ValueError, r"image_shape\[1\]"),
    (lambda: ConvPoolLayer((4, 1, 3, 3), (1, 8, 8), (0, 0)), ValueError, "poolsize"),
    (lambda: ConvPoolLayer((4, 1, 3, 3), (1, 8, 8), (2, 3)), ValueError, "square"),
    (lambda: ConvPoolLayer((4, 2, 3, 3), (1, 8, 8)), ValueError, "channels"),
    (lambda: ConvPoolLayer((4, 1, 3.0, 3), (1, 8, 8)), TypeError, "filter_shape"),
    (lambda: ConvPoolLayer((4, 1, 3), (1, 8, 8)), TypeError, "filter_shape"),
    (lambda: ConvPoolLayer((4, 1, 3, 3), (1, 8, 8), activation_fn="softplus"), ValueError, "activation_fn"),
    (lambda: ConvPoolLayer((64, 1, 5, 5), (100_000, 1, 28, 28)), ValueError, "GiB"),
    (lambda: FullyConnectedLayer(0, 10), ValueError, "n_in"),
    (lambda: FullyConnectedLayer(10, -1), ValueError, "n_out"),
    (lambda: FullyConnectedLayer(10, True), TypeError, "n_out"),
    (lambda: FullyConnectedLayer(10, 10, "ReLu6"), ValueError, "activation_fn"),
    (lambda: FullyConnectedLayer(10, 10, p_dropout=1.0), ValueError, "p_dropout"),
    (lambda: FullyConnectedLayer(10, 10, p_dropout=-0.1), ValueError, "p_dropout"),
    (lambda: FullyConnectedLayer(10, 10, p_dropout=float("nan")), ValueError, "p_dropout"),
    (lambda: SoftmaxLayer(10, 10, p_dropout="0.5"), TypeError, "p_dropout"),
    (lambda: FullyConnectedLayer(200_000, 100_000), ValueError, "GiB"),
    (lambda: Network([FullyConnectedLayer(10, 5), SoftmaxLayer(6, 2)]), ValueError, "n_in=6"),
    (lambda: Network([FullyConnectedLayer(10, 5)]), ValueError, "SoftmaxLayer"),
    (lambda: Network([]), TypeError, "layers"),
    (lambda: Network([SoftmaxLayer(3, 2), "layer"]), TypeError, r"layers\[1\]"),
    (lambda: Network([ConvPoolLayer((20, 1, 5, 5), (1, 28, 28)), FullyConnectedLayer(2880, 10),
                      SoftmaxLayer(10, 10)], mini_batch_size=50_000), ValueError, "GiB"),
    (lambda: Network([SoftmaxLayer(3, 2)]).stepper(0), ValueError, "batch_size"),
    (lambda: Network([SoftmaxLayer(3, 2)]).SGD([(np.zeros((3, 1)), 1)], 1, 1, 0.0), ValueError, "eta"),
    (lambda: Network([SoftmaxLayer(3, 2)]).SGD([(np.zeros((3, 1)), 1)], 1, 1, float("nan")), ValueError, "eta"),
    (lambda: Network([SoftmaxLayer(3, 2)]).SGD([(np.zeros((3, 1)), 1)], 1, 1, 0.1, lmbda=-1), ValueError, "lmbda"),
    (lambda: Network([SoftmaxLayer(3, 2)]).SGD([(np.zeros((4, 1)), 1)], 1, 1, 0.1), ValueError, "training_data"),
    (lambda: Network([SoftmaxLayer(3, 2)]).feedforward(np.full((3, 1), np.nan)), ValueError, "NaN"),
]


@pytest.mark.parametrize("make, error, match", BAD)
def test_bad_configurations_are_refused_clearly(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_describe_round_trip_and_json():
    net = small_net("relu", "tanh", p_fc=0.2, p_soft=0.1)
    spec = json.loads(json.dumps(net.describe()))
    again = Network.from_description(spec, seed=0)
    assert again.describe() == net.describe()


def test_save_load_round_trip_is_exact():
    net = small_net("relu", "tanh", p_fc=0.2, two_convs=True)
    net.layers[0].params[0][0, 0] = 1 / 3  # a float needing all 17 digits
    text = to_json(net, meta={"epochs": 3})
    loaded = loads_network3(text)
    assert loaded.describe() == net.describe() and loaded.meta == {"epochs": 3}
    for a, b in zip(net.layers, loaded.layers):
        for p, q in zip(a.params, b.params):
            assert p.dtype == q.dtype == np.float64 and np.array_equal(p, q)
    x = batch(net, m=5)[0].T
    assert np.array_equal(net.feedforward(x), loaded.feedforward(x))
    assert loads_network3(text.encode()).describe() == net.describe()  # bytes too


# A network3 file written by hand: a 3×3 image, one 2×2 filter with 2×2 pooling (ReLU), a
# 1 → 2 sigmoid layer with dropout 0.5, and a 2 → 2 softmax; weights are (n_in, n_out).
HAND_FILE = (
    '{"format": "pynn-network3", "version": 1, "layers": ['
    '{"type": "ConvPoolLayer", "filter_shape": [1, 1, 2, 2], "image_shape": [1, 3, 3], "poolsize": [2, 2], '
    '"activation_fn": "relu"}, '
    '{"type": "FullyConnectedLayer", "n_in": 1, "n_out": 2, "activation_fn": "sigmoid", "p_dropout": 0.5}, '
    '{"type": "SoftmaxLayer", "n_in": 2, "n_out": 2, "p_dropout": 0.0}], '
    '"params": [[[[[[1.0, -1.0], [0.5, 2.0]]]], [-1.0]], [[[0.25, -0.5]], [0.5, 2.0]], '
    '[[[1.0, -1.0], [0.0, 2.0]], [0.0, 0.5]]], "meta": {"by": "hand"}}')


def test_a_hand_written_network3_file_means_what_it_says():
    """W14: the format checked against a file and outputs computed by hand, not a round trip."""
    net = loads_network3(HAND_FILE)
    image = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]
    # the filter slid over the image (no flip), the 2×2 pool's max, the bias, ReLU
    patches = [sum(image[r + i][c + j] * w for (i, j), w in zip([(0, 0), (0, 1), (1, 0), (1, 1)],
                                                                 [1.0, -1.0, 0.5, 2.0]))
               for r in (0, 1) for c in (0, 1)]
    assert patches == [1.0, 8.5, 0.0, 0.0]
    pooled = max(0.0, max(patches) - 1.0)  # 7.5
    hidden = [1 / (1 + math.exp(-(pooled * 0.25 + 0.5))), 1 / (1 + math.exp(-(pooled * -0.5 + 2.0)))]  # no dropout
    z = [hidden[0] * 1.0 + hidden[1] * 0.0 + 0.0, hidden[0] * -1.0 + hidden[1] * 2.0 + 0.5]
    expected = [math.exp(v) / sum(math.exp(u) for u in z) for v in z]
    outputs = net.feedforward(np.array(image).reshape(9, 1))
    np.testing.assert_allclose(outputs[:, 0], expected, rtol=1e-13)
    assert net.meta == {"by": "hand"} and net.layers[1].p_dropout == 0.5
    assert to_json(net) == HAND_FILE  # and the writer writes exactly this layout


def hostile():
    """Each hostile file and the pattern of the reason it must be refused for."""
    good = json.loads(to_json(small_net()))

    def edit(fn):
        data = json.loads(json.dumps(good))
        fn(data)
        return data

    def unchained(d):  # the softmax takes 8 inputs, its weights agree, but the layer below gives 7
        d["layers"][2].update(n_in=8)
        d["params"][2][0] = [[0.0] * 4] * 8

    shape = r"must have shape \({}\) \(wrong length at depth {}\)"
    numbers = r"params\[2\]\[1\] must hold only numbers"
    return {
        "not an object": ([1, 2], "must be a JSON object, got list"),
        "wrong format": (edit(lambda d: d.update(format="pynn-network2")), "format must be 'pynn-network3'"),
        "version 2": (edit(lambda d: d.update(version=2)), "version 2 is not supported"),
        "version true": (edit(lambda d: d.update(version=True)), "version True is not supported"),
        "missing params": (edit(lambda d: d.pop("params")), r"missing \['params'\]"),
        "extra key": (edit(lambda d: d.update(pickle="x")), r"unknown \['pickle'\]"),
        "unknown layer": (edit(lambda d: d["layers"][0].update(type="LSTMLayer")),
                          r"layers\[0\]: layer type: unknown 'LSTMLayer'"),
        "layer extra field": (edit(lambda d: d["layers"][1].update(bias=True)),
                              r"layers\[1\]: .*unexpected keyword argument 'bias'"),
        "bool size": (edit(lambda d: d["layers"][2].update(n_out=True)), r"layers\[2\]: n_out must be an int, got Tr"),
        "string size": (edit(lambda d: d["layers"][1].update(n_out="7")), r"layers\[1\]: n_out must be an int, got '"),
        "bad activation": (edit(lambda d: d["layers"][1].update(activation_fn="eval")),
                           r"layers\[1\]: activation_fn: unknown activation 'eval'"),
        "sizes do not chain": (edit(unchained), "layers do not form a network"),
        "dropout 1": (edit(lambda d: d["layers"][1].update(p_dropout=1)), r"p_dropout must be in \[0, 1\), got 1"),
        "short weights row": (edit(lambda d: d["params"][1][0][0].pop()),
                              r"params\[1\]\[0\] " + shape.format("12, 7", 1)),
        "filter shape mismatch": (edit(lambda d: d["params"][0].__setitem__(0, d["params"][0][0][:2])),
                                  r"params\[0\]\[0\] " + shape.format("3, 2, 3, 3", 0)),
        "string weight": (edit(lambda d: d["params"][2][1].__setitem__(0, "0.5")), numbers),
        "bool weight": (edit(lambda d: d["params"][2][1].__setitem__(0, False)), numbers),
        "null weight": (edit(lambda d: d["params"][2][1].__setitem__(0, None)), numbers),
        "huge int": (edit(lambda d: d["params"][2][1].__setitem__(0, 10 ** 400)),
                     r"params\[2\]\[1\] holds a number too large to be a float64"),
        "missing biases": (edit(lambda d: d["params"][1].pop()), r"params\[1\] must be a list of 2 arrays"),
        "too many parameters": (edit(lambda d: d.update(layers=[
            {"type": "FullyConnectedLayer", "n_in": 4000, "n_out": 3000, "activation_fn": "sigmoid", "p_dropout": 0.0},
            {"type": "SoftmaxLayer", "n_in": 3000, "n_out": 10, "p_dropout": 0.0}], params=[[[], []], [[], []]])),
            "mean 12,033,010 parameters; the cap is 10,000,000"),
        "NaN literal": (json.dumps(edit(lambda d: d["params"][2][1].__setitem__(0, 12345.5))).replace("12345.5", "NaN"),
                        "contains NaN; numbers must be finite"),
        "Infinity literal": (json.dumps(edit(lambda d: d["params"][0][1].__setitem__(0, 12345.5))).replace(
            "12345.5", "-Infinity"), "contains -Infinity; numbers must be finite"),
        "deep nesting": ("[" * 100_000 + "]" * 100_000, "is nested too deeply"),
        "not UTF-8": (b'{"format": "\x80"}', "is not UTF-8 text"),
        "UTF-16": ("\ufeff{}".encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
        "not JSON": ('{"format": "pynn-network3",', "is not valid JSON"),
    }


HOSTILE = hostile()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_each_for_its_own_fault(name):
    data, reason = HOSTILE[name]
    with pytest.raises(ModelFileError, match=reason):
        loads_network3(data if isinstance(data, (str, bytes)) else json.dumps(data))


def test_the_hostile_files_start_from_a_file_that_loads():
    assert loads_network3(to_json(small_net())).describe() == small_net().describe()


def test_copy_is_independent_and_identical():
    net = small_net()
    twin = net.copy()
    x = np.random.default_rng(1).random((net.n_in, 3))
    np.testing.assert_array_equal(twin.feedforward(x), net.feedforward(x))
    twin.layers[0].params[0] += 1.0
    assert not np.array_equal(twin.feedforward(x), net.feedforward(x))


def test_input_gradient_matches_finite_differences():
    net = small_net()
    x = np.random.default_rng(2).random((net.n_in, 1))
    unit = int(np.argmax(net.feedforward(x)))
    grad = net.input_gradient(x, unit)
    eps = 1e-6
    for i in np.random.default_rng(3).choice(net.n_in, 12, replace=False):
        step = np.zeros_like(x)
        step[i] = eps
        numeric = (net.feedforward(x + step)[unit, 0] - net.feedforward(x - step)[unit, 0]) / (2 * eps)
        assert grad[i, 0] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_hidden_activations_are_the_first_layers_output():
    net = small_net()
    x = np.random.default_rng(4).random((net.n_in, 1))
    activity = net.hidden_activations(x)
    first = net.layers[0]
    out = first.forward(x.reshape(1, -1), training=False, grad=False)
    expected = out.reshape(first.filter_shape[0], -1).mean(axis=1) if hasattr(first, "filter_shape") else out[0]
    np.testing.assert_array_equal(activity, expected)


def test_trainer_chunks_give_a_conv_net_exactly_what_one_run_gives():
    """Stop/resume for layered nets: any split into chunks (dropout draws included) is bit-exact."""
    from pynn.data.dataset import Dataset
    from pynn.training.trainer import Trainer

    rng = np.random.default_rng(9)
    net_a, net_b = small_net(fc_act="relu", p_fc=0.3, seed=4), small_net(fc_act="relu", p_fc=0.3, seed=4)
    data = Dataset.from_arrays(rng.random((23, net_a.n_in)), rng.integers(0, net_a.n_out, 23), n_out=net_a.n_out)
    whole = Trainer(net_a, data, 2, 4, 0.1, lmbda=0.2)
    list(whole.each_epoch())
    chunked = Trainer(net_b, data, 2, 4, 0.1, lmbda=0.2)
    sizes = iter([1, 2, 3, 1, 4, 1, 2, 5, 1, 1, 3])
    while not chunked.done:
        chunked.run(max_batches=next(sizes, 1))
    for a, b in zip(net_a.layers, net_b.layers):
        for p, q in zip(a.params, b.params):
            np.testing.assert_array_equal(p, q)
