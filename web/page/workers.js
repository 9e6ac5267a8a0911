// The page's Python workers behind one door, with the Bridge's own methods (call, job, request):
// the main worker, the prediction worker, and the pool that work which splits runs on (pool.js).
//
// The main worker holds the session: the models, your digits and every job. A second one, the
// prediction worker, starts once the first drawing has been read (never with the page, so the
// first prediction is not slowed) or when heavy work begins, and holds copies of the models, so
// that a drawing is read at once while the main worker trains, fine-tunes or evaluates (one step
// of a large conv net takes over a second, and a prediction would wait for it). It answers predict
// and explain only, and only for a model whose copy is current; anything else goes to the main
// worker, which is always right, if sometimes slow. A copy answers bit for bit as the original
// (float64 .npz, the same code: tests/test_lane.py).
//
// A copy is current when it was made after the model last changed, and every change passes
// through here: load_model (an upload, a saved model), a training run (the new net at its start,
// each checkpoint, its end) and a fine-tune's end. While your model trains, its copy is renewed
// at each checkpoint (about every 10 s): predictions with it read weights up to that old.
import { Helper, Idle, ModelVersions } from "./helpers.js";
import { Pool } from "./pool.js";
import { JOB, MODEL, ROLE } from "../shared/protocol.js";

const ROUTED = new Set(["predict", "explain"]);
// Calls after which the main worker computes ahead (pynn.page.browser's background job).
const START_WORK = new Set(["label_digit", "load_digits"]);
// With no job and no drawing for this long, the prediction worker is let go (its memory back to
// the tab); the next drawing or job starts it again.
const IDLE_MS = 120_000;
// A second Python costs about 100 MB of the tab; navigator.deviceMemory is in GB, where known.
const MIN_DEVICE_GB = 4;

export const deviceCanSpare = () => (navigator.deviceMemory ?? MIN_DEVICE_GB) >= MIN_DEVICE_GB;

export class Workers extends EventTarget {
  #url;
  #enabled;
  #helper = null; // the prediction worker (helpers.js Helper), once started
  #versions = new ModelVersions();
  #active = MODEL.pretrained;
  #training = 0; // training runs going (a second is refused by the main worker, but counted till then)
  #idle = new Idle(IDLE_MS, () => this.#dropHelper());

