"""onnxruntime-web in the same Chromium: an oracle for the page's ONNX download (never shipped in site/).

onnxruntime-web is an npm package pinned, with its integrity hash, by harness/node/package-lock.json
(``npm ci`` installs it on first use).  It runs in a page of a fresh context of its own, at a path of
the site's origin that Playwright answers from node_modules (the site's service worker and CSP are
not in the way: that context never opened the app), on one thread (no cross-origin isolation needed).
"""

from __future__ import annotations

import base64

import numpy as np
from playwright.sync_api import Browser, Page

from harness.npm import NODE, npm_ci

DIST = NODE / "node_modules" / "onnxruntime-web" / "dist"
PATH = "/__e2e-onnxruntime-web/"
HTML = "<!doctype html><meta charset='utf-8'><title>onnxruntime-web</title><script src='ort.wasm.min.js'></script>"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm"}


def ort_page(browser: Browser, origin: str) -> Page:
    """A page with onnxruntime-web loaded (global ``ort``); close its context when done."""
    npm_ci(NODE)
    page = browser.new_context().new_page()

    def serve(route) -> None:
        name = route.request.url.split(PATH, 1)[1].split("?")[0]
        path = DIST / name
        if name == "index.html":
            route.fulfill(status=200, body=HTML, content_type="text/html")
        elif "/" not in name and path.suffix in TYPES and path.is_file():
            route.fulfill(status=200, body=path.read_bytes(), content_type=TYPES[path.suffix])
        else:
            route.fulfill(status=404, body="not found")

    page.route(f"{origin}{PATH}**", serve)
    page.goto(f"{origin}{PATH}index.html")
    page.evaluate(f"() => {{ ort.env.wasm.numThreads = 1; ort.env.wasm.wasmPaths = location.origin + '{PATH}'; }}")
    return page


def run_onnx(page: Page, model: bytes, images: np.ndarray) -> np.ndarray:
    """onnxruntime-web's outputs for float32 images (N, 784), fed as [N, 1, 28, 28] to the model's input."""
    images = np.ascontiguousarray(images, dtype="<f4").reshape(-1, 784)
    values = page.evaluate("""async ([model, pixels, n]) => {
      const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
      const session = await ort.InferenceSession.create(bytes(model), { executionProviders: ["wasm"] });
      const input = new ort.Tensor("float32", new Float32Array(bytes(pixels).buffer), [n, 1, 28, 28]);
      const output = await session.run({ [session.inputNames[0]]: input });
      return Array.from(output[session.outputNames[0]].data);
    }""", [base64.b64encode(model).decode(), base64.b64encode(images.tobytes()).decode(), len(images)])
    return np.array(values, dtype=np.float64).reshape(len(images), -1)
