// The worker's side of the test seams (test builds only: build.py --test-seams ships web/testing/).
// worker.js imports this on the first TEST_REQUEST and hands over what the answers read.
import { TEST_REQUEST } from "../shared/protocol.js";

// How a test can make the worker fail: an uncaught error, or silence. (Its fatal path, Python
// that cannot start, is tested for real: a model file served corrupt.)
export const CRASH_KINDS = Object.freeze(["error", "hang"]);

// Fails in each way a real worker can.
function crash({ kind }) {
  if (!CRASH_KINDS.includes(kind)) throw new Error(`unknown crash kind ${kind}`);
  if (kind === "error") setTimeout(() => { throw new Error("crash requested by a test hook"); });
  if (kind === "hang") for (;;); // a busy loop: the worker stops answering
  return new Promise(() => {}); // never answered: the page's crash handling takes over
}

/** The answer to a test request; `runtime` is the worker's Pyodide (null before it has booted). */
export function answer(kind, args, { runtime }) {
  // Private Pyodide API (the Emscripten module's heap): for memory benchmarks only.
  if (kind === TEST_REQUEST.memory) return { wasmHeapBytes: runtime?._module?.HEAPU8?.byteLength ?? null };
  if (kind === TEST_REQUEST.crash) return crash(args);
  throw new Error(`unknown test request ${kind}`);
}
