// A question the page asks a worker again and again about the pad's ink (predict at every
// frame of a stroke, explain at its end): one in flight at a time, so the worker is never
// queued up with stale ink. Asked while one is in flight, it is asked once more when that one
// is answered, however often it was asked meanwhile, so the last ink always gets its answer.
// An answer to a question asked before forget() (the pad cleared, the panel disabled) is stale.

export class OneInFlight {
  #inFlight = false;
  #again = false;
  #generation = 0;

  /** `askAgain`: the asker's own request(), called when a question waited (its checks first). */
  constructor(askAgain) {
    this.askAgain = askAgain;
  }

  /** Makes the answers to every question asked so far stale. */
  forget() {
    this.#generation += 1;
  }

  /** Runs `ask(isCurrent)` now, or, with one in flight, asks again once that one is done.
   * `isCurrent()`: whether this question's answer is still wanted (not forgotten since). */
  async run(ask) {
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    const generation = this.#generation;
    try {
      await ask(() => generation === this.#generation);
    } finally {
      this.#inFlight = false;
    }
    if (this.#again) {
      this.#again = false;
      this.askAgain();
    }
  }
}
