// Starts the Python worker before anything else: index.html loads this module async and first,
// and it imports nothing, so the worker starts as soon as this one file has arrived (not after a
// chain of imports). What the worker sends before the page's Bridge takes it over is kept.
export const workerURL = new URL("./worker.js", import.meta.url);
const worker = new Worker(workerURL, { type: "module" });
export const workerCreatedAt = performance.now();

const TYPES = ["message", "error", "messageerror"];
const early = [];
const keep = (event) => {
  if (event.type === "error") event.preventDefault(); // reported when the Bridge replays it
  early.push(event);
};
for (const type of TYPES) worker.addEventListener(type, keep);

/** The worker started above, and the events it has sent so far (for the Bridge to replay). */
export function takeWorker() {
  for (const type of TYPES) worker.removeEventListener(type, keep);
  return { worker, early: early.splice(0) };
}
