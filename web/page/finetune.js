// Fine-tuning, the page's side: its settings (pynn.page.settings.FINETUNE_FIELDS from config.json),
// Fine-tune and Stop, progress, and the before → after result with its notes. The run is in
// the worker (a chunk loop); the model in use is never touched, and a finished run's model
// is handed to `adopt` (the model panel makes it "yours (fine-tuned)" and uses it).
// Dispatches "status" {state, text}, "running" (detail: true/false), and, as the training panel
// does for runs.js, "starting", "checkpoint" {kind, bytes, round, rounds} (about every 10 s) and
// "finished" {abandoned}. Its fields are read and checked as the training form's are (settings.js).
import { announce, announceProgress } from "./announce.js";
import { CONFIG } from "./config.js";
import { duration, percent } from "./format.js";
import { JOB } from "../shared/protocol.js";
import { parse, setUpField, showFieldError } from "./settings.js";

const FIELDS = CONFIG.teach.finetune_fields;
const PHASES = { before: "measuring before", training: "training", after: "measuring after", done: "done" };

function buildField(field) {
  const wrap = Object.assign(document.createElement("div"), { className: "field" });
  const id = `finetune-${field.name}`;
  const label = Object.assign(document.createElement("label"), { htmlFor: id, textContent: field.label });
  const input = document.createElement(field.kind === "choice" ? "select" : "input");
  Object.assign(input, { id, name: field.name });
  const error = Object.assign(document.createElement("p"), { className: "field-error", id: `${id}-error` });
  wrap.append(label, input, error);
  setUpField(field, input, error);
  if (field.kind !== "choice") {
    input.value = field.default ?? "";
    input.placeholder = field.default == null ? "model's own" : String(field.default);
  }
  return wrap;
}

function score(measure) {
  if (!measure || measure.accuracy == null) return "–";
  return `${percent(measure.accuracy)} (${measure.correct}/${measure.total})`;
}

export class FineTunePanel extends EventTarget {
  #running = false;
  #job = null; // the job under way: {result, stop}
  #available = false;

  /** elements: form, start, stop, progress, fill, message, result, notes. store: yourdigits.js;
   * adopt: async (name) → makes the fine-tuned model the one in use. */
  constructor(bridge, store, elements, adopt) {
    super();
    Object.assign(this, { bridge, store, elements, adopt });
    elements.form.replaceChildren(...FIELDS.map(buildField));
    elements.form.addEventListener("input", ({ target }) => {
      const field = FIELDS.find((each) => each.name === target.name);
      if (field) showFieldError(target, elements.form.querySelector(`#${target.id}-error`), parse(field, target).error);
    });
    elements.start.addEventListener("click", () => this.start());
    elements.stop.addEventListener("click", () => this.stop());
  }

  get running() {
    return this.#running;
  }

  /** Whether it may start: Python is up and no training run is going. */
  set available(available) {
    this.#available = available;
    if (!this.#running) this.elements.start.disabled = !available;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** {settings} by Python name (a field left empty that may be is left out), or {errors}. */
  #read() {
    const settings = {};
    const errors = {};
    for (const field of FIELDS) {
      const { value, error } = parse(field, this.elements.form.elements[field.name]);
      if (error) errors[field.name] = error;
      else if (value !== null) settings[field.name] = value;
    }
    return Object.keys(errors).length ? { errors } : { settings };
  }

  /** Shows messages by field name; focuses the first bad field (opening the settings). */
  #showErrors(fields = {}) {
    const { form } = this.elements;
    for (const field of FIELDS) {
      showFieldError(form.elements[field.name], form.querySelector(`#finetune-${field.name}-error`), fields[field.name]);
    }
    const first = FIELDS.find((field) => fields[field.name]);
    if (first) {
      form.closest("details")?.setAttribute("open", "");
      form.elements[first.name].focus();
    }
  }

