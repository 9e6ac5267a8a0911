#!/usr/bin/env python3
"""Our own evaluation set of digits in many writing styles, drawn as pen strokes.

    python bench/style_set.py            (re)write tests/e2e/style_set.json
    python bench/style_set.py --check    fail if the file is not what this script writes
    python bench/style_set.py --sheet sheet.png   also draw every digit into a picture (Pillow)

Each digit style is a skeleton of pen strokes in a unit box (x right, y down),
each stroke a chain of pieces that are straight ("line") or smooth Catmull-Rom
curves through the given points ("curve").  A style family picks skeletons per
digit (a 1 with a flag and a foot, a crossed 7, a 2 with a loop, …) and a slant and
width; every drawing adds small deterministic jitter and is placed on the page's
280×280 pad as a person would draw it.  The JSON stores the strokes in pad units
(0..1 of the pad's side), so a test can replay them with pointer events, and
:func:`rasterise` inks them exactly as web/page/canvas.js does: a 20 px line with
round caps and joins (anti-aliased here by 4×4 supersampling).

Written for this project; nothing here comes from the Hershey fonts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from buildtools.strokes import LINE_WIDTH, PAD_SIZE, place, rasterise, to_input  # noqa: F401 (the set's ink)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "e2e" / "style_set.json"
SEED = 20261130
PER_DIGIT = 3  # drawings per digit per style family


def arc(cx, cy, rx, ry, start, stop, n=None):
    """Points on an ellipse; angles in degrees, 0 = right, 90 = down (y points down)."""
    n = n or max(4, int(abs(stop - start) / 20) + 1)
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, stop, n)]


def line(*points):
    return ("line", list(points))


def curve(*points):
    return ("curve", list(points))


# Skeletons: name → strokes; a stroke is a list of pieces, each piece continues the last.
SKELETONS = {
    "0-oval": [[curve(*arc(0.5, 0.5, 0.32, 0.46, -90, -450, 19))]],
    "0-overlap": [[curve(*arc(0.5, 0.5, 0.3, 0.46, -70, -470, 21))]],
    "0-round": [[curve(*arc(0.5, 0.5, 0.4, 0.45, -100, -455, 19))]],
    "1-stick": [[line((0.52, 0.04), (0.48, 0.96))]],
    "1-flag": [[line((0.3, 0.22), (0.56, 0.04), (0.56, 0.96))]],
    "1-flag-foot": [[line((0.3, 0.22), (0.55, 0.04), (0.55, 0.95))], [line((0.28, 0.95), (0.82, 0.95))]],
    "1-european": [[line((0.18, 0.38), (0.62, 0.04), (0.62, 0.96))]],
    "2-plain": [[curve((0.2, 0.27), (0.3, 0.1), (0.5, 0.04), (0.72, 0.1), (0.79, 0.28), (0.7, 0.48),
                       (0.42, 0.74), (0.16, 0.95)), line((0.16, 0.95), (0.86, 0.94))]],
    "2-loop": [[curve((0.2, 0.25), (0.32, 0.08), (0.54, 0.04), (0.74, 0.13), (0.76, 0.32), (0.6, 0.55),
                      (0.34, 0.8), (0.2, 0.93), (0.14, 0.86), (0.22, 0.78), (0.36, 0.84), (0.55, 0.93),
                      (0.72, 0.95), (0.88, 0.9))]],
    "2-z": [[curve((0.17, 0.2), (0.4, 0.05), (0.7, 0.08), (0.78, 0.25)), line((0.78, 0.25), (0.17, 0.95)),
             line((0.17, 0.95), (0.85, 0.95))]],
    "3-round": [[curve((0.2, 0.15), (0.45, 0.03), (0.72, 0.1), (0.76, 0.28), (0.6, 0.44), (0.42, 0.48),
                       (0.64, 0.53), (0.8, 0.7), (0.74, 0.88), (0.5, 0.97), (0.17, 0.86))]],
    "3-flat-top": [[line((0.2, 0.05), (0.8, 0.05), (0.45, 0.4)),
                    curve((0.45, 0.4), (0.7, 0.48), (0.83, 0.68), (0.74, 0.88), (0.5, 0.97), (0.18, 0.86))]],
    "3-cusp": [[curve((0.18, 0.14), (0.45, 0.03), (0.72, 0.1), (0.74, 0.3), (0.44, 0.48)),
                curve((0.44, 0.48), (0.74, 0.58), (0.8, 0.78), (0.6, 0.96), (0.35, 0.96), (0.15, 0.83))]],
    "4-closed": [[line((0.66, 0.96), (0.66, 0.04), (0.12, 0.68), (0.9, 0.68))]],
    "4-open": [[line((0.32, 0.04), (0.2, 0.64), (0.88, 0.64))], [line((0.68, 0.3), (0.68, 0.97))]],
    "4-open-tall": [[line((0.36, 0.04), (0.14, 0.6), (0.9, 0.6))], [line((0.66, 0.03), (0.64, 0.97))]],
    "5-one-stroke": [[line((0.78, 0.05), (0.3, 0.05), (0.26, 0.45)),
                      curve((0.26, 0.45), (0.5, 0.38), (0.76, 0.5), (0.82, 0.72), (0.62, 0.93), (0.36, 0.96),
                            (0.15, 0.86))]],
    "5-two-strokes": [[line((0.3, 0.06), (0.25, 0.46)),
                       curve((0.25, 0.46), (0.52, 0.4), (0.78, 0.54), (0.78, 0.78), (0.55, 0.96), (0.2, 0.88))],
                      [line((0.3, 0.06), (0.82, 0.04))]],
    "5-round": [[line((0.8, 0.06), (0.34, 0.06), (0.22, 0.5)),
                 curve((0.22, 0.5), (0.45, 0.4), (0.72, 0.45), (0.85, 0.68), (0.72, 0.92), (0.45, 0.97),
                       (0.2, 0.9))]],
    "6-plain": [[curve((0.7, 0.05), (0.45, 0.16), (0.27, 0.42), (0.22, 0.68), (0.33, 0.9), (0.55, 0.96),
                       (0.76, 0.82), (0.74, 0.6), (0.52, 0.5), (0.3, 0.57), (0.23, 0.7))]],
    "6-hook": [[curve((0.8, 0.2), (0.72, 0.07), (0.55, 0.03), (0.35, 0.12), (0.24, 0.38), (0.22, 0.66),
                      (0.33, 0.9), (0.55, 0.96), (0.76, 0.82), (0.74, 0.6), (0.52, 0.5), (0.3, 0.57),
                      (0.23, 0.68))]],
    "6-straight": [[line((0.68, 0.04), (0.27, 0.62)),
                    curve((0.27, 0.62), (0.3, 0.88), (0.52, 0.96), (0.73, 0.84), (0.74, 0.62), (0.52, 0.5),
                          (0.3, 0.58))]],
    "6-hook-curl": [[curve((0.74, 0.3), (0.8, 0.14), (0.66, 0.04), (0.45, 0.06), (0.3, 0.22), (0.22, 0.5),
                           (0.25, 0.8), (0.45, 0.96), (0.7, 0.9), (0.77, 0.72), (0.62, 0.56), (0.4, 0.57),
                           (0.26, 0.7))]],
    "7-plain": [[line((0.15, 0.05), (0.85, 0.05), (0.4, 0.96))]],
    "7-crossed": [[line((0.15, 0.05), (0.85, 0.05), (0.42, 0.96))], [line((0.35, 0.5), (0.78, 0.5))]],
    "7-serif": [[line((0.14, 0.18), (0.16, 0.05), (0.85, 0.05)),
                 curve((0.85, 0.05), (0.64, 0.35), (0.5, 0.65), (0.45, 0.96))]],
    "8-one-stroke": [[curve((0.72, 0.14), (0.5, 0.04), (0.28, 0.14), (0.32, 0.34), (0.5, 0.48), (0.72, 0.62),
                            (0.75, 0.84), (0.5, 0.96), (0.25, 0.84), (0.28, 0.62), (0.5, 0.48), (0.68, 0.34),
                            (0.72, 0.14), (0.6, 0.06))]],
    "8-two-loops": [[curve(*arc(0.5, 0.26, 0.21, 0.22, 90, -270, 19))],
                    [curve(*arc(0.5, 0.72, 0.27, 0.25, -90, 270, 19))]],
    "8-snowman": [[curve((0.5, 0.45), (0.3, 0.35), (0.32, 0.12), (0.5, 0.04), (0.68, 0.12), (0.7, 0.35),
                         (0.5, 0.45), (0.24, 0.6), (0.22, 0.85), (0.5, 0.97), (0.78, 0.85), (0.76, 0.6),
                         (0.5, 0.45))]],
    "9-stick": [[curve(*arc(0.46, 0.3, 0.28, 0.26, 10, -345, 19)), line((0.74, 0.28), (0.72, 0.96))]],
    "9-curved-tail": [[curve(*arc(0.45, 0.3, 0.28, 0.26, 10, -345, 19)),
                       curve((0.73, 0.28), (0.73, 0.58), (0.62, 0.86), (0.42, 0.97), (0.2, 0.9))]],
    "9-hook-tail": [[curve(*arc(0.46, 0.3, 0.28, 0.26, 10, -345, 19)),
                     curve((0.74, 0.28), (0.72, 0.7), (0.68, 0.9), (0.58, 0.97), (0.46, 0.93))]],
    "9-curl-tail": [[curve(*arc(0.47, 0.28, 0.27, 0.24, 10, -345, 19)),
                     curve((0.74, 0.27), (0.72, 0.6), (0.58, 0.88), (0.36, 0.97), (0.18, 0.88), (0.16, 0.76))]],
    "1-big-flag-foot": [[line((0.14, 0.36), (0.56, 0.04), (0.56, 0.95))], [line((0.2, 0.95), (0.88, 0.95))]],
    # The shapes that tell a European 1 from a 7 (issue 19): long, steep and footed flags, crossed 7s
    # with a serif or a curved stem, 6s whose loop closes high or low.
    "1-long-flag": [[line((0.1, 0.46), (0.6, 0.04), (0.6, 0.96))]],
    "1-steep-flag": [[line((0.4, 0.36), (0.58, 0.04), (0.57, 0.96))]],
    "1-long-flag-foot": [[line((0.12, 0.4), (0.58, 0.04), (0.58, 0.95))], [line((0.3, 0.95), (0.84, 0.95))]],
    "7-crossed-serif": [[line((0.14, 0.2), (0.15, 0.05), (0.86, 0.05), (0.44, 0.96))],
                        [line((0.34, 0.52), (0.8, 0.5))]],
    "7-crossed-curved": [[line((0.12, 0.06), (0.86, 0.05)),
                          curve((0.86, 0.05), (0.64, 0.4), (0.52, 0.7), (0.48, 0.96))],
                         [line((0.42, 0.47), (0.86, 0.46))]],
    "6-low-loop": [[curve((0.72, 0.04), (0.48, 0.2), (0.3, 0.5), (0.24, 0.78), (0.38, 0.95), (0.6, 0.96),
                          (0.76, 0.86), (0.72, 0.7), (0.5, 0.65), (0.3, 0.72))]],
    "6-high-loop": [[curve((0.68, 0.04), (0.42, 0.14), (0.26, 0.36), (0.22, 0.62), (0.3, 0.88), (0.52, 0.97),
                           (0.76, 0.86), (0.8, 0.6), (0.62, 0.38), (0.4, 0.38), (0.26, 0.5))]],
}

PRINT = ["0-oval", "1-stick", "2-plain", "3-round", "4-closed", "5-one-stroke", "6-plain", "7-plain",
         "8-one-stroke", "9-stick"]
SERIF = ["0-oval", "1-flag-foot", "2-z", "3-round", "4-closed", "5-round", "6-hook", "7-serif", "8-one-stroke",
         "9-hook-tail"]
EUROPEAN = ["0-overlap", "1-european", "2-plain", "3-flat-top", "4-open", "5-two-strokes", "6-plain",
            "7-crossed", "8-two-loops", "9-curved-tail"]
SCRIPT = ["0-overlap", "1-flag", "2-loop", "3-cusp", "4-open-tall", "5-round", "6-hook", "7-serif",
          "8-one-stroke", "9-curved-tail"]
FLAT = ["0-round", "1-flag", "2-z", "3-flat-top", "4-closed", "5-two-strokes", "6-straight", "7-plain",
        "8-snowman", "9-stick"]
HOOKED = ["0-round", "1-big-flag-foot", "2-loop", "3-flat-top", "4-open", "5-round", "6-hook-curl", "7-crossed",
          "8-snowman", "9-curl-tail"]
SWISS = ["0-overlap", "1-long-flag", "2-plain", "3-round", "4-open", "5-two-strokes", "6-low-loop",
         "7-crossed-serif", "8-two-loops", "9-curved-tail"]
GERMAN = ["0-oval", "1-steep-flag", "2-z", "3-flat-top", "4-open-tall", "5-round", "6-high-loop",
          "7-crossed-curved", "8-snowman", "9-stick"]
FRENCH = ["0-overlap", "1-long-flag-foot", "2-loop", "3-cusp", "4-open", "5-round", "6-low-loop",
          "7-crossed-serif", "8-one-stroke", "9-curl-tail"]
# Style family → (skeleton per digit, slant in degrees (top to the right), width factor).
FAMILIES = {
    "print": (PRINT, 0, 1.0),
    "print-wide": (PRINT, 0, 1.3),
    "backhand": (PRINT, -12, 1.0),
    "italic": (PRINT, 16, 0.9),
    "serif": (SERIF, 0, 0.9),
    "serif-italic": (SERIF, 15, 0.85),
    "condensed": (SERIF, 4, 0.6),
    "european": (EUROPEAN, 0, 1.0),
    "european-italic": (EUROPEAN, 12, 0.95),
    "script": (SCRIPT, 20, 0.95),
    "script-upright": (SCRIPT, 0, 1.0),
    "flat": (FLAT, 6, 1.0),
    "hooked": (HOOKED, 0, 1.0),
    "hooked-italic": (HOOKED, 14, 0.9),
    "swiss": (SWISS, 0, 1.0),
    "swiss-italic": (SWISS, 14, 0.9),
    "german": (GERMAN, 5, 1.0),
    "french-script": (FRENCH, 18, 0.9),
}


def drawing(skeleton: str, slant: float, width: float, rng: np.random.Generator) -> list[list[list[float]]]:
    """One drawing of ``skeleton`` as strokes in pad units (0..1), placed like a person draws it."""
    return place(SKELETONS[skeleton], slant, width, rng)


def style_set(seed: int = SEED) -> dict:
    """Every family × digit × PER_DIGIT drawings, deterministic in ``seed``."""
    drawings = []
    for f, (family, (skeletons, slant, width)) in enumerate(FAMILIES.items()):
        for digit, skeleton in enumerate(skeletons):
            for k in range(PER_DIGIT):
                rng = np.random.default_rng([seed, f, digit, k])
                drawings.append({"digit": digit, "style": family, "skeleton": skeleton,
                                 "strokes": drawing(skeleton, slant, width, rng)})
    return {"about": "digits in many writing styles as pen strokes, points in pad units (0..1 of the pad's "
                     "side, x right, y down); written by bench/style_set.py",
            "pad_size": PAD_SIZE, "line_width": LINE_WIDTH, "drawings": drawings}


def to_json(data: dict) -> str:
    """One drawing per line, so a change shows as a small diff."""
    head = {key: value for key, value in data.items() if key != "drawings"}
    lines = [json.dumps(d, separators=(",", ":")) for d in data["drawings"]]
    return json.dumps(head)[:-1] + ', "drawings": [\n' + ",\n".join(lines) + "\n]}\n"


def load(path: Path = OUTPUT) -> dict:
    return json.loads(Path(path).read_text())


def inputs(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """(784, n) float inputs and (n,) labels for every drawing of the set."""
    columns = [to_input(d["strokes"]) for d in data["drawings"]]
    return np.hstack(columns), np.array([d["digit"] for d in data["drawings"]])


def write_sheet(data: dict, path: str) -> None:
    from PIL import Image

    x, _ = inputs(data)
    n = x.shape[1]
    per_row = PER_DIGIT * 10
    rows = math.ceil(n / per_row)
    tiles = np.zeros((rows * per_row, 28, 28))
    tiles[:n] = x.T.reshape(n, 28, 28)
    sheet = tiles.reshape(rows, per_row, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, per_row * 28)
    Image.fromarray(np.rint(255 - sheet * 255).astype(np.uint8)).resize((per_row * 56, rows * 56)).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--sheet", help="also write a PNG of every drawing as the network sees it")
    args = parser.parse_args()
    data = style_set()
    text = to_json(data)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            sys.exit(f"{OUTPUT.relative_to(ROOT)} is not what bench/style_set.py writes: run it")
        print(f"{OUTPUT.relative_to(ROOT)} is up to date ({len(data['drawings'])} drawings)")
    else:
        OUTPUT.write_text(text)
        print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(data['drawings'])} drawings in {len(FAMILIES)} styles")
    if args.sheet:
        write_sheet(data, args.sheet)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
