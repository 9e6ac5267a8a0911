// A training share in memory the main worker and one pool worker both see (a SharedArrayBuffer:
// only in a cross-origin-isolated page, see pynn.page.settings.ISOLATION_HEADERS). The main
// worker writes a share and flips the slot's state to ASKED; the pool worker, woken by
// Atomics.waitAsync, computes it and flips the state to ANSWERED (or FAILED). A wake-up costs
// 44 µs a round trip in Chromium against a MessagePort's 78 µs. Each side hands Python views of
// the slot, which Python copies at once: copying them out into fresh buffers first cost 0.4 ms
// each (a new 700 KB buffer), and made the slot slower than messages, whose buffers are moved.
//
// Layout: HEAD Int32 words, the settings' JSON (padded to 8 bytes), then float64s: scale, cost
// (NaN: none), the weights, the rows, their targets, and the gradient (the weights' length).

export const STATE = Object.freeze({ idle: 0, asked: 1, answered: 2, failed: 3 });
const HEAD = 8; // Int32 words: state, settings bytes, weights, x and y counts (float64s), measure_cost
const [STATE_AT, TEXT_AT, WEIGHTS_AT, X_AT, Y_AT, MEASURE_AT] = [0, 1, 2, 3, 4, 5];
const HEAD_BYTES = HEAD * 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether this worker's page may share memory with its other workers. */
export const canShareMemory = () => self.crossOriginIsolated === true && typeof SharedArrayBuffer === "function";

const floats = (bytes) => bytes.byteLength / 8;
const padded = (bytes) => Math.ceil(bytes / 8) * 8;

/** One slot's views, from its buffer and the counts in its head. */
function views(buffer) {
  const head = new Int32Array(buffer, 0, HEAD);
  const textBytes = head[TEXT_AT];
  const at = HEAD_BYTES + padded(textBytes);
  const [w, x, y] = [head[WEIGHTS_AT], head[X_AT], head[Y_AT]];
  const part = (start, count) => new Float64Array(buffer, at + start * 8, count);
  return { head, text: new Uint8Array(buffer, HEAD_BYTES, textBytes), numbers: part(0, 2),
           weights: part(2, w), x: part(2 + w, x), y: part(2 + w + x, y), gradient: part(2 + w + x + y, w) };
}

const bytesOf = (array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

export class Slot {
  /** A slot in `buffer` (the main worker makes it; the pool worker is sent it on the port). */
  constructor(buffer) {
    this.buffer = buffer;
    this.head = new Int32Array(buffer, 0, HEAD);
  }

  /** A new slot big enough for `share` (its settings, weights, x and y) with room to spare. */
  static fitting(share) {
    return new Slot(new SharedArrayBuffer(Math.ceil(Slot.bytesFor(share) * 1.25)));
  }

  static bytesFor({ settings, weights, x, y }) {
    const text = encoder.encode(JSON.stringify(settings)).byteLength;
    return HEAD_BYTES + padded(text) + 8 * (2 + 2 * floats(weights) + floats(x) + floats(y));
  }

  get state() {
    return Atomics.load(this.head, STATE_AT);
  }

  /** Whether `share` fits and the slot is not waiting for an answer (it is then written over). */
  takes(share) {
    return this.state !== STATE.asked && Slot.bytesFor(share) <= this.buffer.byteLength;
  }

  /** The main worker: the share in, and the pool worker woken. */
  ask({ settings, weights, x, y, scale, measure_cost: measureCost }) {
    const text = encoder.encode(JSON.stringify(settings));
    const head = this.head;
    [head[TEXT_AT], head[WEIGHTS_AT], head[X_AT], head[Y_AT]] = [text.byteLength, floats(weights), floats(x), floats(y)];
    head[MEASURE_AT] = measureCost ? 1 : 0;
    const view = views(this.buffer);
    view.text.set(text);
    view.numbers[0] = scale;
    for (const [name, bytes] of [["weights", weights], ["x", x], ["y", y]]) bytesOf(view[name]).set(bytes);
    this.#flip(STATE.asked);
  }

  /** The pool worker: the share asked, as the arguments of Session.share_gradient (views of
   * the slot: the main worker writes it again only once this share is answered). */
  asked() {
    const view = views(this.buffer);
    // TextDecoder refuses shared memory: its bytes are copied out first.
    const settings = JSON.parse(decoder.decode(view.text.slice()));
    return { settings, weights: bytesOf(view.weights), x: bytesOf(view.x), y: bytesOf(view.y),
             scale: view.numbers[0], measure_cost: this.head[MEASURE_AT] === 1 };
  }

  /** The pool worker: its answer in (null: it failed), and the main worker woken. */
  answer(value) {
    if (value) {
      const view = views(this.buffer);
      if (value.gradient.byteLength !== view.gradient.byteLength) {
        this.#flip(STATE.failed);
        return;
      }
      bytesOf(view.gradient).set(value.gradient);
      view.numbers[1] = value.cost ?? NaN;
    }
    this.#flip(value ? STATE.answered : STATE.failed);
  }

  /** The main worker: the answer ({gradient, cost}; the gradient a view of the slot, valid until
   * the next ask), or null if it failed. */
  answered() {
    if (this.state !== STATE.answered) return null;
    const view = views(this.buffer);
    const cost = view.numbers[1];
    return { gradient: bytesOf(view.gradient), cost: Number.isNaN(cost) ? null : cost };
  }

  /** Blocks (a worker may) until the state leaves `from` or `ms` pass; the state then. */
  waitWhile(from, ms) {
    Atomics.wait(this.head, STATE_AT, from, ms);
    return this.state;
  }

  /** A promise of the state once it leaves `from` (the event loop goes on meanwhile). */
  async changeFrom(from) {
    const { async, value } = Atomics.waitAsync(this.head, STATE_AT, from);
    if (async) await value;
    return this.state;
  }

  #flip(state) {
    Atomics.store(this.head, STATE_AT, state);
    Atomics.notify(this.head, STATE_AT);
  }
}
