"""What the page's worker holds, read through window.pynnApp.bridge, and pynn run natively on the
same things as the oracle: a model's digest, an answer for a fixed ink, the digits, a fine-tune
and an evaluation done natively on the page's own model file, digits and settings."""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from playwright.sync_api import Page

from harness import SITE
from harness.app import model_json

# A fixed ink on the pad's 140×140 grid: a "7" of two bars (what the page would send for it).
INK_SIDE = 140
INK = np.zeros((INK_SIDE, INK_SIDE), dtype=np.uint8)
INK[30:40, 35:105] = 255
for row in range(40, 115):
    col = 100 - (row - 40) * 40 // 75
    INK[row, col - 6:col + 6] = 255

# The call's typed arrays (bytes in Python) come back as lists, so that Playwright can carry them.
ASK_JS = """async ([method, pixels, width, height, name]) => {
  const value = await window.pynnApp.bridge.call(method, {pixels: new Uint8Array(pixels), width, height, name});
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v) : v]));
}"""


def ask(page: Page, method: str, name: str | None = None, ink: np.ndarray = INK) -> dict:
    """The main worker's answer to ``method`` ("predict" or "explain") for ``ink``, read by model
    ``name`` (default: the one in use), straight through the bridge."""
    height, width = ink.shape
    return page.evaluate(ASK_JS, [method, ink.ravel().tolist(), width, height, name])


def model_digest(page: Page, name: str) -> str:
    """sha256 of model ``name`` as the worker writes it (every weight, to the bit, and its meta)."""
    return hashlib.sha256(model_json(page, name).encode()).hexdigest()


def missing_model(page: Page, name: str) -> str | None:
    """The worker's error when asked for model ``name``; None if it has one by that name."""
    return page.evaluate("name => window.pynnApp.bridge.call('model_json', {name}).then(() => null, e => e.message)",
                         name)


def page_digits(page: Page) -> list[dict]:
    """The worker's digits (what a fine-tune reads), through their file."""
    from pynn.page import your_digits

    data = page.evaluate("() => window.pynnApp.bridge.call('digits_file').then(b => Array.from(b))")
    return your_digits.loads(bytes(data))


@functools.cache
def mnist(part: str):
    """The site's MNIST ``part`` ("train" or "test"), read as the worker reads it."""
    from pynn.page.browser import read_npz

    return read_npz((SITE / "data" / f"mnist-{part}.npz").read_bytes())


def native_finetune(base, digits: list[dict], settings: dict):
    """pynn.page.finetune run natively to its end on ``base`` with the page's digits and settings;
    (its result, its model)."""
    from pynn.page.finetune import FineTune

    run = FineTune(base, digits, mnist("train"), mnist("test"), settings)
    run.run()
    return run.result(), run.model


def native_report(model, mistakes: int = 100) -> dict:
    """pynn.page.report.Evaluation of ``model`` on the site's MNIST test set, natively: what the
    page's Evaluate must show."""
    from pynn.page.report import Evaluation

    evaluation = Evaluation(model, mnist("test"))
    evaluation.run()
    return evaluation.result(mistakes)

