"""The peers: the same epoch in the same Chromium, from a bench-only page (bench/peers/, npm
packages pinned by bench/peers/package-lock.json, installed with ``npm ci``): TensorFlow.js
(wasm and cpu backends, and wasm with threads on a cross-origin-isolated copy of the page),
ConvNetJS, and plain JavaScript (straightforward, and hand-optimised).  Each trains the epoch in
a fresh worker; its test accuracy afterwards is the sanity check."""

from __future__ import annotations

import http.server
import os
from pathlib import Path

import numpy as np
from harness.npm import npm_ci

from browser_bench import PEERS
from browser_bench.common import note, poll

PEER_NAMES = ["js-plain", "js-unrolled", "js-sparse", "convnetjs", "tfjs-wasm", "tfjs-cpu"]
# tfjs-wasm-threads: TensorFlow.js's threaded wasm build, on a cross-origin-isolated copy of the peers page.
# Not run by default: here XNNPACK reports 1 thread all the same (and it was slower than tfjs-wasm).
OPTIONAL_PEERS = ["tfjs-wasm-threads"]
# The peers the targets name (single-threaded, dense): js-sparse (pynn's own sparsity trick, by hand)
# and tfjs-wasm-threads (threads; when asked for) are shown for context.
TARGET_PEERS = ["js-plain", "js-unrolled", "convnetjs", "tfjs-wasm", "tfjs-cpu"]


def install_peers() -> None:
    """npm ci from the lock file (integrity-checked), once; no install scripts."""
    note("the peers: npm ci in bench/peers, unless installed already …")
    npm_ci(PEERS)


def peer_root(tmp: Path, site: Path) -> Path:
    """A folder to serve the peers page from: its files and node_modules (links), and MNIST as raw
    uint8 files converted once from the site's pickle-free .npz."""
    root = tmp / "peers" / "peers"
    (root / "data").mkdir(parents=True)
    for name in ("index.html", "main.js", "worker.js", "js-peers.js", "conv.js", "node_modules"):
        (root / name).symlink_to(PEERS / name)
    for split in ("train", "test"):
        with np.load(site / "data" / f"mnist-{split}.npz", allow_pickle=False) as archive:
            for key, name in (("images", "images"), ("labels", "labels")):
                raw = np.ascontiguousarray(archive[key], np.uint8).tobytes()
                (root / "data" / f"{split}-{name}.u8").write_bytes(raw)
    (tmp / "peers" / "isolated").symlink_to(root)
    return tmp / "peers"


class PeerHandler(http.server.SimpleHTTPRequestHandler):
    """Static files for the peers page; under /isolated/ also COOP/COEP, which make the page
    cross-origin isolated (SharedArrayBuffer, so TensorFlow.js's wasm backend can use threads)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript", ".u8": "application/octet-stream"}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        if self.path.startswith("/isolated/"):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass



def run_peer(page, peer: str, seed: int, samples: int | None) -> dict:
    options = {"peer": "tfjs-wasm" if peer == "tfjs-wasm-threads" else peer, "seed": seed}
    if samples:
        options["samples"] = samples
    if peer == "tfjs-wasm-threads":
        options["threads"] = os.cpu_count() or 2
    return page.evaluate("options => window.runPeer(options)", options)



def open_peer_pages(browser, peer_url: str, peers: list[str], monitor) -> dict[bool, object]:
    """The peers page, by whether it is the cross-origin-isolated copy (only for tfjs-wasm-threads)."""
    pages = {}
    for isolated in (False, True):
        if isolated and "tfjs-wasm-threads" not in peers:
            continue
        context = browser.new_context()
        monitor.watch(context)
        page = context.new_page()
        page.goto(f"{peer_url}{'isolated' if isolated else 'peers'}/index.html")
        poll(page, "() => typeof window.runPeer === 'function'", timeout=30)
        pages[isolated] = page
    return pages
