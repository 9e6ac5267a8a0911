// Teaching it your handwriting, the page's side: ten "it's a …" buttons (and keys 0–9 on the
// pad) that label the current drawing, the gallery of your digits with delete, clear-all
// (with undo) and the digits file's download and upload. The digits themselves: yourdigits.js.
import { announce } from "./announce.js";
import { CONFIG } from "./config.js";
import { describeCounts, renderGallery } from "./gallery.js";
import { megabytes } from "./format.js";
import { downloadText } from "./models.js";

const CAPS = CONFIG.teach.your_digits;
const DECIMALS = 1e4; // pynn.page.your_digits writes strokes with four decimals

/** The pad's strokes within pynn.page.your_digits' caps: extra strokes are dropped and long ones
 * thinned evenly (the 28×28 pixels, not the strokes, are what the network learns from). */
export function cappedStrokes(strokes) {
  const kept = strokes.slice(0, CAPS.max_strokes);
  const total = kept.reduce((sum, stroke) => sum + stroke.length, 0);
  const step = Math.max(1, Math.ceil(total / CAPS.max_points));
  return kept.map((stroke) => stroke.filter((_, i) => i % step === 0 || i === stroke.length - 1)
    .map(([x, y]) => [Math.round(x * DECIMALS) / DECIMALS, Math.round(y * DECIMALS) / DECIMALS]))
    .filter((stroke) => stroke.length);
}

export class TeachPanel {
  #available = false;
  #undo = null; // the file before the last clear-all

  /** elements: buttons, message, gallery, counts, clearAll, undo, download, upload. */
  constructor(pad, store, elements) {
    Object.assign(this, { pad, store, elements });
    this.buttons = Array.from({ length: 10 }, (_, digit) => {
      const button = Object.assign(document.createElement("button"), {
        type: "button", className: "button label-button", textContent: `it's a ${digit}`, disabled: true,
      });
      button.dataset.digit = String(digit);
      button.addEventListener("click", () => this.label(digit));
      return button;
    });
    elements.buttons.replaceChildren(...this.buttons);
    pad.canvas.addEventListener("keydown", (event) => {
      if (/^[0-9]$/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        this.label(Number(event.key));
      }
    });
    store.addEventListener("change", ({ detail }) => this.#show(detail));
    elements.clearAll.addEventListener("click", () => this.clearAll());
    elements.undo.addEventListener("click", () => this.undoClear());
    elements.download.addEventListener("click", () => this.download());
    elements.upload.addEventListener("change", () => this.upload());
    this.#show(store.summary);
  }

  set available(available) {
    this.#available = available;
    for (const button of this.buttons) button.disabled = !available;
    this.elements.upload.disabled = !available;
    this.#show(this.store.summary);
  }

  message(text, isError = false) {
    this.elements.message.textContent = text;
    this.elements.message.classList.toggle("error", isError);
    announce(text);
  }

  async label(digit) {
    if (!this.#available) {
      this.message("Wait until Python is ready, then label your drawing.", true);
      return;
    }
    try {
      const added = await this.store.label(this.pad.ink(), digit, cappedStrokes(this.pad.strokes()));
      const same = added.per_label[digit];
      this.message(added.note || `Added as a ${digit} (${same} of that digit, ${added.count} in all). `
                   + "Clear the pad and draw the next one.", Boolean(added.note));
    } catch (error) {
      if (error.name === "BlankImageError") this.message("The pad is blank: draw a digit first, then label it.", true);
      else if (error.name !== "WorkerCrash") this.message(`Not added: ${error.message}`, true);
    }
  }

  async remove(index) {
    try {
      const note = await this.store.remove(index);
      this.message(note || "Deleted.", Boolean(note));
      const deletes = this.elements.gallery.querySelectorAll(".your-digit-delete");
      (deletes[Math.min(index, deletes.length - 1)] ?? this.elements.clearAll).focus();
    } catch (error) {
      if (error.name !== "WorkerCrash") this.message(`Could not delete: ${error.message}`, true);
    }
  }

  async clearAll() {
    const count = this.store.summary.count;
    try {
      const before = await this.store.file();
      const note = await this.store.clear();
      this.#undo = before;
      this.elements.undo.hidden = false;
      this.message(note || `Cleared ${count} digit${count === 1 ? "" : "s"}. Undo brings them back.`, Boolean(note));
    } catch (error) {
      if (error.name !== "WorkerCrash") this.message(`Could not clear: ${error.message}`, true);
    }
  }

  async undoClear() {
    if (!this.#undo) return;
    try {
      const note = await this.store.load(this.#undo, false);
      this.#undo = null;
      this.elements.undo.hidden = true;
      this.message(note || "Your digits are back.", Boolean(note));
    } catch (error) {
      if (error.name !== "WorkerCrash") this.message(`Could not undo: ${error.message}`, true);
    }
  }

  async download() {
    try {
      downloadText("pynn-your-digits.json", await this.store.file());
    } catch (error) {
      if (error.name !== "WorkerCrash") this.message(`Could not download: ${error.message}`, true);
    }
  }

  /** Adds the digits of an uploaded file to yours; a bad file changes nothing. */
  async upload() {
    const input = this.elements.upload;
    const [file] = input.files;
    if (!file) return;
    try {
      if (file.size > CAPS.max_bytes) {
        throw new Error(`it is ${megabytes(file.size)}; digits files are capped at ${megabytes(CAPS.max_bytes)}.`);
      }
      if (file.size === 0) throw new Error("the file is empty.");
      const before = this.store.summary.count;
      const note = await this.store.load(new Uint8Array(await file.arrayBuffer()), false);
      const added = this.store.summary.count - before;
      this.message(note || `Added ${added} digit${added === 1 ? "" : "s"} from ${file.name}.`, Boolean(note));
    } catch (error) {
      if (error.name !== "WorkerCrash") {
        this.message(`${file.name} was not loaded, and your digits are as they were: ${error.message}`, true);
      }
    } finally {
      input.value = "";
    }
  }

  #show(summary) {
    renderGallery(this.elements.gallery, summary, (index) => this.remove(index));
    this.elements.counts.textContent = describeCounts(summary);
    this.elements.clearAll.disabled = !this.#available || summary.count === 0;
    this.elements.download.disabled = !this.#available || summary.count === 0;
  }
}
