"""The seed's API: construction, feedforward, sigmoid, accuracy, SGD's printing
and history, and reproducibility from a seed."""

import warnings

import numpy as np
import pytest
import seed_oracle

from pynn import Network, sigmoid, sigmoid_prime


def forward_by_hand(network, a):
    """The seed's feedforward, one layer at a time, with the oracle's sigmoid."""
    for w, b in zip(network.weights, network.biases):
        a = seed_oracle.sigmoid(np.dot(w, a) + b)
    return a


def test_shapes_of_784_30_10():
    net = Network([784, 30, 10])
    assert net.sizes == [784, 30, 10]
    assert net.num_layers == 3
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert all(p.dtype == np.float64 for p in net.weights + net.biases)


def test_feedforward_one_column(pairs):
    rng = np.random.default_rng(1)
    net = Network([784, 30, 10], seed=1)
    x = rng.random((784, 1))
    out = net.feedforward(x)
    assert out.shape == (10, 1)
    assert np.all((out > 0) & (out < 1))
    np.testing.assert_allclose(out, forward_by_hand(net, x), rtol=1e-12, atol=1e-15)
    # a flat (784,) vector is taken as the same column
    np.testing.assert_array_equal(net.feedforward(x.ravel()), out)


def test_feedforward_batch_equals_per_column():
    rng = np.random.default_rng(2)
    net = Network([784, 30, 10], seed=2)
    batch = rng.random((784, 17))
    out = net.feedforward(batch)
    assert out.shape == (10, 17)
    columns = np.hstack([net.feedforward(batch[:, [i]]) for i in range(17)])
    np.testing.assert_allclose(out, columns, rtol=1e-12, atol=1e-15)


def test_sigmoid_values():
    assert sigmoid(np.array(0.0)) == 0.5
    np.testing.assert_allclose(sigmoid(np.log(3.0)), 0.75, rtol=1e-15)
    z = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)


def test_sigmoid_prime_is_the_derivative():
    assert sigmoid_prime(np.array(0.0)) == 0.25
    z = np.linspace(-8, 8, 33)
    eps = 1e-6
    numeric = (sigmoid(z + eps) - sigmoid(z - eps)) / (2 * eps)
    # a central difference is good to ~eps² in truncation and ~1e-16/eps in rounding
    np.testing.assert_allclose(sigmoid_prime(z), numeric, rtol=1e-8, atol=1e-9)


def test_sigmoid_saturates_without_overflow_warnings():
    z = np.array([[-1000.0], [1000.0], [-745.0], [800.0]])
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn"):
        warnings.simplefilter("error")
        s = sigmoid(z)
        sp = sigmoid_prime(z)
    np.testing.assert_array_equal(s.ravel()[:2], [0.0, 1.0])
    np.testing.assert_array_equal(sp.ravel()[:2], [0.0, 0.0])
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp))


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_extreme_inputs_train_without_warnings(cost):
    """Saturated neurons (z = ±1000 and more) must not make numpy warn anywhere in training."""
    net = Network([3, 4, 2], cost=cost, seed=0)
    x = np.array([[1000.0], [-1000.0], [500.0]])
    data = [(x, np.array([[1.0], [0.0]])), (-x, np.array([[0.0], [1.0]]))]
    before = [w.copy() for w in net.weights]
    with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn"):
        warnings.simplefilter("error")
        out = net.feedforward(np.hstack([x, -x]))
        history = net.SGD(data, 2, 1, 1.0, test_data=[(x, 0), (-x, 1)], verbose=False)
        net.backprop(x, data[0][1])
    assert np.all(np.isfinite(out))
    assert all(np.all(np.isfinite(w)) for w in net.weights + net.biases)
    assert len(history) == 2
    assert any(not np.array_equal(a, b) for a, b in zip(before, net.weights))


def test_cost_gradient_wrt_output_is_a_minus_y():
    rng = np.random.default_rng(3)
    net = Network([4, 3], seed=3)
    a, y = rng.random((3, 1)), np.array([[0.0], [1.0], [0.0]])
    grad = net.cost_gradient_wrt_output(a, y)
    np.testing.assert_array_equal(grad, a - y)
    # it is the derivative of the seed's cost ½‖a − y‖² with respect to a
    eps = 1e-6
    numeric = np.zeros_like(a)
    for i in range(3):
        step = np.zeros_like(a)
        step[i] = eps
        numeric[i] = (0.5 * np.sum((a + step - y) ** 2) - 0.5 * np.sum((a - step - y) ** 2)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-8, atol=1e-12)


