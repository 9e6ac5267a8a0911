// Starts the main Python worker before anything else. index.html loads this module first and
// async, and it imports nothing, so the worker is created as soon as this one small file arrives
// (measured: a worker created through bridge.js and protocol.js waited for them behind app.js's
// thirty modules, 0.1–0.25 s later). Pyodide then boots while the rest of the page loads.
//
// The worker is unnamed, so it takes the main role (worker.js). Until app.js's Bridge adopts it,
// what it says is kept here and handed over in order: a status, a fatal report, or a script error
// (cancelled here, as the Bridge cancels it, and reported by the Bridge as a crash).

export const workerURL = new URL("../worker/worker.js", import.meta.url); // every Python worker runs it
export const workerCreatedAt = performance.now();

const worker = new Worker(workerURL, { type: "module" });
const heard = [];
const keep = (event) => {
  if (event.type === "error") event.preventDefault();
  heard.push(event);
};
const TYPES = ["message", "error", "messageerror"];
TYPES.forEach((type) => worker.addEventListener(type, keep));

/** The worker and the events it sent before anyone listened; once (the Bridge's first start). */
export function adoptWorker() {
  TYPES.forEach((type) => worker.removeEventListener(type, keep));
  return { worker, heard: heard.splice(0) };
}
