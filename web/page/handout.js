// How a split evaluation's work is handed out among the pool's workers (pool.js): shares of the
// test set that shrink as the work runs out.

// An evaluation's shares are runs of these parts of the test set (pynn.page.report.share_rows):
// its blocks, 100 images each, for MNIST's 10,000.
export const EVALUATION_PARTS = 100;
// A share is what is left over SHRINK times the workers (guided self-scheduling): large ones
// first (few messages), one part (a block, ~0.13 s) at the end, so that no worker waits long
// for the last one. Measured side by side against 8 equal shares a worker: bench/pool_scaling.py.
const SHRINK = 2;

/** The hand-out of `parts` parts among `workers` workers, as runs of parts {part, span}: from the
 * front or from the back, each what is left over SHRINK × workers (one at least); a share put
 * back (its worker failed) goes out again whole, before the rest. */
export class Shares {
  #first = 0; // the parts not handed out yet: #first to #end - 1
  #end;
  #back = [];

  constructor(parts, workers) {
    Object.assign(this, { workers });
    this.#end = parts;
  }

  get left() {
    return this.#back.length > 0 || this.#first < this.#end;
  }

  take(front) {
    if (this.#back.length) return this.#back.shift();
    const span = Math.max(1, Math.ceil((this.#end - this.#first) / (SHRINK * this.workers)));
    if (front) {
      this.#first += span;
      return { part: this.#first - span, span };
    }
    this.#end -= span;
    return { part: this.#end, span };
  }

  putBack(share) {
    this.#back.push(share);
  }
}