def test_validation_accuracy_on_hand_made_data():
    # output i grows with input i, so the predicted class is the index of the larger input
    net = Network.from_parameters([np.array([[10.0, 0.0], [0.0, 10.0]])], [np.zeros((2, 1))])
    col = lambda *v: np.array(v, dtype=float).reshape(-1, 1)  # noqa: E731
    test_data = [(col(1, 0), 0), (col(0, 1), 1), (col(2, 1), 0), (col(1, 3), 0), (col(5, 4), np.int64(1))]
    # predictions: 0, 1, 0, 1, 0 → right on the first three only
    assert net.validation_accuracy(test_data) == pytest.approx(3 / 5, abs=0)
    assert [net.predict(x) for x, _ in test_data] == [0, 1, 0, 1, 0]
    assert net.validation_accuracy(test_data[:3]) == 1.0
    assert net.validation_accuracy(test_data[3:]) == 0.0


def test_total_cost_matches_the_formulas(pairs):
    rng = np.random.default_rng(4)
    sizes = [5, 4, 3]
    data = pairs(sizes, 9, rng)
    for cost in ("quadratic", "cross-entropy"):
        net = Network(sizes, cost=cost, seed=4)
        per_sample = []
        for x, y in data:
            a = forward_by_hand(net, x)
            if cost == "quadratic":
                per_sample.append(0.5 * np.sum((a - y) ** 2))
            else:
                per_sample.append(-np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)))
        l2 = 0.5 * (0.7 / len(data)) * sum(np.sum(w ** 2) for w in net.weights)
        assert net.total_cost(data) == pytest.approx(np.mean(per_sample), rel=1e-12)
        assert net.total_cost(data, lmbda=0.7) == pytest.approx(np.mean(per_sample) + l2, rel=1e-12)


def test_sgd_prints_one_line_per_epoch(capsys, pairs):
    rng = np.random.default_rng(5)
    sizes = [6, 5, 3]
    net = Network(sizes, seed=5)
    history = net.SGD(pairs(sizes, 20, rng), 3, 4, 0.5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert [line.split()[:2] for line in lines] == [["Epoch", "0"], ["Epoch", "1"], ["Epoch", "2"]]
    assert len(history) == 3
    for record in history:
        assert record["accuracy"] is None
        assert np.isfinite(record["cost"]) and record["cost"] > 0


def test_sgd_with_test_data_reports_accuracy(capsys, pairs):
    rng = np.random.default_rng(6)
    sizes = [6, 5, 3]
    net = Network(sizes, seed=6)
    test_data = pairs(sizes, 15, rng, labels=True)
    history = net.SGD(pairs(sizes, 30, rng), 4, 5, 1.0, test_data=test_data)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(history) == 4
    for i, (line, record) in enumerate(zip(lines, history)):
        assert line.startswith(f"Epoch {i}:")
        assert "accuracy" in line
        assert 0.0 <= record["accuracy"] <= 1.0
        assert f"{record['accuracy']:.4f}" in line
        assert record["epoch"] == i
    # the last record's accuracy is the trained network's
    assert history[-1]["accuracy"] == net.validation_accuracy(test_data)


def test_sgd_quiet_when_not_verbose(capsys, pairs):
    rng = np.random.default_rng(7)
    net = Network([4, 3, 2], seed=7)
    net.SGD(pairs([4, 3, 2], 10, rng), 2, 3, 0.5, verbose=False)
    assert capsys.readouterr().out == ""


def test_sgd_leaves_the_training_data_alone(pairs):
    rng = np.random.default_rng(8)
    sizes = [5, 4, 3]
    data = pairs(sizes, 25, rng)
    objects = [(id(x), id(y)) for x, y in data]
    copies = [(x.copy(), y.copy()) for x, y in data]
    Network(sizes, seed=8).SGD(data, 3, 4, 1.0, verbose=False)
    assert len(data) == 25
    assert [(id(x), id(y)) for x, y in data] == objects
    for (x, y), (x0, y0) in zip(data, copies):
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(y, y0)


def test_sgd_learns_a_separable_problem():
    """A sanity check that the steps go downhill: two well-separated clusters are learnt."""
    rng = np.random.default_rng(9)
    centres = np.array([[2.0, -2.0], [-2.0, 2.0]])
    data, test = [], []
    for i in range(200):
        label = i % 2
        x = (centres[label] + 0.5 * rng.standard_normal(2)).reshape(2, 1)
        (data if i < 150 else test).append((x, label))
    train = [(x, np.eye(2)[:, [label]]) for x, label in data]
    net = Network([2, 4, 2], seed=9)
    history = net.SGD(train, 10, 10, 2.0, test_data=test, verbose=False)
    assert history[-1]["accuracy"] >= 0.95
    assert net.total_cost(train) < Network([2, 4, 2], seed=9).total_cost(train)


# --- reproducibility and initialisation -------------------------------------------------------


def test_same_seed_same_initial_network():
    a, b = Network([7, 6, 5], seed=123), Network([7, 6, 5], seed=123)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)
    c = Network([7, 6, 5], seed=124)
    assert not np.array_equal(a.weights[0], c.weights[0])
    d, e = Network([7, 6, 5]), Network([7, 6, 5])  # unseeded: fresh entropy each time
    assert not np.array_equal(d.weights[0], e.weights[0])


