// How the Python worker starts: Python (restored from a memory snapshot when this browser
// keeps one, see snapshot.js, or started normally), then numpy and pynn, while the model
// and the wheels download alongside. Each stage is timed, and the path taken is reported.
import { loadPyodide, version as pyodideVersion } from "./pyodide/pyodide.mjs";
import { dropSnapshot, findStoredSnapshot, makeSnapshotInBackground, snapshotKey } from "./snapshot.js";

const here = (path) => new URL(path, import.meta.url).href;
const indexURL = here("pyodide/");
// The snapshot is made this long after the page is ready, when the page's own start-up
// (and the service worker's precaching) no longer compete with it for the CPU.
const SNAPSHOT_DELAY_MS = 3000;

async function fetchBytes(path) {
  const response = await fetch(here(path));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The packages startup loads; the lock lists others (ONNX's) that load only when asked for.
const STARTUP_PACKAGES = ["numpy", "pynn"];

/** Downloads the startup packages' wheels now, so that loadPackage finds them in the HTTP cache. */
async function prefetchWheels() {
  try {
    const lock = await (await fetch(here("pyodide/pyodide-lock.json"))).json();
    await Promise.all(STARTUP_PACKAGES.map((name) => fetch(indexURL + lock.packages[name].file_name)
      .then((r) => r.blob())));
  } catch {
    // loadPackage fetches them itself
  }
}

/** Python from the stored snapshot's bytes, or null (and the snapshot dropped) if that fails. */
async function restore(key, bytes, timings) {
  try {
    const pyodide = await loadPyodide({ indexURL, _loadSnapshot: bytes });
    // Every restore starts from the same memory: give Python's random a fresh seed.
    pyodide.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
    return pyodide;
  } catch (error) {
    timings.snapshotError = String(error?.message ?? error).split("\n")[0];
    dropSnapshot(key);
    return null;
  }
}

/** The standard library modules loaded now (after numpy and pynn): what the snapshot pre-imports. */
const STDLIB_MODULES = `
import sys
[name for name, module in sorted(sys.modules.items())
 if (getattr(module, "__file__", None) or "").startswith(("/lib/python312.zip/", "/lib/python3.12/"))
 and "site-packages" not in module.__file__ and not name.startswith(("pyodide", "_pyodide"))]
`;

/**
 * Starts Python with numpy and pynn imported; resolves with {pyodide, timings, modelBytes}.
 * makesSnapshot: whether this worker makes the snapshot when none is stored (only the main one).
 * `timings`: path ("snapshot" or "normal"), and the milliseconds of each stage: lookup
 * (finding a snapshot), python, packages, imports.
 */
export async function bootPython(status, { makesSnapshot = true } = {}) {
  const timings = { path: "normal" };
  let last = performance.now();
  const lap = (stage) => {
    const now = performance.now();
    timings[stage] = Math.round(now - last);
    last = now;
  };
  // Overlap: the model, the wheels and Pyodide's own script load while Python starts.
  const modelBytes = fetchBytes("models/pretrained.npz");
  modelBytes.catch(() => {}); // awaited by the caller
  import(indexURL + "pyodide.asm.js").catch(() => {}); // loadPyodide imports the same module

  const found = findStoredSnapshot();
  // Before loadPyodide: the listing snapshotKey fetches tells the service worker whether the
  // server is up with this version, and so where pyodide.asm.wasm comes from (see sw.js).
  const key = await snapshotKey(pyodideVersion);
  const stored = await found;
  const usable = key && stored?.key === key; // another build's is replaced once this one has made its own
  if (key && stored && !usable) timings.snapshotSkipped = "the stored snapshot is another build's";
  lap("lookup");
  // A return visit has the wheels in the service worker's cache: fetching them twice only
  // competes with the restore.
  const wheels = usable ? null : prefetchWheels();
  status("pyodide", usable ? "Restoring Python…" : "Starting Python (Pyodide)…");
  let pyodide = usable && (await restore(key, stored.bytes, timings));
  if (pyodide) timings.path = "snapshot";
  else pyodide = await loadPyodide({ indexURL });
  lap("python");

  status("packages", "Loading numpy and pynn…");
  await wheels;
  const problems = [];
  await pyodide.loadPackage(["pynn"], { messageCallback: () => {}, errorCallback: (text) => problems.push(text) });
  if (problems.length) throw new Error(`numpy and pynn did not load: ${problems.join(" ")}`);
  lap("packages");
  pyodide.runPython("import numpy, pynn.browser");
  lap("imports");

  if (makesSnapshot && key && timings.path !== "snapshot") {
    const found = pyodide.runPython(STDLIB_MODULES);
    const modules = found.toJs();
    found.destroy();
    setTimeout(async () => {
      const made = await makeSnapshotInBackground(key, modules);
      console.debug?.("python snapshot:", made);
    }, SNAPSHOT_DELAY_MS);
  }
  return { pyodide, timings, modelBytes: await modelBytes };
}

/** "from a snapshot: Python 0.4 s · numpy and pynn 0.7 s · …", for the status line. */
export function describeBoot(timings) {
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const stages = [["python", "Python"], ["packages", "numpy and pynn"], ["imports", "imports"], ["model", "model"]]
    .filter(([stage]) => timings[stage] !== undefined)
    .map(([stage, label]) => `${label} ${seconds(timings[stage])}`);
  return `${timings.path === "snapshot" ? "from a snapshot" : "normal start"}: ${stages.join(" · ")}`;
}
