"""pynn.files.modelfile: network2-style JSON model files; loading trusts nothing."""

import ast
import json
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import pynn
from pynn import Network
from pynn.files import modelfile
from pynn.files.modelfile import ModelFileError

PYNN_SOURCES = sorted(Path(pynn.__file__).resolve().parent.rglob("*.py"))
# The build's own code is held to the same rules: no eval, no exec.
BUILD_SOURCES = sorted((Path(pynn.__file__).resolve().parents[1] / "buildtools").rglob("*.py"))


def assert_same_network(a, b):
    assert a.sizes == b.sizes
    assert a.cost is b.cost
    for p, q in zip(a.weights + a.biases, b.weights + b.biases):
        assert q.dtype == np.float64
        np.testing.assert_array_equal(p, q)


def valid(**changes):
    """A valid [3, 2, 1] model file as a dict, with some fields changed."""
    data = {
        "sizes": [3, 2, 1],
        "weights": [[[0.1, -0.2, 0.3], [1.5, 2, -3]], [[0.25, -0.75]]],
        "biases": [[[0.5], [-1]], [[0.125]]],
        "cost": "CrossEntropyCost",
    }
    data.update(changes)
    return data


def text(**changes):
    return json.dumps(valid(**changes))


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_round_trip_is_exact(cost):
    net = Network([7, 5, 3], cost=cost, init="scaled", seed=1)
    net.SGD([(np.random.default_rng(2).random((7, 1)), 1)], 1, 1, 0.7, verbose=False)
    loaded = modelfile.loads(modelfile.to_json(net))
    assert_same_network(net, loaded)
    x = np.random.default_rng(3).random((7, 4))
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))


def test_bytes_like_input_is_read_as_utf8_json():
    """The browser's worker hands over a file's bytes in whatever buffer type it has."""
    net = Network([6, 4, 2], seed=5)
    data = modelfile.to_json(net, meta={"note": "héllo"}).encode("utf-8")
    for text in (data, bytearray(data), memoryview(data)):
        loaded = modelfile.loads(text)
        assert_same_network(net, loaded)
        assert loaded.meta == {"note": "héllo"}
    with pytest.raises(modelfile.ModelFileError, match="UTF-8"):
        modelfile.loads(memoryview(b"\xff\xfe not text"))


def test_save_and_load_a_file(tmp_path):
    net = Network([784, 30, 10], cost="cross-entropy", seed=4)
    path = tmp_path / "model.json"
    modelfile.save(net, path, meta={"epochs": 3, "accuracy": 0.95, "note": "héllo"})
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no partial file left behind
    loaded = modelfile.load(path)
    assert_same_network(net, loaded)
    assert loaded.meta == {"epochs": 3, "accuracy": 0.95, "note": "héllo"}
    modelfile.save(net, str(path))  # str paths, and overwriting, work too
    assert modelfile.load(str(path)).meta == {}


def test_layout_is_network2s():
    net = Network([4, 3, 2], cost="cross-entropy", seed=5)
    data = json.loads(modelfile.to_json(net))
    assert set(data) == {"sizes", "weights", "biases", "cost"}
    assert data["sizes"] == [4, 3, 2]
    assert data["cost"] == "CrossEntropyCost"
    assert np.array(data["weights"][0]).shape == (3, 4) and np.array(data["biases"][1]).shape == (2, 1)
    assert json.loads(modelfile.to_json(Network([4, 2], seed=6)))["cost"] == "QuadraticCost"


@pytest.mark.parametrize("name, cost", [("QuadraticCost", "quadratic"), ("CrossEntropyCost", "cross-entropy"),
                                        ("quadratic", "quadratic"), ("cross-entropy", "cross-entropy")])
def test_cost_names_accepted(name, cost):
    assert modelfile.loads(text(cost=name)).cost.name == cost


