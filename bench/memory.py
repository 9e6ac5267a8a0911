"""Memory: each flow the page's forms allow, its measured peak beside pynn.training.memory's estimate.

    .venv/bin/python bench/memory.py [--flow NAME ...]
    for f in $(.venv/bin/python bench/memory.py --list); do
        node bench/pyodide_run.mjs --src . bench/memory.py --flow $f; done     (inside Pyodide)

"live est." is pynn.training.memory's estimate of the live peak, "heap est." the heap it may leave
(the runtime grows its heap a fifth at a time; the form refuses what passes the budget).
Natively the peak is tracemalloc's (every numpy array is traced), plus the runtime's
RUNTIME_BYTES that pynn.training.memory adds for Python, numpy and pynn in the worker: compare it
with the live estimate; the flows
run one after another in one process, each from a fresh Session, with the peak reset in
between.  Inside Pyodide the figure is the WebAssembly heap itself (it never shrinks), so
run one flow per process as above.  A flow the estimate refuses prints the form's message
and, natively, is run anyway (as far as its first round or a few steps) to show what the
refusal spared.  Budget: pynn.page.settings.HEAP_BUDGET.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
IN_PYODIDE = sys.platform == "emscripten"
if not IN_PYODIDE:
    sys.path.insert(0, str(ROOT))

from pynn.nets.architectures import conv_layers  # noqa: E402
from pynn.page import your_digits  # noqa: E402
from pynn.page.browser import Session  # noqa: E402
from pynn.page.settings import DEFAULTS, FEATURE_CACHE_BYTES, HEAP_BUDGET, SettingsError, check_finetune_settings  # noqa: E402
from pynn.training import memory  # noqa: E402
from pynn.training.augment import augment  # noqa: E402

DATA = Path("/data") if IN_PYODIDE else ROOT / "site"


def read(name: str) -> bytes:
    folder = DATA if IN_PYODIDE else DATA / ("models" if name.endswith("pretrained.npz") else "data")
    return (folder / name).read_bytes()


def heap() -> int:
    """The worker's heap: Pyodide's WebAssembly memory, or natively the traced peak plus the runtime."""
    if IN_PYODIDE:
        import pyodide_js  # the bench, not pynn, may reach into Pyodide

        return int(pyodide_js._module.HEAP8.length)
    return tracemalloc.get_traced_memory()[1] + memory.RUNTIME_BYTES


def session() -> Session:
    s = Session()
    s.load_model("pretrained", read("pretrained.npz"))
    s.set_data(read("mnist-train.npz"), read("mnist-test.npz"))
    return s


def label_digits(s: Session, count: int) -> None:
    """``count`` digits labelled, from MNIST validation-like images (the test set's last ones, shifted)."""
    for i in range(count):
        image = np.roll(s.test_data.x[-1 - i].reshape(28, 28), 2, axis=1)
        s.your_digits.append({"label": int(s.test_data.labels[-1 - i]), "pixels": image.astype(np.uint8).tobytes(),
                              "strokes": []})


def drive(s: Session, seconds: float | None) -> None:
    """Turns of the session's job loop (as the worker turns it) until no job is left, or ``seconds``."""
    start = time.perf_counter()
    while s.work(0.5)["pending"]:
        if seconds is not None and time.perf_counter() - start > seconds:
            break


def finetune(settings: dict, seconds: float | None = None):
    def flow():
        s = session()
        label_digits(s, 10)
        checked = check_finetune_settings(settings)
        s.start_job("finetune", settings=settings)
        drive(s, seconds)
        return checked
    return flow


def pretrained():
    from pynn.files import modelfile

    return modelfile.loads(read("pretrained.npz"))


def finetune_estimate(settings: dict) -> int:
    from pynn.page.features import conv_depth

    model = pretrained()
    checked = check_finetune_settings(settings)
    depth = conv_depth(model) if checked["freeze"] == "conv" else 0
    return memory.finetune_bytes(checked, model, depth, FEATURE_CACHE_BYTES)


def training(settings: dict, seconds: float = 20.0):
    def flow():
        s = session()
        s.start_job("train", settings=settings)
        drive(s, seconds)
    return flow


def training_estimate(settings: dict) -> int:
    layers = conv_layers(settings["hidden"][0] if settings["hidden"] else 100) \
        if settings["architecture"] == "conv" else None
    return memory.training_bytes(settings, layers)


def evaluate_flow():
    s = session()
    s.start_job("evaluate", name="pretrained")
    drive(s, None)


def warm_flow():
    s = session()
    label_digits(s, 10)
    s.teaching_started()
    drive(s, None)


def largest_digits_file() -> bytes:
    stroke = [[0.123456, 0.654321]] * (your_digits.MAX_POINTS // your_digits.MAX_STROKES)
    digit = {"label": 8, "pixels": bytes([255]) * 784, "strokes": [stroke] * your_digits.MAX_STROKES}
    return your_digits.dumps([digit] * your_digits.MAX_DIGITS)


def flood() -> bytes:
    return b'{"format": "pynn-your-digits", "version": 1, "digits": [' + b"{}," * 4_190_000 + b"{}]}"


def refused(fn):
    def flow():
        try:
            fn()
        except your_digits.DigitsFileError as error:
            return str(error)[:60]
    return flow


MLP_LARGEST = {**DEFAULTS, "hidden": [1000] * 4, "minibatch_size": 100, "train_size": 50_000, "augment": "on"}
CONV = {**DEFAULTS, "architecture": "conv", "hidden": [100], "eta": 0.03}
FT_LARGE = {"round_size": 20_000, "replay": 0.0, "minibatch_size": 1000, "rounds": 1}
FLOWS = {
    "ready": (lambda: session() and None, lambda: memory.RUNTIME_BYTES + memory.SLACK_BYTES + memory.MNIST_BYTES),
    "evaluate": (evaluate_flow, lambda: memory.evaluation_bytes(pretrained(), FEATURE_CACHE_BYTES)),
    "label-10-digits": (warm_flow, lambda: memory.evaluation_bytes(pretrained(), FEATURE_CACHE_BYTES)),
    "finetune-default": (finetune({}), lambda: finetune_estimate({})),
    "finetune-20000-share-0": (finetune(FT_LARGE, 30), lambda: finetune_estimate(FT_LARGE)),
    "finetune-8000-share-0": (finetune({**FT_LARGE, "round_size": 8000}, 30),
                              lambda: finetune_estimate({**FT_LARGE, "round_size": 8000})),
    "finetune-none-default": (finetune({"freeze": "none"}, 60), lambda: finetune_estimate({"freeze": "none"})),
    "finetune-none-1000": (finetune({**FT_LARGE, "freeze": "none"}, 20),
                           lambda: finetune_estimate({**FT_LARGE, "freeze": "none"})),
    "train-mlp-default": (training(DEFAULTS), lambda: training_estimate(DEFAULTS)),
    "train-mlp-largest": (training(MLP_LARGEST), lambda: training_estimate(MLP_LARGEST)),
    "train-conv-default": (training(CONV), lambda: training_estimate(CONV)),
    "train-conv-batch-200-augment": (training({**CONV, "minibatch_size": 200, "augment": "on"}),
                                     lambda: training_estimate({**CONV, "minibatch_size": 200, "augment": "on"})),
    "train-conv-batch-900": (training({**CONV, "minibatch_size": 900}, 40),
                             lambda: training_estimate({**CONV, "minibatch_size": 900})),
    "augment-5000": (lambda: augment(np.zeros((5000, 784), np.uint8) + 1, np.random.default_rng(0)),
                     lambda: memory.RUNTIME_BYTES + 5000 * 784 * 2 + memory.augment.BLOCK * memory.AUGMENT_IMAGE_BYTES),
    "digits-largest-file": (lambda: your_digits.loads(largest_digits_file()), None),
    "digits-4M-{}": (refused(lambda: your_digits.loads(flood())), None),
}


@contextlib.contextmanager
def lifted_budget(lift: bool):
    """The budget out of the way, to measure what a refused flow would have taken."""
    import pynn.page.finetune
    import pynn.page.settings

    saved = pynn.page.settings.HEAP_BUDGET, pynn.page.finetune.HEAP_BUDGET
    if lift:
        pynn.page.settings.HEAP_BUDGET = pynn.page.finetune.HEAP_BUDGET = 2**40
    try:
        yield
    finally:
        pynn.page.settings.HEAP_BUDGET, pynn.page.finetune.HEAP_BUDGET = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow", action="append", choices=sorted(FLOWS))
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print(" ".join(FLOWS))
        return
    print(f"budget {memory.mib(HEAP_BUDGET)}; {'Pyodide heap' if IN_PYODIDE else 'native: traced peak + runtime'}")
    print(f"{'flow':30} {'live est.':>10} {'heap est.':>10} {'measured':>10}  {'seconds':>7}  note")
    if not IN_PYODIDE:  # its own bookkeeping would swell the heap it measures
        tracemalloc.start()
    for name in args.flow or FLOWS:
        flow, estimate = FLOWS[name]
        gc.collect()
        tracemalloc.reset_peak()
        start = time.perf_counter()
        try:
            guess = estimate() if estimate else None
            note = ""
            over = guess is not None and memory.heap_bytes(guess) > HEAP_BUDGET
            if over:
                note = "refused by the form; run anyway (a few steps) to show what that spared"
            with lifted_budget(over):
                result = flow()
            if isinstance(result, str):
                note = f"refused: {result}"
            del result  # before the next flow: what it made is not that flow's
        except (SettingsError, ValueError) as error:
            note = f"refused: {str(error)[:70]}"
        seconds = time.perf_counter() - start
        shown = ("", "") if guess is None else (memory.mib(guess), memory.mib(memory.heap_bytes(guess)))
        print(f"{name:30} {shown[0]:>10} {shown[1]:>10} {memory.mib(heap()):>10}  {seconds:7.1f}  {note}",
              flush=True)


if __name__ == "__main__":
    main()
