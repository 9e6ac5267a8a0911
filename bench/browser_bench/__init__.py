"""The browser benchmarks' parts, on top of the end-to-end tests' harness (tests/e2e/harness):

    common   the set-up: the site snapshot, what every page records (INIT_SCRIPT), a visit
    probe    the worker's memory (DevTools protocol) and the renderer's resident memory
    load     navigation → ready and → first prediction, cold and warm
    latency  pointer-up → prediction
    epoch    one epoch trained through the page's form, and the same natively
    peers    the same epoch in other libraries, from the bench-only page bench/peers/
    summary  the medians, next to the targets

bench/browser_epoch.py and bench/browser_accuracy.py are the entry points.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "e2e") not in sys.path:  # the harness
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import harness  # noqa: E402,F401  (puts ROOT on sys.path too: build, pynn)

SITE = ROOT / "site"
PEERS = ROOT / "bench" / "peers"
RESULTS = ROOT / "bench" / "results"
