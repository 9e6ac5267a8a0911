// The pool: work that splits runs on several Python workers at once, in shares handed out as
// workers come free (the main worker begins at once), and the main worker merges the shares into
// one result, exactly its own (pynn.page.pool_jobs: shares fall on whole blocks). The pool's workers start when such work
// begins, never with the page, and are let go after a minute idle. A pool worker that dies has
// its share redone by the main worker; the result is the same.
//
// When the main worker computes ahead (a digit labelled, a fine-tune begins: pynn.page.evaluate_jobs.WarmJob),
// the pool's workers compute a conv net's conv outputs on shares of the test set from the back,
// while the main worker's own goes from the front, and the main worker keeps theirs as its own
// (pynn.page.pool_jobs: the same blocks, so the same bits). A share the main worker has by the time a
// worker would begin it is skipped; one whose worker dies is left to the main worker.
//
// A conv net's training run shares each step with the pool's workers (shareSteps): each computes
// part of every mini-batch's gradient, and the main worker sums the parts in a fixed order.
//
// Its size is the "workers" setting (pool_size.js).
import { CONFIG } from "./config.js";
import { Helper, Idle, ModelVersions } from "./helpers.js";
import { EVALUATION_PARTS, Shares } from "./handout.js";
import { poolSize } from "./pool_size.js";
import { JOB, ROLE, WORKER } from "../shared/protocol.js";

const IDLE_MS = 60_000;
const SHARES_PER_WORKER = 8; // computing ahead: the test set in this many equal shares a worker
const FIELD = CONFIG.workers;

const sum = (values) => values.reduce((a, b) => a + b, 0);

export class Pool {
  #url;
  #versions;
  #helpers = []; // the pool's own workers (helpers.js Helpers); the main worker is not one of them
  #idle = new Idle(IDLE_MS, () => this.#letGo());
  #ahead = null; // computing ahead: {done, stop}, while it goes

