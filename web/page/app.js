// Wiring: every part is made first, then connected by events, so state flows one way: the
// pad → prediction and explanation; the model panel → prediction, explanation and the weight
// images; the training and fine-tune panels → the model panel, the weight images and the
// status line; the worker → the status line. The status line is not a live region: what a
// screen reader should hear of it (ready, a crash) is said through announce.js, and each panel
// says its own results.
import { announce } from "./announce.js";
import { Bridge } from "./bridge.js";
import { DrawingPad } from "./canvas.js";
import { TrainingCharts } from "./charts.js";
import { EvaluatePanel } from "./evaluate.js";
import { Explainer } from "./explain.js";
import { FineTunePanel } from "./finetune.js";
import { LatestModel } from "./latest.js";
import { ModelPanel } from "./models.js";
import { enableOffline, keepsOwnVersion, pageVersion } from "./offline.js";
import { bindWorkersSetting } from "./pool_size.js";
import { Predictor } from "./predict.js";
import { CONFIG } from "./config.js";
import { MODEL, STAGE, checkModelNames } from "../shared/protocol.js";
import { UnfinishedRun } from "./runs.js";
import { SettingsForm } from "./settings.js";
import { openStorageEarly } from "./storage.js";
import { adoptWorker, workerCreatedAt, workerURL } from "./start.js";
import { TeachPanel } from "./teach.js";
import { TrainingPanel } from "./training.js";
import { UnitsPanel } from "./weights.js";
import { Workers } from "./workers.js";
import { DigitsStore } from "./yourdigits.js";

checkModelNames(CONFIG);

const $ = (id) => document.getElementById(id);
const timings = { workerCreated: workerCreatedAt, origin: performance.timeOrigin };

let settled = { state: "loading", text: "" }; // what the page is doing, under passing stages

/** The status line; a `passing` stage (data loading) gives way to what was there before. */
function setStatus(state, text, { passing = false } = {}) {
  if (!passing) settled = { state, text };
  const status = $("status");
  status.dataset.state = state;
  $("status-text").textContent = text;
  $("restart").hidden = state !== "error";
}

/** Before a lazy load (a fresh worker, MNIST): if the server or service worker now has another
 * build, reload into it (the settings live in the address) rather than mix two builds. */
async function reloadIfStale() {
  if (await keepsOwnVersion()) return true;
  setStatus("loading", "This page was updated on the server; reloading to use the new version…");
  location.reload();
  return false;
}

// --- the parts

const bridge = new Bridge(workerURL, { adopted: adoptWorker() }); // the main worker, started by start.js

// The panels speak to the workers through one door: the main worker, and a prediction worker
// beside it while heavy work goes on (workers.js).
const workers = new Workers(bridge, workerURL);
bindWorkersSetting($("workers"), $("workers-message"), workers.pool);
const pad = new DrawingPad($("pad"));
const predictor = new Predictor(pad, workers, {
  prediction: $("prediction"), hint: $("prediction-hint"), preview: $("preview"),
  bars: $("probabilities"),
});
const models = new ModelPanel(workers, {
  select: $("model-select"), info: $("model-info"), save: $("save-model"), download: $("download-model"),
  downloadOnnx: $("download-onnx"), downloadPython: $("download-python"),
  upload: $("upload-model"), note: $("model-note"), error: $("model-error"),
});
const latest = new LatestModel(workers, models);
const units = new UnitsPanel(workers, $("units"), $("units-caption"), $("units-what"));
const training = new TrainingPanel(workers, new SettingsForm($("train-form")),
                                   new TrainingCharts($("cost-chart"), $("accuracy-chart")), {
  start: $("train"), stop: $("stop"), progress: $("progress"), progressFill: $("progress-fill"),
  epoch: $("stat-epoch"), eta: $("stat-eta"), cost: $("stat-cost"), accuracy: $("accuracy"),
  elapsed: $("stat-elapsed"), message: $("train-message"),
}, { beforeRun: reloadIfStale });

const digits = new DigitsStore(workers);
const teach = new TeachPanel(pad, digits, {
  buttons: $("label-buttons"), message: $("label-message"), gallery: $("your-digits"), counts: $("digit-counts"),
  clearAll: $("clear-digits"), undo: $("undo-clear"), download: $("download-digits"), upload: $("upload-digits"),
});
const finetune = new FineTunePanel(workers, digits, {
  form: $("finetune-form"), start: $("fine-tune"), stop: $("stop-finetune"), progress: $("finetune-progress"),
  fill: $("finetune-fill"), message: $("finetune-message"), result: $("finetune-result"), notes: $("finetune-notes"),
}, async () => {
  await models.adoptFinetuned();
  latest.keep(MODEL.finetuned); // not awaited: it says itself if it cannot keep it
});
const unfinished = new UnfinishedRun({ training, finetune }, {
  offer: $("resume-offer"), text: $("resume-text"), resume: $("resume"), discard: $("discard-run"),
  message: $("train-message"),
}, pageVersion);
const evaluation = new EvaluatePanel(workers, {
  start: $("evaluate"), stop: $("stop-evaluate"), progress: $("evaluate-progress"), fill: $("evaluate-fill"), accuracy: $("test-accuracy"),
  confusion: $("confusion"), readout: $("confusion-readout"), perDigit: $("per-digit-accuracy"),
  mistakes: $("mistakes"), mistakesCaption: $("mistakes-caption"), detail: $("mistake-detail"),
}, () => models.active);
const explainer = new Explainer(pad, workers, {
  saliency: $("saliency"), caption: $("saliency-caption"), units: $("units"), unitsNote: $("units-note"),
});