  /** Shows `text`; a screen reader hears it and then `more` (what the page shows in a table). */
  #message(text, more = "") {
    this.elements.message.textContent = text;
    announce(more ? `${text} ${more}` : text);
  }

  /** Starts a fine-tune from the form, or resumes the one of checkpoint record `resume`
   * (as "checkpoint" gave it: it carries its own digits and settings). */
  async start(resume = null) {
    if (this.#running || !this.#available) return;
    const { message } = this.elements;
    let args;
    if (resume) {
      args = { resume: resume.bytes };
    } else {
      if (!this.store.summary.count) {
        this.#message("You have no digits to fine-tune on yet: draw a digit, press its \"it's a …\" "
          + "button, and repeat (two or more of each digit, so some can be held out to test on).");
        return;
      }
      const { settings, errors } = this.#read();
      this.#showErrors(errors);
      if (errors) {
        this.#message("Fix the highlighted fine-tune settings first.");
        return;
      }
      args = { settings };
    }
    this.#setRunning(true);
    this.#emit("starting");
    this.elements.result.replaceChildren();
    this.elements.notes.replaceChildren();
    message.textContent = "";
    message.classList.remove("warning");
    this.#emit("status", { state: "training", text: resume ? "Resuming the unfinished fine-tune…"
                                                           : "Fine-tuning: loading MNIST to mix in…" });
    let crashed = false;
    let progress = null;
    try {
      this.#job = this.bridge.job(JOB.finetune, args, {
        onProgress: (report) => {
          progress = report.progress ?? report.started.progress ?? progress;
          this.#report(report);
        },
        onCheckpoint: (bytes) => this.#emit("checkpoint", { kind: JOB.finetune, bytes, round: progress?.round ?? 1,
                                                            rounds: progress?.rounds ?? 1 }),
      });
      const outcome = await this.#job.result;
      if (outcome.stopped) {
        this.#message("Stopped. The model in use is as it was.");
      } else {
        await this.adopt();
        this.#showResult(outcome.result);
        const { worse, reasons } = outcome.result.verdict;
        const warning = worse ? ` It made the model worse: ${reasons.join("; ")}. Choose "pretrained" above to `
          + "go back to the model you had, and try a lower learning rate η." : "";
        this.elements.message.classList.toggle("warning", worse);
        this.#message(`Fine-tuned in ${duration(outcome.result.seconds)}: "yours (fine-tuned)" is now in use.${warning}`,
                      this.#spokenResult(outcome.result));
      }
    } catch (error) {
      crashed = error.name === "WorkerCrash"; // the page's crash handler says so and offers Restart
      if (error.name === "SettingsError") this.#showErrors(error.fields);
      const reason = error.name === "SettingsError" ? "see the highlighted settings." : error.message;
      if (!crashed) this.#message(`Fine-tuning ${resume ? "could not resume" : "did not run"}: ${reason}`);
    } finally {
      this.#job = null;
      if (this.#running) {
        this.#setRunning(false);
        this.#emit("finished", { abandoned: crashed });
      }
      if (!crashed) this.#emit("status", { state: "ready", text: message.textContent || "Ready." });
    }
  }

  stop() {
    if (!this.#running) return;
    this.elements.stop.disabled = true;
    this.#job?.stop();
  }

  /** After a worker crash: the run is gone (its checkpoint, if one was kept, is not). */
  abandon() {
    if (!this.#running) return;
    this.#setRunning(false);
    this.#emit("finished", { abandoned: true });
  }

  #setRunning(running) {
    this.#running = running;
    this.elements.start.disabled = running || !this.#available;
    this.elements.stop.disabled = !running;
    for (const input of this.elements.form.elements) input.disabled = running;
    this.#emit("running", running);
  }

  #report({ started, progress }) {
    if (started) {
      const held = started.held_out ? `, ${started.held_out} held out to test on` : "";
      this.elements.message.textContent = `${started.resumed ? "Resumed: f" : "F"}ine-tuning a copy of "${started.base}" on ${started.trained_on} of `
        + `your digits${held}, mixed with MNIST.`;
      announceProgress(this.elements.message.textContent, true);
      this.elements.notes.replaceChildren(...started.notes.map((note) => Object.assign(document.createElement("li"),
                                                                                       { textContent: note })));
      return;
    }
    const fraction = progress.total_batches ? progress.batches / progress.total_batches : 0;
    this.elements.fill.style.transform = `scaleX(${fraction})`;
    this.elements.progress.setAttribute("aria-valuenow", (fraction * 100).toFixed(0));
    const text = `Fine-tuning: round ${progress.round} of ${progress.rounds}, ${PHASES[progress.phase]}…`;
    this.elements.progress.setAttribute("aria-valuetext", text);
    this.#emit("status", { state: "training", text });
    announceProgress(text);
  }

  /** The before → after table in a sentence, for a screen reader. */
  #spokenResult({ before, after }) {
    const parts = [["your held-out digits", "yours_held_out"], ["MNIST test", "mnist_test"]]
      .filter(([, key]) => before[key]?.accuracy != null && after[key]?.accuracy != null)
      .map(([name, key]) => `${name} ${percent(before[key].accuracy)} → ${percent(after[key].accuracy)}`);
    return parts.length ? `Accuracy before → after: ${parts.join(", ")}.` : "";
  }

  #showResult(result) {
    const { before, after } = result;
    const rows = [["Your held-out digits", "yours_held_out"], ["Your digits it trained on", "yours_trained"],
                  ["MNIST test", "mnist_test"]];
    const table = document.createElement("table");
    table.className = "before-after";
    table.createCaption().textContent = "Accuracy before → after";
    for (const [name, key] of rows) {
      const row = table.insertRow();
      row.dataset.measure = key;
      row.insertCell().textContent = name;
      row.insertCell().textContent = score(before[key]);
      row.insertCell().textContent = "→";
      row.insertCell().textContent = score(after[key]);
    }
    this.elements.result.replaceChildren(table);
    this.elements.notes.replaceChildren(...result.notes.map((note) => Object.assign(document.createElement("li"),
                                                                                    { textContent: note })));
    this.elements.fill.style.transform = "scaleX(1)";
  }
}
