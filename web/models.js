// The model panel (select, Save, Download, Upload) and where your model lives outside the
// worker: IndexedDB across visits, network2-style JSON files. Python validates what comes in.

const DATABASE = "pynn";
const STORE = "models";
// pynn.io caps model files at 50 MB too; checking here avoids reading a huge file at all.
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transaction(mode, action) {
  const database = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = database.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    database.close();
  }
}

/** Stores a model's JSON text under `name`, with when and what it was. */
export function saveModel(name, json, description) {
  const record = { json, savedAt: new Date().toISOString(), description };
  return transaction("readwrite", (store) => store.put(record, name));
}

/** The saved record {json, savedAt, description} for `name`, or undefined. */
export function loadSavedModel(name) {
  return transaction("readonly", (store) => store.get(name));
}

export function forgetModel(name) {
  return transaction("readwrite", (store) => store.delete(name));
}

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
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new Error(`${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; model files are capped at 50 MB.`);
  }
  if (file.size === 0) throw new Error(`${file.name} is empty.`);
  return new Uint8Array(await file.arrayBuffer());
}

const ACTIVE_KEY = "pynn.active-model";

// The last model chosen; storage may be unavailable (private modes), which only forgets it.
const remembered = {
  get: () => { try { return localStorage.getItem(ACTIVE_KEY); } catch { return null; } },
  set: (name) => { try { localStorage.setItem(ACTIVE_KEY, name); } catch { /* not remembered */ } },
};

function describe({ sizes, cost, meta }) {
  const parts = [sizes.join(" → "), cost];
  if (typeof meta?.test_accuracy === "number") parts.push(`test accuracy ${(meta.test_accuracy * 100).toFixed(2)}%`);
  return parts.join(" · ");
}

/** The model select, Save, Download and Upload; Python holds the models themselves. */
export class ModelPanel {
  /** elements: select, info, save, download, upload, note, error. `onSwitch(name)` after a switch. */
  constructor(bridge, elements, onSwitch) {
    Object.assign(this, { bridge, elements, onSwitch });
    this.descriptions = {};
    this.yoursOrigin = "";
    elements.select.addEventListener("change", () => this.use(elements.select.value, { remember: true }));
    elements.save.addEventListener("click", () => this.save());
    elements.download.addEventListener("click", () => this.download());
    elements.upload.addEventListener("change", () => this.upload());
  }

  /** Whether Python is up: switching and uploading need it. */
  set available(available) {
    this.elements.select.disabled = !available;
    this.elements.upload.disabled = !available;
  }

  get active() {
    return this.elements.select.value;
  }

  /** After Python (re)starts: only the pretrained model, plus yours if one was saved. */
  async reset(pretrained) {
    this.descriptions = { pretrained };
    this.#setYoursOption(null);
    this.elements.select.value = "pretrained";
    this.#showInfo();
    const saved = await loadSavedModel("yours").catch(() => undefined);
    if (saved) {
      try {
        this.descriptions.yours = await this.bridge.call("loadModel", { name: "yours", bytes: saved.json });
        this.#setYoursOption(`saved ${new Date(saved.savedAt).toLocaleDateString()}`);
        this.#note(`Your model, saved ${new Date(saved.savedAt).toLocaleString()}, is restored.`);
      } catch (error) {
        if (error.name === "WorkerCrash") throw error;
        this.#note(`Your saved model could not be restored: ${error.message}`);
      }
    }
    if (remembered.get() === "yours" && this.descriptions.yours) await this.use("yours");
  }

  async use(name, { remember = false } = {}) {
    try {
      this.descriptions[name] = await this.bridge.call("use", { name });
      this.elements.select.value = name;
      if (remember) remembered.set(name);
      this.#showInfo();
      this.onSwitch(name);
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(error.message);
    }
  }

  /** `run` is Session.start_training's answer: the new network's settings. */
  trainingStarted({ settings }) {
    this.descriptions.yours = { sizes: [784, ...settings.hidden, 10], cost: settings.cost, meta: {} };
    this.#setYoursOption("training…");
    this.#showInfo();
    this.elements.upload.disabled = true;
    this.elements.save.disabled = true;
  }

  /** Training leaves a usable model whether it finished or was stopped. */
  async trainingEnded(stopped) {
    this.elements.upload.disabled = false;
    this.#setYoursOption(stopped ? "stopped early" : "trained here");
    await this.use("yours");
  }

  async save() {
    try {
      const json = await this.bridge.call("modelJson", { name: "yours" });
      await saveModel("yours", json, this.descriptions.yours);
      this.#note(`Saved your model in this browser (${(json.length / 1e6).toFixed(1)} MB). It comes back on your next visit.`);
    } catch (error) {
      this.#error(`Could not save: ${error.message}`);
    }
  }

  async download() {
    const name = this.active;
    try {
      downloadText(`pynn-${name}.json`, await this.bridge.call("modelJson", { name }));
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
      this.descriptions.yours = await this.bridge.call("loadModel", { name: "yours", bytes },
                                                       { transfer: [bytes.buffer] });
      this.#setYoursOption(`from ${file.name}`);
      await this.use("yours");
      this.#note(`Loaded ${file.name} as your model.`);
    } catch (error) {
      if (error.name !== "WorkerCrash") this.#error(`${file.name} was not loaded: ${error.message}`);
    } finally {
      input.value = "";
    }
  }

  #setYoursOption(origin) {
    const { select, save } = this.elements;
    let option = select.querySelector('option[value="yours"]');
    if (origin === null) {
      option?.remove();
      save.disabled = true;
      return;
    }
    if (!option) {
      option = new Option("yours", "yours");
      select.append(option);
    }
    option.textContent = `yours (${origin})`;
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
