"""D7: a fine-tune that made the model worse says so, and the fine-tuned model carries the test
accuracy measured after it, not its base model's (pynn.page.outcome)."""

import numpy as np
import pytest
from synthetic_digits import make_digits, shifts, style_dataset

from pynn import Network
from pynn.page.finetune import FineTune
from pynn.page.outcome import WORSE_BY, finetuned_meta, verdict


def record(mnist, held):
    return {"mnist_test": None if mnist is None else {"accuracy": mnist, "correct": 0, "total": 200},
            "yours_held_out": {"accuracy": held}}


@pytest.mark.parametrize("before, after, worse, reason", [
    (record(0.99, 0.5), record(0.99 - WORSE_BY / 2, 0.9), False, None),  # a little MNIST for your style
    (record(0.9952, 0.5), record(0.1084, 0.5), True, "MNIST test accuracy fell from 99.52% to 10.84%"),
    (record(0.99, 0.75), record(0.99, 0.5), True, "held-out digits it fell from 75% to 50%"),
    (record(None, 0.5), record(None, 1.0), False, None),
    (record(None, None), record(None, None), False, None),  # nothing held out: nothing to say
])
def test_verdict(before, after, worse, reason):
    said = verdict(before, after)
    assert said["worse"] is worse
    assert (reason is None) == (said["reasons"] == [])
    if reason:
        assert any(reason in sentence for sentence in said["reasons"])


@pytest.fixture(scope="module")
def runs():
    replay, test = style_dataset(600, seed=1), style_dataset(200, seed=2)
    base = Network([784, 16, 10], cost="cross-entropy", init="scaled", seed=3, meta={"test_accuracy": 0.9952})
    base.SGD(replay, 3, 10, 0.5, verbose=False)
    results = {}
    for eta in (0.5, 1000.0):
        run = FineTune(base, make_digits(np.arange(40) % 10), replay, test,
                       {"rounds": 2, "round_size": 200, "test_size": 200, "eta": eta}, augment=shifts)
        run.run()
        results[eta] = run.result()
    return base, results


def test_a_ruinous_rate_is_called_worse_and_the_new_model_shows_its_own_accuracy(runs):
    base, results = runs
    ruined = results[1000.0]
    after = ruined["after"]["mnist_test"]["accuracy"]
    assert after < 0.5 < ruined["before"]["mnist_test"]["accuracy"]
    assert ruined["verdict"]["worse"] and "MNIST test accuracy fell" in ruined["verdict"]["reasons"][0]
    meta = finetuned_meta(base.meta, ruined, "pretrained")
    assert meta["test_accuracy"] == after != base.meta["test_accuracy"]  # not the base's 99.52%
    assert meta["test_images"] == 200 and meta["worse"] is True
    assert meta["name"] == "finetuned" and meta["finetuned_from"] == "pretrained"
    assert meta["finetune"]["verdict"] == ruined["verdict"]
    assert base.meta == {"test_accuracy": 0.9952}  # the base's own record is not touched


def test_a_good_fine_tune_is_not_called_worse(runs):
    base, results = runs
    good = results[0.5]
    assert not good["verdict"]["worse"], good["verdict"]
    meta = finetuned_meta(base.meta, good, "pretrained")
    assert meta["test_accuracy"] == good["after"]["mnist_test"]["accuracy"] and meta["worse"] is False


def test_without_an_mnist_measurement_the_base_figure_is_not_kept():
    result = {"before": record(None, 0.5), "after": record(None, 1.0), "per_label": [], "settings": {}}
    result["verdict"] = verdict(result["before"], result["after"])
    meta = finetuned_meta({"test_accuracy": 0.9952, "settings": {"eta": 0.1}}, result)
    assert meta["test_accuracy"] is None and meta["test_images"] is None and meta["settings"] == {"eta": 0.1}
