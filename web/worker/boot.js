// How the Python worker starts: Pyodide, then numpy and pynn, while the wheels (and the shipped
// model, for a worker that starts with it) download alongside. Each stage is timed for the status line.
//
// There is no memory snapshot: with V8's compiled-wasm cache hitting on a return visit, one
// gained nothing measured side by side (bench/browser_load.py) and cost a lookup on every
// visit, a background worker and 21 MB of Cache Storage. The cache the old snapshot code left
// in returning visitors' browsers is dropped here.
import { loadPyodide } from "../pyodide/pyodide.mjs";

const here = (path) => new URL(`../${path}`, import.meta.url).href; // paths from the site root
const indexURL = here("pyodide/");
const LEFTOVER_CACHE = "python-snapshot"; // what builds with a snapshot kept it in

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

/** Drops an older build's Python snapshot, 21 MB a returning visitor no longer needs. */
async function dropLeftoverSnapshot() {
  if (typeof caches !== "object" || !caches) return; // no Cache Storage outside secure contexts
  await caches.delete(LEFTOVER_CACHE).catch(() => {});
}

/** The shipped model's file: the bytes of models/pretrained.npz. */
export const shippedModel = () => fetchBytes("models/pretrained.npz");

/**
 * Starts Python with numpy and pynn imported; resolves with {pyodide, timings, modelBytes}.
 * `timings`: the milliseconds of each stage: listing, python, packages, imports. `withModel`:
 * whether the shipped model's file is fetched alongside (modelBytes is null without it).
 */
export async function bootPython(status, { withModel = true } = {}) {
  const timings = {};
  let last = performance.now();
  const lap = (stage) => {
    const now = performance.now();
    timings[stage] = Math.round(now - last);
    last = now;
  };
  // Overlap: the model, the wheels and Pyodide's own script load while Python starts.
  const modelBytes = withModel ? shippedModel() : Promise.resolve(null);
  modelBytes.catch(() => {}); // awaited by the caller
  import(indexURL + "pyodide.asm.js").catch(() => {}); // loadPyodide imports the same module
  const wheels = prefetchWheels();
  // Before loadPyodide: the listing tells the service worker whether the server is up with this
  // version, and so where pyodide.asm.wasm comes from (see sw.js). Tried and measured side by side
  // (bench/browser_load.py, December 2026): not waiting for it (the service worker asking the
  // server at the navigation instead), and not importing Pyodide's script ahead: Python's start
  // took ~0.5 s longer on return visits, and one in three missed the compiled-wasm cache.
  await fetch(here("precache.json"), { cache: "no-cache" }).catch(() => {});
  lap("listing");
  status("pyodide", "Starting Python (Pyodide)…");
  const pyodide = await loadPyodide({ indexURL });
  lap("python");

  status("packages", "Loading numpy and pynn…");
  await wheels;
  const problems = [];
  await pyodide.loadPackage(["pynn"], { messageCallback: () => {}, errorCallback: (text) => problems.push(text) });
  if (problems.length) throw new Error(`numpy and pynn did not load: ${problems.join(" ")}`);
  lap("packages");
  pyodide.runPython("import numpy, pynn.page.browser");
  lap("imports");
  dropLeftoverSnapshot();
  return { pyodide, timings, modelBytes: await modelBytes };
}

/** "Python 1.4 s · numpy and pynn 0.7 s · …", for the status line. */
export function describeBoot(timings) {
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  return [["python", "Python"], ["packages", "numpy and pynn"], ["imports", "imports"], ["model", "model"]]
    .filter(([stage]) => timings[stage] !== undefined)
    .map(([stage, label]) => `${label} ${seconds(timings[stage])}`).join(" · ");
}
