// The model panel (select, Save, Download, Upload). Python validates what comes in and
// refuses to hand out a file it could not load back; storage.js keeps yours across visits.
import { CONFIG } from "./config.js";
import { megabytes, percent } from "./format.js";
import { MODEL, REQUEST } from "./protocol.js";
import { loadSavedModel, rememberedModel, saveModel } from "./storage.js";

export function downloadText(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file's bytes, or an Error with a message for the user when it cannot be a model. */
export async function readUpload(file) {
  const cap = CONFIG.max_upload_bytes;
  if (file.size > cap) {
    throw new Error(`it is ${megabytes(file.size)}; model files are capped at ${megabytes(cap)}.`);
  }
  if (file.size === 0) throw new Error("the file is empty.");
  return new Uint8Array(await file.arrayBuffer());
}

function describe({ summary, cost, meta }) {
  const parts = [summary, cost];
  const accuracy = percent(meta?.test_accuracy);
  if (accuracy) parts.push(`test accuracy ${accuracy}`);
  return parts.join(" · ");
}

/** The model select, Save, Download and Upload; Python holds the models themselves.
 * Dispatches "switch" (detail: the model's name) after the active model changes. */
export class ModelPanel extends EventTarget {
  #training = false;

  /** elements: select, info, save, download, upload, note, error. */
  constructor(bridge, elements) {
    super();
    Object.assign(this, { bridge, elements });
    this.descriptions = {};
    elements.select.addEventListener("change", () => this.use(elements.select.value, { remember: true }));
    elements.save.addEventListener("click", () => this.save());
    elements.download.addEventListener("click", () => this.download());
    elements.upload.addEventListener("change", () => this.upload());
  }

  /** Whether Python is up: switching and uploading need it (uploading, no run either). */
  set available(available) {
    this.elements.select.disabled = !available;
    this.elements.upload.disabled = !available || this.#training;
    if (this.#training) this.elements.save.disabled = true;
  }

  get active() {
    return this.elements.select.value;
  }

  /** After Python (re)starts: only the pretrained model, plus yours if one was saved. */
  async reset(pretrained) {
    this.descriptions = { [MODEL.pretrained]: pretrained };
    this.#setYoursOption(null);
    this.elements.select.value = MODEL.pretrained;
    this.#showInfo();
    let saved;
    try {
      saved = await loadSavedModel(MODEL.yours);
    } catch (error) {
      this.#note(`Saving is unavailable: ${error.message}. The page works without it.`);
    }
    if (saved) {
      try {
        this.descriptions.yours = await this.bridge.call(REQUEST.loadModel, { name: MODEL.yours, bytes: saved.json });
        this.#setYoursOption(`saved ${new Date(saved.savedAt).toLocaleDateString()}`);
        this.#note(`Your model, saved ${new Date(saved.savedAt).toLocaleString()}, is restored.`);
      } catch (error) {
        if (error.name === "WorkerCrash") throw error;
        this.#note(`Your saved model could not be restored: ${error.message}`);
      }
    }
    if (rememberedModel.get() === MODEL.yours && this.descriptions.yours) await this.use(MODEL.yours);
  }

  async use(name, { remember = false } = {}) {
    try {
      this.descriptions[name] = await this.bridge.call(REQUEST.use, { name });
      this.elements.select.value = name;
      if (remember) rememberedModel.set(name);
      this.#showInfo();
      this.dispatchEvent(new CustomEvent("switch", { detail: name }));
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(error.message);
    }
  }

  /** `run` is Session.start_training's answer: the new network's description. */
  trainingStarted({ model }) {
    this.#training = true;
    this.descriptions.yours = model;
    this.#setYoursOption("training…");
    this.#showInfo();
    this.available = !this.elements.select.disabled;
  }

  /** Training leaves a usable model whether it finished or was stopped; the user's choice of
   * model stays as it is. */
  async trainingEnded(stopped) {
    this.#training = false;
    this.available = !this.elements.select.disabled;
    if (!this.descriptions.yours) return; // the run never began
    this.#setYoursOption(stopped ? "stopped early" : "trained here");
    if (this.active === MODEL.yours) await this.use(MODEL.yours); // its description changed
  }

  async save() {
    try {
      const json = await this.bridge.call(REQUEST.modelJson, { name: MODEL.yours });
      await saveModel(MODEL.yours, json, this.descriptions.yours);
      this.#note(`Saved your model in this browser (${megabytes(json.length)}). It comes back on your next visit.`);
    } catch (error) {
      this.#error(`Could not save: ${error.message}`);
    }
  }

  async download() {
    const name = this.active;
    try {
      downloadText(`pynn-${name}.json`, await this.bridge.call(REQUEST.modelJson, { name }));
    } catch (error) {
      this.#error(`Could not download: ${error.message}`);
    }
  }

  async upload() {
    const input = this.elements.upload;
    const [file] = input.files;
    if (!file) return;
    this.#error("");
    try {
      const bytes = await readUpload(file);
      this.descriptions.yours = await this.bridge.call(REQUEST.loadModel, { name: MODEL.yours, bytes },
                                                       { transfer: [bytes.buffer] });
      this.#setYoursOption(`from ${file.name}`);
      await this.use(MODEL.yours);
      this.#note(`Loaded ${file.name} as your model.`);
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(`${file.name} was not loaded: ${error.message}`);
    } finally {
      input.value = "";
    }
  }

  #setYoursOption(origin) {
    const { select, save } = this.elements;
    let option = select.querySelector(`option[value="${MODEL.yours}"]`);
    if (origin === null) {
      option?.remove();
      save.disabled = true;
      return;
    }
    if (!option) {
      option = new Option(MODEL.yours, MODEL.yours);
      select.append(option);
    }
    option.textContent = `${MODEL.yours} (${origin})`;
    save.disabled = origin === "training…";
  }

  #showInfo() {
    const description = this.descriptions[this.active];
    this.elements.info.textContent = description ? describe(description) : "";
    this.elements.download.disabled = !description;
  }

  #note(text) {
    this.elements.note.textContent = text;
    if (text) this.elements.error.textContent = "";
  }

  #error(text) {
    this.elements.error.textContent = text;
    if (text) this.elements.note.textContent = "";
  }
}
