"""The numpy-only predictor ("Download as Python"): the generated file, run natively in a subprocess
where pynn cannot be imported, gives pynn's feedforward on MNIST digits and on a drawing it normalises
as the page does (pynn.data.digits, copied in)."""

import ast
import json
import subprocess
import sys

import numpy as np
import pytest
from onnx_nets import other_network3_nets, page_architectures

from pynn.cli import main
from pynn.data import mnist
from pynn.data.dataset import PIXEL_SCALE
from pynn.data.digits import normalize_digit
from pynn.files import modelfile
from pynn.files.python_export import to_python

pytestmark = pytest.mark.native  # subprocesses and files
NETS = {**page_architectures(), **other_network3_nets()}
# pynn is made unimportable: the file must stand on numpy alone
RUN = ("import runpy, sys; sys.modules['pynn'] = None; sys.argv = sys.argv[1:]; "
       "runpy.run_path(sys.argv[0], run_name='__main__')")


def drawing() -> np.ndarray:
    """A 200×150 uint8 "7", off-centre, as a pad might hold it."""
    image = np.zeros((200, 150), dtype=np.uint8)
    image[30:45, 20:120] = 255
    for row in range(45, 180):
        col = 115 - (row - 45) // 2
        image[row, col - 8:col + 8] = 255
    return image


def run(path, *args) -> np.ndarray:
    done = subprocess.run([sys.executable, "-c", RUN, str(path), *map(str, args), "--json"], capture_output=True,
                          text=True, timeout=120, cwd=path.parent)
    assert done.returncode == 0, done.stderr
    return np.array(json.loads(done.stdout))


@pytest.mark.mnist
@pytest.mark.parametrize("name", ["mlp 784-100-30-10 cross-entropy", "conv, ReLU 30", "shipped",
                                  "conv sigmoid, conv tanh pool 1, dropout", "dense sigmoid, then a conv layer"])
def test_the_file_alone_gives_pynns_outputs_for_digits_and_drawings(name, tmp_path):
    model = NETS[name]()
    path = tmp_path / "predictor.py"
    path.write_text(to_python(model), encoding="utf-8")
    pixels, _ = mnist.load_arrays("test")
    images = pixels[:100].astype(np.float64) * PIXEL_SCALE
    np.save(tmp_path / "digits.npy", images.reshape(-1, 28, 28))
    np.testing.assert_allclose(run(path, "digits.npy"), model.feedforward(images.T).T, rtol=0, atol=1e-12)
    np.save(tmp_path / "drawing.npy", drawing())
    expected = model.feedforward(normalize_digit(drawing())).T
    np.testing.assert_allclose(run(path, "drawing.npy", "--drawing"), expected, rtol=0, atol=1e-12)


def test_the_file_imports_nothing_but_numpy_and_the_standard_library():
    tree = ast.parse(to_python(NETS["conv, ReLU 30"]()))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "base64", "io", "json", "sys", "numpy"}


def test_a_blank_drawing_is_refused_in_the_file_as_in_pynn(tmp_path, capsys):
    model_path = tmp_path / "m.json"
    modelfile.save(NETS["mlp 784-30-10 quadratic"](), model_path)
    assert main(["export", str(model_path), "--to", "python", str(tmp_path / "p.py")]) == 0
    np.save(tmp_path / "blank.npy", np.zeros((50, 50)))
    done = subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "p.py"), "blank.npy", "--drawing"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0 and "BlankImageError: the image is blank: draw a digit first" in done.stderr