  /** main: the main worker's Bridge; url: the worker script (every worker runs it). */
  constructor(main, url, { enabled = deviceCanSpare() } = {}) {
    super();
    Object.assign(this, { main, pool: new Pool(main, url, this.#versions) });
    this.#url = url;
    this.#enabled = enabled;
    this.answered = { main: 0, prediction: 0 }; // routed calls by who answered: for tests and benches
    main.addEventListener("crash", () => {
      this.#dropHelper();
      this.#active = MODEL.pretrained; // a restarted main worker starts with the shipped model in use
    });
  }

  /** Session method `method`: predict and explain by the prediction worker when it can. */
  call(method, args = {}, options = {}) {
    if (ROUTED.has(method)) return this.#routed(method, args, options);
    const answer = this.main.call(method, args, options);
    answer.then(() => this.#heard(method, args), () => {});
    if (START_WORK.has(method)) this.#workBegins(false);
    // As the main worker does (pynn.teaching: a digit labelled, digits uploaded), the pool computes ahead.
    // Not while a training run goes: its model changes under it, and the cores are the run's.
    if ((method === "label_digit" || (method === "load_digits" && args.ahead)) && !this.#training) {
      answer.then(() => this.pool.computeAhead(this.#active), () => {});
    }
    return answer;
  }

  /** Job `kind` on the main worker (Bridge.job), noting how it changes the models. */
  job(kind, args = {}, { onProgress, onCheckpoint } = {}) {
    const changes = { [JOB.train]: MODEL.yours, [JOB.finetune]: MODEL.finetuned }[kind];
    this.#workBegins(true);
    // A fine-tune reads the conv outputs computed ahead; a training run wants the cores.
    if (kind === JOB.finetune) this.pool.computeAhead(this.#active);
    if (kind === JOB.train) {
      this.pool.stopAhead();
      this.#training += 1;
    }
    // An evaluation splits across the pool when it has more than the main worker.
    const splits = kind === JOB.evaluate && this.pool.size > 1;
    // A training run shares its steps only with a pool the person pinned ("workers" a number):
    // on "auto" it trains on one worker, since here (2 cores) sharing measured slower
    // (bench/shared_epoch.py, README). Python takes the count for a conv net only (an MLP's steps
    // are too short to share), and says when the run starts.
    const jobArgs = kind === JOB.train ? { ...args, workers: this.pool.choice === "auto" ? 1 : this.pool.size } : args;
    let sharing = null;
    const handle = splits ? this.pool.evaluate(args.name, { onProgress }) : this.main.job(kind, jobArgs, {
      onProgress: (report) => {
        if (report.started && changes) this.#changed(changes);
        if (report.started?.workers > 1) sharing = this.pool.shareSteps(report.started.workers);
        onProgress?.(report);
      },
      onCheckpoint: (bytes) => {
        if (changes) this.#changed(changes);
        onCheckpoint?.(bytes);
      },
    });
    handle.result.catch(() => {}).finally(() => {
      sharing?.end();
      if (kind === JOB.train) this.#training -= 1;
      if (changes) this.#changed(changes);
      this.#idle.release();
    });
    return handle;
  }

  request(what, args = {}) {
    return this.main.request(what, args);
  }

  /** Whether the prediction worker is up and holds a current copy of the model in use. */
  get predictsAside() {
    return Boolean(this.#helper?.holds(this.#active, this.#versions.get(this.#active)));
  }

  /** The prediction worker's Bridge, or null: for tests and benchmarks. */
  get predictionWorker() {
    return this.#helper?.bridge ?? null;
  }

  async #routed(method, args, options) {
    if (this.predictsAside) {
      try {
        // Copied, not transferred: if the prediction worker fails, the main worker is asked.
        const value = await this.#helper.bridge.call(method, { ...args, name: this.#active });
        this.answered.prediction += 1;
        this.#idle.touch();
        return value;
      } catch (error) {
        if (error.name !== "WorkerCrash") throw error;
      }
    }
    const value = await this.main.call(method, args, options);
    this.answered.main += 1;
    this.#workBegins(false); // someone draws: have the prediction worker ready for what comes
    return value;
  }

  #heard(method, args) {
    if (method === "use") this.#active = args.name;
    if (method === "load_model") this.#changed(args.name);
  }

  #changed(name) {
    this.#versions.changed(name);
    if (this.#helper?.up) this.#copy(name, this.#helper);
  }

  #copy(name, helper) {
    // On failure the main worker answers for this model until its next change.
    helper.copy(this.main, name, this.#versions).catch(() => {});
  }

  /** Someone draws, or heavy work begins (a job, or computing ahead): have the prediction worker
   * ready. Only jobs hold it: with none, it is let go after IDLE_MS. */
  #workBegins(isJob) {
    if (isJob) this.#idle.hold();
    else this.#idle.touch();
    if (this.#enabled && !this.#helper) this.#startHelper();
  }

  #startHelper() {
    const helper = new Helper(this.#url, ROLE.prediction);
    this.#helper = helper;
    helper.bridge.addEventListener("crash", () => {
      if (this.#helper === helper) this.#dropHelper();
    });
    helper.ready.then(() => {
      if (this.#helper !== helper) return;
      for (const name of this.#versions.names()) this.#copy(name, helper);
      this.dispatchEvent(new CustomEvent("prediction-worker", { detail: "ready" }));
    }, () => {});
  }

  #dropHelper() {
    this.#idle.cancel();
    this.#helper?.terminate();
    this.#helper = null;
  }
}
