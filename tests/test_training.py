"""pynn.training.trainer.Trainer: training in chunks gives exactly what training in one go
gives, and the Progress records say truthfully where training stands."""

import numpy as np
import pytest
import seed_oracle

from pynn import Network, Trainer

SIZES = [6, 5, 4]
N, MB, ETA = 23, 5, 1.2  # 5 mini-batches per epoch, the last one short


@pytest.fixture
def problem(pairs):
    rng = np.random.default_rng(0)
    return pairs(SIZES, N, rng), pairs(SIZES, 11, rng, labels=True)


def new_trainer(problem, epochs=3, lmbda=0.3, cost="cross-entropy", **kwargs):
    data, test = problem
    net = Network(SIZES, cost=cost, seed=1)
    return Trainer(net, data, epochs, MB, ETA, lmbda=lmbda, evaluation_data=test, seed=2, **kwargs)


def assert_same_network(a, b):
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(p, q)


def without_seconds(history):
    return [{k: v for k, v in record.items() if k != "seconds"} for record in history]


def run_all(trainer, **chunk):
    records = []
    while not trainer.done:
        records.append(trainer.run(**chunk))
    return records


def test_one_go_equals_chunks_of_odd_sizes(problem):
    whole = new_trainer(problem)
    list(whole.each_epoch())
    chunked = new_trainer(problem)
    sizes = iter([1, 3, 2, 7, 1, 1, 4, 5, 3, 2, 9, 1, 1, 1, 1, 6])
    while not chunked.done:
        chunked.run(max_batches=next(sizes))
    assert_same_network(whole.network, chunked.network)
    assert without_seconds(whole.history) == without_seconds(chunked.history)
    assert len(chunked.history) == 3


@pytest.mark.parametrize("budget", [0.0, 1e-9, 1e-6])
def test_one_go_equals_tiny_time_budgets(problem, budget):
    whole = new_trainer(problem)
    list(whole.each_epoch())
    chunked = new_trainer(problem)
    records = run_all(chunked, max_seconds=budget)
    assert_same_network(whole.network, chunked.network)
    assert without_seconds(whole.history) == without_seconds(chunked.history)
    # every call makes progress, however small its budget: at least one mini-batch
    assert len(records) <= 3 * 5


def test_time_budget_and_batch_limit_together(problem):
    whole = new_trainer(problem)
    list(whole.each_epoch())
    chunked = new_trainer(problem)
    run_all(chunked, max_batches=2, max_seconds=60.0)
    assert_same_network(whole.network, chunked.network)


def test_trainer_without_seed_shuffles_with_the_network_generator(problem):
    """SGD is a Trainer that draws from the network's generator; chunks change nothing."""
    data, test = problem
    a, b = Network(SIZES, seed=3), Network(SIZES, seed=3)
    history = a.SGD(data, 2, MB, ETA, test_data=test, lmbda=0.2, verbose=False)
    trainer = Trainer(b, data, 2, MB, ETA, lmbda=0.2, evaluation_data=test)
    run_all(trainer, max_batches=3)
    assert_same_network(a, b)
    assert without_seconds(history) == without_seconds(trainer.history)


def test_progress_records_step_by_step(problem):
    trainer = new_trainer(problem, epochs=2)
    assert not trainer.done
    records = [trainer.run(max_batches=2) for _ in range(6)]
    expected = [  # (epoch, batch, epoch_done, done)
        (0, 2, False, False), (0, 4, False, False), (0, 5, True, False),
        (1, 2, False, False), (1, 4, False, False), (1, 5, True, True),
    ]
    assert [(r.epoch, r.batch, r.epoch_done, r.done) for r in records] == expected
    assert trainer.done
    for r in records:
        assert r.number_of_epochs == 2 and r.batches_per_epoch == 5
        assert (r.accuracy is not None) == r.epoch_done
        assert r.eta is not None and r.eta >= 0
        assert r.cost is not None and r.cost > 0
    elapsed = [r.elapsed for r in records]
    assert elapsed == sorted(elapsed) and elapsed[-1] > 0
    assert records[-1].eta == 0
    assert len(trainer.history) == 2
    assert [h["accuracy"] for h in trainer.history] == [records[2].accuracy, records[5].accuracy]
    assert records[5].accuracy == trainer.network.validation_accuracy(problem[1])
    assert set(records[0].as_dict()) == {"epoch", "number_of_epochs", "batch", "batches_per_epoch", "cost", "elapsed",
                                         "eta", "epoch_done", "accuracy", "done"}


