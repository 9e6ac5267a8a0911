// Bench only: each runPeer() call gets a fresh dedicated worker (like the site's Python
// worker), so no peer inherits another's state, JIT warm-up or heap.
window.runPeer = (options) => new Promise((resolve, reject) => {
  const worker = new Worker(new URL("worker.js", import.meta.url));
  const finish = (settle, value) => {
    worker.terminate();
    settle(value);
  };
  worker.addEventListener("message", ({ data }) => (data.ok ? finish(resolve, data.result) : finish(reject, new Error(data.error))));
  worker.addEventListener("error", (event) => finish(reject, new Error(`worker error: ${event.message}`)));
  worker.postMessage(options);
});
document.getElementById("state").textContent = "ready";
