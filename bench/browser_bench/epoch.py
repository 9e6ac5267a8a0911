"""One epoch of [784, 30, 10] (mini-batch 10, η 3.0, quadratic cost, standard init, λ 0, the
50,000 training images), set up and started through the page's form like a user would, and the
same epoch natively with this checkout's pynn (same seed and code path)."""

from __future__ import annotations

import functools
import time

import numpy as np
from harness.app import model_json
from harness.forms import fill_settings

from browser_bench.common import poll
from browser_bench.probe import WorkerProbe

# By pynn's names (harness.forms maps them to the form's fields).
EPOCH_SETTINGS = {"hidden": [30], "epochs": 1, "minibatch_size": 10, "eta": 3, "lmbda": 0, "train_size": 50_000,
                  "cost": "quadratic", "init": "standard"}


def fill_epoch_settings(page, seed: int, epochs: int | None = None, settings: dict | None = None) -> None:
    settings = settings or EPOCH_SETTINGS
    fill_settings(page, settings, epochs=epochs or settings["epochs"], seed=seed)


def train_in_page(page, seed: int, epochs: int = 1, probe: WorkerProbe | None = None, sample_every: float = 0.5,
                  timeout: float = 3600.0, on_wait=None, settings: dict | None = None) -> dict:
    """Fill the form (``settings`` by pynn's names, default EPOCH_SETTINGS), press Start training,
    wait for data-done=true; read the page's figures.  ``on_wait(marks)`` is called while waiting."""
    fill_epoch_settings(page, seed, epochs, settings)
    marks = page.evaluate("() => ({ submits: window.__bench.submits.length, done: window.__bench.done.length, "
                          "accuracies: window.__bench.accuracies.length })")
    samples = []
    last = [0.0]

    def waiting():
        if probe is not None and time.monotonic() - last[0] >= sample_every:
            last[0] = time.monotonic()
            samples.append(probe.sample())
        if on_wait is not None:
            on_wait(marks)

    page.get_by_test_id("train").click()
    poll(page, """m => { const b = window.__bench;
                         const train = document.querySelector('[data-testid=train]');
                         return b.submits.length > m.submits && b.done.slice(m.done).some((d) => d.value === 'true')
                                && !train.disabled; }""", marks, timeout=timeout, interval=0.05, on_wait=waiting)
    result = page.evaluate("""m => {
        const b = window.__bench, p = document.querySelector('[data-testid=progress]').dataset;
        const submitAt = b.submits.at(-1), doneAt = b.done.slice(m.done).find((d) => d.value === 'true').at;
        return { elapsed: Number(p.elapsed), epoch: Number(p.epoch), batch: Number(p.batch),
                 batchesPerEpoch: Number(p.batchesPerEpoch), stopped: p.stopped, submitAt, doneAt,
                 accuracies: b.accuracies.slice(m.accuracies).map((a) => a.text),
                 epochElapsed: b.accuracies.slice(m.accuracies).map((a) => a.elapsed),
                 message: document.getElementById('train-message')?.textContent ?? null,
                 longtasks: b.longtasks.filter((t) => t.start + t.duration >= submitAt && t.start <= doneAt) };
    }""", marks)
    result["wall_s"] = (result["doneAt"] - result["submitAt"]) / 1000
    result["samples"] = samples
    return result


def page_model(page) -> list[np.ndarray]:
    """The trained "yours" model's weights and biases, read through window.pynnApp.bridge."""
    from pynn.files import modelfile

    network = modelfile.loads(model_json(page, "yours"))
    return network.weights + network.biases


@functools.lru_cache(maxsize=1)
def native_data():
    from pynn.data import mnist

    return mnist.load_dataset("train"), mnist.load_dataset("test")


def native_run(seed: int, epochs: int = 1, train_size: int = 50_000):
    """What Session.start_training and train_chunk do, without the chunks: yields per-epoch
    progress, then (network, trainer)."""
    from pynn import Network
    from pynn.training.trainer import Trainer

    train, test = native_data()
    network = Network([784, 30, 10], cost="quadratic", init="standard", seed=seed)
    trainer = Trainer(network, train.subset(train_size), epochs, 10, 3.0, lmbda=0.0, evaluation_data=test)
    return network, trainer


def native_epoch(seed: int) -> dict:
    network, trainer = native_run(seed)
    wall = time.perf_counter()
    progress = trainer.run()
    wall = time.perf_counter() - wall
    return {"elapsed": trainer.elapsed, "wall_s": wall, "accuracy": progress.accuracy,
            "params": network.weights + network.biases}


def max_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))

