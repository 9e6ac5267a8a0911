// THE test and benchmark seam: window.pynnApp, in test builds only (build.py --test-seams). The page itself never reads it; tests and
// benchmarks use only this (and the data-testid attributes).
//
//   bridge             the page's Bridge (bridge.js): requests to the main worker
//   workers            the page's Workers (workers.js): answered {main, prediction} counts of
//                      routed calls, predictsAside, predictionWorker (its Bridge, or null)
//   timings            start-up timings (ms)
//   offlineReady       resolves once this version is cached for offline use
//   ready              resolves once the page is ready (again after a restart)
//   lastPredictionMs   pointer-up → prediction shown, of the last stroke
//   memory()           → {wasmHeapBytes}: Pyodide's WebAssembly heap, read through a PRIVATE
//                      Pyodide API (pyodide._module.HEAPU8), so for measurements only
//   crash(kind)        make the worker fail: "error" (it throws an uncaught error → the
//                      Worker's error event) or "hang" (it busy-loops and stops answering →
//                      the silence watchdog fires)
//   setWatchdogMs(ms)  shorten the watchdog's allowed silence (to test "hang" quickly)
import { TEST_REQUEST } from "../shared/protocol.js";
import { CRASH_KINDS } from "./worker-seams.js";

export function installTestHooks({ bridge, workers, timings, offlineReady, ready, predictor }) {
  window.pynnApp = {
    bridge,
    workers,
    timings,
    offlineReady,
    get ready() {
      return ready();
    },
    get lastPredictionMs() {
      return predictor.lastLatencyMs;
    },
    memory: () => bridge.request(TEST_REQUEST.memory),
    crash(kind) {
      if (!CRASH_KINDS.includes(kind)) throw new Error(`crash kind must be one of ${CRASH_KINDS.join(", ")}`);
      bridge.request(TEST_REQUEST.crash, { kind }).catch(() => {}); // the crash is reported by the bridge's event
    },
    setWatchdogMs(ms) {
      if (!(ms > 0)) throw new Error("the watchdog needs a positive number of milliseconds");
      bridge.setWatchdogMs(ms);
    },
  };
}
