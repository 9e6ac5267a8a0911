// "Why this answer": after each stroke, the worker explains the drawing (pynn.page.explain): a
// saliency map (how nudging each of the 28×28 input pixels would move the answer) painted
// over the input, and the weight tiles of "What the net learned" lit by how strongly each
// of those hidden units fires for it.
import { paintSigned } from "./images.js";
import { OneInFlight } from "./one_in_flight.js";

export class Explainer {
  #asking = new OneInFlight(() => this.request());

  /** elements: saliency (28×28 canvas), caption, units (the weight tiles' container),
   * unitsNote (a line under them). */
  constructor(pad, bridge, elements) {
    Object.assign(this, { pad, bridge, elements });
    this.enabled = false;
    this.#blank();
  }

  enable() {
    this.enabled = true;
    this.request();
  }

  disable() {
    this.enabled = false;
    this.#asking.forget();
  }

  /** The pad's "change" detail: explain when a stroke ends; forget on clear. */
  padChanged(kind) {
    if (kind === "clear") {
      this.#asking.forget();
      this.#blank();
    } else if (kind === "end") {
      this.request();
    }
  }

  request() {
    if (!this.enabled || this.pad.blank) return;
    this.#asking.run((isCurrent) => this.#send(isCurrent));
  }

  async #send(isCurrent) {
    const ink = this.pad.ink();
    try {
      const why = await this.bridge.call("explain", ink, { transfer: [ink.pixels.buffer] });
      if (isCurrent() && this.enabled) this.#show(why);
    } catch (error) {
      if (error.name !== "WorkerCrash" && isCurrent()) {
        this.elements.caption.textContent = `No explanation for this model: ${error.message}`;
      }
    }
  }

  #blank() {
    const { saliency, caption, units, unitsNote } = this.elements;
    saliency.getContext("2d").clearRect(0, 0, saliency.width, saliency.height);
    delete saliency.dataset.digit;
    caption.textContent = "Why: draw to see which pixels push it towards its answer";
    units.classList.remove("lit");
    unitsNote.textContent = "";
  }

  #show(why) {
    if (why.blank) {
      this.#blank();
      return;
    }
    const { saliency, caption } = this.elements;
    paintSigned(saliency, why.saliency_image, why.preview);
    saliency.dataset.digit = String(why.digit);
    caption.textContent = `Why ${why.digit}: orange pixels, inked more, would make it surer; blue, less sure`;
    this.#light(why.hidden);
  }

  /** Lights each weight tile by its unit's activation (relative to the strongest unit). */
  #light(hidden) {
    const { units, unitsNote } = this.elements;
    const tiles = [...units.children];
    if (!hidden || !tiles.length) {
      units.classList.remove("lit");
      unitsNote.textContent = hidden ? "" : "This model does not show its hidden units' activity.";
      return;
    }
    const peak = Math.max(1e-9, ...hidden);
    tiles.forEach((tile, i) => {
      const fire = (hidden[i] ?? 0) / peak;
      tile.style.setProperty("--fire", fire.toFixed(3));
      tile.dataset.fire = fire.toFixed(3);
      tile.title = `hidden unit ${i + 1}: fires ${hidden[i]?.toFixed(2) ?? "–"}`;
    });
    units.classList.add("lit");
    const strongest = tiles.map((_, i) => i).sort((a, b) => hidden[b] - hidden[a]).slice(0, 3)
      .map((i) => i + 1);
    unitsNote.textContent = `Lit by how strongly each unit fires for your drawing (strongest shown: `
      + `${strongest.join(", ")}).`;
  }
}
