// The Python side of the page: Pyodide, numpy and a pynn.browser.Session, in a module worker.
// Every request is one pynn.browser.call; training runs as a loop of short chunks with the
// message queue served in between, so Stop and predictions cut in. The protocol: protocol.js.
import { bootPython, describeBoot } from "./boot.js";
import { CRASH_KINDS, MODEL, REPLY, REQUEST } from "./protocol.js";

// Seconds of training (or test-set evaluation) per chunk: a prediction waits at most this
// long plus one step. (Python's None reaches the page as undefined: test with == null.)
const CHUNK_SECONDS = 0.03;
// Fine-tuning's chunks are longer: its progress report is bigger, and nothing draws per chunk.
const FINETUNE_CHUNK_SECONDS = 0.08;
// Mistakes sent back with an evaluation (most confident first).
const MAX_MISTAKES = 100;

const here = (path) => new URL(path, import.meta.url).href;
const status = (stage, message) => postMessage({ kind: REPLY.status, stage, message });
const since = (start) => Math.round(performance.now() - start);

class PythonCallError extends Error {
  constructor({ name, message, fields }) {
    super(message);
    this.name = name;
    this.fields = fields;
  }
}

let python = null; // (method, ...args) → the value, or throws PythonCallError
let heapBytes = null;
let dataLoaded = null;

