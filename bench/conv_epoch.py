"""One epoch of network3's small conv net on MNIST's 50k training images: pynn vs PyTorch (CPU, 1 thread).

    .venv/bin/python bench/conv_epoch.py [--samples 5000] [--rounds 3] [--activation sigmoid|relu] [--no-torch]

The net (Nielsen, chapter 6): 20 filters 5×5 on the 28×28 image, 2×2 max-pool,
fully connected 100 (sigmoid or ReLU), softmax 10, log-likelihood cost, SGD with
η = 0.1, mini-batch 10, no L2, no dropout.

  pynn          pynn.nets.network3.Network.SGD for one epoch on the first --samples images
                (a Dataset, uint8 pixels scaled by 1/256 per batch, as SGD does it)
  torch f64/f32 the same net in PyTorch (Conv2d → max_pool2d → activation → Linear →
                activation → Linear → log_softmax, nll_loss mean, optim.SGD), same
                shuffled order, inputs pre-scaled into one tensor (so torch does
                less per batch than pynn here), one intra-op thread

Rounds are interleaved (the machine is shared and noisy) and medians reported; times
for --samples < 50000 are scaled to the full epoch.  numpy's BLAS is held to one
thread too (OPENBLAS_NUM_THREADS=1, unless already set), so both sides use one core.

--browser adds the browser half, in the same run (bench/browser_bench/conv.py): the page's own
conv net — the same one with ReLU (so --activation relu), FC 100 from the form's first hidden
size, seed --seed — trained through the page's form in its worker (Pyodide), natively by the
same code path (Session's network_for and Trainer; final weights compared), by torch (relu)
if installed, and by ConvNetJS 0.3.0 and TensorFlow.js 4.22 (wasm backend) from the bench-only
peers page (bench/peers/conv.js), all in one headless Chromium; plus pointer-up → probabilities
with the shipped pretrained model.  Writes bench/results/conv_browser.json.

    .venv/bin/python bench/conv_epoch.py --browser [--samples 5000] [--rounds 3] [--peers ...] [--no-build]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads OpenBLAS

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pynn.data import mnist  # noqa: E402
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer  # noqa: E402
from pynn.nets.network3 import Network  # noqa: E402

EPOCH, MINIBATCH, ETA, SEED = 50_000, 10, 0.1, 1


def pynn_net(activation: str) -> Network:
    return Network([ConvPoolLayer((20, 1, 5, 5), (MINIBATCH, 1, 28, 28), (2, 2), activation),
                    FullyConnectedLayer(20 * 12 * 12, 100, activation), SoftmaxLayer(100, 10)], seed=SEED)


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall, CPU) seconds since ``start``: CPU time is steadier when the machine is shared."""
    now = clock()
    return now[0] - start[0], now[1] - start[1]


def pynn_epoch(data, activation: str) -> tuple[float, float]:
    net = pynn_net(activation)
    start = clock()
    net.SGD(data, 1, MINIBATCH, ETA, verbose=False)
    return since(start)