const firstHidden = (name) => models.descriptions[name]?.sizes[1];

// --- how they are connected

pad.addEventListener("change", ({ detail }) => {
  predictor.padChanged(detail);
  explainer.padChanged(detail);
});
$("clear").addEventListener("click", () => pad.clear());

models.addEventListener("switch", ({ detail: name }) => {
  predictor.request();
  explainer.request();
  if (!training.running) units.show(name, firstHidden(name));
});

training.addEventListener("status", ({ detail }) => setStatus(detail.state, detail.text));
finetune.addEventListener("status", ({ detail }) => setStatus(detail.state, detail.text));
finetune.addEventListener("running", () => setAvailable(pythonUp));
training.addEventListener("starting", () => setAvailable(pythonUp));
training.addEventListener("starting", () => delete $("status").dataset.stopped);
training.addEventListener("started", ({ detail: run }) => {
  models.trainingStarted(run);
  units.show(MODEL.yours, firstHidden(MODEL.yours), " before training");
});
training.addEventListener("epoch", ({ detail: progress }) => {
  units.show(MODEL.yours, firstHidden(MODEL.yours), ` after epoch ${progress.epoch + 1}`);
});
training.addEventListener("finished", ({ detail }) => {
  if (detail.byStop) $("status").dataset.stopped = "true";
  const ended = models.trainingEnded(detail.stopped);
  setAvailable(pythonUp);
  if (detail.began && !detail.abandoned) ended.then(() => latest.keep(MODEL.yours));
});

bridge.addEventListener("status", ({ detail }) => {
  if (detail.stage === STAGE.dataLoaded) setStatus(settled.state, settled.text);
  else setStatus(training.running || finetune.running ? "training" : "loading", detail.message, { passing: true });
});

// Leaving now would lose work that nothing keeps: a run or a fine-tune not yet checkpointed.
addEventListener("beforeunload", (event) => {
  if (unfinished.unsaved) event.preventDefault();
});

let pythonUp = false;

/** Whether Python is up; one run at a time (a training run or a fine-tune). */
function setAvailable(available) {
  pythonUp = available;
  training.available = available && !finetune.running;
  models.available = available && !finetune.running;
  teach.available = available;
  finetune.available = available && !training.running;
  evaluation.available = available;
}

function crashed(message) {
  predictor.disable();
  explainer.disable();
  setAvailable(false);
  training.abandon();
  finetune.abandon();
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  setStatus("error", `${sentence} Press Restart to start Python again.`);
  announce($("status-text").textContent);
}

bridge.addEventListener("crash", ({ detail }) => crashed(detail.message));

$("restart").addEventListener("click", async () => {
  if (!(await reloadIfStale())) return;
  bridge.restart();
  startApp();
  $("pad").focus();
});

// --- start

let appReady;

/** Waits for Python, then brings the page into its ready state; run again after a restart.
 * The first start counts from navigation (performance.now()'s origin), a restart from the click. */
function startApp(startedAt = performance.now()) {
  setStatus("loading", "Starting Python…");
  setAvailable(false);
  openStorageEarly();
  appReady = (async () => {
    const { timings: worker, model } = await bridge.ready;
    timings.pythonUp ??= performance.now(); // the first start's: from navigation
    const digitsRestored = digits.restore(); // alongside the models: neither waits for the other
    digitsRestored.catch(() => {}); // awaited below
    await models.reset(model);
    await latest.restore();
    const storageNote = await digitsRestored;
    if (storageNote) teach.message(storageNote, true);
    const seconds = (performance.now() - startedAt) / 1000;
    const key = startedAt === 0 ? "navigationToReady" : "restartToReady";
    Object.assign(timings, { [key]: performance.now() - startedAt, worker });
    setStatus("ready", `Ready in ${seconds.toFixed(1)} s (${worker.summary}). Draw a digit!`);
    announce("Ready. Draw a digit!");
    setAvailable(true);
    predictor.enable();
    explainer.enable();
    units.show(models.active, firstHidden(models.active));
    await unfinished.offer();
  })();
  appReady.catch((error) => {
    if (bridge.crashed) return;
    setStatus("error", `The page could not start: ${error.message}`);
    announce($("status-text").textContent);
  });
  return appReady;
}

startApp(0);
if (bridge.crashed) crashed(bridge.crashMessage); // before this module was there to hear it

// Offline support is set up after the first start, so that its downloads do not slow it.
const offlineReady = appReady.then(enableOffline);
offlineReady.catch(() => {}); // without a service worker the page still works online

// A test build (build.py --test-seams) ships web/testing/: the seam tests and benchmarks drive.
if (CONFIG.test_seams) {
  import("../testing/testhooks.js").then(({ installTestHooks }) =>
    installTestHooks({ bridge, workers, timings, offlineReady, ready: () => appReady, predictor }));
}