def test_a_network2_file_means_what_network2_meant():
    """Weights (n_out, n_in) and column biases, ints allowed: output computed by hand."""
    net = modelfile.loads(text())
    x = np.array([[1.0], [2.0], [-1.0]])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    hidden = sig(np.array([[0.1 * 1 - 0.2 * 2 - 0.3 + 0.5], [1.5 * 1 + 2 * 2 + 3 - 1]]))
    out = sig(0.25 * hidden[0] - 0.75 * hidden[1] + 0.125)
    np.testing.assert_allclose(net.feedforward(x), out.reshape(1, 1), rtol=1e-15)
    assert net.cost.name == "cross-entropy" and net.meta == {}


def test_loads_takes_bytes():
    assert_same_network(modelfile.loads(text()), modelfile.loads(text().encode("utf-8")))


# --- rejected files ---------------------------------------------------------------------------

NAN_WEIGHTS = '[[[NaN, 0, 0], [0, 0, 0]], [[0, 0]]]'

BAD_FILES = [
    ("not JSON", "hello", "not valid JSON"),
    ("truncated", text()[:-5], "not valid JSON"),
    ("empty", "", "not valid JSON"),
    ("a list", "[1, 2]", "must be a JSON object, got list"),
    ("a number", "3", "must be a JSON object, got int"),
    ("null", "null", "must be a JSON object, got NoneType"),
    ("missing biases", json.dumps({k: v for k, v in valid().items() if k != "biases"}), r"missing \['biases'\]"),
    ("missing all", "{}", r"missing \['biases', 'cost', 'sizes', 'weights'\]"),
    ("unknown key", text(extra=1), r"unknown \['extra'\]"),
    ("one layer", text(sizes=[3]), "at least 2 layer sizes"),
    ("sizes a string", text(sizes="3,2,1"), "at least 2 layer sizes"),
    ("sizes null", text(sizes=None), "at least 2 layer sizes"),
    ("size zero", text(sizes=[3, 0, 1]), "positive integers"),
    ("size negative", text(sizes=[3, -2, 1]), "positive integers"),
    ("size float", text(sizes=[3, 2.0, 1]), "positive integers"),
    ("size bool", text(sizes=[3, True, 1]), "positive integers"),
    ("size string", text(sizes=[3, "2", 1]), "positive integers"),
    ("NaN", text().replace('"weights": [[[0.1', '"weights": [[[NaN'), "contains NaN"),
    ("Infinity", text().replace("0.125", "Infinity"), "contains Infinity"),
    ("-Infinity", text().replace("0.125", "-Infinity"), "contains -Infinity"),
    ("NaN in meta", text()[:-1] + ', "meta": {"a": NaN}}', "contains NaN"),
    ("1e999", text().replace("0.125", "1e999"), r"biases\[1\] holds a number"),
    ("-1e999 weight", text().replace("-0.75", "-1e999"), r"weights\[1\] holds a number"),
    ("huge integer", text().replace("0.125", "9" * 5000), "value that cannot be read"),
    ("big integer", text().replace("0.125", "9" * 400), r"biases\[1\] holds a number too large to be a float64"),
    ("string weight", text().replace("-0.2", '"-0.2"'), r"weights\[0\] must hold only numbers"),
    ("bool weight", text().replace("-0.2", "true"), r"weights\[0\] must hold only numbers"),
    ("null weight", text().replace("-0.2", "null"), r"weights\[0\] must hold only numbers"),
    ("null bias", text().replace("0.125", "null"), r"biases\[1\] must hold only numbers"),
    ("object weight", text().replace("-0.2", '{"v": 1}'), r"weights\[0\] must hold only numbers"),
    ("ragged row", text(weights=[[[0.1, -0.2], [1.5, 2, -3]], [[0.25, -0.75]]]),
     r"weights\[0\] must have shape \(2, 3\)"),
    ("extra row", text(weights=[[[0, 0, 0]] * 3, [[0, 0]]]), r"weights\[0\] must have shape \(2, 3\)"),
    ("transposed", text(weights=[[[0, 0], [0, 0], [0, 0]], [[0], [0]]]), r"weights\[0\] must have shape \(2, 3\)"),
    ("row not a list", text(weights=[[0.1, 0.2], [[0.25, -0.75]]]), r"weights\[0\] must have shape \(2, 3\)"),
    ("too few layers", text(weights=[[[0.1, -0.2, 0.3], [1.5, 2, -3]]]), "weights must be a list of 2 layers"),
    ("weights a dict", text(weights={"0": 1}), "weights must be a list of 2 layers"),
    ("flat biases", text(biases=[[0.5, -1], [0.125]]), r"biases\[0\] must have shape \(2, 1\)"),
    ("bias column too long", text(biases=[[[0.5], [-1], [2]], [[0.125]]]), r"biases\[0\] must have shape \(2, 1\)"),
    ("unknown cost", text(cost="HingeCost"), r"unknown cost 'HingeCost'.*CrossEntropyCost"),
    ("cost a number", text(cost=3), "unknown cost 3"),
    ("cost null", text(cost=None), "unknown cost None"),
    ("cost a class path", text(cost="network2.QuadraticCost"), "unknown cost"),
    ("deep nesting", "[" * 100_000, "nested too deeply"),
    ("deep nesting inside", '{"sizes": [3, 2, 1], "weights": ' + "[" * 100_000, "nested too deeply"),
    ("deep but closed", "[" * 5000 + "]" * 5000, "nested too deeply"),
    ("deep in meta", text()[:-1] + ', "meta": ' + "{\"a\": " * 200 + "1" + "}" * 200 + "}", "nested too deeply"),
    ("closers hidden in a string", text()[:-1] + ', "meta": {"a": "' + "]" * 1000 + '", "b": ' + "[" * 1000,
     "nested too deeply"),
    ("closers after an escaped quote", '["\\"' + "]" * 1000 + '"' + "[" * 1000, "nested too deeply"),
]