def test_run_never_crosses_an_epoch_end(problem):
    trainer = new_trainer(problem, epochs=3)
    first = trainer.run(max_batches=100)
    assert (first.epoch, first.batch, first.epoch_done) == (0, 5, True)
    second = trainer.run()
    assert (second.epoch, second.batch, second.epoch_done) == (1, 5, True)
    assert len(trainer.history) == 2


def test_eta_before_any_batch_is_unknown(problem):
    trainer = new_trainer(problem)
    record = trainer.progress(False, None)
    assert record.eta is None and record.cost is None and record.batch == 0 and not record.done


def test_model_is_usable_after_a_mid_epoch_stop(problem):
    trainer = new_trainer(problem)
    before = [w.copy() for w in trainer.network.weights]
    record = trainer.run(max_batches=2)
    assert not record.epoch_done and not record.done
    out = trainer.network.feedforward(np.vstack([x for x, _ in problem[0]]).reshape(N, SIZES[0]).T)
    assert out.shape == (SIZES[-1], N) and np.all(np.isfinite(out))
    assert any(not np.array_equal(w, w0) for w, w0 in zip(trainer.network.weights, before))
    assert trainer.network.validation_accuracy(problem[1]) >= 0


def test_zero_epochs_is_done_at_once(problem, capsys):
    trainer = new_trainer(problem, epochs=0)
    before = [p.copy() for p in trainer.network.weights + trainer.network.biases]
    assert trainer.done
    assert list(trainer.each_epoch()) == []
    record = trainer.run()
    assert record.done and record.batch == 0 and record.number_of_epochs == 0
    assert trainer.history == []
    for p, q in zip(trainer.network.weights + trainer.network.biases, before):
        np.testing.assert_array_equal(p, q)
    data, _ = problem
    assert Network(SIZES, seed=4).SGD(data, 0, MB, ETA) == []
    assert capsys.readouterr().out == ""


def test_running_a_finished_trainer_changes_nothing(problem):
    trainer = new_trainer(problem, epochs=1)
    list(trainer.each_epoch())
    after = [p.copy() for p in trainer.network.weights + trainer.network.biases]
    record = trainer.run(max_batches=3)
    assert record.done and not record.epoch_done
    assert len(trainer.history) == 1
    for p, q in zip(trainer.network.weights + trainer.network.biases, after):
        np.testing.assert_array_equal(p, q)


def test_running_cost_is_the_mean_cost_before_each_step(problem):
    """With cost_every=1 the epoch's cost is the mean, over samples, of each mini-batch's
    cost measured with the weights just before that batch's step (checked with the oracle)."""
    data, _ = problem
    trainer = new_trainer(problem, epochs=2, lmbda=0.0, cost="quadratic", cost_every=1)
    weights = [w.copy() for w in trainer.network.weights]
    biases = [b.copy() for b in trainer.network.biases]
    list(trainer.each_epoch())
    rng = np.random.default_rng(2)
    for record in trainer.history:
        order, total = rng.permutation(N), 0.0
        for k in range(0, N, MB):
            minibatch = [data[i] for i in order[k:k + MB]]
            for x, y in minibatch:
                a = x
                for w, b in zip(weights, biases):
                    a = seed_oracle.sigmoid(w @ a + b)
                total += 0.5 * np.sum((a - y) ** 2)
            weights, biases = seed_oracle.update_minibatch(weights, biases, minibatch, ETA)
        assert record["cost"] == pytest.approx(total / N, rel=1e-12)


def test_cost_sampling_only_changes_the_report(problem):
    """Measuring the cost on fewer batches changes the reported cost, not the training."""
    every, sparse = new_trainer(problem, cost_every=1), new_trainer(problem, cost_every=3)
    list(every.each_epoch())
    list(sparse.each_epoch())
    assert_same_network(every.network, sparse.network)
    assert [h["accuracy"] for h in every.history] == [h["accuracy"] for h in sparse.history]
