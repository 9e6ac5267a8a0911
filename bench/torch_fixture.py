"""Writes tests/fixtures/torch_convnet.onnx: a small conv net made and trained in PyTorch, saved by
torch.onnx.export as a PyTorch user would, for the tests that pynn reads what PyTorch writes.

    python -m venv .venv-torch && .venv-torch/bin/pip install torch==2.13.0 onnx==1.23.0 onnxscript==0.7.2 numpy
    .venv-torch/bin/python bench/torch_fixture.py

The net: Conv2d(1, 4, 5) → ReLU → MaxPool2d(2) → Flatten → Linear(576, 32) → Tanh → Linear(32, 10) →
LogSoftmax, trained one epoch (Adam, mini-batch 50) on the 50,000 MNIST training images, read
with pynn.data.mnist (the pinned MNIST).  Exported by the default (dynamo) exporter (opset 20), batch
dimension dynamic, weights inside the file.  Prints its MNIST test accuracy and size.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pynn.data import mnist  # noqa: E402  (this checkout's pynn, for the pinned MNIST)
from pynn.data.dataset import PIXEL_SCALE  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "torch_convnet.onnx"


def images(split: str, limit: int) -> tuple[torch.Tensor, torch.Tensor]:
    pixels, labels = mnist.load_arrays(split)
    x = torch.from_numpy((pixels[:limit].astype(np.float32) * np.float32(PIXEL_SCALE)).reshape(-1, 1, 28, 28))
    return x, torch.from_numpy(labels[:limit].astype(np.int64))


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(576, 32), nn.Tanh(),
                        nn.Linear(32, 10), nn.LogSoftmax(dim=1))
    x, y = images("train", 50_000)
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    for start in range(0, len(x), 50):
        optimiser.zero_grad()
        nn.functional.nll_loss(net(x[start:start + 50]), y[start:start + 50]).backward()
        optimiser.step()
    net.eval()
    tx, ty = images("test", 10_000)
    with torch.no_grad():
        accuracy = (net(tx).argmax(dim=1) == ty).float().mean().item()
    torch.onnx.export(net, (tx[:2],), OUT, dynamo=True, external_data=False, input_names=["image"],
                      output_names=["log_probabilities"], dynamic_shapes=({0: torch.export.Dim("N")},))
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size:,} bytes, MNIST test accuracy {accuracy:.4f} "
          f"(torch {torch.__version__})")


if __name__ == "__main__":
    main()
