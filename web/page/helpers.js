// The page's workers beside the main one, in one piece: the prediction worker (workers.js) and
// the pool's workers (pool.js) are Helpers, started lazily when work needs them (never with the
// page), let go when Idle says so, and holding copies of the main worker's models by version.
//
// A model's version (ModelVersions) grows each time the model changes in the main worker; a
// Helper's copy is current while its version is the model's. The shipped model as it ships
// (version 0) is never copied: the prediction worker boots with it, and a pool worker, which boots
// with no model (its jobs may need another), loads it from the site when a job first needs it.
// Any other is copied from the main worker (float64 .npz: the copy answers bit for bit as the
// original) once, and again only after it changes.
import { Bridge } from "./bridge.js";
import { MODEL, WORKER } from "../shared/protocol.js";

/** The version of each model in the main worker. */
export class ModelVersions {
  #versions = new Map([[MODEL.pretrained, 0]]);

  get(name) {
    return this.#versions.get(name);
  }

  names() {
    return [...this.#versions.keys()];
  }

  changed(name) {
    this.#versions.set(name, (this.#versions.get(name) ?? 0) + 1);
  }
}

/** One worker beside the main one, with role `role` (protocol.js ROLE). */
export class Helper {
  #copies = new Map(); // model name → the version of the copy this worker holds

  constructor(url, role) {
    this.bridge = new Bridge(url, { role });
    this.up = false;
    this.ready = this.bridge.ready.then(({ model }) => {
      this.up = true;
      if (model) this.#copies.set(MODEL.pretrained, 0); // it booted with the shipped model
      return this;
    });
    this.ready.catch(() => {}); // reported through the Bridge's "crash" event
  }

  /** Whether it is up and holds model `name` at `version`. */
  holds(name, version) {
    return this.up && version !== undefined && this.#copies.get(name) === version;
  }

  /** Model `name`, as the main worker `main` has it now (`versions`), copied here unless held.
   * Resolves with whether this worker holds the current version at the end (a change in
   * between leaves it for the next copy). */
  async copy(main, name, versions) {
    const version = versions.get(name);
    if (this.holds(name, version)) return true;
    if (name === MODEL.pretrained && version === 0) {
      await this.bridge.request(WORKER.shipped); // from the site (the HTTP cache), not the main worker
      this.#copies.set(name, version);
      return this.holds(name, versions.get(name));
    }
    const data = await main.call("model_file", { name, form: "npz" });
    if (versions.get(name) !== version || this.bridge.crashed) return false; // a newer copy follows
    await this.bridge.call("load_model", { name, data }, { transfer: [data.buffer] });
    this.#copies.set(name, version);
    return this.holds(name, versions.get(name));
  }

  terminate() {
    this.bridge.terminate();
    this.up = false;
    this.#copies.clear();
  }
}

/** Lets helpers go after `ms` with nothing held: hold() while work goes, release() when it ends,
 * touch() for a use that holds nothing (a drawing). */
export class Idle {
  #held = 0;
  #timer = 0;

  constructor(ms, letGo) {
    Object.assign(this, { ms, letGo });
  }

  hold() {
    this.#held += 1;
    clearTimeout(this.#timer);
  }

  release() {
    this.#held = Math.max(0, this.#held - 1);
    this.touch();
  }

  touch() {
    clearTimeout(this.#timer);
    if (this.#held === 0) this.#timer = setTimeout(() => this.letGo(), this.ms);
  }

  cancel() {
    clearTimeout(this.#timer);
  }
}
