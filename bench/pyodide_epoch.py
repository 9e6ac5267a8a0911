"""One epoch of [784, 30, 10], mini-batch 10, η = 3.0 on MNIST's 50k: in Pyodide (under Node) next to native.

    .venv/bin/python bench/pyodide_epoch.py [--rounds 3] [--src]

Natively this times pynn's Trainer on the 50k training set, then runs this same
file inside the site's Pyodide 0.27.7 under Node (bench/pyodide_run.mjs), which
times the same epoch there, and prints both and their ratio.  Rounds alternate
between the two (the machine is shared and noisy) and medians are reported.
Both sides start from the same seed, so the final weights must agree: their
largest difference is printed too (expected 0 or ~1e-13).

By default Pyodide imports pynn from the site's wheel (rebuild it with
``python3 build.py`` after changing pynn); ``--src`` loads this checkout's
pynn/*.py instead, which needs no rebuild.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
IN_PYODIDE = sys.platform == "emscripten"
SIZES, MINIBATCH, ETA, NET_SEED, SHUFFLE_SEED = [784, 30, 10], 10, 3.0, 1, 2


def load_training_set(path: Path):
    from pynn.data.dataset import Dataset

    with np.load(path, allow_pickle=False) as archive:
        return Dataset.from_arrays(archive["images"], archive["labels"])


def cpu_seconds() -> float:
    """CPU time of this process; under Node, of the Node process (Pyodide's clock is the wall's)."""
    if IN_PYODIDE:
        import js

        usage = js.process.cpuUsage()
        return (usage.user + usage.system) / 1e6
    return time.process_time()


def time_epoch(data) -> tuple[float, float, float, list]:
    """Wall and CPU seconds for one Trainer epoch (with its cost sampling), its
    sampled cost, and the final weights and biases."""
    from pynn import Network, Trainer

    network = Network(SIZES, seed=NET_SEED)
    trainer = Trainer(network, data, 1, MINIBATCH, ETA, seed=SHUFFLE_SEED)
    start, cpu = time.perf_counter(), cpu_seconds()
    trainer.run()
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return seconds, cpu, trainer.cost_sum, network.weights + network.biases


def pyodide_main(rounds: int) -> None:
    """Inside Pyodide: time ``rounds`` epochs, print one JSON line per round."""
    data = load_training_set(Path("/data/mnist-train.npz"))
    for _ in range(rounds):
        seconds, cpu, cost, params = time_epoch(data)
        print(json.dumps({"seconds": seconds, "cpu": cpu, "cost": cost, "params": [p.tolist() for p in params]}),
              flush=True)


def run_pyodide(rounds: int, src: bool) -> list[dict]:
    command = ["node", str(ROOT / "bench" / "pyodide_run.mjs")]
    if src:
        command += ["--src", str(ROOT)]
    command += [str(Path(__file__).resolve()), "--in-pyodide", "--rounds", str(rounds)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="epochs timed on each side (default 3)")
    parser.add_argument("--src", action="store_true", help="Pyodide imports this checkout's pynn/*.py, not the wheel")
    parser.add_argument("--in-pyodide", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if IN_PYODIDE:
        pyodide_main(args.rounds)
        return
    sys.path.insert(0, str(ROOT))
    data = load_training_set(ROOT / "site" / "data" / "mnist-train.npz")
    print(f"[784,30,10] mb {MINIBATCH} η {ETA}, {len(data)} samples, net seed {NET_SEED}, shuffle seed {SHUFFLE_SEED}")
    native, pyodide = [], []
    for r in range(args.rounds):  # alternate: one native epoch, one Pyodide session (its load is not timed)
        seconds, cpu, _, native_params = time_epoch(data)
        native.append((seconds, cpu))
        start = time.perf_counter()
        result = run_pyodide(1, args.src)[0]
        pyodide.append((result["seconds"], result["cpu"]))
        print(f"round {r + 1}: native {seconds:.3f} s (cpu {cpu:.3f}), Pyodide {result['seconds']:.3f} s "
              f"(cpu {result['cpu']:.3f}; node session {time.perf_counter() - start:.1f} s)", flush=True)
    difference = max(float(np.max(np.abs(np.asarray(p) - q))) for p, q in zip(result["params"], native_params))
    for i, what in enumerate(("wall", "cpu")):
        native_s, pyodide_s = statistics.median(n[i] for n in native), statistics.median(p[i] for p in pyodide)
        print(f"median epoch ({what}): native {native_s:.3f} s, Pyodide-under-Node {pyodide_s:.3f} s, "
              f"ratio {pyodide_s / native_s:.2f}× (targets: ≤ 3.0 s and ≤ 4×)")
    print(f"largest |Pyodide − native| over the final weights and biases: {difference:.3g}")


if __name__ == "__main__":
    main()
