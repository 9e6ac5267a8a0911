#!/usr/bin/env python3
"""How well a model reads our own style set (tests/e2e/style_set.json), natively.

    python bench/style_accuracy.py site/models/pretrained.json [--set tests/e2e/style_set.json]

Each drawing is inked as the page's pad inks it and normalised as the page does
(bench/style_set.py), then read by the model.  Prints the accuracy overall, per
style family and per digit, and every misread drawing."""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import style_set  # noqa: E402


def load_model(path: str | Path):
    """A function from inputs (784, n) to predicted digits (n,), for a model file.

    Any pynn model file: an MLP or a layered conv net, JSON or .npz."""
    from pynn import io

    network = io.load(path)
    return lambda x: np.argmax(network.feedforward(x), axis=0)


def report(predicted: np.ndarray, data: dict) -> float:
    drawings = data["drawings"]
    labels = np.array([d["digit"] for d in drawings])
    right = predicted == labels
    print(f"style set: {right.mean():.1%} right ({right.sum()}/{len(right)})")
    for key, title in (("style", "per style"), ("digit", "per digit")):
        groups = defaultdict(list)
        for drawing, ok in zip(drawings, right):
            groups[drawing[key]].append(ok)
        print(f"\n{title}:")
        for name, oks in sorted(groups.items(), key=lambda item: (np.mean(item[1]), str(item[0]))):
            print(f"  {name!s:16} {np.mean(oks):6.1%}  ({sum(oks)}/{len(oks)})")
    misreads = [(d, p) for d, p, ok in zip(drawings, predicted, right) if not ok]
    print(f"\nmisreads ({len(misreads)}):")
    for drawing, guess in misreads:
        print(f"  {drawing['digit']} read as {guess}: {drawing['style']}, {drawing['skeleton']} "
              f"(#{drawings.index(drawing)})")
    return float(right.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model file (pynn/network2 JSON)")
    parser.add_argument("--set", default=str(style_set.OUTPUT), help="the style set JSON")
    args = parser.parse_args()
    data = style_set.load(args.set)
    predict = load_model(args.model)
    x, _ = style_set.inputs(data)
    report(predict(x), data)


if __name__ == "__main__":
    main()
