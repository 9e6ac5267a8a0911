// The model panel (select, Save, Download, Upload). Python validates what comes in and
// refuses to hand out a file it could not load back; storage.js keeps yours across visits.
import { announce } from "./announce.js";
import { CONFIG } from "./config.js";
import { megabytes, percent } from "./format.js";
import { MODEL } from "../shared/protocol.js";
import { loadSavedModel, rememberedModel, saveModel } from "./storage.js";

export function downloadText(filename, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
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

// How each model is named in the select (the fine-tuned one keeps its label as it is saved).
const OPTION_LABEL = { [MODEL.pretrained]: "pretrained", [MODEL.yours]: "yours",
                       [MODEL.finetuned]: "yours (fine-tuned)" };
const SPOKEN = { [MODEL.yours]: "your model", [MODEL.finetuned]: "your fine-tuned model" };
const capital = (text) => text[0].toUpperCase() + text.slice(1);
// Download's other forms: [file extension, MIME type, name in messages]
const FILE_FORMS = { onnx: ["onnx", "application/octet-stream", "ONNX"],
                     python: ["py", "text/x-python", "Python"] };

function describe({ summary, cost, meta }) {
  const parts = [summary, cost];
  const accuracy = percent(meta?.test_accuracy);
  if (accuracy) parts.push(`test accuracy ${accuracy}`);
  return parts.join(" · ");
}

/** The model select, Save, Download and Upload; Python holds the models themselves.
 * Dispatches "switch" (detail: the model's name) after the active model changes, and "saved"
 * (detail: its name) after Save kept one. */
export class ModelPanel extends EventTarget {
  #training = false;
  #yoursTraining = false;

  /** elements: select, info, save, download, downloadOnnx, downloadPython, upload, note, error. */
  constructor(bridge, elements) {
    super();
    Object.assign(this, { bridge, elements });
    this.descriptions = {};
    elements.select.addEventListener("change", () => this.use(elements.select.value, { remember: true }));
    elements.save.addEventListener("click", () => this.save());
    elements.download.addEventListener("click", () => this.download());
    elements.downloadOnnx.addEventListener("click", () => this.downloadAs("onnx"));
    elements.downloadPython.addEventListener("click", () => this.downloadAs("python"));
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

  /** After Python (re)starts: only the pretrained model, plus yours (and your fine-tuned one)
   * if saved. */
  async reset(pretrained) {
    this.descriptions = { [MODEL.pretrained]: pretrained };
    this.#setOption(MODEL.yours, null);
    this.#setOption(MODEL.finetuned, null);
    this.elements.select.value = MODEL.pretrained;
    this.#showInfo();
    for (const name of [MODEL.yours, MODEL.finetuned]) {
      let saved;
      try {
        saved = await loadSavedModel(name);
      } catch (error) {
        this.#note(`Saving is unavailable: ${error.message}. The page works without it.`);
        break;
      }
      if (!saved) continue;
      try {
        this.descriptions[name] = await this.bridge.call("load_model", { name, data: saved.json });
        this.#setOption(name, `saved ${new Date(saved.savedAt).toLocaleDateString()}`);
        this.#note(`${capital(SPOKEN[name])}, saved ${new Date(saved.savedAt).toLocaleString()}, is restored.`);
      } catch (error) {
        if (error.name === "WorkerCrash") throw error;
        this.#note(`${capital(SPOKEN[name])}, saved earlier, could not be restored: ${error.message}`);
      }
    }
    const remembered = rememberedModel.get();
    if (remembered !== MODEL.pretrained && this.descriptions[remembered]) await this.use(remembered);
  }

  /** A finished fine-tune: "yours (fine-tuned)" is in Python now; show it and use it. */
  async adoptFinetuned() {
    this.#setOption(MODEL.finetuned, "");
    await this.use(MODEL.finetuned, { remember: true });
  }

  async use(name, { remember = false } = {}) {
    try {
      this.descriptions[name] = await this.bridge.call("use", { name });
      this.elements.select.value = name;
      if (remember) rememberedModel.set(name);
      this.#showInfo();
      this.dispatchEvent(new CustomEvent("switch", { detail: name }));
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(error.message);
    }
  }

  /** A model of yours kept without Save (latest.js) and loaded into Python again: offer it,
   * marked unsaved (its option's data-unsaved) until Save keeps it for good. */
  restoreUnsaved(name, description, when) {
    this.descriptions[name] = description;
    this.#setOption(name, `unsaved, from ${when}`);
    this.elements.select.querySelector(`option[value="${name}"]`).dataset.unsaved = "true";
  }

  /** Says, as an error, what the user should know about keeping their models. */
  warn(text) {
    this.#error(text);
  }

  /** `run` is Session.start_training's answer: the new network's description. */
  trainingStarted({ model }) {
    this.#training = true;
    this.descriptions.yours = model;
    this.#setOption(MODEL.yours, "training…");
    this.#showInfo();
    this.available = !this.elements.select.disabled;
  }

  /** Training leaves a usable model whether it finished or was stopped; the user's choice of
   * model stays as it is. */
  async trainingEnded(stopped) {
    this.#training = false;
    this.available = !this.elements.select.disabled;
    if (!this.descriptions.yours) return; // the run never began
    this.#setOption(MODEL.yours, stopped ? "stopped early" : "trained here");
    if (this.active === MODEL.yours) await this.use(MODEL.yours); // its description changed
  }

  /** Saves the model in use if it is one of yours, else your trained one. */
  async save() {
    const name = this.active === MODEL.pretrained || !this.descriptions[this.active] ? MODEL.yours : this.active;
    try {
      const json = await this.bridge.call("model_json", { name });
      await saveModel(name, json, this.descriptions[name]);
      const option = this.elements.select.querySelector(`option[value="${name}"]`);
      if (option?.dataset.unsaved) {
        delete option.dataset.unsaved;
        this.#setOption(name, `saved ${new Date().toLocaleDateString()}`);
      }
      this.dispatchEvent(new CustomEvent("saved", { detail: name }));
      this.#note(`Saved ${SPOKEN[name]} in this browser (${megabytes(json.length)}). It comes back on your `
                 + "next visit.");
    } catch (error) {
      this.#error(`Could not save: ${error.message}`);
    }
  }

  async download() {
    const name = this.active;
    try {
      downloadText(`pynn-${name}.json`, await this.bridge.call("model_json", { name }));
    } catch (error) {
      this.#error(`Could not download: ${error.message}`);
    }
  }

  /** The model in use as ONNX (the first time, the worker loads ONNX's packages) or as one Python
   * file needing only numpy; the button keeps how long the file took (data-export-ms). */
  async downloadAs(form) {
    const name = this.active;
    const button = form === "onnx" ? this.elements.downloadOnnx : this.elements.downloadPython;
    const [extension, type, what] = FILE_FORMS[form];
    try {
      const start = performance.now();
      const data = await this.bridge.call("model_file", { name, form });
      button.dataset.exportMs = String(Math.round(performance.now() - start));
      downloadText(`pynn-${name}.${extension}`, data, type);
      const size = typeof data === "string" ? new Blob([data]).size : data.byteLength;
      this.#note(`Downloaded the ${name} model as ${what} (${megabytes(size)}).`);
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(`Could not download as ${what}: ${error.message}`);
    }
  }

  async upload() {
    const input = this.elements.upload;
    const [file] = input.files;
    if (!file) return;
    this.#error("");
    try {
      const bytes = await readUpload(file);
      this.descriptions.yours = await this.bridge.call("load_model", { name: MODEL.yours, data: bytes },
                                                       { transfer: [bytes.buffer] });
      this.#setOption(MODEL.yours, `from ${file.name}`);
      await this.use(MODEL.yours);
      this.#note(`Loaded ${file.name} as your model.`);
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(`${file.name} was not loaded: ${error.message}`);
    } finally {
      input.value = "";
    }
  }

  /** Adds, relabels (origin: a note in brackets, "" for none) or, with origin null, removes
   * one of your models' options; Save is for your models, once they are not training. */
  #setOption(name, origin) {
    const { select, save } = this.elements;
    let option = select.querySelector(`option[value="${name}"]`);
    if (origin === null) {
      option?.remove();
    } else {
      if (!option) {
        option = new Option(OPTION_LABEL[name], name);
        select.append(option);
      }
      option.textContent = origin ? `${OPTION_LABEL[name]} (${origin})` : OPTION_LABEL[name];
      if (name === MODEL.yours) this.#yoursTraining = origin === "training…";
    }
    const savable = [MODEL.yours, MODEL.finetuned].some((each) => select.querySelector(`option[value="${each}"]`));
    save.disabled = !savable || this.#yoursTraining;
  }

  #showInfo() {
    const description = this.descriptions[this.active];
    this.elements.info.textContent = description ? describe(description) : "";
    for (const button of [this.elements.download, this.elements.downloadOnnx, this.elements.downloadPython]) {
      button.disabled = !description;
    }
  }

  #note(text) {
    this.elements.note.textContent = text;
    if (text) this.elements.error.textContent = "";
    announce(text);
  }

  #error(text) {
    this.elements.error.textContent = text;
    if (text) this.elements.note.textContent = "";
    announce(text);
  }
}
