"""Hand-written digits as mouse strokes: polylines in unit coordinates of the pad.

(0, 0) is the pad's top-left corner and (1, 1) its bottom-right; y grows
downwards, as on screen.  Each digit is a list of strokes, each stroke a list of
(x, y) points joined by straight mouse moves.  The shapes are written the way a
person draws them with a mouse, not fitted to the model: the tests assert that
the pretrained network reads them as the intended digit.
"""

from __future__ import annotations

import math

Point = tuple[float, float]
Stroke = list[Point]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, 0 = right, 90 = down)."""
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / n))) for i in range(n + 1)]


def figure_eight(n: int = 48) -> Stroke:
    """One continuous stroke: a small loop on top of a bigger one, crossing in the middle."""
    points = []
    for i in range(n + 1):
        t = 2 * math.pi * i / n
        # y goes top → bottom → top once; x swings right then left twice, giving the crossing.
        y = 0.5 - 0.3 * math.cos(t)
        x = 0.5 + (0.13 if math.cos(t) > 0 else 0.16) * math.sin(2 * t) * -1
        points.append((x, y))
    return points


STROKES: dict[int, list[Stroke]] = {
    0: [arc(0.5, 0.5, 0.2, 0.3, -90, 275)],
    1: [[(0.52, 0.2), (0.5, 0.5), (0.48, 0.8)]],
    2: [arc(0.5, 0.36, 0.17, 0.15, 200, 370, 12)
        + [(0.6, 0.52), (0.45, 0.65), (0.32, 0.79), (0.5, 0.79), (0.72, 0.79)]],
    3: [arc(0.48, 0.34, 0.16, 0.14, 210, 450, 14) + arc(0.48, 0.64, 0.18, 0.16, -90, 150, 14)[1:]],
    4: [[(0.36, 0.2), (0.32, 0.56), (0.72, 0.56)], [(0.62, 0.22), (0.62, 0.82)]],
    5: [[(0.68, 0.2), (0.38, 0.2), (0.35, 0.46)] + arc(0.49, 0.62, 0.19, 0.18, -120, 150, 16)[1:]],
    6: [[(0.64, 0.2), (0.5, 0.3), (0.38, 0.46)] + arc(0.5, 0.65, 0.15, 0.15, 180, 540, 20)],
    7: [[(0.3, 0.22), (0.7, 0.22), (0.58, 0.45), (0.46, 0.8)]],
    8: [figure_eight()],
    9: [arc(0.5, 0.35, 0.15, 0.14, 0, 360, 20) + [(0.64, 0.55), (0.6, 0.82)]],
}
