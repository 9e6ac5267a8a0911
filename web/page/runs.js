// A training run or a fine-tune that outlives the page: its checkpoints (the worker sends one
// about every 10 s of work) are kept in IndexedDB, and after a reload or a crash the page
// offers to resume it, bit for bit where it was. A finished or stopped run's checkpoint is
// dropped, and so is one the user discards; one from another version of the page is refused
// with a word, never half-loaded. One run goes at a time, so one checkpoint is kept.
import { askToPersist, dropCheckpoint, loadCheckpoint, saveCheckpoint } from "./storage.js";

const FINETUNE = "finetune"; // a checkpoint record's kind (a training run's has none)

export class UnfinishedRun {
  #record = null; // the stored checkpoint on offer
  #kept = false; // the run under way has a checkpoint stored

  /** runs: {training, finetune}, the panels (each dispatches "starting", "checkpoint" and
   * "finished", and has start(record) and running); elements: offer, text, resume, discard,
   * message; version: a promise of this page's build (offline.js pageVersion). */
  constructor({ training, finetune }, elements, version) {
    Object.assign(this, { training, finetune, elements, version });
    for (const panel of [training, finetune]) {
      panel.addEventListener("starting", () => {
        this.#kept = false;
        this.#hide();
      });
      panel.addEventListener("checkpoint", ({ detail }) => this.#keep(detail));
      panel.addEventListener("finished", ({ detail }) => {
        if (!detail.abandoned) this.#drop(); // a crash keeps it: the run resumes after Restart
      });
    }
    elements.resume.addEventListener("click", () => {
      const record = this.#record;
      (record?.kind === FINETUNE ? this.finetune : this.training).start(record);
    });
    elements.discard.addEventListener("click", () => this.#drop());
  }

  /** Whether something would be lost by leaving now: a run with no checkpoint kept yet. */
  get unsaved() {
    return (this.training.running || this.finetune.running) && !this.#kept;
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
    const kept = `kept ${new Date(record.savedAt).toLocaleTimeString()}`;
    this.elements.text.textContent = record.kind === FINETUNE
      ? `A fine-tune did not finish (round ${record.round} of ${record.rounds}, ${kept}). Resume it where it was?`
      : `A ${record.settings.architecture === "conv" ? "conv net" : "network"} run did not finish (epoch `
        + `${record.epoch + 1} of ${record.epochs}, ${kept}). Resume it where it was?`;
    this.elements.offer.hidden = false;
  }

  async #keep(record) {
    try {
      await saveCheckpoint({ ...record, version: await this.version });
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