  /** main: the main worker's Bridge; url: the worker script; versions: the main worker's models'
   * versions (helpers.js), so that a pool worker copies a model only when it changed. */
  constructor(main, url, versions = new ModelVersions()) {
    // aheadShares: shares of conv outputs the pool's workers computed ahead and the main worker
    // kept; lastSplit: the last split evaluation's times (for tests and benchmarks: what each share,
    // each worker's joining and the merge cost, bench/pool_scaling.py)
    Object.assign(this, { main, choice: FIELD.default, aheadShares: 0, lastSplit: null });
    this.#url = url;
    this.#versions = versions;
    main.addEventListener("crash", () => this.#letGo());
  }

  /** Conv outputs of model `name` on the test set computed ahead by the pool's workers, for the
   * main worker to keep; a promise of how many shares they gave it. Nothing for a pool of one,
   * for a model with no conv layers, or while it goes already. */
  computeAhead(name) {
    if (this.size < 2 || this.#ahead) return this.#ahead?.done ?? Promise.resolve(0);
    this.#idle.hold();
    const state = { stopped: false, handles: new Set() };
    const done = this.#computeAhead(name, this.size, state).catch(() => 0).finally(() => {
      if (this.#ahead?.done === done) this.#ahead = null;
      this.#idle.release();
    });
    this.#ahead = { done, stop: () => {
      state.stopped = true;
      state.handles.forEach((handle) => handle.stop());
    } };
    return done;
  }

  /** Stop computing ahead (a training run begins: the cores are its own). */
  stopAhead() {
    this.#ahead?.stop();
  }

  async #computeAhead(name, workers, state) {
    const parts = workers * SHARES_PER_WORKER;
    const missing = () => this.main.call("missing_features", { name, parts });
    const waiting = await missing();
    if (!waiting.length) return 0;
    let given = 0;
    const take = async (helper) => {
      while (waiting.length && !state.stopped) {
        const part = waiting.pop();
        if (!(await missing()).includes(part)) continue; // the main worker got there first
        const handle = helper.bridge.job(JOB.featuresShare, { name, part, parts });
        state.handles.add(handle);
        let share;
        try {
          share = await handle.result;
        } catch {
          this.#forget(helper); // it died: the main worker computes the rest
          return;
        } finally {
          state.handles.delete(handle);
        }
        if (!share.features) continue;
        const { kept } = await this.main.call("keep_features", { name, start: share.start, features: share.features,
                                                                 key: share.key }, { transfer: [share.features.buffer] });
        if (kept) {
          given += 1;
          this.aheadShares += 1;
        }
      }
    };
    await Promise.allSettled(this.#joining(name, workers - 1).map((joined) => joined.then(take)));
    return given;
  }

  get size() {
    return poolSize(this.choice);
  }

  /** The pool's own workers (their Bridges), up or starting: for tests and benchmarks. */
  get workers() {
    return this.#helpers.map((helper) => helper.bridge);
  }

  /** Model `name` evaluated on the test set in shares: {result, stop}, as Bridge.job gives. */
  evaluate(name, { onProgress } = {}) {
    this.#idle.hold();
    const state = { stopped: false, handles: new Set() };
    const result = this.#evaluate(name, this.size, state, onProgress);
    result.catch(() => {}).finally(() => this.#idle.release());
    return { result, stop: () => {
      state.stopped = true;
      state.handles.forEach((handle) => handle.stop());
    } };
  }

  // The test set goes in shares handed out as workers come free (Shares: they shrink as the work
  // runs out, so that the workers end together): the main worker begins at once and the pool's
  // join as they start, so the start-up of the pool is not waited for, and a slower worker takes
  // less. The main worker takes them from the front and the pool's from the back: a second
  // evaluation of the same model then hands each worker mostly the shares whose conv outputs it
  // keeps from the first.
  async #evaluate(name, workers, state, onProgress) {
    // A conv net whose conv outputs the main worker keeps, every one (after an evaluation, or
    // computing ahead), leaves only its small top layers to compute: under a second, less than
    // the pool's messages and merge cost. The main worker does it alone.
    if ((await this.main.call("kept_features", { name, digest: false })).missing === 0) {
      const handle = this.main.job(JOB.evaluate, { name }, { onProgress });
      state.handles.add(handle);
      if (state.stopped) handle.stop();
      return { ...(await handle.result), workers: 1 };
    }
    const started = performance.now();
    const since = () => performance.now() - started;
    const times = { workers, joinedMs: [], shares: [], mergeMs: null, totalMs: null };
    const plan = new Shares(EVALUATION_PARTS, workers);
    const done = new Map(); // first part → the share's result
    const evaluated = new Map(); // first part → its rows evaluated so far
    let total = null; // the test set's rows, once a share has begun
    const share = async (bridge, { part, span }) => {
      const handle = bridge.job(JOB.evaluateShare, { name, part, span, parts: EVALUATION_PARTS,
                                                     with_features: bridge !== this.main }, {
        onProgress: ({ started: begun, progress }) => {
          total = begun?.test_size ?? total;
          evaluated.set(part, (progress ?? begun).evaluated);
          if (total !== null) onProgress?.({ progress: { evaluated: sum([...evaluated.values()]), total } });
        },
      });
      state.handles.add(handle);
      const sent = since();
      try {
        const result = await handle.result;
        done.set(part, result);
        times.shares.push({ part, span, main: bridge === this.main, at: sent, ms: since() - sent,
                            pythonMs: result.seconds * 1000 });
      } finally {
        state.handles.delete(handle);
      }
    };
    // Shares until none is left; a pool worker that fails (it died, or never got the model)
    // puts its share back and leaves, and the others (the main worker at least) take it.
    const take = async (helper = null) => {
      const front = helper === null;
      while (plan.left && !state.stopped) {
        const next = plan.take(front);
        try {
          await share(front ? this.main : helper.bridge, next);
        } catch (error) {
          if (front || state.stopped) throw error;
          evaluated.delete(next.part);
          plan.putBack(next);
          this.#forget(helper);
          return;
        }
      }
    };
    // The main worker first: what it refuses (the model being trained) is refused at once,
    // without waiting for the pool to start.
    const onMain = take();
    const refused = new Promise((_, reject) => onMain.catch(reject));
    refused.catch(() => {});
    try {
      // each pool worker joins as soon as it is up with the model
      const joined = this.#joining(name, workers - 1).map((joining) => joining.then((helper) => {
        times.joinedMs.push(since());
        return take(helper);
      }));
      await Promise.race([Promise.allSettled(joined), refused]);
      await onMain;
      await take(); // what a failed pool worker put back after the main worker was done
    } catch (error) {
      state.handles.forEach((handle) => handle.stop());
      throw error;
    }
    const results = [...done.keys()].sort((a, b) => a - b).map((part) => done.get(part));
    if (state.stopped || results.some((each) => each.stopped)) return { stopped: true, report: null };
    const seconds = (performance.now() - started) / 1000;
    const bytes = results.map((each) => each.share);
    // A conv net's conv outputs come along from the pool's workers, so the main worker keeps
    // them as its own (a fine-tune next reads them); its own shares send none: it has them.
    const features = results.map((each) => each.features ?? null);
    const transfer = [...bytes, ...features.filter(Boolean)].map((each) => each.buffer);
    const merging = since();
    const merged = await this.main.call("evaluation_report", { name, shares: bytes, seconds, features,
                                                               spans: results.map((each) => each.span) }, { transfer });
    this.lastSplit = { ...times, mergeMs: since() - merging, totalMs: since() };
    return { stopped: false, report: merged, workers };
  }

  /** A training run's steps shared with `workers` − 1 pool workers (the main worker is share 0):
   * each gets a channel to the main worker as it comes up (web/worker/shares.js); until then, and
   * after it dies, the main worker computes its share itself, with the same bits. Returns
   * {end()}, for when the run ends. */
  shareSteps(workers) {
    this.#idle.hold();
    const channels = [];
    let ended = false;
    const drop = (index) => this.main.request(WORKER.dropPort, { index }).catch(() => {});
    this.#joining(null, workers - 1).forEach((joining, i) => joining.then(async (helper) => {
      const index = i + 1;
      if (ended) return;
      const { port1, port2 } = new MessageChannel();
      helper.bridge.addEventListener("crash", () => drop(index));
      await helper.bridge.request(WORKER.sharePort, { index, port: port2 }, { transfer: [port2] });
      await this.main.request(WORKER.sharePort, { index, port: port1 }, { transfer: [port1] });
      // A run that ended while this channel was being set up must not keep it.
      if (ended) drop(index);
      else channels.push(index);
    }).catch(() => {}));
    return { end: () => {
      ended = true;
      channels.forEach(drop);
      this.#idle.release();
    } };
  }

  /** `count` pool workers, started if need be: for each, a promise of it once it is up and holds
   * model `name` as the main worker has it now (copied only if it changed since its last copy;
   * no model for a null `name`). One that fails is let go, and its promise rejects (its shares
   * fall to the others). */
  #joining(name, count) {
    while (this.#helpers.length > count) this.#helpers.pop().terminate();
    while (this.#helpers.length < count) {
      const helper = new Helper(this.#url, ROLE.pool);
      helper.bridge.addEventListener("crash", () => this.#forget(helper));
      this.#helpers.push(helper);
    }
    return this.#helpers.map(async (helper) => {
      try {
        await helper.ready;
        if (name !== null && !(await helper.copy(this.main, name, this.#versions))) {
          throw new Error(`the ${name} model changed`);
        }
        return helper;
      } catch (error) {
        this.#forget(helper);
        throw error;
      }
    });
  }

  #forget(helper) {
    this.#helpers = this.#helpers.filter((each) => each !== helper);
    helper.terminate();
  }

  #letGo() {
    this.#idle.cancel();
    for (const helper of this.#helpers) helper.terminate();
    this.#helpers = [];
  }
}
