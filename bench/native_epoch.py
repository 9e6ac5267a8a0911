"""One epoch of [784, 30, 10], mini-batch 10, η = 3.0 on MNIST's 50k training images, natively.

    .venv/bin/python bench/native_epoch.py [--rounds 3] [--sample-fraction 1.0] [--no-torch]

Timed side by side in one run, rounds interleaved (the machine may be shared and
noisy), medians reported, wall clock and this process's CPU time both shown:

  pynn SGD       the seed's API, Network.SGD(training_data, 1, 10, 3.0), on Nielsen's
                 list of (x, y) pairs, so it includes the list → array conversion
  pynn Trainer   the same epoch on a ready Dataset (what SGD runs after converting)
  seed           the seed's per-sample algorithm (tests/seed_oracle.py, the seed made to
                 run on Python 3); --sample-fraction f times the first f of the epoch and
                 scales by 1/f (the default 1.0 times it all)
  torch f64/f32  PyTorch on the CPU, same net, sigmoid, quadratic cost, plain SGD, mini-batch
                 10, in float64 and in float32, if ``import torch`` works (not a pynn dependency).
                 One intra-op thread by default (--torch-threads): at mini-batch 10 more threads
                 only add synchronisation, and on a busy machine they made torch ~30× slower here.

Then the peak RSS of a fresh process that loads Nielsen's lists and runs Network.SGD
for one epoch (VmHWM on Linux, else resource.getrusage ru_maxrss), so the rest of this
run doesn't inflate it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pynn import Network, Trainer  # noqa: E402
from pynn.data import mnist  # noqa: E402
from pynn.data.dataset import as_dataset  # noqa: E402

SIZES, MINIBATCH, ETA, SEED = [784, 30, 10], 10, 3.0, 1


def pynn_sgd(training_data) -> None:
    Network(SIZES, seed=SEED).SGD(training_data, 1, MINIBATCH, ETA, verbose=False)


def pynn_trainer(dataset) -> None:
    Trainer(Network(SIZES, seed=SEED), dataset, 1, MINIBATCH, ETA).run()


def seed_epoch(training_data, fraction: float) -> float:
    """The per-sample seed algorithm on the first ``fraction`` of a shuffled epoch; returns the fraction run."""
    import seed_oracle

    net = Network(SIZES, seed=SEED)
    order = np.random.default_rng(SEED).permutation(len(training_data))
    count = max(MINIBATCH, int(round(len(order) * fraction)) // MINIBATCH * MINIBATCH)
    seed_oracle.sgd_epoch(net.weights, net.biases, training_data, MINIBATCH, ETA, order[:count])
    return count / len(order)


def torch_epoch(tensors, dtype_name: str) -> None:
    """Plain PyTorch: Linear → sigmoid → Linear → sigmoid, C = ½‖a − y‖² averaged over the batch, SGD(lr=η)."""
    import torch

    x, y = tensors[dtype_name]
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10),
                                torch.nn.Sigmoid()).to(x.dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=ETA)
    order = torch.randperm(len(x))
    for k in range(0, len(x), MINIBATCH):
        index = order[k:k + MINIBATCH]
        optimizer.zero_grad()
        loss = 0.5 * ((model(x[index]) - y[index]) ** 2).sum() / len(index)
        loss.backward()
        optimizer.step()


def timed(fn, *args) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB.  Linux's VmHWM belongs to the current
    address space; ru_maxrss would also count the parent's memory at fork/exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def peak_rss_child() -> None:
    """In a fresh process: Nielsen's lists, one epoch of Network.SGD; print the peak RSS (MB) after each."""
    training_data, _, _ = mnist.load_data_wrapper()
    after_load = peak_rss_mb()
    pynn_sgd(training_data)
    print(f"{after_load:.0f} {peak_rss_mb():.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample-fraction", type=float, default=1.0,
                        help="time this fraction of the seed's epoch and scale up (default 1.0: all of it)")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        peak_rss_child()
        return
    if not 0 < args.sample_fraction <= 1:
        parser.error("--sample-fraction must be in (0, 1]")

    training_data, _, _ = mnist.load_data_wrapper()
    dataset = as_dataset(training_data, SIZES, "training_data")
    runs = {"pynn SGD": (pynn_sgd, training_data), "pynn Trainer": (pynn_trainer, dataset),
            "seed": (seed_epoch, training_data, args.sample_fraction)}
    tensors = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: skipping it")
        else:
            x64 = torch.from_numpy(dataset.x * dataset.scale)
            y64 = torch.from_numpy(dataset.y)
            tensors = {"float64": (x64, y64), "float32": (x64.float(), y64.float())}
            torch.set_num_threads(args.torch_threads)
            runs["torch f64"] = (torch_epoch, tensors, "float64")
            runs["torch f32"] = (torch_epoch, tensors, "float32")
            print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op thread(s)", flush=True)
    print(f"numpy {np.__version__}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    seed_part = "the full epoch" if args.sample_fraction == 1 else f"{args.sample_fraction:.0%} of the epoch, scaled"
    print(f"[784,30,10] mb {MINIBATCH} η {ETA} on {len(dataset)} samples; {args.rounds} interleaved rounds; "
          f"seed algorithm: {seed_part}")

    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    for r in range(args.rounds):
        line = []
        for name, (fn, *fn_args) in runs.items():
            w, c, result = timed(fn, *fn_args)
            scale = 1 / result if name == "seed" else 1.0
            wall[name].append(w * scale)
            cpu[name].append(c * scale)
            line.append(f"{name} {w * scale:.2f}")
        print(f"round {r + 1}: " + ", ".join(line) + " s", flush=True)

    med = {name: statistics.median(v) for name, v in wall.items()}
    med_cpu = {name: statistics.median(v) for name, v in cpu.items()}
    print(f"\n{'median epoch':14s} {'wall s':>8s} {'cpu s':>8s}")
    for name in runs:
        print(f"{name:14s} {med[name]:8.3f} {med_cpu[name]:8.3f}")
    print("\nratios (wall; cpu)")
    for base in ("pynn SGD", "pynn Trainer"):
        print(f"  seed / {base:12s} {med['seed'] / med[base]:6.1f}× ; {med_cpu['seed'] / med_cpu[base]:6.1f}×"
              "   (target ≥ 15×)")
    for name in ("torch f64", "torch f32"):
        if name in med:
            print(f"  {name} / pynn SGD  {med[name] / med['pynn SGD']:6.1f}× ; "
                  f"{med_cpu[name] / med_cpu['pynn SGD']:6.1f}×   (target ≥ 1×)")

    child = subprocess.run([sys.executable, __file__, "--rss-child"], check=True, capture_output=True, text=True)
    after_load, peak = child.stdout.split()
    print(f"\npeak RSS, fresh process, Nielsen's lists + one epoch of Network.SGD: {peak} MB "
          f"({after_load} MB after loading the lists; target ≤ 400 MB)")


if __name__ == "__main__":
    main()
