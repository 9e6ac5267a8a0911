// The Python side of the page: Pyodide, numpy and a pynn.page.browser.Session, in a module worker.
// A call is one Session method, answered at once; long work is a job of Python's one job loop
// (pynn.page.jobs): this worker turns the loop a slice at a time and serves the message queue in
// between, so predictions and Stop cut in, and two jobs share the time. The protocol: protocol.js.
import { bootPython, describeBoot, shippedModel } from "./boot.js";
import "../pyodide/pyodide.mjs"; // boot.js's: named here too, so it downloads alongside boot.js, not after it
import { MODEL, REPLY, ROLE, STAGE, TEST_REQUEST, WORKER } from "../shared/protocol.js";
import { SharePorts, answerShares } from "./shares.js";

// Seconds of one job's work per turn of the loop: a prediction waits at most this long plus
// one step. (Python's None reaches the page as undefined: test with == null.)
const TURN_SECONDS = 0.03;

// Which of the page's workers this is (workers.js, pool.js): the main one holds the session's jobs.
const role = self.name || ROLE.main;
// The main worker shows the shipped model at once, and the prediction worker predicts with it:
// both start with it. A pool worker's jobs name their model: it loads only that, when its first
// job asks (the shipped one from the site, WORKER.shipped; any other copied from the main worker).
const startsWithModel = role !== ROLE.pool;

const here = (path) => new URL(`../${path}`, import.meta.url).href; // paths from the site root
const status = (stage, message) => postMessage({ kind: REPLY.status, stage, message });
const since = (start) => Math.round(performance.now() - start);

class PythonCallError extends Error {
  constructor({ name, message, fields }) {
    super(message);
    this.name = name;
    this.fields = fields;
  }
}

let python = null; // (method, {args by name}) → the value, or throws PythonCallError
let runtime = null; // the Pyodide instance, for the test seams (web/testing/worker-seams.js)
let loadPackages = null; // (names) → a promise: Pyodide's loadPackage
let onnxSupport = null; // the promise of ONNX's packages, loaded on the first call that needs them

function makeCaller(pyodide) {
  const browser = pyodide.pyimport("pynn.page.browser");
  const session = browser.Session();
  return (method, args = {}) => {
    const proxy = browser.call(session, method, args);
    try {
      const reply = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      if (!reply.ok) throw new PythonCallError(reply);
      return reply.value;
    } finally {
      proxy.destroy();
    }
  };
}

