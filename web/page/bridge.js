// The page's side of the worker: requests with ids, answered as promises, and a worker
// that dies or stops answering turns into a "crash" event instead of a hung page.
//   call(method, args)   a pynn.page.browser.Session method (PAGE_CALLS), by its Python name
//   job(kind, args)      a job of the worker's loop: {result, stop()}; progress and checkpoints
//                        go to onProgress and onCheckpoint
import { REPLY, ROLE, WORKER } from "../shared/protocol.js";

const BOOT_SILENCE_MS = 120_000;
// The worker reports between chunks of well under a few seconds (pynn.page.settings caps a step's
// estimated time and evaluation runs in slices), so a long silence means it is stuck.
const BUSY_SILENCE_MS = 60_000;

export class WorkerCrash extends Error {
  name = "WorkerCrash";
}

export class Bridge extends EventTarget {
  #url;
  #role;
  #nextId = 1;
  #pending = new Map();
  #watchdog = 0;
  #lastHeard = 0;
  #busySilenceMs = BUSY_SILENCE_MS;

  /** role: which of the page's workers this is (protocol.js ROLE); the worker reads it as self.name.
   * adopted: a worker already started ({worker, heard}: start.js's adoptWorker()), for the first start. */
  constructor(url, { role = ROLE.main, adopted = null } = {}) {
    super();
    this.#url = url;
    this.#role = role;
    this.start(adopted);
  }

  /** Starts a fresh worker (or takes over `adopted`, replaying what it said before);
   * `ready` resolves with {timings, model} once Python is up. */
  start(adopted = null) {
    this.crashed = false;
    const worker = adopted?.worker ?? new Worker(this.#url, { type: "module", name: this.#role });
    const events = {
      message: (event) => this.#receive(event.data),
      error: (event) => {
        event.preventDefault();
        this.#crash(`The Python worker failed: ${event.message || "script error"}`);
      },
      messageerror: () => this.#crash("The Python worker sent an unreadable message."),
    };
    Object.entries(events).forEach(([type, handle]) => worker.addEventListener(type, handle));
    this.worker = worker;
    this.#lastHeard = performance.now();
    this.#startWatchdog();
    this.ready = this.#send({ worker: WORKER.boot });
    this.ready.catch(() => {}); // reported through the "crash" event
    adopted?.heard.forEach((event) => events[event.type](event));
    return this.ready;
  }

  /** Session method `method` with `args` by their Python names; resolves with its value. */
  call(method, args = {}, { transfer = [] } = {}) {
    return this.#send({ call: method, args }, { transfer });
  }

  /** Starts job `kind`; `result` resolves with its result once it ends (by Stop too). */
  job(kind, args = {}, { onProgress, onCheckpoint } = {}) {
    const id = this.#nextId;
    const result = this.#send({ job: kind, args }, { onProgress, onCheckpoint });
    return { result, stop: () => this.#send({ stop: id }).catch(() => {}) };
  }

  /** One of the worker's own requests (protocol.js WORKER), for tests and benchmarks. */
  request(what, args = {}, { transfer = [] } = {}) {
    return this.#send({ worker: what, args }, { transfer });
  }

  #send(message, { onProgress, onCheckpoint, transfer = [] } = {}) {
    if (this.crashed) return Promise.reject(new WorkerCrash("The Python worker is not running."));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { booting: message.worker === WORKER.boot, resolve, reject, onProgress, onCheckpoint });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }

  get busy() {
    return this.#pending.size > 0;
  }

  /** How long the worker may be silent with a request pending before it counts as crashed
   * (after it has booted). For tests; the default is BUSY_SILENCE_MS. */
  setWatchdogMs(ms) {
    this.#busySilenceMs = ms;
    if (!this.crashed) this.#startWatchdog();
  }

  /** Ends the worker for good, quietly: its pending requests are rejected, no "crash" is told. */
  terminate() {
    this.worker.terminate();
    this.crashed = true;
    clearInterval(this.#watchdog);
    this.#rejectAll(new WorkerCrash("The Python worker was let go."));
  }

  /** A fresh worker, whatever state the old one is in (requests to it are rejected). */
  restart() {
    this.worker.terminate();
    this.#rejectAll(new WorkerCrash("The Python worker was restarted."));
    return this.start();
  }

  #receive(message) {
    this.#lastHeard = performance.now();
    if (message.kind === REPLY.status) {
      this.dispatchEvent(new CustomEvent("status", { detail: message }));
      return;
    }
    if (message.kind === REPLY.fatal) {
      this.#crash(message.message);
      return;
    }
    const request = this.#pending.get(message.id);
    if (!request) return;
    if (message.kind === REPLY.progress) {
      request.onProgress?.(message.value);
    } else if (message.kind === REPLY.checkpoint) {
      request.onCheckpoint?.(message.value);
    } else if (message.kind === REPLY.result) {
      this.#pending.delete(message.id);
      request.resolve(message.value);
    } else {
      this.#pending.delete(message.id);
      request.reject(Object.assign(new Error(message.error.message), message.error));
    }
  }

  #startWatchdog() {
    clearInterval(this.#watchdog);
    this.#watchdog = setInterval(() => this.#checkSilence(), Math.min(1000, this.#busySilenceMs / 2));
  }

  #checkSilence() {
    if (!this.#pending.size) return;
    const booting = [...this.#pending.values()].some((request) => request.booting);
    const limit = booting ? BOOT_SILENCE_MS : this.#busySilenceMs;
    if (performance.now() - this.#lastHeard > limit) {
      this.worker.terminate();
      const silence = `${+(limit / 1000).toFixed(1)} s`;
      this.#crash(`The Python worker stopped responding for ${silence}.`);
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
