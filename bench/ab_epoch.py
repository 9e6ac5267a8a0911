"""Before/after a change, side by side: the MLP epoch of bench/native_epoch.py and a slice of the
conv epoch of bench/conv_epoch.py, timed on two checkouts in alternating fresh processes.

    .venv/bin/python bench/ab_epoch.py --before REV [--rounds 5] [--conv-images 5000]

REV is checked out once into a temporary git worktree.  Each round runs, for the two trees in
turn, one process per workload, with PYTHONPATH at that tree; each process times its workload
through the public API a newcomer uses (``pynn.Network.SGD``; network3's ``Network.SGD``) and
prints wall and CPU seconds.  Medians and after/before ratios are printed: the ratio of the
same run is what counts on a shared machine, not either figure alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run inside each tree: its own pynn, whatever its layout (flat modules before issue 15's rooms).
WORKLOAD = r"""
import os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
kind, images = sys.argv[1], int(sys.argv[2])
try:
    from pynn.data import mnist
    from pynn.nets import network3
    from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
except ImportError:
    from pynn import mnist, network3
    from pynn.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
import pynn
training, _, _ = mnist.load_data_wrapper()
if kind == "mlp":
    net = pynn.Network([784, 30, 10])
    start = time.perf_counter(), time.process_time()
    net.SGD(training, 1, 10, 3.0)
else:
    net = network3.Network([ConvPoolLayer((20, 1, 5, 5), (10, 1, 28, 28), (2, 2), "relu"),
                            FullyConnectedLayer(20 * 12 * 12, 100, "relu"), SoftmaxLayer(100, 10)], seed=1)
    start = time.perf_counter(), time.process_time()
    net.SGD(training[:images], 1, 10, 0.1, verbose=False)
print(time.perf_counter() - start[0], time.process_time() - start[1])
"""


def timed(tree: Path, kind: str, images: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", WORKLOAD, kind, str(images)], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the git revision to compare this checkout with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--conv-images", type=int, default=5000, help="the conv epoch's first N images")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pynn-ab-") as tmp:
        before = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(before), args.before],
                       check=True)
        try:
            trees = {"before": before, "after": ROOT}
            times: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for n in range(args.rounds):
                for kind in ("mlp", "conv"):
                    for name, tree in trees.items():
                        wall, cpu = timed(tree, kind, args.conv_images)
                        times.setdefault((kind, name), []).append((wall, cpu))
                        print(f"round {n + 1} {kind:4s} {name:6s} wall {wall:6.2f} s  cpu {cpu:6.2f} s", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)
    print(f"\nmedians of {args.rounds} rounds (conv: the first {args.conv_images} training images):")
    for kind in ("mlp", "conv"):
        med = {name: [statistics.median(t[i] for t in times[(kind, name)]) for i in (0, 1)] for name in trees}
        print(f"  {kind:4s} before wall {med['before'][0]:6.2f} s cpu {med['before'][1]:6.2f} s | after wall "
              f"{med['after'][0]:6.2f} s cpu {med['after'][1]:6.2f} s | after/before wall "
              f"{med['after'][0] / med['before'][0]:.3f}, cpu {med['after'][1] / med['before'][1]:.3f}")


if __name__ == "__main__":
    main()
