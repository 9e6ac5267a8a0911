// Starts the Python worker before anything else: index.html loads this module async and
// first, so Pyodide boots while the rest of the page (app.js, uPlot, …) is still loading.
import { Bridge } from "./bridge.js";

export const workerURL = new URL("../worker/worker.js", import.meta.url); // every Python worker runs it
export const bridge = new Bridge(workerURL);
export const workerCreatedAt = performance.now();
