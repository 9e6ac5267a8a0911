"""PyTorch both ways: a pynn model → ONNX → PyTorch (onnx2torch) → a few SGD steps → torch.onnx.export →
pynn, with the largest difference at each hop.  torch is too heavy for CI, so this is a bench script:

    python -m venv .venv-torch
    .venv-torch/bin/pip install torch==2.13.0 onnx==1.23.0 onnxruntime==1.32.0 onnxscript==0.7.2 -e .
    .venv-torch/bin/pip install --no-deps onnx2torch==1.5.15   # its torchvision does not import beside torch 2.13.0
    .venv-torch/bin/python bench/interop.py [--model web/models/pretrained.json] [--steps 20]

Hops, on the first 1,000 MNIST test images:
  1. pynn → ONNX (pynn.files.onnx_export): onnxruntime's outputs against pynn's feedforward;
  2. ONNX → PyTorch (onnx2torch.convert): torch's outputs against pynn's;
  3. --steps SGD steps in PyTorch (mini-batch 50, η --eta, log-likelihood of the softmax outputs);
  4. PyTorch → ONNX (torch.onnx.export) → pynn (pynn.files.modelfile.loads): pynn's outputs against torch's, and
     onnxruntime's against torch's.
Also the export's time and size (the shipped model's by default).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch


def without_torchvision() -> None:
    """onnx2torch imports torchvision for its NMS and RoiAlign converters only, which these nets do not
    use; PyPI's torchvision does not import beside the torch 2.13.0 build, so an empty stand-in is put
    in its place while onnx2torch is imported, and taken away after (torch.onnx looks for torchvision too)."""
    try:
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError):
        import types

        stand_in, ops = types.ModuleType("torchvision"), types.ModuleType("torchvision.ops")
        ops.roi_align = ops.nms = None
        stand_in.ops = ops
        sys.modules.update({"torchvision": stand_in, "torchvision.ops": ops})
        import onnx2torch  # noqa: F401

        del sys.modules["torchvision"], sys.modules["torchvision.ops"]


without_torchvision()
from onnx2torch import convert  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pynn.data import mnist  # noqa: E402
from pynn.data.dataset import PIXEL_SCALE  # noqa: E402
from pynn.files import modelfile  # noqa: E402
from pynn.files.onnx_export import to_onnx  # noqa: E402


def data(split: str, limit: int) -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = mnist.load_arrays(split)
    return (pixels[:limit].astype(np.float32) * np.float32(PIXEL_SCALE)).reshape(-1, 1, 28, 28), labels[:limit]


def onnxruntime(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def report(hop: str, a: np.ndarray, b: np.ndarray, labels: np.ndarray) -> None:
    agree = (a.argmax(axis=1) == b.argmax(axis=1)).mean()
    print(f"{hop:<52} max |difference| {np.abs(a - b).max():.2e}   same argmax {agree:.2%}   "
          f"accuracy {(a.argmax(axis=1) == labels).mean():.4f}")


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--model", default=str(ROOT / "web" / "models" / "pretrained.json"))
    cli.add_argument("--steps", type=int, default=20)
    cli.add_argument("--eta", type=float, default=0.01)
    args = cli.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, labels = data("test", 1000)
    model = modelfile.load(args.model)
    times = []
    for _ in range(7):
        start = time.perf_counter()
        exported = to_onnx(model)
        times.append(time.perf_counter() - start)
    print(f"export of {Path(args.model).name}: {len(exported):,} bytes, median {statistics.median(times) * 1e3:.1f} ms "
          f"(first call {times[0] * 1e3:.1f} ms, with ONNX's schema already imported)")
    ours = model.feedforward(x.reshape(len(x), -1).astype(np.float64).T).T
    report("1. pynn → ONNX: onnxruntime vs pynn", onnxruntime(exported, x), ours, labels)

    net = convert(onnx.load_from_string(exported))
    with torch.no_grad():
        theirs = net(torch.from_numpy(x)).numpy()
    report("2. ONNX → PyTorch (onnx2torch): torch vs pynn", theirs, ours, labels)

    train_x, train_y = data("train", 50 * args.steps)
    optimiser = torch.optim.SGD(net.parameters(), lr=args.eta)
    net.train()
    for start in range(0, len(train_x), 50):
        optimiser.zero_grad()
        probabilities = net(torch.from_numpy(train_x[start:start + 50]))
        loss = torch.nn.functional.nll_loss(torch.log(probabilities.clamp_min(1e-30)),
                                            torch.from_numpy(train_y[start:start + 50].astype(np.int64)))
        loss.backward()
        optimiser.step()
    net.eval()
    with torch.no_grad():
        trained = net(torch.from_numpy(x)).numpy()
    report(f"3. {args.steps} SGD steps in PyTorch: torch after vs before", trained, theirs, labels)

    buffer = io.BytesIO()
    try:
        torch.onnx.export(net, (torch.from_numpy(x[:2]),), buffer, dynamo=True, external_data=False,
                          input_names=["image"], output_names=["output"], dynamic_shapes=({0: torch.export.Dim("N")},))
        how = "dynamo"
    except Exception as error:  # noqa: BLE001 — fall back to the TorchScript exporter, and say so
        print(f"   (the dynamo exporter failed: {str(error)[:120]}; using the TorchScript exporter)")
        buffer = io.BytesIO()
        torch.onnx.export(net, (torch.from_numpy(x[:2]),), buffer, dynamo=False, input_names=["image"],
                          output_names=["output"], dynamic_axes={"image": {0: "N"}, "output": {0: "N"}})
        how = "TorchScript"
    back_bytes = buffer.getvalue()
    ops = [node.op_type for node in onnx.load_from_string(back_bytes).graph.node]
    print(f"   torch.onnx.export ({how}): {len(back_bytes):,} bytes, {' '.join(ops)}")
    back = modelfile.loads(back_bytes)
    again = back.feedforward(x.reshape(len(x), -1).astype(np.float64).T).T
    report("4. PyTorch → ONNX → pynn: pynn vs torch", again, trained, labels)
    report("   and onnxruntime on the same file vs torch", onnxruntime(back_bytes, x), trained, labels)


if __name__ == "__main__":
    main()
