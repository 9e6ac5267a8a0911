// "How well does it read?": evaluates the model in use on MNIST's 10,000 test images in the
// worker (a job of its loop, with progress and Stop), then shows the accuracy, the confusion matrix, accuracy per
// digit and the test digits it gets wrong, most confident first; choosing one shows its
// probabilities. Dispatches "running" (detail: true/false).
import { announce, announceProgress } from "./announce.js";
import { renderConfusion } from "./confusion.js";
import { percent } from "./format.js";
import { imageCanvas, paintDigit, SIDE } from "./images.js";
import { JOB } from "../shared/protocol.js";

const count = (n) => n.toLocaleString("en");

export class EvaluatePanel extends EventTarget {
  #running = null; // the job under way: {result, stop}
  #available = false;

  /** elements: start, stop, progress, fill, accuracy, confusion, readout, perDigit, mistakes, detail.
   * activeModel: () → the name of the model in use. */
  constructor(bridge, elements, activeModel) {
    super();
    Object.assign(this, { bridge, elements, activeModel });
    elements.start.addEventListener("click", () => this.start());
    elements.stop.addEventListener("click", () => this.stop());
  }

  get running() {
    return this.#running !== null;
  }

  set available(available) {
    this.#available = available;
    if (!this.#running) this.elements.start.disabled = !available;
  }

  async start() {
    if (this.#running || !this.#available) return;
    const name = this.activeModel();
    const { accuracy, start, stop } = this.elements;
    start.disabled = true;
    stop.disabled = false;
    this.dispatchEvent(new CustomEvent("running", { detail: true }));
    accuracy.textContent = `Evaluating "${name}" on the 10,000 MNIST test images…`;
    announceProgress(accuracy.textContent, true);
    try {
      this.#running = this.bridge.job(JOB.evaluate, { name },
                                      { onProgress: ({ progress }) => progress && this.#progress(progress) });
      const { stopped, report, workers = 1 } = await this.#running.result;
      stop.disabled = true; // over: not a tab stop on the way to the results
      if (stopped) {
        accuracy.textContent = "Stopped: the evaluation did not finish, so there is nothing to show.";
        this.#progress({ evaluated: 0, total: 1 });
        return;
      }
      // The mistakes' images come first, so the results appear at once: a keyboard user who hears
      // the accuracy finds the matrix and the mistakes already in the tab order.
      const images = await this.#mistakeImages(report.mistakes);
      this.#progress({ evaluated: report.total, total: report.total });
      accuracy.dataset.model = name;
      accuracy.textContent = `"${name}" reads ${percent(report.accuracy)} of the ${count(report.total)} MNIST test `
        + `images correctly (${count(report.correct)} right, ${count(report.mistakes_total)} wrong; `
        + `${report.seconds.toFixed(2)} s ${workers > 1 ? `on ${workers} workers` : "in the worker"}).`;
      renderConfusion(this.elements.confusion, this.elements.readout, report.confusion);
      this.#perDigit(report.per_digit);
      this.#mistakes(report, images);
      announce(accuracy.textContent);
    } catch (error) {
      if (error.name !== "WorkerCrash") {
        accuracy.textContent = `The evaluation did not run: ${error.message}`;
        announce(accuracy.textContent);
      }
    } finally {
      this.#running = null;
      start.disabled = !this.#available;
      stop.disabled = true;
      this.dispatchEvent(new CustomEvent("running", { detail: false }));
    }
  }

  stop() {
    this.elements.stop.disabled = true;
    this.#running?.stop();
  }

  #progress({ evaluated, total }) {
    const fraction = total ? evaluated / total : 0;
    this.elements.fill.style.transform = `scaleX(${fraction})`;
    this.elements.progress.setAttribute("aria-valuenow", (fraction * 100).toFixed(0));
    if (evaluated < total) announceProgress(`Evaluating: ${Math.round(fraction * 100)}%`);
  }

  #perDigit(perDigit) {
    this.elements.perDigit.replaceChildren(...perDigit.map(({ digit, correct, count: n, accuracy }) => {
      const item = document.createElement("li");
      item.dataset.digit = String(digit);
      item.dataset.accuracy = accuracy == null ? "" : accuracy.toFixed(6);
      item.className = "bar";
      const track = Object.assign(document.createElement("span"), { className: "bar-track" });
      const fill = Object.assign(document.createElement("span"), { className: "bar-fill" });
      fill.style.transform = `scaleX(${accuracy ?? 0})`;
      track.append(fill);
      item.append(Object.assign(document.createElement("span"), { className: "bar-digit", textContent: digit }), track,
                  Object.assign(document.createElement("span"), { className: "bar-value wide",
                                                                  textContent: percent(accuracy) ?? "–" }));
      item.title = `${digit}: ${correct} of ${n} right`;
      item.setAttribute("aria-label", `${digit}: ${percent(accuracy) ?? "none"}, ${correct} of ${n} right`);
      return item;
    }));
  }

  async #mistakeImages(shown) {
    return shown.length ? this.bridge.call("test_images", { indices: shown.map((m) => m.index) }) : new Uint8Array();
  }

