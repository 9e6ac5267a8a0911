// The page's side of the worker: requests with ids, answered as promises, and a worker
// that dies or stops answering turns into a "crash" event instead of a hung page.

const BOOT_SILENCE_MS = 120_000;
// A single chunk can include a test-set evaluation of a large network: allow it time.
const BUSY_SILENCE_MS = 60_000;

export class WorkerCrash extends Error {
  name = "WorkerCrash";
}

export class Bridge extends EventTarget {
  #url;
  #nextId = 1;
  #pending = new Map();
  #watchdog = 0;
  #lastHeard = 0;

  constructor(url) {
    super();
    this.#url = url;
    this.start();
  }

  /** Starts a fresh worker; `ready` resolves with {timings, model} once Python is up. */
  start() {
    this.crashed = false;
    const worker = new Worker(this.#url, { type: "module" });
    // A terminated worker sends no event at all; treat terminate() as a crash so
    // that whoever terminates it (tests included) sees the same path as a real one.
    worker.terminate = () => {
      Worker.prototype.terminate.call(worker);
      this.#crash("The Python worker was stopped.");
    };
    worker.addEventListener("message", (event) => this.#receive(event.data));
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.#crash(`The Python worker failed: ${event.message || "script error"}`);
    });
    worker.addEventListener("messageerror", () => this.#crash("The Python worker sent an unreadable message."));
    this.worker = worker;
    this.#lastHeard = performance.now();
    clearInterval(this.#watchdog);
    this.#watchdog = setInterval(() => this.#checkSilence(), 1000);
    this.ready = this.call("boot");
    this.ready.catch(() => {}); // reported through the "crash" event
    return this.ready;
  }

  /** Sends a request; `onProgress` gets the intermediate reports of long requests. */
  call(type, payload = {}, { onProgress, transfer = [] } = {}) {
    if (this.crashed) return Promise.reject(new WorkerCrash("The Python worker is not running."));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { type, resolve, reject, onProgress });
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }

  get busy() {
    return this.#pending.size > 0;
  }

  terminate() {
    this.worker.terminate();
  }

  /** A fresh worker, whatever state the old one is in (requests to it are rejected). */
  restart() {
    Worker.prototype.terminate.call(this.worker);
    this.#rejectAll(new WorkerCrash("The Python worker was restarted."));
    return this.start();
  }

  #receive(message) {
    this.#lastHeard = performance.now();
    if (message.kind === "status") {
      this.dispatchEvent(new CustomEvent("status", { detail: message }));
      return;
    }
    if (message.kind === "fatal") {
      this.#crash(message.message);
      return;
    }
    const request = this.#pending.get(message.id);
    if (!request) return;
    if (message.kind === "progress") {
      request.onProgress?.(message.value);
    } else if (message.kind === "result") {
      this.#pending.delete(message.id);
      request.resolve(message.value);
    } else {
      this.#pending.delete(message.id);
      request.reject(Object.assign(new Error(message.error.message), message.error));
    }
  }

  #checkSilence() {
    if (!this.#pending.size) return;
    const booting = [...this.#pending.values()].some((request) => request.type === "boot");
    const limit = booting ? BOOT_SILENCE_MS : BUSY_SILENCE_MS;
    if (performance.now() - this.#lastHeard > limit) {
      Worker.prototype.terminate.call(this.worker);
      this.#crash(`The Python worker stopped responding for ${Math.round(limit / 1000)} s.`);
    }
  }

  #rejectAll(error) {
    for (const request of this.#pending.values()) request.reject(error);
    this.#pending.clear();
  }

  #crash(message) {
    if (this.crashed) return;
    this.crashed = true;
    this.crashMessage = message;
    clearInterval(this.#watchdog);
    this.#rejectAll(new WorkerCrash(message));
    this.dispatchEvent(new CustomEvent("crash", { detail: { message } }));
  }
}
