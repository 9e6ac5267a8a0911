// Live prediction: sends the pad's ink to the worker at most once per frame with one
// request in flight, and shows the digit, the 28×28 input and the ten probabilities. The
// answer is announced once per stroke (the one for its pointer-up), not at every frame.
import { announce } from "./announce.js";
import { OneInFlight } from "./one_in_flight.js";

const SIDE = 28;

export class Predictor {
  #asking = new OneInFlight(() => this.request());
  #frame = 0;
  #pointerUpAt = null;

  /** `elements`: prediction, hint, preview (canvas), bars (container). */
  constructor(pad, bridge, elements) {
    this.pad = pad;
    this.bridge = bridge;
    this.elements = elements;
    this.enabled = false;
    this.lastLatencyMs = null;
    this.bars = this.#makeBars(elements.bars);
    this.#showBlank();
  }

  /** Starts predicting (once Python is ready), at once if something is drawn already. */
  enable() {
    this.enabled = true;
    this.#pointerUpAt = null; // a stroke drawn while loading is no measure of latency
    this.request();
  }

  disable() {
    this.enabled = false;
    this.#asking.forget();
  }

  /** Called by the pad: "draw" while a stroke grows, "end" on pointer-up, "clear". */
  padChanged(kind) {
    if (kind === "clear") {
      this.#asking.forget();
      this.#showBlank();
      return;
    }
    if (kind === "end") {
      this.#pointerUpAt = performance.now();
      this.request();
    } else {
      if (!this.#frame) {
        this.#frame = requestAnimationFrame(() => {
          this.#frame = 0;
          this.request();
        });
      }
    }
  }

  /** Predicts the current ink now (or right after the request in flight). */
  request() {
    if (!this.enabled) return;
    this.#asking.run((isCurrent) => this.#send(isCurrent));
  }

  async #send(isCurrent) {
    if (this.pad.blank) {
      this.#showBlank();
      return;
    }
    const measuredFrom = this.#pointerUpAt;
    this.#pointerUpAt = null;
    const ink = this.pad.ink();
    try {
      const result = await this.bridge.call("predict", ink, { transfer: [ink.pixels.buffer] });
      if (isCurrent() && this.enabled) this.#show(result, measuredFrom);
    } catch {
      // A crash is reported by the bridge's "crash" event; the next stroke asks again.
    }
  }

  #makeBars(container) {
    container.replaceChildren();
    return Array.from({ length: 10 }, (_, digit) => {
      const item = document.createElement("li");
      item.dataset.digit = String(digit);
      item.className = "bar";
      const label = Object.assign(document.createElement("span"), { className: "bar-digit", textContent: digit });
      const track = Object.assign(document.createElement("span"), { className: "bar-track" });
      const fill = Object.assign(document.createElement("span"), { className: "bar-fill" });
      const value = Object.assign(document.createElement("span"), { className: "bar-value" });
      track.append(fill);
      item.append(label, track, value);
      container.append(item);
      return { item, fill, value };
    });
  }

  #setBars(probabilities, best) {
    this.bars.forEach(({ item, fill, value }, digit) => {
      const p = probabilities[digit];
      item.dataset.p = p.toFixed(6);
      item.classList.toggle("best", digit === best);
      item.setAttribute("aria-label", `${digit}: ${(p * 100).toFixed(1)} percent`);
      fill.style.transform = `scaleX(${p})`;
      value.textContent = `${Math.round(p * 100)}%`;
    });
  }

  #showBlank() {
    const { prediction, hint, preview } = this.elements;
    prediction.textContent = "";
    prediction.classList.remove("shown");
    hint.hidden = false;
    this.#setBars(new Array(10).fill(0), -1);
    preview.getContext("2d").clearRect(0, 0, SIDE, SIDE);
  }

  #show(result, measuredFrom) {
    if (result.blank) {
      this.#showBlank();
      return;
    }
    const { prediction, hint, preview } = this.elements;
    prediction.textContent = String(result.digit);
    prediction.classList.add("shown");
    hint.hidden = true;
    this.#setBars(result.probabilities, result.digit);
    const image = new ImageData(SIDE, SIDE);
    result.preview.forEach((value, i) => {
      image.data.fill(255, 4 * i, 4 * i + 3);
      image.data[4 * i + 3] = value;
    });
    preview.getContext("2d").putImageData(image, 0, 0);
    if (measuredFrom !== null) {
      this.lastLatencyMs = Math.round((performance.now() - measuredFrom) * 10) / 10;
      prediction.dataset.latencyMs = String(this.lastLatencyMs);
      const sure = Math.round(result.probabilities[result.digit] * 100);
      announce(`The network reads ${result.digit} (${sure}% sure).`);
    }
  }
}
