// The training panel: Start and Stop, the run's progress, and its live charts. The loop
// itself runs in the worker; this side shows each chunk's progress and tells the rest of the
// page what happens through events:
//   "status"   {state, text}        for the status line
//   "starting"                      Start was pressed with valid settings
//   "started"  run                  the train job's "started" report (the run has begun)
//   "checkpoint" {bytes, settings, charts}  the run's state, to resume it after a reload
//   "epoch"    progress             an epoch ended and its test accuracy is known
//   "finished" {stopped, byStop, began, abandoned}  the run is over: stopped early, by the Stop
//                                   button, whether a network was made at all, and whether it
//                                   ended with a crashed worker (its checkpoint is kept)
// Whether a run is going is `running`, here and nowhere else on the page. A screen reader
// hears the start, an epoch's accuracy now and then (announce.js), and the end.
import { announce, announceProgress } from "./announce.js";
import { CONFIG } from "./config.js";
import { duration } from "./format.js";
import { JOB } from "../shared/protocol.js";

export class TrainingPanel extends EventTarget {
  #available = false;
  #running = false;
  #began = false;
  #stopPressed = false;
  #job = null; // the run under way: {result, stop}
  #resumed = null; // the checkpoint record a resumed run started from
  #workers = 1; // how many workers share the run's steps (its "started" report says)

  /** elements: start, stop, progress, progressFill, epoch, eta, cost, accuracy, elapsed, message.
   * beforeRun: async () → whether the run may go ahead (the page may reload instead). */
  constructor(bridge, settings, charts, elements, { beforeRun = async () => true } = {}) {
    super();
    Object.assign(this, { bridge, settings, charts, elements, beforeRun });
    elements.start.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    elements.stop.addEventListener("click", () => this.stop());
  }

  get running() {
    return this.#running;
  }

