"""python -m pynn export MODEL --to onnx|json|npz OUT: every form pynn reads, written in the form asked,
read back to the same network; bad input ends in one line and exit status 2, with nothing written."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx_nets import page_architectures

from pynn.cli import main
from pynn.files import modelfile, onnx_proto

pytestmark = pytest.mark.native  # files and onnxruntime
X = np.random.default_rng(0).random((50, 784))


@pytest.fixture
def conv_file(tmp_path):
    model = page_architectures()["conv, ReLU 30"]()
    model.meta = {"name": "mine"}
    modelfile.save(model, tmp_path / "conv.json")
    return model, tmp_path / "conv.json"


def test_export_to_onnx_runs_in_onnxruntime_as_the_model_does(conv_file, tmp_path, capsys):
    model, path = conv_file
    assert main(["export", str(path), "--to", "onnx", str(tmp_path / "conv.onnx")]) == 0
    assert "saved" in capsys.readouterr().out
    session = ort.InferenceSession(str(tmp_path / "conv.onnx"), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"image": X.reshape(-1, 1, 28, 28).astype(np.float32)})[0]
    np.testing.assert_allclose(outputs, model.feedforward(X.T).T, atol=1e-5)


@pytest.mark.parametrize("chain", [["onnx", "json"], ["onnx", "npz", "json"], ["npz"], ["json", "onnx", "npz"]])
def test_each_form_reads_back_as_the_same_network(chain, conv_file, tmp_path):
    model, path = conv_file
    for i, form in enumerate(chain):
        out = tmp_path / f"step{i}.{form}"
        assert main(["export", str(path), "--to", form, str(out)]) == 0
        assert modelfile.is_npz(out.read_bytes()) == (form == "npz")
        path = out
    back = modelfile.load(path)
    assert modelfile.spec_and_params(back)[0] == modelfile.spec_and_params(model)[0] and back.meta == {"name": "mine"}
    np.testing.assert_allclose(back.feedforward(X.T), model.feedforward(X.T), atol=1e-6 if "onnx" in chain else 0)


def test_bad_exports_fail_in_one_line_and_write_nothing(conv_file, tmp_path, capsys, monkeypatch):
    _, path = conv_file
    out = tmp_path / "out.onnx"
    (tmp_path / "bad.json").write_text('{"sizes": [784, 10]}')
    for argv, message in [([str(tmp_path / "missing.json")], "is not a regular file"),
                          ([str(tmp_path / "bad.json")], "model file needs keys"),
                          ([str(path), "--to", "onnx", str(tmp_path / "no" / "out.onnx")], "existing folder")]:
        argv = argv if len(argv) > 1 else [*argv, "--to", "onnx", str(out)]
        assert main(["export", *argv]) == 2
        assert message in capsys.readouterr().err
    monkeypatch.setattr(onnx_proto.importlib, "import_module", lambda name: (_ for _ in ()).throw(ImportError(name)))
    assert main(["export", str(path), "--to", "onnx", str(out)]) == 2
    assert "pip install 'pynn[onnx]'" in capsys.readouterr().err
    assert set(tmp_path.iterdir()) == {path, tmp_path / "bad.json"}  # no output, no .partial
    with pytest.raises(SystemExit):
        main(["export", str(path), "--to", "pickle", str(out)])
