// The training settings form: what each field means to pynn, checking it, showing
// messages next to it, and keeping all of it in the URL hash so a run can be shared.

const whole = (min, max) => ({ integer: true, min, max });
const real = (min, max) => ({ integer: false, min, max });

// id: the element id and data-testid; key: in the URL hash; python: in Session.start_training.
export const FIELDS = [
  { id: "hidden-layers", key: "hidden", python: "hidden", initial: "30" },
  { id: "cost", key: "cost", python: "cost", initial: "quadratic" },
  { id: "init", key: "init", python: "init", initial: "standard" },
  { id: "epochs", key: "epochs", python: "epochs", initial: "5", ...whole(1, 1000) },
  { id: "batch-size", key: "batch", python: "minibatch_size", initial: "10", ...whole(1, 1000) },
  { id: "learning-rate", key: "eta", python: "eta", initial: "3", ...real(1e-6, 1000) },
  { id: "lambda", key: "lambda", python: "lmbda", initial: "0", ...real(0, 1e6) },
  { id: "train-size", key: "size", python: "train_size", initial: "10000", ...whole(100, 50_000) },
  { id: "seed", key: "seed", python: "seed", initial: "0", ...whole(0, 2 ** 32 - 1) },
];
const MAX_HIDDEN_LAYERS = 4;
const MAX_HIDDEN_UNITS = 1000;

function parseHidden(text) {
  const parts = text.trim() === "" ? [] : text.split(",").map((part) => part.trim());
  const bad = (part) => !/^\d+$/.test(part) || Number(part) < 1 || Number(part) > MAX_HIDDEN_UNITS;
  if (parts.length > MAX_HIDDEN_LAYERS || parts.some(bad)) {
    return { error: `up to ${MAX_HIDDEN_LAYERS} layer sizes of 1–${MAX_HIDDEN_UNITS}, like 30 or 100,30` };
  }
  return { value: parts.map(Number) };
}

function parseNumber(field, text) {
  const value = Number(text.trim());
  const show = (n) => (n >= 1000 ? n.toLocaleString("en") : String(n));
  const range = `between ${show(field.min)} and ${show(field.max)}`;
  if (text.trim() === "" || !Number.isFinite(value)) return { error: `enter a number ${range}` };
  if (field.integer && !Number.isInteger(value)) return { error: `must be a whole number ${range}` };
  if (value < field.min || value > field.max) return { error: `must be ${range}` };
  return { value };
}

function parse(field, element) {
  if (field.id === "hidden-layers") return parseHidden(element.value);
  if (element.tagName === "SELECT") {
    return element.value ? { value: element.value } : { error: "choose one" };
  }
  return parseNumber(field, element.value);
}

export class SettingsForm {
  constructor(form) {
    this.form = form;
    this.elements = Object.fromEntries(FIELDS.map((field) => [field.id, form.querySelector(`#${field.id}`)]));
    for (const field of FIELDS) {
      const element = this.elements[field.id];
      element.value = field.initial;
      const hint = form.querySelector(`#${field.id}-hint`) ? `${field.id}-hint ` : "";
      element.setAttribute("aria-describedby", `${hint}${field.id}-error`);
    }
    this.readHash();
    addEventListener("hashchange", () => this.readHash());
    form.addEventListener("input", (event) => this.#edited(event.target));
    form.addEventListener("change", (event) => this.#edited(event.target));
  }

  /** {settings} in Session.start_training's names, or {errors} by field id. */
  read() {
    const settings = {};
    const errors = {};
    for (const field of FIELDS) {
      const { value, error } = parse(field, this.elements[field.id]);
      if (error) errors[field.id] = error;
      else settings[field.python] = value;
    }
    return Object.keys(errors).length ? { errors } : { settings };
  }

  /** Shows messages by field id (from `read`) or by Python name (from SettingsError.fields). */
  showErrors(errors) {
    for (const field of FIELDS) this.#showError(field, errors[field.id] ?? errors[field.python]);
    const first = FIELDS.find((field) => errors[field.id] ?? errors[field.python]);
    return first ? this.elements[first.id] : null;
  }

  set disabled(disabled) {
    for (const element of Object.values(this.elements)) element.disabled = disabled;
  }

  readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const field of FIELDS) {
      if (!params.has(field.key)) continue;
      const element = this.elements[field.id];
      const wanted = params.get(field.key);
      // A number input given text logs a warning and empties itself anyway.
      const numeric = element.type !== "number" || Number.isFinite(Number(wanted));
      element.value = numeric ? wanted : "";
      if (element.tagName === "SELECT" && element.value !== wanted) element.value = field.initial;
    }
    const { errors = {} } = this.read();
    for (const field of FIELDS) this.#showError(field, params.has(field.key) ? errors[field.id] : undefined);
  }

  writeHash() {
    const hash = FIELDS.map((field) => {
      const value = encodeURIComponent(this.elements[field.id].value.trim()).replaceAll("%2C", ",");
      return `${field.key}=${value}`;
    }).join("&");
    if (location.hash.slice(1) !== hash) history.replaceState(history.state, "", `#${hash}`);
  }

  #edited(element) {
    const field = FIELDS.find((each) => each.id === element.id);
    if (!field) return;
    this.#showError(field, parse(field, element).error);
    this.writeHash();
  }

  #showError(field, message) {
    const element = this.elements[field.id];
    const slot = this.form.querySelector(`#${field.id}-error`);
    slot.textContent = message ? `${message[0].toUpperCase()}${message.slice(1)}.` : "";
    if (message) element.setAttribute("aria-invalid", "true");
    else element.removeAttribute("aria-invalid");
  }
}
