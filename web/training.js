// The training panel: Start and Stop, the run's progress, and its live charts. The loop
// itself runs in the worker; this side only shows each chunk's progress.
import { UNIT_COUNT } from "./weights.js";

function duration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export class TrainingPanel {
  #available = false;

  /**
   * elements: start, stop, progress, progressFill, epoch, eta, cost, accuracy, elapsed, message.
   * hooks: status(state, text), started(run, units), epochDone(progress, units), finished(result).
   */
  constructor(bridge, settings, charts, elements, hooks) {
    Object.assign(this, { bridge, settings, charts, elements, hooks });
    this.running = false;
    this.available = false;
    elements.start.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    elements.stop.addEventListener("click", () => this.stop());
  }

  /** Whether Python is up: Start waits for it. */
  set available(available) {
    this.#available = available;
    if (!this.running) this.elements.start.disabled = !available;
  }

  get available() {
    return this.#available;
  }

  async start() {
    if (this.running || !this.available) return;
    const { settings, errors } = this.settings.read();
    if (errors) {
      this.settings.showErrors(errors)?.focus();
      this.#message("Fix the highlighted settings first.");
      return;
    }
    this.settings.showErrors({});
    this.settings.writeHash(); // the run, repeatable from the address bar
    this.#setRunning(true);
    this.started = false;
    this.#message("");
    this.#clearProgress();
    this.hooks.status("training", "Preparing the training data…");
    try {
      const result = await this.bridge.call("train", { settings, unitCount: UNIT_COUNT },
                                            { onProgress: (report) => this.#report(report) });
      this.charts.flush();
      if (result.progress) this.#showProgress(result.progress, result.stopped);
      const summary = this.#summary(result);
      this.#message(summary);
      if (this.started) await this.hooks.finished(result);
      this.hooks.status("ready", summary);
    } catch (error) {
      if (error.name === "WorkerCrash") return; // the page's crash handler takes over
      if (this.started) await this.hooks.finished({ stopped: true });
      if (error.name === "SettingsError") {
        this.settings.showErrors(error.fields ?? {})?.focus();
        this.#message("Python rejected some settings: see the highlighted fields.");
      } else {
        this.#message(`Training failed: ${error.message}`);
      }
      this.hooks.status("ready", "Training did not run; see the training panel.");
    } finally {
      this.#setRunning(false);
    }
  }

  #summary({ progress, stopped }) {
    if (!progress) return "Stopped before training began.";
    if (stopped) return `Stopped in epoch ${progress.epoch + 1}; your model keeps what it learned so far.`;
    const accuracy = progress.accuracy ?? this.lastAccuracy;
    const epochs = `${progress.number_of_epochs} epoch${progress.number_of_epochs > 1 ? "s" : ""}`;
    const score = accuracy == null ? "" : `: test accuracy ${(accuracy * 100).toFixed(2)}%`;
    return `Trained ${epochs} in ${duration(progress.elapsed)}${score}.`;
  }

  async stop() {
    if (!this.running) return;
    this.elements.stop.disabled = true;
    this.elements.stop.textContent = "Stopping…";
    await this.bridge.call("stop").catch(() => {});
  }

  /** After a worker crash: the run is gone. */
  abandon() {
    this.#setRunning(false);
    this.#message("The run ended with the worker. Start again when Python is back.");
  }

  #setRunning(running) {
    this.running = running;
    const { start, stop } = this.elements;
    start.disabled = running || !this.available;
    stop.disabled = !running;
    stop.textContent = "Stop";
    this.settings.disabled = running;
  }

  #report({ started, progress, units }) {
    if (started) {
      this.started = true;
      this.lastAccuracy = null;
      this.charts.reset();
      this.hooks.started(started, units);
      this.hooks.status("training", `Training epoch 1 of ${started.epochs}…`);
      return;
    }
    this.charts.add(progress);
    this.#showProgress(progress, false);
    if (progress.epoch_done) {
      this.lastAccuracy = progress.accuracy;
      this.elements.accuracy.textContent = progress.accuracy.toFixed(4);
      this.hooks.epochDone(progress, units);
      if (!progress.done) this.hooks.status("training", `Training epoch ${progress.epoch + 2} of ${progress.number_of_epochs}…`);
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
    if (progress.cost !== null) this.elements.cost.textContent = progress.cost.toPrecision(4);
  }

  #message(text) {
    this.elements.message.textContent = text;
  }
}