function makeCaller(pyodide) {
  const browser = pyodide.pyimport("pynn.browser");
  const session = browser.Session();
  return (method, ...args) => {
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

async function fetchOk(path, as) {
  const response = await fetch(here(path));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return as === "text" ? response.text() : new Uint8Array(await response.arrayBuffer());
}

async function boot() {
  const { pyodide, timings, modelBytes } = await bootPython(status);
  python = makeCaller(pyodide);
  // Private Pyodide API (the Emscripten module's heap): for memory benchmarks only.
  heapBytes = () => pyodide._module?.HEAPU8?.byteLength ?? null;
  status("model", "Loading the pretrained model…");
  const start = performance.now();
  const model = python("load_model", MODEL.pretrained, modelBytes);
  timings.model = since(start);
  timings.summary = describeBoot(timings);
  return { timings, model };
}

// A PythonError's message is a whole traceback: keep the line that names the exception.
function briefly(error) {
  const line = error.type && error.message.split("\n").find((text) => text.startsWith(`${error.type}:`));
  return line || error.message;
}

const booted = boot();
booted.catch((error) => postMessage({ kind: REPLY.fatal, message: `Python did not start: ${briefly(error)}` }));

async function loadData(announce) {
  if (announce) status("data", "Loading MNIST (60,000 digits, 10 MB)…");
  const [train, test] = await Promise.all([fetchOk("data/mnist-train.npz"), fetchOk("data/mnist-test.npz")]);
  return python("set_data", train, test);
}

// A task boundary without setTimeout's 4 ms clamp: messages that came during a chunk
// (stop, predict) are queued before this one, so they run first.
const channel = new MessageChannel();
function nextTask() {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** MNIST, loaded once (again after a failure) for training, fine-tuning and evaluating.
 * `announce`: say so on the status line (not for work done ahead, in the background). */
function ensureData(announce = true) {
  dataLoaded ??= loadData(announce).catch((error) => {
    dataLoaded = null;
    throw error;
  });
  return dataLoaded;
}

async function train({ settings }, report) {
  const prepared = python("prepare_training", settings); // bad settings fail here, before any download
  try {
    if (prepared.needs_data) await ensureData();
    const started = python("start_training");
    report({ started });
    if (started.stopped) return { progress: null, stopped: true };
    for (;;) {
      const progress = python("train_chunk", CHUNK_SECONDS);
      report({ progress });
      if (progress.done || progress.stopped) return { progress, stopped: progress.stopped };
      await nextTask();
    }
  } finally {
    python("end_run"); // after an error too; a no-op once the run has ended
  }
}

// Fine-tuning (pynn.teaching): the model in use is copied, so stopping is simply not going on.
let finetuneStop = false;

async function finetune({ settings }, report) {
  finetuneStop = false;
  await ensureData();
  if (finetuneStop) return { stopped: true, progress: null, result: null };
  const started = python("start_finetune", undefined, settings);
  report({ started });
  let progress = null;
  for (;;) {
    await nextTask(); // a Stop sent during the last chunk runs here
    if (finetuneStop) return { stopped: true, progress, result: null };
    progress = python("finetune_chunk", FINETUNE_CHUNK_SECONDS);
    if (progress.done) return { stopped: false, progress, result: progress.result };
    report({ progress });
  }
}

async function evaluate({ name }, report) {
  await ensureData();
  report({ progress: python("evaluate_start", name) });
  for (;;) {
    const progress = python("evaluate_chunk", CHUNK_SECONDS, MAX_MISTAKES);
    if (progress.done) return progress.result;
    report({ progress });
    await nextTask();
  }
}

// Once you start teaching it (a digit labelled or uploaded), what a fine-tune and an evaluation
// will read is computed ahead, between other work: a conv net's conv outputs on MNIST
// (pynn.teaching's warm_features), so that the fine-tune itself takes seconds.
let warming = null;

function warmAhead() {
  warming ??= (async () => {
    await ensureData(false);
    for (;;) {
      await nextTask(); // predictions and Stop go first
      const progress = python("warm_features", CHUNK_SECONDS);
      if (progress.done || progress.paused) return;
    }
  })()
    .catch(() => {}) // the fine-tune or evaluation that needs it reports any problem itself
    .finally(() => {
      warming = null;
    });
}

function teaching(value) {
  warmAhead();
  return value;
}

function testImages({ indices }) {
  const images = new Uint8Array(indices.length * 784);
  indices.forEach((index, i) => images.set(python("test_image", index), i * 784));
  return images;
}

// Test seam (driven only by testhooks.js): fail in each way a real worker can.
function crash({ kind }) {
  if (!CRASH_KINDS.includes(kind)) throw new Error(`unknown crash kind ${kind}`);
  if (kind === "error") setTimeout(() => { throw new Error("crash requested by a test hook"); });
  if (kind === "fatal") postMessage({ kind: REPLY.fatal, message: "The Python worker gave up (test hook)." });
  if (kind === "hang") for (;;); // eslint-disable-line no-empty
  return new Promise(() => {}); // never answered: the page's crash handling takes over
}

const handlers = {
  [REQUEST.boot]: () => booted,
  [REQUEST.predict]: ({ pixels, width, height }) => python("predict", pixels, width, height),
  [REQUEST.use]: ({ name }) => python("use", name),
  [REQUEST.loadModel]: ({ name, bytes }) => python("load_model", name, bytes),
  [REQUEST.modelJson]: ({ name }) => python("model_json", name),
  [REQUEST.hiddenUnits]: ({ name, count }) => python("hidden_units", name, count),
  [REQUEST.train]: train,
  [REQUEST.stop]: () => python("stop"),
  [REQUEST.memory]: () => ({ wasmHeapBytes: heapBytes() }),
  [REQUEST.crash]: crash,
  [REQUEST.labelDigit]: ({ pixels, width, height, label, strokes }) =>
    teaching(python("label_digit", pixels, width, height, label, strokes)),
  [REQUEST.digits]: () => python("digits_summary"),
  [REQUEST.removeDigit]: ({ index }) => python("remove_digit", index),
  [REQUEST.clearDigits]: () => python("clear_digits"),
  [REQUEST.digitsFile]: () => python("digits_file"),
  // `ahead`: the digits come from the user now (an upload), not from storage at start-up
  [REQUEST.loadDigits]: ({ bytes, replace, ahead }) => {
    const value = python("load_digits", bytes, replace);
    return ahead ? teaching(value) : value;
  },
  [REQUEST.finetune]: finetune,
  [REQUEST.stopFinetune]: () => {
    finetuneStop = true;
    return {};
  },
  [REQUEST.evaluate]: evaluate,
  [REQUEST.testImages]: testImages,
  [REQUEST.explain]: ({ pixels, width, height }) => python("explain", pixels, width, height),
};

function transferables(value) {
  const found = new Set();
  const visit = (item) => {
    if (ArrayBuffer.isView(item)) found.add(item.buffer);
    else if (item && typeof item === "object") Object.values(item).forEach(visit);
  };
  visit(value);
  return [...found];
}

self.addEventListener("message", async ({ data: { id, type, ...payload } }) => {
  const report = (value) => postMessage({ id, kind: REPLY.progress, value }, transferables(value));
  try {
    const handler = handlers[type];
    if (!handler) throw new Error(`unknown request ${type}`);
    if (type !== REQUEST.boot) await booted;
    const value = await handler(payload, report);
    postMessage({ id, kind: REPLY.result, value }, transferables(value));
  } catch (error) {
    postMessage({ id, kind: REPLY.error, error: { name: error.name, message: error.message, fields: error.fields } });
  }
});

self.addEventListener("unhandledrejection", (event) => {
  postMessage({ kind: REPLY.fatal, message: String(event.reason?.message ?? event.reason) });
});
