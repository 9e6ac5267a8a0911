// Your digits: Python holds them (pynn.page.teaching, validated by pynn.page.your_digits); this keeps a
// copy of their file here and in IndexedDB (storage.js), so they survive a reload and a worker
// restart. Without storage (private mode, a full disk, an open that never answers) they are
// kept in memory only, and `memoryOnly` says why. Dispatches "change" (detail: the summary).
import { loadDigitsFile, saveDigitsFile } from "./storage.js";

export class DigitsStore extends EventTarget {
  #file = null; // the last file Python gave, for restoring a restarted worker
  #saving = Promise.resolve();

  constructor(bridge) {
    super();
    this.bridge = bridge;
    this.summary = { count: 0, per_label: new Array(10).fill(0), digits: [] };
    this.memoryOnly = null; // null, or the reason storage is not used
  }

  /** After Python (re)starts: the digits from this page's copy, else from storage. Returns a
   * sentence for the user when something was not as expected, else "". */
  async restore() {
    let bytes = this.#file;
    if (!bytes && !this.memoryOnly) {
      try {
        bytes = await loadDigitsFile();
      } catch (error) {
        this.memoryOnly = error.message;
      }
    }
    if (bytes) {
      try {
        this.#changed(await this.bridge.call("load_digits", { data: bytes, replace: true }));
        this.#file = bytes;
      } catch (error) {
        if (error.name === "WorkerCrash") throw error;
        // Leave the stored copy as it is (nothing lost); new digits stay in memory.
        this.memoryOnly = `the stored digits could not be read (${error.message}); they are left as they were`;
      }
    } else {
      this.#changed(await this.bridge.call("digits_summary"));
    }
    return this.memoryOnly ? this.memoryNote() : "";
  }

  memoryNote() {
    return `Your digits are kept in memory only: ${this.memoryOnly}. They go when you leave this page; `
           + "download them to keep them.";
  }

  /** Labels the pad's drawing: Python's answer and a storage note ("" if all is well); throws
   * (with Python's message) if the drawing is blank or invalid. */
  async label(ink, label, strokes) {
    const added = await this.bridge.call("label_digit", { ...ink, label, strokes },
                                         { transfer: [ink.pixels.buffer] });
    const note = await this.#persistThenShow(await this.bridge.call("digits_summary"));
    return { ...added, note };
  }

  async remove(index) {
    return this.#persistThenShow(await this.bridge.call("remove_digit", { index }));
  }

  async clear() {
    return this.#persistThenShow(await this.bridge.call("clear_digits"));
  }

  /** Reads an uploaded file (validated in Python: on any error yours stay as they were). */
  async load(bytes, replace) {
    const request = { data: bytes, replace, ahead: true };
    return this.#persistThenShow(await this.bridge.call("load_digits", request, { transfer: [bytes.buffer] }));
  }

  /** Stored first, shown second: what the gallery shows survives a reload. */
  async #persistThenShow(summary) {
    const note = await this.#persist();
    this.#changed(summary);
    return note;
  }

  file() {
    return this.bridge.call("digits_file");
  }

  /** Keeps the file here and stores it; returns a note if storage just failed ("" if fine). */
  async #persist() {
    const bytes = await this.file();
    this.#file = bytes;
    if (this.memoryOnly) return "";
    const saving = this.#saving.then(() => saveDigitsFile(bytes)); // in order: the last save wins
    this.#saving = saving.catch(() => {});
    try {
      await saving;
      return "";
    } catch (error) {
      this.memoryOnly = error.message;
      return this.memoryNote();
    }
  }

  #changed(summary) {
    this.summary = summary;
    this.dispatchEvent(new CustomEvent("change", { detail: summary }));
  }
}
