"""M5: the build measures the shipped model's test accuracy and stops if the record says otherwise
(buildtools.pretrained.check_test_accuracy / verified_test_accuracy, called by build.py)."""

import numpy as np
import pytest
from synthetic_digits import style_dataset

from buildtools import pretrained
from buildtools.pretrained import StaleRecordError, check_test_accuracy, verified_test_accuracy
from pynn import Network
from pynn.data import mnist
from pynn.training.evaluation import count_correct

pytestmark = pytest.mark.native  # build-time code (buildtools/), which the page's Python does not have


@pytest.fixture(scope="module")
def trained():
    test = style_dataset(300, seed=2)
    network = Network([784, 12, 10], cost="cross-entropy", init="scaled", seed=3)
    network.SGD(style_dataset(600, seed=1), 1, 10, 0.02, verbose=False)  # part-trained: it errs
    return network, test, count_correct(network, test)


def test_a_true_record_passes_and_a_claimed_one_stops_the_build(trained):
    network, test, correct = trained
    assert 0.2 < correct / len(test) < 0.9
    network.meta = {"test_accuracy": correct / len(test)}
    assert check_test_accuracy(network, test) == correct / len(test)
    network.meta = {"test_accuracy": (correct + pretrained.TEST_SLACK) / len(test)}  # within the slack
    check_test_accuracy(network, test)
    for claimed in ((correct + pretrained.TEST_SLACK + 1) / len(test), 0.9952, None, "0.99"):
        network.meta = {"test_accuracy": claimed}
        with pytest.raises(StaleRecordError, match=f"measures {correct / len(test):.4f} \\({correct} / 300\\)"):
            check_test_accuracy(network, test)


@pytest.mark.native
def test_the_measurement_is_made_once_per_model_file_and_test_set(trained, tmp_path, monkeypatch):
    network, test, correct = trained
    network.meta = {"test_accuracy": correct / len(test)}
    model, test_file = tmp_path / "model.json", tmp_path / "test.npz"
    model.write_text("a model"), test_file.write_bytes(b"a test set")
    loads = []
    monkeypatch.setenv("PYNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "split_path", lambda split: test_file)
    monkeypatch.setattr(mnist, "load_dataset", lambda split: loads.append(split) or test)
    assert verified_test_accuracy(network, model) == correct / len(test) and loads == ["test"]
    assert verified_test_accuracy(network, model) == correct / len(test) and loads == ["test"]  # remembered
    model.write_text("another model")  # a changed file is measured again, and a false record stops it
    network.meta = {"test_accuracy": 0.9952}
    with pytest.raises(StaleRecordError):
        verified_test_accuracy(network, model)
    assert loads == ["test", "test"] and np.isfinite(correct)


@pytest.mark.native
def test_the_recipe_starts_from_the_kept_base_and_refuses_any_other(tmp_path):
    """Issue 19: the shipped model is the base fine-tuned; the base file is checked by sha256 and
    by the recipe it records, and that recipe still hashes to the base's hash on today's data."""
    from pynn.files import modelfile

    start = pretrained.RECIPE["start"]
    assert pretrained.recipe_hash(start["recipe"], pretrained.data_digests()) == start["recipe_hash"]
    base = modelfile.load(pretrained.BASE_FILE)
    network = pretrained.build_network(pretrained.RECIPE)
    for mine, kept in zip(network.layers, base.layers, strict=True):
        for p, q in zip(mine.params, kept.params, strict=True):
            np.testing.assert_array_equal(p, q)
    changed = tmp_path / "base.json"
    changed.write_bytes(pretrained.BASE_FILE.read_bytes().replace(b"0.9936", b"0.9937"))
    with pytest.raises(ValueError, match="is not the base the recipe starts from"):
        pretrained.build_network({**pretrained.RECIPE, "start": {**start, "file": str(changed)}})
    other = modelfile.to_json(base, {**base.meta, "recipe": {**start["recipe"], "seed": 5}})
    changed.write_text(other)
    from pynn.data.fetch import sha256_file

    with pytest.raises(ValueError, match="does not record the base recipe"):
        pretrained.build_network({**pretrained.RECIPE, "start": {**start, "file": str(changed),
                                                                 "sha256": sha256_file(changed)}})


@pytest.mark.native
def test_the_shipped_model_records_the_european_drawings_it_was_tuned_on():
    from buildtools.strokes import GENERATORS
    from buildtools.styles import FONT_SOURCES
    from pynn.files import modelfile

    meta = modelfile.load(pretrained.BASE_FILE.parents[2] / "web" / "models" / "pretrained.json").meta
    drawn = pretrained.RECIPE["strokes"]
    assert meta["recipe"] == pretrained.RECIPE
    assert meta["training_images"] == 50_000 + 10 * len(FONT_SOURCES) * pretrained.RECIPE["font_copies"] + \
        len(GENERATORS) * drawn["per_kind"] * drawn["copies"]
