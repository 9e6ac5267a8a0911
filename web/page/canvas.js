// The drawing pad: Pointer Events for mouse, touch and pen, a thick round stroke, and the
// ink as an alpha channel at a fixed size, whatever the screen's pixel density.

export const PAD_SIZE = 280;
const LINE_WIDTH = 20;
const CLEAR_KEYS = new Set(["Escape", "Delete", "Backspace"]);

export class DrawingPad extends EventTarget {
  #pointer = null;
  #last = null;
  #visible;
  #ink;
  #strokes = []; // the drawing as polylines of pad coordinates (0..PAD_SIZE)

  /** Dispatches "change" with detail "draw" while a stroke grows, "end" when it ends, "clear". */
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.blank = true;
    // The prediction reads a separate, CPU-side copy at PAD_SIZE: reading back the
    // visible (GPU, devicePixelRatio-sized) canvas on every move would be slower.
    const inkCanvas = document.createElement("canvas");
    inkCanvas.width = inkCanvas.height = PAD_SIZE;
    this.#ink = inkCanvas.getContext("2d", { willReadFrequently: true });
    this.#visible = canvas.getContext("2d");
    this.#resize();

    canvas.addEventListener("pointerdown", (event) => this.#down(event));
    canvas.addEventListener("pointermove", (event) => this.#move(event));
    canvas.addEventListener("pointerup", (event) => this.#up(event));
    canvas.addEventListener("pointercancel", (event) => this.#up(event));
    canvas.addEventListener("lostpointercapture", (event) => this.#up(event));
    canvas.addEventListener("keydown", (event) => {
      if (CLEAR_KEYS.has(event.key)) {
        event.preventDefault();
        this.clear();
      }
    });
    canvas.dataset.input = "on"; // strokes are kept from here on (before, the page is still loading)
  }

  /** The ink as {pixels (alpha, 0–255), width, height}. */
  ink() {
    const { data } = this.#ink.getImageData(0, 0, PAD_SIZE, PAD_SIZE);
    const pixels = new Uint8Array(PAD_SIZE * PAD_SIZE);
    for (let i = 0; i < pixels.length; i++) pixels[i] = data[4 * i + 3];
    return { pixels, width: PAD_SIZE, height: PAD_SIZE };
  }

  /** The drawing as polylines of [x, y] in 0..1 (clamped: a captured pointer may leave the pad). */
  strokes() {
    const unit = (v) => Math.min(1, Math.max(0, v / PAD_SIZE));
    return this.#strokes.map((stroke) => stroke.map(({ x, y }) => [unit(x), unit(y)]));
  }

  clear() {
    this.#strokes = [];
    this.#ink.clearRect(0, 0, PAD_SIZE, PAD_SIZE);
    this.#visible.clearRect(0, 0, PAD_SIZE, PAD_SIZE);
    this.blank = true;
    this.#changed("clear");
  }

  #changed(kind) {
    this.dispatchEvent(new CustomEvent("change", { detail: kind }));
  }

  /** Sizes the visible canvas for the screen's pixel density, again whenever it changes. */
  #resize() {
    const scale = devicePixelRatio || 1;
    matchMedia(`(resolution: ${scale}dppx)`).addEventListener("change", () => this.#resize(), { once: true });
    // Resizing clears the canvas: redraw the drawing from the ink copy.
    this.canvas.width = this.canvas.height = Math.round(PAD_SIZE * scale);
    this.#visible.setTransform(scale, 0, 0, scale, 0, 0);
    this.#style(this.#visible, getComputedStyle(this.canvas).color);
    this.#style(this.#ink, "#000");
    this.#visible.save();
    this.#visible.globalCompositeOperation = "copy";
    this.#visible.drawImage(this.#ink.canvas, 0, 0, PAD_SIZE, PAD_SIZE);
    this.#visible.globalCompositeOperation = "source-in";
    this.#visible.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
    this.#visible.restore();
  }

  #style(context, colour) {
    Object.assign(context, { lineWidth: LINE_WIDTH, lineCap: "round", lineJoin: "round",
                             strokeStyle: colour, fillStyle: colour });
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) * PAD_SIZE) / rect.width,
             y: ((event.clientY - rect.top) * PAD_SIZE) / rect.height };
  }

  #down(event) {
    if (this.#pointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.#pointer = event.pointerId;
    this.#last = this.#point(event);
    this.#strokes.push([this.#last]);
    for (const context of [this.#visible, this.#ink]) {
      context.beginPath();
      context.arc(this.#last.x, this.#last.y, LINE_WIDTH / 2, 0, 2 * Math.PI);
      context.fill();
    }
    this.blank = false;
    this.#changed("draw");
  }

  #move(event) {
    if (event.pointerId !== this.#pointer) return;
    const events = event.getCoalescedEvents?.() ?? [];
    const points = (events.length ? events : [event]).map((each) => this.#point(each));
    for (const context of [this.#visible, this.#ink]) {
      context.beginPath();
      context.moveTo(this.#last.x, this.#last.y);
      for (const { x, y } of points) context.lineTo(x, y);
      context.stroke();
    }
    this.#strokes.at(-1).push(...points);
    this.#last = points.at(-1);
    this.#changed("draw");
  }

  #up(event) {
    if (event.pointerId !== this.#pointer) return;
    this.#pointer = null;
    this.#changed("end");
  }
}
