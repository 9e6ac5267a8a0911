// Wiring: the worker, the pad and prediction, the model and training panels, the status
// line, and window.pynnApp for tests and benchmarks.
import { DrawingPad } from "./canvas.js";
import { TrainingCharts } from "./charts.js";
import { ModelPanel } from "./models.js";
import { enableOffline } from "./offline.js";
import { Predictor } from "./predict.js";
import { SettingsForm } from "./settings.js";
import { TrainingPanel } from "./training.js";
import { bridge, workerCreatedAt } from "./start.js";
import { UNIT_COUNT, showHiddenUnits } from "./weights.js";

const $ = (id) => document.getElementById(id);

const timings = { workerCreated: workerCreatedAt };

function setStatus(state, text) {
  const status = $("status");
  status.dataset.state = state;
  $("status-text").textContent = text;
  $("restart").hidden = state !== "error";
}

const pad = new DrawingPad($("pad"), (kind) => predictor.padChanged(kind));
const predictor = new Predictor(pad, bridge, {
  prediction: $("prediction"), hint: $("prediction-hint"), preview: $("preview"),
  bars: $("probabilities"), announcer: $("announcer"),
});
$("clear").addEventListener("click", () => pad.clear());

async function showUnits(name, units, when = "") {
  try {
    const shown = units ?? await bridge.call("hiddenUnits", { name, count: UNIT_COUNT });
    showHiddenUnits($("units"), shown);
    const total = models.descriptions[name]?.sizes[1];
    const some = total > shown.count ? `, ${shown.count} of its ${total} units` : "";
    $("units-caption").textContent = `Showing ${name}${when}${some}.`;
  } catch (error) {
    if (error.name !== "WorkerCrash") $("units-caption").textContent = `Could not show the units: ${error.message}`;
  }
}

const models = new ModelPanel(bridge, {
  select: $("model-select"), info: $("model-info"), save: $("save-model"), download: $("download-model"),
  upload: $("upload-model"), note: $("model-note"), error: $("model-error"),
}, (name) => {
  predictor.request();
  if (!training.running) showUnits(name);
});

const settings = new SettingsForm($("train-form"));
const charts = new TrainingCharts($("cost-chart"), $("accuracy-chart"));
const training = new TrainingPanel(bridge, settings, charts, {
  start: $("train"), stop: $("stop"), progress: $("progress"), progressFill: $("progress-fill"),
  epoch: $("stat-epoch"), eta: $("stat-eta"), cost: $("stat-cost"), accuracy: $("accuracy"),
  elapsed: $("stat-elapsed"), message: $("train-message"),
}, {
  status: setStatus,
  started: (run, units) => {
    models.trainingStarted(run);
    showUnits("yours", units, " before training");
  },
  epochDone: (progress, units) => units && showUnits("yours", units, ` after epoch ${progress.epoch + 1}`),
  finished: (result) => models.trainingEnded(result.stopped),
});

bridge.addEventListener("status", ({ detail }) => {
  setStatus(training.running ? "training" : "loading", detail.message);
});

function setAvailable(available) {
  training.available = available;
  models.available = available;
}

function crashed(message) {
  predictor.disable();
  setAvailable(false);
  if (training.running) training.abandon();
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  setStatus("error", `${sentence} Press Restart to start Python again.`);
}

bridge.addEventListener("crash", ({ detail }) => crashed(detail.message));

$("restart").addEventListener("click", () => {
  bridge.restart();
  startApp();
  $("pad").focus();
});

let appReady;

/** Waits for Python, then brings the page into its ready state; run again after a restart.
 * The first start counts from navigation (performance.now()'s origin), a restart from the click. */
function startApp(startedAt = performance.now()) {
  setStatus("loading", "Starting Python…");
  setAvailable(false);
  appReady = (async () => {
    const { timings: worker, model } = await bridge.ready;
    await models.reset(model);
    const seconds = (performance.now() - startedAt) / 1000;
    const key = startedAt === 0 ? "navigationToReady" : "restartToReady";
    Object.assign(timings, { [key]: performance.now() - startedAt, worker, boot: worker.path });
    setStatus("ready", `Ready in ${seconds.toFixed(1)} s (${worker.summary}). Draw a digit!`);
    setAvailable(true);
    predictor.enable();
    showUnits(models.active);
  })();
  appReady.catch((error) => {
    if (!bridge.crashed) setStatus("error", `The page could not start: ${error.message}`);
  });
  return appReady;
}

startApp(0);
if (bridge.crashed) crashed(bridge.crashMessage); // before this module was there to hear it

// Offline support is set up after the first start, so that its downloads do not slow it.
const offlineReady = appReady.then(enableOffline);
offlineReady.catch(() => {}); // without a service worker the page still works online

window.pynnApp = {
  bridge,
  timings,
  offlineReady,
  get ready() {
    return appReady;
  },
  get lastPredictionMs() {
    return predictor.lastLatencyMs;
  },
};
