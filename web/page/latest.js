// Your latest model, kept without Save: when a training run ends (finished or stopped) or a
// fine-tune finishes, its model goes to IndexedDB as "the latest unsaved model", replacing the
// one before, so that a reload or a crashed tab does not lose it. After a reload the page
// loads it back and offers it in the model select, marked unsaved; Save still names and keeps
// one for good (and then the unsaved copy is no longer needed).
import { askToPersist, dropLatestModel, loadLatestModel, loadSavedModel, rememberedModel,
         saveLatestModel } from "./storage.js";

const SPOKEN = { yours: "your model", finetuned: "your fine-tuned model" };

export class LatestModel {
  /** bridge: the workers (Session calls); models: the ModelPanel. */
  constructor(bridge, models) {
    Object.assign(this, { bridge, models });
    models.addEventListener("saved", ({ detail: name }) => this.#saved(name));
  }

  /** Keeps model `name` (in Python now) as the latest unsaved one. A full disk keeps the one
   * before whole, and says so. */
  async keep(name) {
    try {
      const bytes = await this.bridge.call("model_file", { name, form: "npz" });
      await saveLatestModel({ name, bytes });
      askToPersist();
    } catch (error) {
      if (error.name === "WorkerCrash") return;
      this.models.warn(`${SPOKEN[name][0].toUpperCase()}${SPOKEN[name].slice(1)} could not be kept for your `
                       + `next visit (${error.message}): press Save or Download to keep it.`);
    }
  }

  /** After start-up: load the latest unsaved model back, unless a Save of that name is newer. */
  async restore() {
    let record;
    try {
      record = await loadLatestModel();
      const saved = record && await loadSavedModel(record.name);
      if (!record || (saved && saved.savedAt >= record.savedAt)) return;
    } catch {
      return; // no storage: nothing was kept either
    }
    const when = new Date(record.savedAt).toLocaleString();
    try {
      const description = await this.bridge.call("load_model", { name: record.name, data: record.bytes });
      this.models.restoreUnsaved(record.name, description, when);
      if (rememberedModel.get() === record.name) await this.models.use(record.name);
    } catch (error) {
      if (error.name === "WorkerCrash") throw error;
      this.models.warn(`${SPOKEN[record.name]} from ${when}, not saved, could not be restored: ${error.message}`);
      dropLatestModel().catch(() => {});
    }
  }

  async #saved(name) {
    try {
      if ((await loadLatestModel())?.name === name) await dropLatestModel();
    } catch {
      // the unsaved copy stays; the saved one is newer and wins on the next visit
    }
  }
}