@pytest.mark.parametrize("content, message", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_files_are_refused_clearly(content, message):
    with pytest.raises(ModelFileError, match=message):
        modelfile.loads(content)
    with pytest.raises(ModelFileError, match=message):
        modelfile.loads(content.encode("utf-8"))


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


@pytest.mark.parametrize("content", [b"\xff\xfe{}", b'{"sizes": "\xe9"}', "é".encode("latin-1") * 3])
def test_non_utf8_is_refused(content):
    with pytest.raises(ModelFileError, match="UTF-8"):
        modelfile.loads(content)


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(text().encode("utf-16"))
    with pytest.raises(ModelFileError, match="UTF-16 text; save it as UTF-8"):
        modelfile.load(path)


def test_brackets_in_strings_do_not_count_as_nesting():
    meta = {"note": "[" * 1000 + "{" * 1000, "escaped": '\\"[[[' * 100, "deep enough": [[[[[[1]]]]]]}
    assert modelfile.loads(text()[:-1] + ', "meta": ' + json.dumps(meta) + "}").meta == meta


def test_nesting_cap_boundary(monkeypatch):
    """A network2 file nests 4 deep ({ "weights": [ layer [ row [ ), which is all it needs."""
    monkeypatch.setattr(modelfile, "MAX_DEPTH", 4)
    assert modelfile.loads(text()).sizes == [3, 2, 1]
    monkeypatch.setattr(modelfile, "MAX_DEPTH", 3)
    with pytest.raises(ModelFileError, match="nested too deeply"):
        modelfile.loads(text())


def test_parameter_cap_is_checked_before_allocating():
    """Sizes that would need ~10¹⁰ floats are refused from the sizes alone, at once."""
    tracemalloc.start()
    try:
        for sizes in ([100_000, 100_000, 10], [10**30, 10], [modelfile.MAX_PARAMETERS, 2]):
            with pytest.raises(ModelFileError, match=r"parameters; the cap is 10,000,000"):
                modelfile.loads(text(sizes=sizes, weights=[], biases=[]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_parameter_cap_boundary(monkeypatch):
    content = text()  # [3, 2, 1]: 3·2 + 2 + 2·1 + 1 = 11 parameters
    monkeypatch.setattr(modelfile, "MAX_PARAMETERS", 11)
    assert modelfile.loads(content).sizes == [3, 2, 1]
    monkeypatch.setattr(modelfile, "MAX_PARAMETERS", 10)
    with pytest.raises(ModelFileError, match="mean 11 parameters; the cap is 10"):
        modelfile.loads(content)


def test_byte_cap(monkeypatch, tmp_path):
    content = text()
    path = tmp_path / "big.json"
    path.write_text(content, encoding="utf-8")
    monkeypatch.setattr(modelfile, "MAX_BYTES", len(content))
    assert modelfile.load(path).sizes == [3, 2, 1]
    monkeypatch.setattr(modelfile, "MAX_BYTES", len(content) - 1)
    for attempt in (lambda: modelfile.loads(content), lambda: modelfile.loads(content.encode()),
                    lambda: modelfile.load(path)):
        with pytest.raises(ModelFileError, match="cap"):
            attempt()


def test_default_caps_allow_an_mnist_network():
    net = Network([784, 100, 10], seed=7)
    content = modelfile.to_json(net)
    assert len(content) < modelfile.MAX_BYTES
    assert_same_network(net, modelfile.loads(content))


def test_meta_that_is_not_an_object_is_dropped():
    assert modelfile.loads(text()[:-1] + ', "meta": [1, 2]}').meta == {}
    assert modelfile.loads(text()[:-1] + ', "meta": {"epochs": 2}}').meta == {"epochs": 2}


def test_to_json_refuses_to_write_nan():
    net = Network([3, 2], seed=8)
    net.weights[0][0, 0] = np.nan
    with pytest.raises(ValueError):
        modelfile.to_json(net)


# --- no pickle, no eval -------------------------------------------------------------------------


def imported_modules(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


# The three below read pynn's source files: the Pyodide run imports pynn from compiled .pyc
# (build.py's py-compile step), so they check the sources natively, where they are.
@pytest.mark.native
def test_sources_are_there_to_scan():
    root = Path(pynn.__file__).resolve().parent
    names = {p.relative_to(root).as_posix() for p in PYNN_SOURCES}  # every room's, not only the top's
    assert {"files/modelfile.py", "nets/network.py", "nets/kernel.py", "training/trainer.py", "data/dataset.py",
            "page/browser.py", "cli.py"} <= names


@pytest.mark.native
def test_io_never_imports_pickle():
    source = (Path(modelfile.__file__)).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import\s+(c?pickle|marshal|shelve)|from\s+(c?pickle|marshal|shelve)\s+import)",
                         source, re.MULTILINE)
    assert not {"pickle", "_pickle", "cPickle", "marshal", "shelve"} & imported_modules(Path(modelfile.__file__))
    assert not any(getattr(value, "__name__", "") in {"pickle", "_pickle"} for value in vars(modelfile).values())


@pytest.mark.native
@pytest.mark.parametrize("path", PYNN_SOURCES + BUILD_SOURCES, ids=lambda p: p.name)
def test_no_eval_or_exec(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"\b(eval|exec)\s*\(", source)
    calls = {node.func.id for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"eval", "exec", "compile", "__import__"}


def test_the_old_name_pynn_io_still_imports_as_modelfile():
    """pynn.io (documented before its rename to pynn.files.modelfile) is the same module by every spelling."""
    import importlib

    import pynn.io
    from pynn.io import ModelFileError as OldError
    from pynn.io import load

    from pynn import io

    assert pynn.io is io is importlib.import_module("pynn.io") is modelfile
    assert load is modelfile.load and OldError is ModelFileError
