// The training settings form, built from config.json (pynn.settings is the one source of
// the fields, their ranges, choices and defaults): reading and checking it, messages next to
// each field, and all of it in the URL hash under the Python names, so a link repeats a run.
import { CONFIG } from "./config.js";

// The form's elements (id = data-testid) for each field of pynn.settings.FIELDS.
const ELEMENT_IDS = {
  architecture: "architecture", hidden: "hidden-layers", cost: "cost", init: "init", epochs: "epochs", minibatch_size: "batch-size",
  eta: "learning-rate", lmbda: "lambda", train_size: "train-size", seed: "seed", augment: "augment",
};

const FIELDS = CONFIG.fields;
const show = (n) => (Math.abs(n) >= 1000 ? n.toLocaleString("en") : String(n));

function initialText(field) {
  return field.kind === "layers" ? field.default.join(",") : String(field.default);
}

function hintText(field) {
  if (field.help) return field.help;
  return field.kind === "int" || field.kind === "float" ? `${show(field.minimum)} – ${show(field.maximum)}` : "";
}

function parseLayers(field, text) {
  const parts = text.trim() === "" ? [] : text.split(",").map((part) => part.trim());
  const bad = (part) => !/^\d+$/.test(part) || Number(part) < field.minimum || Number(part) > field.maximum;
  if (parts.length > CONFIG.max_hidden_layers || parts.some(bad)) {
    return { error: `up to ${CONFIG.max_hidden_layers} layer sizes of ${field.minimum}–${show(field.maximum)}, `
                    + "like 30 or 100,30" };
  }
  return { value: parts.map(Number) };
}

function parseNumber(field, text) {
  const value = Number(text.trim());
  const range = `between ${show(field.minimum)} and ${show(field.maximum)}`;
  if (text.trim() === "" || !Number.isFinite(value)) return { error: `enter a number ${range}` };
  if (field.kind === "int" && !Number.isInteger(value)) return { error: `must be a whole number ${range}` };
  if (value < field.minimum || value > field.maximum) return { error: `must be ${range}` };
  return { value };
}

function parse(field, text) {
  if (field.kind === "layers") return parseLayers(field, text);
  if (field.kind === "choice") return field.choices.includes(text) ? { value: text } : { error: "choose one" };
  return parseNumber(field, text);
}

/** Sets up a field's element from its description: label, options or range, hint. */
function build(form, field, element) {
  const id = ELEMENT_IDS[field.name];
  const label = form.querySelector(`label[for="${id}"]`);
  if (label) label.textContent = field.label;
  if (field.kind === "choice") {
    element.replaceChildren(...field.choices.map((choice) => new Option(choice, choice)));
  } else if (field.kind !== "layers") {
    Object.assign(element, { type: "number", min: String(field.minimum), max: String(field.maximum),
                             step: field.kind === "int" ? "1" : "any" });
    element.inputMode = field.kind === "int" ? "numeric" : "decimal";
  }
  const hint = hintText(field);
  if (hint) {
    const small = form.querySelector(`#${id}-hint`) ?? Object.assign(document.createElement("small"), { id: `${id}-hint` });
    small.textContent = hint;
    form.querySelector(`#${id}-error`).before(small);
  }
  element.setAttribute("aria-describedby", `${hint ? `${id}-hint ` : ""}${id}-error`);
}

export class SettingsForm {
  constructor(form) {
    this.form = form;
    this.elements = {};
    for (const field of FIELDS) {
      const element = form.querySelector(`#${ELEMENT_IDS[field.name]}`);
      if (!element) throw new Error(`the form has no element for the setting ${field.name}`);
      build(form, field, element);
      this.elements[field.name] = element;
    }
    this.readHash();
    addEventListener("hashchange", () => this.readHash());
    form.addEventListener("input", (event) => this.#edited(event.target));
    form.addEventListener("change", (event) => this.#edited(event.target));
  }

  /** {settings} by Python name, as Session.prepare_training takes them, or {errors} by name. */
  read() {
    const settings = {};
    const errors = {};
    for (const field of FIELDS) {
      const { value, error } = parse(field, this.elements[field.name].value);
      if (error) errors[field.name] = error;
      else settings[field.name] = value;
    }
    return Object.keys(errors).length ? { errors } : { settings };
  }

  /** Shows messages by field name (from `read`, or SettingsError.fields); the first bad element. */
  showErrors(errors) {
    for (const field of FIELDS) this.#showError(field, errors[field.name]);
    const first = FIELDS.find((field) => errors[field.name]);
    return first ? this.elements[first.name] : null;
  }

  set disabled(disabled) {
    for (const element of Object.values(this.elements)) element.disabled = disabled;
  }

  /** The form from the hash: each field it names, and the default for each it leaves out. */
  readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const field of FIELDS) {
      const element = this.elements[field.name];
      const wanted = params.has(field.name) ? params.get(field.name) : initialText(field);
      // A number input given text logs a warning and empties itself anyway.
      const numeric = element.type !== "number" || Number.isFinite(Number(wanted));
      element.value = numeric ? wanted : "";
      if (element.tagName === "SELECT" && element.value !== wanted) element.value = initialText(field);
    }
    const { errors = {} } = this.read();
    for (const field of FIELDS) this.#showError(field, params.has(field.name) ? errors[field.name] : undefined);
  }

  /** The form showing checked `settings` (a resumed run's), and the hash with it. */
  show(settings) {
    for (const field of FIELDS) {
      const value = settings[field.name];
      this.elements[field.name].value = Array.isArray(value) ? value.join(",") : String(value);
    }
    this.writeHash();
  }

  writeHash() {
    const hash = FIELDS.map((field) => {
      const value = encodeURIComponent(this.elements[field.name].value.trim()).replaceAll("%2C", ",");
      return `${field.name}=${value}`;
    }).join("&");
    if (location.hash.slice(1) !== hash) history.replaceState(history.state, "", `#${hash}`);
  }

  #edited(element) {
    const field = FIELDS.find((each) => this.elements[each.name] === element);
    if (!field) return;
    this.#showError(field, parse(field, element.value).error);
    this.writeHash();
  }

  #showError(field, message) {
    const element = this.elements[field.name];
    const slot = this.form.querySelector(`#${ELEMENT_IDS[field.name]}-error`);
    slot.textContent = message ? `${message[0].toUpperCase()}${message.slice(1)}.` : "";
    if (message) element.setAttribute("aria-invalid", "true");
    else element.removeAttribute("aria-invalid");
  }
}