  /** Whether Python is up: Start waits for it. */
  set available(available) {
    this.#available = available;
    if (!this.#running) this.elements.start.disabled = !available;
  }

  get available() {
    return this.#available;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #status(state, text) {
    this.#emit("status", { state, text });
  }

  /** Starts a run from the form, or resumes the run of checkpoint record `resume`
   * ({bytes, settings, charts}, as "checkpoint" gave it). */
  async start(resume = null) {
    if (this.#running || !this.available) return;
    let args;
    if (resume) {
      this.settings.show(resume.settings);
      args = { resume: resume.bytes };
    } else {
      const { settings, errors } = this.settings.read();
      if (errors) {
        this.settings.showErrors(errors)?.focus();
        this.#message("Fix the highlighted settings first.");
        return;
      }
      this.settings.writeHash(); // the run, repeatable from the address bar
      args = { settings };
    }
    this.settings.showErrors({});
    this.#setRunning(true);
    if (!(await this.beforeRun())) {
      this.#setRunning(false);
      return;
    }
    this.#began = false;
    this.#stopPressed = false;
    this.#resumed = resume;
    this.#emit("starting");
    this.#message("");
    this.#clearProgress();
    this.#status("training", resume ? "Resuming the unfinished run…" : "Preparing the training data…");
    let result = { progress: null, stopped: true };
    try {
      this.#job = this.bridge.job(JOB.train, args, {
        onProgress: (report) => this.#report(report),
        onCheckpoint: (bytes) => this.#emit("checkpoint", {
          bytes, settings: this.runSettings, charts: this.charts.series(),
          epoch: this.lastProgress?.epoch ?? 0, epochs: this.runSettings.epochs }),
      });
      result = await this.#job.result;
      this.elements.progress.dataset.poolShares = result.pool_shares ?? 0; // for tests and benchmarks
      this.charts.flush();
      if (result.progress) this.#showProgress(result.progress, result.stopped);
      const summary = this.#summary(result);
      this.#message(summary);
      this.#status("ready", summary);
    } catch (error) {
      if (error.name === "WorkerCrash") return; // the page's crash handler takes over
      if (error.name === "SettingsError") {
        this.settings.showErrors(error.fields ?? {})?.focus();
        this.#message("Python rejected some settings: see the highlighted fields.");
      } else {
        this.#message(`Training ${resume ? "could not resume" : "failed"}: ${error.message}`);
      }
      this.#status("ready", "Training did not run; see the training panel.");
    } finally {
      this.#job = null;
      this.#end(result.stopped); // unless abandon() ended the run already
    }
  }

  #summary({ progress, stopped }) {
    if (!progress) return "Stopped before training began.";
    if (stopped) return `Stopped in epoch ${progress.epoch + 1}; your model keeps what it learned so far.`;
    const accuracy = progress.accuracy ?? this.lastAccuracy;
    const epochs = `${progress.number_of_epochs} epoch${progress.number_of_epochs > 1 ? "s" : ""}`;
    const score = accuracy == null ? "" : `: test accuracy ${(accuracy * 100).toFixed(2)}%`;
    // Only a pinned Workers count shares a conv net's steps (on auto one worker measured faster): say which.
    const where = this.#workers > 1 ? `on ${this.#workers} workers` : "on one worker";
    return `Trained ${epochs} in ${duration(progress.elapsed)} ${where}${score}.`;
  }

  async stop() {
    if (!this.#running) return;
    this.elements.stop.disabled = true;
    this.elements.stop.textContent = "Stopping…";
    this.#stopPressed = true;
    await this.#job?.stop();
  }

  /** After a worker crash: the run is gone. */
  abandon() {
    if (!this.#running) return;
    this.#message("The run ended with the worker. After Restart you can resume it from where it was last kept.");
    this.#end(true, true);
  }

  #end(stopped, abandoned = false) {
    if (!this.#running) return;
    this.#setRunning(false);
    this.#emit("finished", { stopped, byStop: stopped && this.#stopPressed, began: this.#began, abandoned });
  }

  #setRunning(running) {
    this.#running = running;
    const { start, stop } = this.elements;
    start.disabled = running || !this.available;
    stop.disabled = !running;
    stop.textContent = "Stop";
    this.settings.disabled = running;
  }

  #report({ started, progress }) {
    if (started) {
      this.#began = true;
      this.runSettings = started.settings;
      this.#workers = started.workers;
      this.lastAccuracy = started.epochs_done.at(-1)?.accuracy ?? null;
      if (this.#resumed?.charts) this.charts.restore(this.#resumed.charts);
      else this.charts.reset();
      if (started.progress) this.#showProgress(started.progress, false);
      if (started.step_seconds > CONFIG.slow_step_seconds) {
        this.#message(`Each training step takes about ${duration(started.step_seconds)} here, so Stop and `
                      + "predictions wait up to that long.");
      }
      this.#emit("started", started);
      const epoch = (started.progress?.epoch ?? 0) + 1;
      this.#status("training", `${started.resumed ? "Resumed: training" : "Training"} epoch ${epoch} of ${started.epochs}…`);
      announceProgress(`Training ${started.resumed ? "resumed" : "started"}: ${started.epochs} epoch${started.epochs > 1 ? "s" : ""}.`, true);
      return;
    }
    this.lastProgress = progress;
    this.#showProgress(progress, false);
    if (progress.evaluated != null) {
      const images = `${progress.evaluated.toLocaleString("en")} test images`;
      this.#status("training", `Testing epoch ${progress.epoch + 1}: ${images} so far…`);
      return;
    }
    this.charts.add(progress);
    if (progress.epoch_done) {
      this.lastAccuracy = progress.accuracy;
      this.elements.accuracy.textContent = progress.accuracy.toFixed(4);
      this.#emit("epoch", progress);
      if (!progress.done) {
        announceProgress(`Epoch ${progress.epoch + 1} of ${progress.number_of_epochs} done: test accuracy `
                         + `${(progress.accuracy * 100).toFixed(2)}%.`);
      }
      if (!progress.done) this.#status("training", `Training epoch ${progress.epoch + 2} of ${progress.number_of_epochs}…`);
    }
  }

  #clearProgress() {
    const bar = this.elements.progress;
    for (const key of Object.keys(bar.dataset)) if (key !== "testid") delete bar.dataset[key];
    bar.dataset.done = "false";
    bar.setAttribute("aria-valuenow", "0");
    bar.removeAttribute("aria-valuetext");
    this.elements.progressFill.style.transform = "scaleX(0)";
    for (const name of ["epoch", "eta", "elapsed", "cost"]) this.elements[name].textContent = "–";
    this.elements.accuracy.textContent = "";
  }

  #showProgress(progress, stopped) {
    const { number_of_epochs: epochs, batches_per_epoch: perEpoch } = progress;
    const fraction = (progress.epoch * perEpoch + progress.batch) / (epochs * perEpoch);
    const bar = this.elements.progress;
    Object.assign(bar.dataset, {
      epoch: progress.epoch, epochs, batch: progress.batch, batchesPerEpoch: perEpoch,
      elapsed: progress.elapsed.toFixed(3), done: String(progress.done), stopped: String(stopped),
    });
    bar.setAttribute("aria-valuenow", (fraction * 100).toFixed(1));
    bar.setAttribute("aria-valuetext", `epoch ${progress.epoch + 1} of ${epochs}, ${Math.round(fraction * 100)}%`);
    this.elements.progressFill.style.transform = `scaleX(${fraction})`;
    this.elements.epoch.textContent = `${progress.epoch + 1} / ${epochs}`;
    this.elements.eta.textContent = progress.done || stopped ? "–" : duration(progress.eta);
    this.elements.elapsed.textContent = duration(progress.elapsed);
    if (progress.cost != null) this.elements.cost.textContent = progress.cost.toPrecision(4);
  }

  #message(text) {
    this.elements.message.textContent = text;
    announce(text);
  }
}
