#!/usr/bin/env python3
"""How fast pynn.training.augment distorts MNIST-sized batches (a timing, not a test).

    python bench/augment_speed.py [--n 10000] [--grid grid.png]

With --grid, also writes a picture: each row one MNIST digit, then distorted copies."""

from __future__ import annotations

import argparse
import time

import numpy as np

from pynn.data import mnist
from pynn.training.augment import augment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--grid", help="write a PNG of examples here (needs Pillow)")
    args = parser.parse_args()
    images, _ = mnist.load_arrays("train")
    batch = images[:args.n]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    augment(batch, rng)
    elapsed = time.perf_counter() - start
    print(f"augment: {len(batch)} images in {elapsed:.2f} s ({len(batch) / elapsed:,.0f} images/s)")
    if args.grid:
        from PIL import Image

        rows = [np.concatenate([images[i]] + [augment(images[i:i + 1], rng)[0] for _ in range(9)]) for i in range(10)]
        tiles = np.stack(rows).reshape(10, 10, 28, 28).transpose(0, 2, 1, 3).reshape(280, 280)
        Image.fromarray(255 - tiles).resize((560, 560), Image.NEAREST).save(args.grid)
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    main()
