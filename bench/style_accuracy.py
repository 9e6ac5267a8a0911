#!/usr/bin/env python3
"""How well a model reads our own style set (tests/e2e/style_set.json), natively.

    python bench/style_accuracy.py site/models/pretrained.json [--set tests/e2e/style_set.json]

Each drawing is inked as the page's pad inks it and normalised as the page does
(bench/style_set.py), then read by the model.  Prints the accuracy overall, per
style family and per digit, the confusion matrix of each style that misreads any
drawing (and of the whole set), the flagged 1s and crossed 7s read right, and
every misread drawing."""

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
    from pynn.files import modelfile

    network = modelfile.load(path)
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
    print("\nconfusion (rows: the digit drawn, columns: the digit read):")
    print_confusion("all styles", labels, predicted)
    styles = sorted({d["style"] for d in drawings})
    for style in styles:
        mine = np.array([d["style"] == style for d in drawings])
        if not right[mine].all():
            print_confusion(style, labels[mine], predicted[mine])
    if len(styles) > 1 and right.all():
        print("  (no style misreads any drawing)")
    for feature, test in (("flagged 1s", lambda s: s.startswith("1-") and s != "1-stick"),
                          ("crossed 7s", lambda s: s.startswith("7-crossed"))):
        mine = np.array([test(d["skeleton"]) for d in drawings])
        print(f"\n{feature} read right: {right[mine].sum()}/{mine.sum()}", end="")
    print()
    misreads = [(d, p) for d, p, ok in zip(drawings, predicted, right) if not ok]
    print(f"\nmisreads ({len(misreads)}):")
    for drawing, guess in misreads:
        print(f"  {drawing['digit']} read as {guess}: {drawing['style']}, {drawing['skeleton']} "
              f"(#{drawings.index(drawing)})")
    return float(right.mean())


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """10×10 counts: row = the digit drawn, column = the digit read."""
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def print_confusion(title: str, labels: np.ndarray, predicted: np.ndarray) -> None:
    matrix = confusion(labels, predicted)
    print(f"\n  {title}\n       " + " ".join(f"{d:3}" for d in range(10)))
    for digit, row in enumerate(matrix):
        print(f"    {digit}  " + " ".join(f"{n:3}" if n else "  ." for n in row))


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