def torch_epoch(torch, x, labels, order, activation: str, dtype) -> tuple[float, float]:
    nn, fn = torch.nn, torch.nn.functional
    torch.manual_seed(SEED)
    act = torch.sigmoid if activation == "sigmoid" else torch.relu
    conv, hidden, out = nn.Conv2d(1, 20, 5), nn.Linear(2880, 100), nn.Linear(100, 10)
    params = [p for layer in (conv, hidden, out) for p in layer.parameters()]
    for layer in (conv, hidden, out):
        layer.to(dtype)
    optimizer = torch.optim.SGD(params, lr=ETA)
    x, labels = x.to(dtype), labels
    start = clock()
    for i in range(0, len(order), MINIBATCH):
        idx = order[i:i + MINIBATCH]
        a = act(fn.max_pool2d(conv(x[idx]), 2))
        a = act(hidden(a.flatten(1)))
        loss = fn.nll_loss(fn.log_softmax(out(a), dim=1), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return since(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=5000, help="images to time (scaled to 50k); default 5000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--activation", choices=("sigmoid", "relu"), default="sigmoid")
    parser.add_argument("--no-torch", action="store_true")
    browser = parser.add_argument_group("the browser half (--browser)")
    browser.add_argument("--browser", action="store_true", help="also the page, ConvNetJS and TF.js, in Chromium")
    browser.add_argument("--seed", type=int, default=0, help="the page's and native pynn's seed (default 0)")
    browser.add_argument("--peers", default="conv-convnetjs,conv-tfjs-wasm",
                         help="comma-separated conv peers (also conv-tfjs-cpu; empty: none)")
    browser.add_argument("--strokes", type=int, default=12, help="strokes for the latency median (0: none)")
    browser.add_argument("--slow", type=float, default=120.0, help="a peer slower than this (s, measured) runs once")
    browser.add_argument("--no-build", action="store_true", help="reuse site/ as it is")
    browser.add_argument("--output", type=Path, default=None, help="default bench/results/conv_browser.json")
    args = parser.parse_args()
    samples = max(MINIBATCH, min(EPOCH, args.samples))
    if args.browser:
        samples = max(100, samples)  # the form's smallest training set
        if args.activation == "sigmoid":
            print("--browser: the page's conv net uses ReLU; timing relu")
            args.activation = "relu"
    scale = EPOCH / samples
    data = mnist.load_dataset("train").subset(samples)

    runs: dict[str, list[tuple[float, float]]] = {"pynn": []}
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed; timing pynn only")
    if torch is not None:
        torch.set_num_threads(1)
        x = torch.from_numpy((data.x * data.scale).reshape(-1, 1, 28, 28))
        labels = torch.from_numpy(data.labels)
        order = torch.from_numpy(np.random.default_rng(SEED).permutation(samples))
        runs.update({"torch f64": [], "torch f32": []})
    if args.browser:
        browser_half(args, samples, torch, x if torch else None, labels if torch else None, order if torch else None)
        return
    print(f"{samples} images (×{scale:g} → one 50k epoch), {args.activation}, mini-batch {MINIBATCH}, "
          f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
          + (f", torch {torch.__version__} threads={torch.get_num_threads()}" if torch is not None else ""))
    for r in range(args.rounds):
        runs["pynn"].append(pynn_epoch(data, args.activation))
        if torch is not None:
            runs["torch f64"].append(torch_epoch(torch, x, labels, order, args.activation, torch.float64))
            runs["torch f32"].append(torch_epoch(torch, x, labels, order, args.activation, torch.float32))
        print(f"round {r + 1} (s/epoch, wall/cpu): "
              + ", ".join(f"{k} {v[-1][0] * scale:.2f}/{v[-1][1] * scale:.2f}" for k, v in runs.items()), flush=True)
    for i, what in enumerate(("wall", "cpu")):
        medians = {k: statistics.median(run[i] for run in v) * scale for k, v in runs.items()}
        print(f"median s/epoch ({what}): " + ", ".join(f"{k} {v:.2f}" for k, v in medians.items())
              + "".join(f"; pynn / {k} = {medians['pynn'] / medians[k]:.2f}" for k in runs if k != "pynn"))
    print("(a ratio below 1: pynn is faster)")


def browser_half(args, samples: int, torch, x, labels, order) -> None:
    from browser_bench.conv import CONV_PEERS, OPTIONAL_CONV_PEERS, run

    args.samples = samples
    args.peer_list = [p for p in args.peers.split(",") if p]
    unknown = set(args.peer_list) - set(CONV_PEERS + OPTIONAL_CONV_PEERS)
    if unknown:
        sys.exit(f"unknown conv peers {sorted(unknown)}; choose from {CONV_PEERS + OPTIONAL_CONV_PEERS}")
    natives = {}
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
        for name, dtype in (("torch f64", torch.float64), ("torch f32", torch.float32)):
            natives[name] = functools.partial(torch_epoch, torch, x, labels, order, "relu", dtype)
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    run(args, natives)


if __name__ == "__main__":
    main()