async function fetchOk(path) {
  const response = await fetch(here(path));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function boot() {
  // The worker's clock starts at its creation: this is how long its modules took to arrive.
  const modulesLoaded = Math.round(performance.now());
  const { pyodide, timings, modelBytes } = await bootPython(status, { withModel: startsWithModel });
  timings.modules = modulesLoaded;
  timings.origin = performance.timeOrigin; // the worker's clock against the page's (benches)
  let start = performance.now();
  python = makeCaller(pyodide);
  timings.session = since(start);
  loadPackages = (names) => pyodide.loadPackage(names, { messageCallback: () => {} });
  runtime = pyodide;
  let model = null;
  if (startsWithModel) {
    status("model", "Loading the pretrained model…");
    start = performance.now();
    model = python("load_model", { name: MODEL.pretrained, data: modelBytes });
    timings.model = since(start);
  }
  timings.summary = describeBoot(timings);
  timings.bootedAt = Math.round(performance.now()); // on the worker's clock (origin)
  return { timings, model };
}

// A PythonError's message is a whole traceback: keep the line that names the exception.
function briefly(error) {
  const line = error.type && error.message.split("\n").find((text) => text.startsWith(`${error.type}:`));
  return line || error.message;
}

const booted = boot();
booted.catch((error) => postMessage({ kind: REPLY.fatal, message: `Python did not start: ${briefly(error)}` }));
// A worker of the pool is started for work on the test set: it loads it once up, before its
// first share asks (a failure is retried by that share's job, and reported there).
if (role === ROLE.pool) booted.then(() => ensureData(["test"], false)).catch(() => {});

// --- MNIST's sets, each loaded once (again after a failure) when a job first needs it (Python's
// work() names them: an evaluation needs only the test set)

const dataLoading = new Map(); // "train" | "test" → the promise of it loaded into Python
const DATA_SAID = { train: "50,000 training digits", test: "10,000 test digits" };

function ensureData(names, announce) {
  const fresh = names.filter((name) => !dataLoading.has(name));
  for (const name of fresh) {
    dataLoading.set(name, (async () => python("set_data", { [name]: await fetchOk(`data/mnist-${name}.npz`) }))()
      .catch((error) => {
        dataLoading.delete(name);
        throw error;
      }));
  }
  const loading = Promise.all(names.map((name) => dataLoading.get(name)));
  if (!announce || !fresh.length) return loading; // said once, when its loading begins
  status(STAGE.data, `Loading MNIST (${fresh.map((name) => DATA_SAID[name]).join(" and ")})…`);
  return loading.finally(() => status(STAGE.dataLoaded, ""));
}

// --- the job loop

// A task boundary without setTimeout's 4 ms clamp: messages that came during a turn (stop,
// predict) are queued before this one, so they run first. One waiter per message.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()();
const nextTask = () => new Promise((resolve) => {
  waiting.push(resolve);
  channel.port2.postMessage(null);
});

const jobs = new Map(); // Python's job id → the page's request {id, resolve, reject}
const jobOfRequest = new Map(); // the page's request id → Python's job id
let looping = false;

function post(id, kind, value) {
  postMessage({ id, kind, value }, transferables(value));
}

// A run's steps shared with the pool: its shares go out by the ports, and each answer (or loss)
// comes back to Python, which steps once all are in.
const shares = new SharePorts((job, step, index, value) => {
  python("give_share", { job, step, index, gradient: value?.gradient ?? null, cost: value?.cost ?? null });
  loop();
});

function deliver(event) {
  if (event.shares) shares.send(event.job, event.shares); // for the pool only, never the page
  const request = jobs.get(event.job);
  if (!request) return; // a job of Python's own (computing ahead), or one already answered
  if (event.started) post(request.id, REPLY.progress, { started: event.started });
  if (event.progress) post(request.id, REPLY.progress, { progress: event.progress });
  if (event.checkpoint) post(request.id, REPLY.checkpoint, event.checkpoint);
  if (event.result || event.error) {
    jobs.delete(event.job);
    jobOfRequest.delete(request.id);
    if (event.error) request.reject(new PythonCallError(event.error));
    else request.resolve(event.result);
  }
}

/** When MNIST cannot be loaded: every job waiting for it fails with that reason. */
function dataFailed(error) {
  for (const job of python("stop_waiting")) {
    const request = jobs.get(job);
    jobs.delete(job);
    if (request) {
      jobOfRequest.delete(request.id);
      request.reject(error);
    }
  }
}

async function loop() {
  if (looping) return;
  looping = true;
  try {
    for (;;) {
      await nextTask(); // predictions and Stop go first
      const turn = python("work", { seconds: TURN_SECONDS });
      turn.events.forEach(deliver);
      if (turn.needs_data.length) {
        const loading = ensureData(turn.needs_data, jobs.size > 0);
        // nothing else could run: wait for the data (other jobs run while it loads)
        if (!turn.events.length) await loading.catch(dataFailed);
      }
      if (!turn.pending) return;
      // Waiting for the pool's shares: those in shared memory are waited for here, briefly; an
      // answer that comes by message turns the loop again.
      if (turn.waiting && !shares.answerNow(TURN_SECONDS * 1000)) return;
    }
  } finally {
    looping = false;
  }
}

function startJob(id, kind, args) {
  return new Promise((resolve, reject) => {
    const { job } = python("start_job", { kind, ...args }); // bad settings and clashes fail here, at once
    jobs.set(job, { id, resolve, reject });
    jobOfRequest.set(id, job);
    loop();
  });
}

/** Stop: the job ends at its next turn and answers its own request. */
function stopJob(requestId) {
  const job = jobOfRequest.get(requestId);
  return job == null ? { stopping: false } : python("stop_job", { job });
}

// Once a digit is labelled or uploaded, Python starts computing ahead (a background job).
const KEEPS_LOOP_BUSY = new Set(["label_digit", "load_digits"]);

// ONNX out (a download) or in (an upload whose first byte is 0x08, as every ONNX file's is) needs
// protobuf and ONNX's schema: loaded the first time, so startup never waits for them.
const needsOnnx = (method, args) => (method === "model_file" && args.form === "onnx")
  || (method === "load_model" && ArrayBuffer.isView(args.data) && args.data[0] === 0x08);

function loadOnnxSupport() {
  onnxSupport ??= (async () => {
    const response = await fetch(here("config.json"));
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    await loadPackages((await response.json()).onnx_packages);
  })().catch((error) => {
    onnxSupport = null; // the next try loads them again
    throw new Error(`ONNX support could not be loaded: ${error.message}`);
  });
  return onnxSupport;
}

function callPython(method, args) {
  const value = python(method, args);
  if (KEEPS_LOOP_BUSY.has(method)) loop();
  return value;
}

// --- the worker's own requests

/** The shipped model, loaded from the site: how a pool worker gets it, sparing the main worker a copy. */
async function loadShipped() {
  const data = await shippedModel();
  await booted;
  return python("load_model", { name: MODEL.pretrained, data });
}

// A share port: the main worker sends shares down it, a pool worker answers them.
function sharePort({ index, port }) {
  return role === ROLE.pool ? answerShares(port, (method, args) => python(method, args), booted)
    : shares.attach(index, port);
}

const own = { [WORKER.boot]: () => booted, [WORKER.shipped]: loadShipped, [WORKER.sharePort]: sharePort,
              [WORKER.dropPort]: ({ index }) => shares.drop(index) };

// A test build's requests are answered by its seams, loaded on the first; in any other build
// the module is not there, and the request fails like any unknown one.
async function testRequest(kind, args) {
  const seams = await import("../testing/worker-seams.js");
  return seams.answer(kind, args, { runtime });
}

function transferables(value) {
  const found = new Set();
  const visit = (item) => {
    if (ArrayBuffer.isView(item)) found.add(item.buffer);
    else if (item && typeof item === "object") Object.values(item).forEach(visit);
  };
  visit(value);
  return [...found];
}

async function answer({ id, call, job, stop, worker, args = {} }) {
  if (worker !== undefined) {
    if (Object.values(TEST_REQUEST).includes(worker)) return testRequest(worker, args);
    if (!own[worker]) throw new Error(`unknown worker request ${worker}`);
    return own[worker](args);
  }
  await booted;
  if (call !== undefined) {
    if (needsOnnx(call, args)) await loadOnnxSupport();
    return callPython(call, args);
  }
  if (job !== undefined) return startJob(id, job, args);
  if (stop !== undefined) return stopJob(stop);
  throw new Error("a request names a call, a job, a stop or a worker request");
}

self.addEventListener("message", async ({ data }) => {
  try {
    post(data.id, REPLY.result, await answer(data));
  } catch (error) {
    postMessage({ id: data.id, kind: REPLY.error, error: { name: error.name, message: error.message,
                                                             fields: error.fields } });
  }
});

self.addEventListener("unhandledrejection", (event) => {
  postMessage({ kind: REPLY.fatal, message: String(event.reason?.message ?? event.reason) });
});
