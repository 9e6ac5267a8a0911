// "What the net learned": each first-layer hidden unit's 784 incoming weights as a 28×28
// image, or a conv net's 5×5 filters, blue for negative, orange for positive (pynn sends 128
// for zero, scaled per unit or filter).

export const UNIT_COUNT = 30; // shown at most: all of a 30-unit layer, Nielsen's usual size
const NEGATIVE = [8, 119, 189];
const POSITIVE = [245, 147, 34];
const ZERO = [250, 250, 250];

function paint(canvas, unit, side) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(side, side);
  for (let i = 0; i < unit.length; i++) {
    const signed = (unit[i] - 127.5) / 127.5;
    const towards = signed < 0 ? NEGATIVE : POSITIVE;
    const amount = Math.min(1, Math.abs(signed));
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = ZERO[c] + (towards[c] - ZERO[c]) * amount;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Shows `count` images of side × side from `pixels` in `container`, reusing its canvases. */
function showHiddenUnits(container, { count, side, kind, pixels }) {
  while (container.children.length > count) container.lastElementChild.remove();
  while (container.children.length < count) {
    const canvas = document.createElement("canvas");
    canvas.className = "unit";
    container.append(canvas);
  }
  const what = kind === "filters" ? "filter" : "hidden unit";
  [...container.children].forEach((canvas, index) => {
    if (canvas.width !== side) canvas.width = canvas.height = side;
    canvas.title = `${what} ${index + 1}`;
    paint(canvas, pixels.subarray(index * side * side, (index + 1) * side * side), side);
  });
  container.dataset.kind = kind;
}

const WHAT = {
  units: "Each tile is one first-layer hidden unit: the weights from the 28×28 input pixels into it.",
  filters: "Each tile is one filter of the first conv layer: the 5×5 weights it slides over the image, "
           + "looking for that pattern everywhere.",
};

/** The panel: asks the worker for a model's units and shows them with a caption. */
export class UnitsPanel {
  #asked = 0;

  constructor(bridge, container, caption, what) {
    Object.assign(this, { bridge, container, caption, what });
  }

  /** `total`: the model's first hidden layer size; `when`: e.g. " after epoch 2". */
  async show(name, total, when = "") {
    const asked = ++this.#asked;
    try {
      const units = await this.bridge.call("hidden_units", { name, count: UNIT_COUNT });
      if (asked !== this.#asked) return; // a later request has the newer picture
      showHiddenUnits(this.container, units);
      const things = units.kind === "filters" ? "5×5 convolution filters" : "units";
      const some = units.kind === "units" && total > units.count ? `, ${units.count} of its ${total} ${things}` : "";
      const all = units.kind === "filters" ? `, its ${units.count} ${things}` : "";
      this.caption.textContent = `Showing ${name}${when}${some}${all}.`;
      this.what.textContent = WHAT[units.kind] ?? "";
    } catch (error) {
      if (error.name !== "WorkerCrash") this.caption.textContent = `Could not show the units: ${error.message}`;
    }
  }
}