  #mistakes(report, images) {
    const { mistakes, detail } = this.elements;
    detail.replaceChildren();
    const shown = report.mistakes;
    mistakes.replaceChildren(...shown.map((mistake, i) => {
      const button = Object.assign(document.createElement("button"), { type: "button", className: "mistake" });
      Object.assign(button.dataset, { true: String(mistake.true), pred: String(mistake.predicted),
                                      index: String(mistake.index) });
      const sure = Math.round(mistake.confidence * 100);
      const pair = `${mistake.true} → ${mistake.predicted}`;
      // The name starts with what the button shows, so a person who says what they see can press it.
      button.setAttribute("aria-label", `${pair}: test image ${mistake.index}, a ${mistake.true} read as `
                                        + `${mistake.predicted}, ${sure}% sure`);
      const canvas = imageCanvas(`test image ${mistake.index}`);
      paintDigit(canvas, images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
      const caption = Object.assign(document.createElement("span"), { className: "mistake-caption",
                                                                      textContent: pair });
      button.append(canvas, caption);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => this.#detail(mistake, button));
      return button;
    }));
    const more = report.mistakes_total > shown.length
      ? ` (the ${shown.length} most confident of ${count(report.mistakes_total)})` : "";
    this.elements.mistakesCaption.textContent = shown.length
      ? `Wrong answers, most confident first${more}: true → read. Choose one to see its probabilities.`
      : "No wrong answers.";
  }

  #detail(mistake, button) {
    for (const other of this.elements.mistakes.children) other.setAttribute("aria-pressed", String(other === button));
    const title = Object.assign(document.createElement("p"), {
      textContent: `Test image ${mistake.index}: a ${mistake.true}, read as ${mistake.predicted}.` });
    const list = Object.assign(document.createElement("ol"), { className: "bars small" });
    list.setAttribute("aria-label", "Its probabilities");
    list.append(...mistake.probabilities.map((p, digit) => {
      const item = Object.assign(document.createElement("li"), { className: "bar" });
      item.dataset.digit = String(digit);
      item.dataset.p = p.toFixed(6);
      item.classList.toggle("best", digit === mistake.predicted);
      item.classList.toggle("truth", digit === mistake.true);
      const track = Object.assign(document.createElement("span"), { className: "bar-track" });
      const fill = Object.assign(document.createElement("span"), { className: "bar-fill" });
      fill.style.transform = `scaleX(${p})`;
      track.append(fill);
      item.append(Object.assign(document.createElement("span"), { className: "bar-digit", textContent: digit }), track,
                  Object.assign(document.createElement("span"), { className: "bar-value",
                                                                  textContent: `${(p * 100).toFixed(1)}%` }));
      return item;
    }));
    this.elements.detail.replaceChildren(title, list);
    const sure = (mistake.probabilities[mistake.predicted] * 100).toFixed(1);
    const truth = (mistake.probabilities[mistake.true] * 100).toFixed(1);
    announce(`${title.textContent} ${sure}% for ${mistake.predicted}, ${truth}% for ${mistake.true}.`);
  }
}
