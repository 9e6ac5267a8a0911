"""Real pointer input on the drawing pad (mouse, touch, pen), and the pad's pixels.

Strokes are polylines in unit coordinates of the pad ((0, 0) top left, (1, 1) bottom right),
as in harness.digits."""

from __future__ import annotations

import base64

import numpy as np
from playwright.sync_api import Page, expect

from harness.app import by_id


def pad_box(page: Page) -> dict:
    pad = by_id(page, "draw-canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, f"the drawing pad is not visible: {box}"
    return box


def _points(box: dict, stroke, steps: int) -> list[tuple[float, float]]:
    """The stroke in page coordinates, each segment cut into ``steps`` moves (as mouse.move does)."""
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
    points = [at[0]]
    for (x0, y0), (x1, y1) in zip(at, at[1:]):
        points += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return points


def wait_pad_takes_input(page: Page, timeout: float = 60_000) -> None:
    """Wait (ms) until the pad keeps strokes (canvas.js has set it up): a stroke before that is
    drawn on a plain canvas of a page still loading."""
    page.wait_for_selector("[data-testid=draw-canvas][data-input=on]", timeout=timeout)


def draw(page: Page, strokes, steps: int = 4) -> None:
    """Draw polylines with real mouse down/move/up events."""
    box = pad_box(page)
    for stroke in strokes:
        at = _points(box, stroke, 1)  # the stroke's own points; mouse.move adds the steps between
        page.mouse.move(*at[0])
        page.mouse.down()
        for x, y in at[1:]:
            page.mouse.move(x, y, steps=steps)
        page.mouse.up()


def draw_touch(page: Page, strokes, steps: int = 4) -> None:
    """Draw with a finger: Input.dispatchTouchEvent through the DevTools protocol (Pointer Events
    with pointerType "touch" on the page)."""
    box = pad_box(page)
    cdp = page.context.new_cdp_session(page)
    try:
        for stroke in strokes:
            points = _points(box, stroke, steps)
            for index, (x, y) in enumerate(points):
                kind = "touchStart" if index == 0 else "touchMove"
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                    {"x": x, "y": y, "id": 1, "radiusX": 2, "radiusY": 2, "force": 0.5}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def draw_pen(page: Page, strokes, steps: int = 4) -> None:
    """Draw with a stylus: Input.dispatchMouseEvent with pointerType "pen" through the DevTools
    protocol (Pointer Events with pointerType "pen" on the page)."""
    box = pad_box(page)
    cdp = page.context.new_cdp_session(page)

    def send(kind: str, x: float, y: float, buttons: int) -> None:
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "buttons": buttons,
                                              "clickCount": 1, "pointerType": "pen", "force": 0.5})

    try:
        for stroke in strokes:
            points = _points(box, stroke, steps)
            send("mouseMoved", *points[0], 0)
            send("mousePressed", *points[0], 1)
            for x, y in points[1:]:
                send("mouseMoved", x, y, 1)
            send("mouseReleased", *points[-1], 0)
    finally:
        cdp.detach()


def clear_pad(page: Page) -> None:
    by_id(page, "clear").click()
    expect(by_id(page, "prediction")).to_have_text("")


def pad_ink(page: Page) -> np.ndarray:
    """The pad's pixels as the worker gets them: its alpha channel, (height, width) uint8."""
    data = page.evaluate("""() => {
      const c = document.querySelector('[data-testid="draw-canvas"]');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let i = 3; i < d.length; i += 4) s += String.fromCharCode(d[i]);
      return {w: c.width, h: c.height, b64: btoa(s)};
    }""")
    return np.frombuffer(base64.b64decode(data["b64"]), dtype=np.uint8).reshape(data["h"], data["w"])


def canvas_pixels(canvas) -> np.ndarray:
    """RGBA pixels of a canvas (a Playwright locator), (height, width, 4) uint8."""
    data = canvas.evaluate("""c => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
      return {w: c.width, h: c.height, b64: btoa(s)};
    }""")
    return np.frombuffer(base64.b64decode(data["b64"]), dtype=np.uint8).reshape(data["h"], data["w"], 4)


POINTER_LOG_JS = """() => {
  window.__e2ePointers = [];
  if (window.__e2ePointerLog) return;
  window.__e2ePointerLog = true;
  document.addEventListener('pointerdown', e => window.__e2ePointers.push(e.pointerType), true);
}"""


def log_pointer_types(page: Page) -> None:
    """From now on, keep the pointerType of every pointerdown (read with pointer_types)."""
    page.evaluate(POINTER_LOG_JS)


def pointer_types(page: Page) -> list[str]:
    return page.evaluate("() => window.__e2ePointers || []")
