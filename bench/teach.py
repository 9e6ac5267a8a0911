"""Teaching it your handwriting: how long the fine-tune and the evaluation report take.

    .venv/bin/python bench/teach.py [--rounds 3] [--model PATH]
    node bench/pyodide_run.mjs --src . bench/teach.py [--rounds 3]     (inside Pyodide; needs site/ built)

Prints medians over the rounds (the machine may be shared and noisy):

  fine-tune    the default settings (4 rounds of 600 images, half yours, mini-batch 10) on
               30 "drawings", from before-measurement to after-measurement, MNIST test set
               included, driven in 0.2 s chunks as the worker drives it; also the training
               part alone.  The 30 drawings are stand-ins: MNIST validation images (3 per
               digit) moved 3 pixels right and thickened, a style the model has not seen.
  evaluation   pynn.page.report.Evaluation over the 10k MNIST test images (confusion matrix,
               per-digit accuracy, all mistakes sorted), and feedforward alone for comparison.
  explain      saliency and hidden activations for one image.

The model is the site's pretrained one ([784, 100, 10], cross-entropy) if found in the
cache (or --model), else a fresh [784, 100, 10].
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
IN_PYODIDE = sys.platform == "emscripten"
if not IN_PYODIDE:
    sys.path.insert(0, str(ROOT))

from pynn import Network  # noqa: E402
from pynn.data.dataset import Dataset  # noqa: E402
from pynn.files import modelfile  # noqa: E402
from pynn.page.explain import explain  # noqa: E402
from pynn.page.features import FeatureCache  # noqa: E402
from pynn.page.finetune import FineTune  # noqa: E402
from pynn.page.report import Evaluation  # noqa: E402


def load_split(name: str) -> Dataset:
    if IN_PYODIDE:
        with np.load(f"/data/mnist-{name}.npz", allow_pickle=False) as archive:
            return Dataset.from_arrays(archive["images"], archive["labels"])
    from pynn.data import mnist

    return mnist.load_dataset(name)


def load_model(path: str | None):
    candidates = [Path(path)] if path else []
    if IN_PYODIDE:
        candidates += [Path("/data/pretrained.npz")]
    else:
        candidates += [ROOT / "site" / "models" / "pretrained.npz"]
    for candidate in candidates:
        if candidate.is_file():
            return modelfile.load(candidate), candidate.name
    return Network([784, 100, 10], cost="cross-entropy", init="scaled", seed=0), "fresh [784, 100, 10] (untrained)"


def stand_in_drawings(validation: Dataset) -> list[dict]:
    """3 per digit from MNIST's validation split, shifted 3 px right and thickened by a 1-px dilation."""
    digits = []
    for label in range(10):
        for index in np.flatnonzero(validation.labels == label)[:3]:
            image = validation.x[index].reshape(28, 28)
            moved = np.roll(image, 3, axis=1)
            thick = np.maximum(moved, np.roll(moved, 1, axis=0))
            digits.append({"label": label, "pixels": thick.astype(np.uint8).tobytes(), "strokes": []})
    return digits


def median_time(function, rounds: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def finetune(model, digits, train, test, cache, settings=None):
    """As the worker drives it: 0.2 s chunks to the end."""
    run = FineTune(model, digits, train, test, settings or {}, cache=cache)
    while not run.done:
        run.run(max_seconds=0.2)
    return run


def evaluate(model, test, cache):
    evaluation = Evaluation(model, test, cache=cache)
    evaluation.run()
    return evaluation.result()


def session_sequence(model, digits, train, test) -> None:
    """What a visitor does, with one FeatureCache as the worker's session keeps it: evaluate the
    model in use twice, fine-tune twice, evaluate the fine-tuned model; and a fine-tune first."""
    cache = FeatureCache()
    first, report = timed(lambda: evaluate(model, test, cache))
    print(f"evaluate the model in use, 10k test images, first time: {first:.2f} s "
          f"(accuracy {report['accuracy']:.4f}, {report['mistakes_total']} mistakes)")
    again, _ = timed(lambda: evaluate(model, test, cache))
    print(f"  the same again (conv outputs kept): {again:.3f} s")
    seconds, run = timed(lambda: finetune(model, digits, train, test, cache))
    print(f"fine-tune after that evaluation (the replay pool's conv outputs computed now): {seconds:.2f} s")
    result = run.result()
    for when in ("before", "after"):
        r = result[when]
        print(f"  {when:6s}: yours held out {r['yours_held_out']['correct']}/{r['yours_held_out']['total']}, "
              f"yours trained on {r['yours_trained']['correct']}/{r['yours_trained']['total']}, "
              f"MNIST test {r['mnist_test']['accuracy']:.4f}")
    seconds, _ = timed(lambda: finetune(model, digits, train, test, cache))
    print(f"  a second fine-tune (everything kept): {seconds:.2f} s")
    seconds, report = timed(lambda: evaluate(run.model, test, cache))
    print(f"evaluate the fine-tuned model, 10k test images: {seconds:.3f} s (accuracy {report['accuracy']:.4f})")
    seconds, _ = timed(lambda: finetune(model, digits, train, test, FeatureCache()))
    print(f"fine-tune as the first thing done (nothing kept yet): {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model")
    parser.add_argument("--freeze-none", action="store_true", help="also time a fine-tune of every layer")
    args = parser.parse_args()
    model, model_name = load_model(args.model)
    train, test = load_split("train"), load_split("test")
    validation = load_split("validation") if not IN_PYODIDE else train  # Pyodide's /data has no validation split
    digits = stand_in_drawings(validation)
    where = "Pyodide" if IN_PYODIDE else "native"
    print(f"{where}; model {model_name} {model!r:.200}; {len(digits)} drawings; "
          f"{len(train)} replay images; {len(test)} test images")
    session_sequence(model, digits, train, test)
    if args.freeze_none:
        seconds, run = timed(lambda: finetune(model, digits, train, test, FeatureCache(), {"freeze": "none"}))
        after = run.result()["after"]
        print(f"fine-tune of every layer (freeze none), nothing kept: {seconds:.2f} s, after: MNIST test "
              f"{after['mnist_test']['accuracy']:.4f}, yours held out {after['yours_held_out']['correct']}/"
              f"{after['yours_held_out']['total']}")
    seconds, _ = median_time(lambda: model.feedforward(test.inputs(0, len(test))), args.rounds)
    print(f"feedforward alone, 10k images: {seconds:.3f} s (median of {args.rounds})")
    x = test.inputs(0, 1)
    seconds, _ = median_time(lambda: explain(model, x), max(args.rounds, 10))
    print(f"explain (saliency + hidden activations), one image: {seconds * 1000:.2f} ms")


if __name__ == "__main__":
    main()
