// The Python side of the page: Pyodide, numpy and pynn.browser.Session, in a module worker.
//
// Protocol (see bridge.js for the other side):
//   page → worker  {id, type, ...payload}
//   worker → page  {id, kind: "result", value}            the request is answered
//                  {id, kind: "error", error: {name, message, fields?}}
//                  {id, kind: "progress", value}          a step of a long request ("train")
//                  {kind: "status", stage, message}       boot and data-loading stages
//                  {kind: "fatal", message}               the worker cannot go on
import { bootPython, describeBoot } from "./boot.js";

const here = (path) => new URL(path, import.meta.url).href;

// One Python entry point, so that Python errors come back as plain data
// (SettingsError.fields included) instead of a JS exception holding only text.
const GLUE = `
from pyodide.ffi import JsBuffer, JsProxy
from pynn.browser import Session
from pynn.settings import SettingsError

session = Session()

def python_value(arg):
    if isinstance(arg, JsBuffer):
        return arg.to_bytes()
    return arg.to_py() if isinstance(arg, JsProxy) else arg

def call(method, *args):
    args = [python_value(arg) for arg in args]
    try:
        return {"ok": True, "value": getattr(session, method)(*args)}
    except SettingsError as error:
        return {"ok": False, "name": "SettingsError", "message": str(error), "fields": error.fields}
    except Exception as error:
        return {"ok": False, "name": type(error).__name__, "message": str(error) or type(error).__name__}
`;

class PythonCallError extends Error {
  constructor({ name, message, fields }) {
    super(message);
    this.name = name;
    this.fields = fields;
  }
}

const status = (stage, message) => postMessage({ kind: "status", stage, message });
const since = (start) => Math.round(performance.now() - start);

let callPython = null;
let wasmMemory = null;
let dataLoaded = null;
let stopRequested = false;
let training = false;

function call(method, ...args) {
  const proxy = callPython(method, ...args);
  try {
    const reply = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    if (!reply.ok) throw new PythonCallError(reply);
    return reply.value;
  } finally {
    proxy.destroy();
  }
}

async function fetchOk(path, as) {
  const response = await fetch(here(path));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return as === "text" ? response.text() : new Uint8Array(await response.arrayBuffer());
}

async function boot() {
  const { pyodide, timings, modelBytes } = await bootPython(status);
  pyodide.runPython(GLUE);
  callPython = pyodide.globals.get("call");
  wasmMemory = () => pyodide._module?.HEAPU8?.byteLength ?? null; // private API: for benchmarks only
  status("model", "Loading the pretrained model…");
  const start = performance.now();
  const model = call("load_model", "pretrained", modelBytes);
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
booted.catch((error) => postMessage({ kind: "fatal", message: `Python did not start: ${briefly(error)}` }));

async function loadData() {
  status("data", "Loading MNIST (60,000 digits, 10 MB)…");
  const [train, test] = await Promise.all([fetchOk("data/mnist-train.npz"), fetchOk("data/mnist-test.npz")]);
  return call("set_data", train, test);
}

function hiddenUnits(name, count) {
  const units = call("hidden_units", name, count);
  return { count: units.count, pixels: units.pixels };
}

async function train({ settings, unitCount }, report) {
  if (training) throw new Error("a training run is already going");
  training = true;
  stopRequested = false;
  try {
    dataLoaded ??= loadData().catch((error) => {
      dataLoaded = null;
      throw error;
    });
    await dataLoaded;
    if (stopRequested) return { progress: null, stopped: true };
    const run = call("start_training", settings);
    report({ started: run, units: hiddenUnits("yours", unitCount) });
    for (;;) {
      const progress = call("train_chunk", 0.2);
      const units = progress.epoch_done ? hiddenUnits("yours", unitCount) : null;
      report({ progress, units });
      if (progress.done || stopRequested) return { progress, stopped: !progress.done };
      // Let "stop" and "predict" messages in between chunks.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    training = false;
  }
}

const handlers = {
  boot: () => booted,
  predict: ({ pixels, width, height }) => call("predict", pixels, width, height),
  use: ({ name }) => call("use", name),
  loadModel: ({ name, bytes }) => {
    if (training && name === "yours") throw new Error("wait for training to finish before replacing your model");
    return call("load_model", name, bytes);
  },
  modelJson: ({ name }) => call("model_json", name),
  hiddenUnits: ({ name, count }) => hiddenUnits(name, count),
  train,
  memory: () => ({ wasmHeapBytes: wasmMemory() }),
  stop: () => {
    stopRequested = true;
    return { training };
  },
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
  const report = (value) => postMessage({ id, kind: "progress", value }, transferables(value));
  try {
    const handler = handlers[type];
    if (!handler) throw new Error(`unknown request ${type}`);
    if (type !== "boot" && type !== "stop") await booted;
    const value = await handler(payload, report);
    postMessage({ id, kind: "result", value }, transferables(value));
  } catch (error) {
    postMessage({ id, kind: "error", error: { name: error.name, message: error.message, fields: error.fields } });
  }
});

self.addEventListener("unhandledrejection", (event) => {
  postMessage({ kind: "fatal", message: String(event.reason?.message ?? event.reason) });
});
