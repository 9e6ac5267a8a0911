// Shares of training steps between the main worker and the pool's (pynn.page.shared_steps). The
// page gives each side of a pool worker one end of a MessageChannel (WORKER.sharePort), so the
// shares go worker to worker, never through the page's busy thread.
//
// Main worker: a run's "shares" event is sent down the ports, and each answer comes back to
// Python (give_share), which waits for all before it steps. A share whose port is gone (the
// worker died: WORKER.dropPort) or that stays unanswered for SHARE_SILENCE_MS is given back as
// lost: the main worker computes it, with the same bits, so nothing hangs and nothing changes.
// Pool worker: answers each share with share_gradient.
//
// Where the page is cross-origin isolated, a share travels in a slot of shared memory instead
// (share_slots.js: the port then carries only each new slot), and the main worker, once its own
// share is done, waits for the pool's answers without leaving its turn (answerNow).

import { STATE, Slot, canShareMemory } from "./share_slots.js";

const SHARE_SILENCE_MS = 20_000;
const SHARE_ARGS = ["settings", "weights", "x", "y", "scale", "measure_cost"];

export class SharePorts {
  #ports = new Map(); // share index → the port to that pool worker
  #owed = new Map(); // "job/step/index" → {job, step, index, timer, slot?}
  #slots = new Map(); // share index → its Slot, where memory is shared
  #shareMemory = canShareMemory();

  /** give(job, step, index, answer|null): hands an answer (or a loss) to Python and turns the loop. */
  constructor(give) {
    this.give = give;
  }

  /** The main worker's end of share `index`'s channel. */
  attach(index, port) {
    this.drop(index);
    this.#ports.set(index, port);
    port.onmessage = ({ data }) => this.#answered(data);
    return { attached: index };
  }

  /** The pool worker of share `index` is gone: what it owes is computed here. */
  drop(index) {
    const port = this.#ports.get(index);
    if (port) port.close();
    this.#ports.delete(index);
    this.#slots.delete(index);
    for (const owed of [...this.#owed.values()]) if (owed.index === index) this.#settle(owed, null);
    return { dropped: index };
  }

  /** Job `job`'s shares, each to its pool worker, or straight back as lost if it has none. */
  send(job, shares) {
    for (const share of shares) {
      const owed = { job, step: share.step, index: share.index };
      const port = this.#ports.get(share.index);
      if (!port) {
        this.give(job, share.step, share.index, null);
        continue;
      }
      owed.timer = setTimeout(() => this.drop(share.index), SHARE_SILENCE_MS);
      this.#owed.set(key(owed), owed);
      const args = Object.fromEntries(SHARE_ARGS.map((name) => [name, share[name]]));
      if (this.#shareMemory) this.#ask(owed, port, args);
      else port.postMessage({ job, step: share.step, index: share.index, args },
                            [args.weights.buffer, args.x.buffer, args.y.buffer]);
    }
  }

  /** Blocks up to `ms` for the answers owed in shared memory, giving each as it comes; whether
   * it gave the last one owed (then the loop goes on at once). A few ms at most while the pool
   * computes, and never longer than one turn of the job loop: a prediction waits no longer than
   * it does for a turn. */
  answerNow(ms) {
    const deadline = performance.now() + ms;
    let gave = false;
    for (const owed of [...this.#owed.values()]) {
      const left = deadline - performance.now();
      if (!owed.slot || left <= 0) continue;
      if (owed.slot.waitWhile(STATE.asked, left) !== STATE.asked) gave = this.#fromSlot(owed) || gave;
    }
    return gave && this.#owed.size === 0;
  }

  #ask(owed, port, args) {
    let slot = this.#slots.get(owed.index);
    if (!slot?.takes(args)) {
      slot = Slot.fitting(args);
      this.#slots.set(owed.index, slot);
      port.postMessage({ slot: slot.buffer });
    }
    owed.slot = slot;
    slot.ask(args);
    slot.changeFrom(STATE.asked).then(() => this.#fromSlot(owed));
  }

  /** Gives the answer in owed's slot, unless it was given already; whether it did. */
  #fromSlot(owed) {
    if (this.#owed.get(key(owed)) !== owed) return false;
    this.#settle(owed, owed.slot.answered());
    return true;
  }

  #answered({ job, step, index, value, error }) {
    const owed = this.#owed.get(key({ job, step, index }));
    if (owed) this.#settle(owed, error ? null : value);
  }

  #settle(owed, value) {
    clearTimeout(owed.timer);
    this.#owed.delete(key(owed));
    this.give(owed.job, owed.step, owed.index, value);
  }
}

const key = ({ job, step, index }) => `${job}/${step}/${index}`;

/** A pool worker's end of a channel: each share answered by `python` (worker.js's caller) once
 * Python is up (`booted`); a failure is answered as an error, and the main worker computes it. */
export function answerShares(port, python, booted) {
  let current = null; // the slot of shared memory the main worker asks in, if it does
  const serve = async (slot) => {
    await booted;
    while (slot === current) {
      const state = slot.state;
      if (state !== STATE.asked) {
        await slot.changeFrom(state);
        continue;
      }
      let value = null;
      try {
        value = python("share_gradient", slot.asked());
      } catch {
        value = null; // failed: the main worker computes it
      }
      slot.answer(value);
    }
  };
  port.onmessage = async ({ data: { job, step, index, args, slot } }) => {
    if (slot) {
      current = new Slot(slot);
      serve(current);
      return;
    }
    try {
      await booted;
      const value = python("share_gradient", args);
      port.postMessage({ job, step, index, value }, [value.gradient.buffer]);
    } catch (error) {
      port.postMessage({ job, step, index, error: String(error?.message ?? error) });
    }
  };
  return { answering: true };
}
