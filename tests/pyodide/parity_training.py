"""The seeded training that must give the same network natively and in Pyodide.

This one file is imported by the native test and, copied into Pyodide's file system, by
the Python inside Pyodide: both sides run the very same code on the very same .npz bytes.
"""

import base64
import json
import time

import numpy as np

from pynn import Network
from pynn.data import mnist
from pynn.data.dataset import Dataset
from pynn.training.evaluation import count_correct
from pynn.training.trainer import Trainer

SETTINGS = {"sizes": [784, 30, 10], "samples": 2000, "epochs": 2, "minibatch_size": 10, "eta": 3.0, "seed": 12345}


def train(folder=None):
    """Train on the first 2,000 MNIST training samples from mnist-train.npz in ``folder``
    (default: pynn's cache); return the result as a JSON string, arrays as exact bytes."""
    s = SETTINGS
    images, labels = mnist.load_arrays("train", folder)
    data = Dataset.from_arrays(images[:s["samples"]], labels[:s["samples"]])
    network = Network(s["sizes"], seed=s["seed"])
    trainer = Trainer(network, data, s["epochs"], s["minibatch_size"], s["eta"])
    start = time.perf_counter()
    for _ in trainer.each_epoch():
        pass
    seconds = time.perf_counter() - start
    return json.dumps({
        "weights": [encode(w) for w in network.weights],
        "biases": [encode(b) for b in network.biases],
        "costs": [record["cost"] for record in trainer.history],
        "accuracy": count_correct(network, data) / len(data),
        "seconds": seconds,
    })


def encode(array):
    """A float64 array as (shape, base64 of its little-endian bytes): lossless through JSON."""
    return {"shape": list(array.shape), "b64": base64.b64encode(np.ascontiguousarray(array, "<f8").tobytes()).decode()}


def decode(item):
    return np.frombuffer(base64.b64decode(item["b64"]), dtype="<f8").reshape(item["shape"])