def test_same_seed_same_trained_weights(pairs):
    sizes = [8, 6, 4]
    data = pairs(sizes, 40, np.random.default_rng(10))

    def trained(seed):
        net = Network(sizes, seed=seed)
        net.SGD(data, 3, 7, 0.8, lmbda=0.1, verbose=False)
        return net

    a, b, c = trained(11), trained(11), trained(12)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_seed_also_drives_the_shuffle(pairs):
    """Two networks with equal initial weights but different generators train differently."""
    sizes = [8, 6, 4]
    data = pairs(sizes, 40, np.random.default_rng(13))
    a = Network(sizes, seed=14)
    b = Network.from_parameters([w.copy() for w in a.weights], [b.copy() for b in a.biases], seed=15)
    a.SGD(data, 1, 5, 0.8, verbose=False)
    b.SGD(data, 1, 5, 0.8, verbose=False)
    assert not np.array_equal(a.weights[0], b.weights[0])


def test_seed_accepts_a_generator():
    a = Network([5, 3], seed=np.random.default_rng(99))
    b = Network([5, 3], seed=99)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


@pytest.mark.parametrize("init, expected", [("standard", lambda n_in: 1.0), ("scaled", lambda n_in: 1 / np.sqrt(n_in))])
def test_initial_weight_spread(init, expected):
    net = Network([784, 100, 30], init=init, seed=16)
    for w in net.weights:
        n_in = w.shape[1]
        # sample std of w.size normals is within a few % of the true one (relative sd ≈ 1/√(2·size))
        tolerance = 5 / np.sqrt(2 * w.size)
        assert w.std() == pytest.approx(expected(n_in), rel=tolerance)
        assert abs(w.mean()) < 5 * expected(n_in) / np.sqrt(w.size)
    biases = np.concatenate([b.ravel() for b in net.biases])
    assert biases.std() == pytest.approx(1.0, rel=5 / np.sqrt(2 * biases.size))


def test_scaled_and_standard_share_the_draws():
    """"scaled" is the standard draw divided by √n_in, from the same seed."""
    a = Network([50, 20, 5], init="standard", seed=17)
    b = Network([50, 20, 5], init="scaled", seed=17)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_allclose(wb, wa / np.sqrt(wa.shape[1]), rtol=1e-15)
    for ba, bb in zip(a.biases, b.biases):
        np.testing.assert_array_equal(ba, bb)


def test_copy_is_independent_and_identical_down_to_its_generator():
    """A copy (what a fine-tune trains) predicts alike, shuffles alike, and shares no array: a
    copy that kept references would let the fine-tune change the model in use."""
    net = Network([6, 4, 3], cost="cross-entropy", seed=5)
    net.meta = {"note": "kept"}
    twin = net.copy()
    x = np.random.default_rng(1).random((6, 2))
    np.testing.assert_array_equal(twin.feedforward(x), net.feedforward(x))
    assert twin.cost is net.cost and twin.meta == net.meta and twin.meta is not net.meta
    assert twin.rng.integers(1 << 30) == net.rng.integers(1 << 30)
    twin.weights[0] += 1.0
    twin.biases[-1] += 1.0
    assert not np.array_equal(twin.feedforward(x), net.feedforward(x))
    np.testing.assert_array_equal(net.feedforward(x), Network([6, 4, 3], cost="cross-entropy", seed=5).feedforward(x))
