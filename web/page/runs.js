// A training run that outlives the page: its checkpoints (the worker sends one about every
// 10 s of training) are kept in IndexedDB, and after a reload or a crash the page offers to
// resume it, bit for bit where it was. A finished or stopped run's checkpoint is dropped;
// one from another version of the page is refused with a word, never half-loaded.
import { askToPersist, dropCheckpoint, loadCheckpoint, saveCheckpoint } from "./storage.js";

export class UnfinishedRun {
  #record = null; // the stored checkpoint on offer
  #kept = false; // this run has a checkpoint stored

  /** elements: offer, text, resume, discard, message. training: the TrainingPanel;
   * version: a promise of this page's build (offline.js pageVersion). */
  constructor(training, elements, version) {
    Object.assign(this, { training, elements, version });
    training.addEventListener("starting", () => {
      this.#kept = false;
      this.#hide();
    });
    training.addEventListener("checkpoint", ({ detail }) => this.#keep(detail));
    training.addEventListener("finished", ({ detail }) => {
      if (!detail.abandoned) this.#drop(); // a crash keeps it: the run resumes after Restart
    });
    elements.resume.addEventListener("click", () => this.training.start(this.#record));
    elements.discard.addEventListener("click", () => this.#drop());
  }

  /** Whether something would be lost by leaving now: a run with no checkpoint kept yet. */
  get unsaved() {
    return this.training.running && !this.#kept;
  }

  /** After start-up: offer the stored run, if there is one this page can resume. */
  async offer() {
    let record;
    try {
      record = await loadCheckpoint();
    } catch {
      return; // no storage: nothing was kept either
    }
    if (!record) return;
    if (record.version !== (await this.version)) {
      this.#say("An unfinished run was kept by another version of this page, which cannot resume it; "
                + "it has been discarded.");
      this.#drop();
      return;
    }
    this.#record = record;
    const { settings, epoch, epochs } = record;
    this.elements.text.textContent = `A ${settings.architecture === "conv" ? "conv net" : "network"} run did not `
      + `finish (epoch ${epoch + 1} of ${epochs}, kept ${new Date(record.savedAt).toLocaleTimeString()}). `
      + "Resume it where it was?";
    this.elements.offer.hidden = false;
  }

  async #keep({ bytes, settings, charts, epoch, epochs }) {
    try {
      await saveCheckpoint({ bytes, settings, charts, epoch, epochs, version: await this.version });
      this.#kept = true;
      askToPersist();
    } catch (error) {
      this.#say(`This run's progress cannot be kept (${error.message}): a reload would lose it.`);
    }
  }

  #drop() {
    this.#record = null;
    this.#kept = false;
    this.#hide();
    dropCheckpoint().catch(() => {});
  }

  #hide() {
    this.elements.offer.hidden = true;
  }

  #say(text) {
    this.elements.message.textContent = text;
  }
}
