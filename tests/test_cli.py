"""python -m pynn: bad input ends in one clear line and exit status 2; real runs train, save and predict."""

import json

import numpy as np
import pytest

from pynn import Network
from pynn.cli import main
from pynn.files import modelfile

pytestmark = pytest.mark.native  # uses tqdm, Pillow and files: not for the in-Pyodide run


@pytest.mark.parametrize("argv, message", [
    (["train", "--sizes", "784,0,10"], "layer sizes must be positive"),
    (["train", "--sizes", "784"], "at least 2 layers"),
    (["train", "--eta", "-1"], "must be > 0"),
    (["train", "--minibatch-size", "0"], "minibatch_size must be ≥ 1"),
    (["train", "--train-size", "0"], "--train-size"),
])
def test_bad_training_options_fail_clearly(argv, message, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path / "m.json")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_bad_model_file_fails_clearly(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"sizes": [784, 10], "weights": [], "biases": [], "cost": "QuadraticCost"}))
    assert main(["evaluate", str(path)]) == 2
    assert "weights must be a list of 1 layers" in capsys.readouterr().err


def test_sizes_that_are_not_numbers_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--sizes", "784,abc"])
    assert exit_.value.code == 2
    assert "comma-separated integers" in capsys.readouterr().err


@pytest.mark.mnist
def test_train_evaluate_predict(tmp_path, capsys):
    from PIL import Image

    from pynn.data import mnist

    out = tmp_path / "model.json"
    assert main(["train", "--epochs", "2", "--train-size", "5000", "--seed", "3", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("Epoch")]
    assert len(epochs) == 2 and float(epochs[-1].split()[2]) > 0.6  # chance is 0.1

    network = modelfile.load(out)
    assert network.meta["test_accuracy"] == pytest.approx(float(epochs[-1].split()[2]), abs=1e-4)
    assert main(["evaluate", str(out)]) == 0
    assert f"test accuracy {float(epochs[-1].split()[2]):.4f}" in capsys.readouterr().out

    images, labels = mnist.load_arrays("test")
    right = 0
    for i in range(20):  # dark ink on white paper, three times MNIST's size
        page = 255 - np.kron(images[i].reshape(28, 28), np.ones((3, 3), np.uint8))
        Image.fromarray(page).save(tmp_path / f"{i}.png")
        assert main(["predict", str(out), str(tmp_path / f"{i}.png")]) == 0
        predicted = int(capsys.readouterr().out.split()[1])
        right += predicted == int(np.argmax(network.feedforward(images[i].reshape(784, 1) / 256)))
    assert right >= 18


def test_predict_rejects_a_blank_page(tmp_path, capsys):
    from PIL import Image

    model = tmp_path / "m.json"
    modelfile.save(Network([784, 5, 10], seed=0), model)
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(tmp_path / "blank.png")
    assert main(["predict", str(model), str(tmp_path / "blank.png")]) == 2
    assert "blank" in capsys.readouterr().err


def test_evaluate_refuses_devices_and_pipes_without_reading(tmp_path, capsys):
    import os

    assert main(["evaluate", "/dev/zero"]) == 2
    assert "not a regular file" in capsys.readouterr().err
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert main(["evaluate", str(fifo)]) == 2  # opening a FIFO with no writer would hang
    assert "not a regular file" in capsys.readouterr().err


def test_model_over_the_cap_is_refused_before_parsing(tmp_path, monkeypatch, capsys):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2000)
    monkeypatch.setattr(modelfile, "MAX_BYTES", 1000)
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "big.json is over the 0.0 MB cap" in err


def test_decompression_bomb_is_a_clear_error(tmp_path, capsys):
    from PIL import Image

    model = tmp_path / "m.json"
    modelfile.save(Network([784, 10], seed=0), model)
    image = tmp_path / "huge.png"
    Image.new("1", (5000, 5000)).save(image)  # 25M pixels: over pynn's 16.7M cap, tiny on disk
    assert main(["predict", str(model), str(image)]) == 2
    assert "pixels" in capsys.readouterr().err


def test_missing_output_folder_fails_before_training(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "m.json"
    assert main(["train", "--epochs", "1", "--train-size", "10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Epoch" not in err


def test_train_builds_a_conv_net_too(tmp_path, capsys):
    out = tmp_path / "conv.json"
    assert main(["train", "--architecture", "conv", "--sizes", "784,16,10", "--epochs", "1", "--train-size", "50",
                 "--eta", "0.05", "--seed", "3", "--out", str(out)]) == 0
    network = modelfile.load(out)
    assert network.describe()["layers"][0]["type"] == "ConvPoolLayer"
    assert network.describe()["layers"][1]["n_out"] == 16
    assert main(["evaluate", str(out)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert main(["train", "--architecture", "conv", "--sizes", "100,10", "--out", str(out)]) == 2
