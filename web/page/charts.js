// Live training charts (uPlot): running cost per chunk and test accuracy per epoch.
import uPlot from "../vendor/uPlot.esm.js";

// Redrawing at most this often, and only a chart with new points, keeps the main thread's
// tasks short while training.
const REDRAW_MS = 400;
const HEIGHT = 170;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function makeChart(container, label, colour, { points = false, format = (v) => v } = {}) {
  const text = cssVar("--muted");
  const grid = cssVar("--grid");
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 },
                 font: "11px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif" };
  const options = {
    width: Math.max(200, container.clientWidth),
    height: HEIGHT,
    scales: { x: { time: false } },
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    axes: [
      { ...axis, label: "epoch", labelSize: 18, size: 30 },
      { ...axis, label, labelSize: 18, size: 52, values: (u, values) => values.map(format) },
    ],
    series: [
      {},
      { label, stroke: colour, width: 2, fill: `${colour}22`, points: { show: points, size: 6, fill: colour } },
    ],
  };
  return new uPlot(options, [[], []], container);
}

export class TrainingCharts {
  #timer = 0;
  #dirty = new Set();

  constructor(costContainer, accuracyContainer) {
    this.cost = { x: [], y: [] };
    this.accuracy = { x: [], y: [] };
    this.costChart = makeChart(costContainer, "cost", cssVar("--accent"), { format: (v) => +v.toPrecision(3) });
    this.accuracyChart = makeChart(accuracyContainer, "test accuracy", cssVar("--blue"),
                                   { points: true, format: (v) => `${+(v * 100).toFixed(1)}%` });
    const observer = new ResizeObserver(() => {
      for (const [chart, container] of [[this.costChart, costContainer], [this.accuracyChart, accuracyContainer]]) {
        const width = Math.max(200, container.clientWidth);
        if (width !== chart.width) chart.setSize({ width, height: HEIGHT });
      }
    });
    observer.observe(costContainer);
    observer.observe(accuracyContainer);
  }

  reset() {
    this.cost = { x: [], y: [] };
    this.accuracy = { x: [], y: [] };
    this.#dirty.add("cost").add("accuracy");
    this.#schedule(0); // in a task of its own, not in the one that starts the run
  }

  /** The points drawn so far, to be given back to `restore` (a resumed run's charts). */
  series() {
    return { cost: this.cost, accuracy: this.accuracy };
  }

  restore({ cost, accuracy }) {
    this.cost = { x: [...cost.x], y: [...cost.y] };
    this.accuracy = { x: [...accuracy.x], y: [...accuracy.y] };
    this.#dirty.add("cost").add("accuracy");
    this.#schedule(0);
  }

  add(progress) {
    if (progress.cost != null) {
      this.cost.x.push(progress.epoch + progress.batch / progress.batches_per_epoch);
      this.cost.y.push(progress.cost);
      this.#dirty.add("cost");
    }
    if (progress.epoch_done && progress.accuracy != null) {
      this.accuracy.x.push(progress.epoch + 1);
      this.accuracy.y.push(progress.accuracy);
      this.#dirty.add("accuracy");
    }
    this.#schedule(REDRAW_MS);
  }

  /** Draws what has come so far now (at the end of a run). */
  flush() {
    clearTimeout(this.#timer);
    this.#timer = 0;
    while (this.#dirty.size) this.#drawOne();
  }

  #schedule(ms) {
    this.#timer ||= setTimeout(() => this.#redraw(), ms);
  }

  // One chart per task: a chart's first draw with data (fonts, axes, a layout of the page) is
  // the costliest thing the main thread does during a run.
  #redraw() {
    this.#timer = 0;
    this.#drawOne();
    if (this.#dirty.size) this.#schedule(0);
  }

  #drawOne() {
    const [name] = this.#dirty;
    this.#dirty.delete(name);
    const [chart, series] = name === "cost" ? [this.costChart, this.cost] : [this.accuracyChart, this.accuracy];
    chart.setData([series.x, series.y]);
    chart.root.closest(".chart")?.classList.toggle("empty", series.x.length === 0);
  }
}
