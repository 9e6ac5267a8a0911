// Makes Python's memory snapshot (see snapshot.js) in a worker of its own, so that the page
// and its Python worker are not held up: start Python, import the standard library modules
// the page's Python uses (numpy itself cannot be in a snapshot with Pyodide 0.27), snapshot
// the memory, store it. Replies once with {ok, ms, bytes} or {ok: false, message}.
import { loadPyodide } from "../pyodide/pyodide.mjs";
import { storeSnapshot } from "./snapshot.js";

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

self.addEventListener("message", async ({ data: { key, modules } }) => {
  const started = performance.now();
  try {
    // The listing first, as the page's worker does: while it shows the server serving this
    // version, the service worker leaves pyodide.asm.wasm to the HTTP cache (see sw.js). A copy
    // from Cache Storage here would make Chromium drop the compiled code the page's next visit uses.
    await fetch(new URL("../precache.json", import.meta.url), { cache: "no-cache" }).catch(() => {});
    const pyodide = await loadPyodide({ indexURL: new URL("../pyodide/", import.meta.url).href, _makeSnapshot: true });
    // Names go into the source as a literal: a JS value handed to Python would be a reference
    // the snapshot cannot hold.
    const names = JSON.stringify((modules ?? []).filter((name) => MODULE_NAME.test(name)));
    pyodide.runPython(`
def _preimport(names):
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass
_preimport(${names})
del _preimport
`);
    const bytes = pyodide.makeMemorySnapshot();
    await storeSnapshot(key, bytes, pyodide._api?.config?.BUILD_ID);
    postMessage({ ok: true, ms: Math.round(performance.now() - started), bytes: bytes.length });
  } catch (error) {
    postMessage({ ok: false, message: String(error?.message ?? error) });
  }
});
