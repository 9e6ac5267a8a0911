"""Small helpers for the teaching tests and bench/teach_page.py: your digits, labelling, and
reading the evaluation's results, through data-testid hooks and real input events."""

from __future__ import annotations

import json
from pathlib import Path

from harness.app import by_id
from harness.drawing import clear_pad, draw
from playwright.sync_api import Page, expect

STYLE_SET = Path(__file__).resolve().parent / "style_set.json"
TRAINING_TIMEOUT = 240_000  # ms: a fine-tune or evaluation on a busy 2-core machine


def style_drawings(style: str | None = None) -> list[dict]:
    drawings = json.loads(STYLE_SET.read_text())["drawings"]
    return [d for d in drawings if style is None or d["style"] == style]


def digit_count(page: Page) -> int:
    return by_id(page, "your-digits").locator("[data-label]").count()


def labels(page: Page) -> list[str]:
    return by_id(page, "your-digits").locator("[data-label]").evaluate_all(
        "items => items.map(item => item.dataset.label)")


def draw_and_label(page: Page, strokes, digit: int) -> None:
    """Draw on a clear pad, press "it's a <digit>", and wait for the gallery to grow by one.
    The style set's strokes are dense already: one mouse move per point."""
    clear_pad(page)
    before = digit_count(page)
    draw(page, strokes, steps=1)
    by_id(page, "label-buttons").locator(f"button[data-digit='{digit}']").click()
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(before + 1)


def download_digits(page: Page, path: Path) -> Path:
    """Press the digits' Download and save the file at ``path``."""
    with page.expect_download() as info:
        by_id(page, "download-digits").click()
    info.value.save_as(path)
    return path


def clear_digits(page: Page) -> None:
    if digit_count(page):
        by_id(page, "clear-digits").click()
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(0)


def set_finetune_settings(page: Page, **settings) -> None:
    """Open the fine-tune settings and fill fields by their Python names."""
    if not page.locator(".finetune-settings").evaluate("details => details.open"):
        page.locator(".finetune-settings summary").click()
    for name, value in settings.items():
        page.locator(f"#finetune-{name}").fill(str(value))


def confusion(page: Page) -> list[list[int]]:
    cells = by_id(page, "confusion").locator("[data-true][data-pred][data-count]").evaluate_all(
        "cells => cells.map(c => [+c.dataset.true, +c.dataset.pred, +c.dataset.count])")
    matrix = [[0] * 10 for _ in range(10)]
    for t, p, n in cells:
        matrix[t][p] = n
    assert len(cells) == 100, f"{len(cells)} confusion cells"
    return matrix


def canvas_ink(page: Page, test_id: str) -> int:
    """How many of a canvas's pixels are not fully transparent or black."""
    return page.evaluate("""id => {
      const canvas = document.querySelector(`[data-testid="${id}"]`);
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] && (data[i] || data[i + 1] || data[i + 2])) count++;
      return count;
    }""", test_id)
