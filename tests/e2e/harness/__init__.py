"""The one browser harness of pynn's site, shared by the end-to-end tests (tests/e2e) and the
browser benchmarks (bench/browser_*.py).

Everything goes through the page's data-testid hooks and real input events; page.evaluate is
used to read pixels and to reach ``window.pynnApp``.  One concern a module:

    server       site/ on 127.0.0.1 in a daemon thread (SiteServer, serving, check_site_built)
    monitor      every request, console error and page error of a browser context (Monitor)
    app          launching Chromium, opening the app, waiting for its states, window.pynnApp
    drawing      real pointer input on the pad: mouse, touch and pen; the pad's pixels
    predictions  reading the prediction, and checking it against pynn run natively
    forms        the training form: the one mapping of pynn's setting names to the form's fields
    training     progress, a recording of every change, starting a run and waiting for its end
    models       the model panel: choose, download, upload, IndexedDB
    digits       hand-written digits as strokes
    axe          axe-core's accessibility violations of the page (injected, never shipped)
    speech       what a screen reader would hear: every change of a live region
    npm          the npm packages the harness and benchmarks install themselves (npm ci)

Import it with tests/e2e on sys.path (conftest.py does that for the tests; the benchmarks add
the path themselves).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SITE = ROOT / "site"
if str(ROOT) not in sys.path:  # build.py (the server) and pynn (the native checks) live at the root
    sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("PYNN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
READY_TIMEOUT = 120_000  # ms: Pyodide + numpy + pynn + data on a busy 2-core machine
