// The training settings form, built from config.json (pynn.page.settings is the one source of
// the fields, their ranges, choices and defaults): reading and checking it, messages next to
// each field, and all of it in the URL hash under the Python names, so a link repeats a run.
// The parsing, hints and messages of a field are shared with the fine-tune form (finetune.js).
import { CONFIG } from "./config.js";
import { number } from "./format.js";

// The form's elements (id = data-testid) for each field of pynn.page.settings.FIELDS.
const ELEMENT_IDS = {
  architecture: "architecture", hidden: "hidden-layers", cost: "cost", init: "init", epochs: "epochs", minibatch_size: "batch-size",
  eta: "learning-rate", lmbda: "lambda", train_size: "train-size", seed: "seed", augment: "augment",
};

const FIELDS = CONFIG.fields;

function initialText(field) {
  return field.kind === "layers" ? field.default.join(",") : String(field.default);
}

export function hintText(field) {
  if (field.help) return field.help;
  return field.kind === "int" || field.kind === "float" ? `${number(field.minimum)} – ${number(field.maximum)}` : "";
}

function parseLayers(field, text) {
  const parts = text.trim() === "" ? [] : text.split(",").map((part) => part.trim());
  const bad = (part) => !/^\d+$/.test(part) || Number(part) < field.minimum || Number(part) > field.maximum;
  if (parts.length > CONFIG.max_hidden_layers || parts.some(bad)) {
    return { error: `up to ${CONFIG.max_hidden_layers} layer sizes of ${number(field.minimum)}–`
                    + `${number(field.maximum)}, like 30 or 100,30` };
  }
  return { value: parts.map(Number) };
}

function parseNumber(field, text, unreadable) {
  const value = Number(text.trim());
  const range = `between ${number(field.minimum)} and ${number(field.maximum)}`;
  // A field whose default is null (the fine-tune's η) may be left empty: it then takes the default.
  if (text.trim() === "" && !unreadable && field.default === null) return { value: null };
  if (unreadable || text.trim() === "" || !Number.isFinite(value)) return { error: `enter a number ${range}` };
  if (field.kind === "int" && !Number.isInteger(value)) return { error: `must be a whole number ${range}` };
  if (value < field.minimum || value > field.maximum) return { error: `must be ${range}` };
  return { value };
}

function parseText(field, text, unreadable = false) {
  if (field.kind === "layers") return parseLayers(field, text);
  if (field.kind === "choice") return field.choices.includes(text) ? { value: text } : { error: "choose one" };
  return parseNumber(field, text, unreadable);
}

/** {value} or {error} for a field's element. A number input holding text it cannot read ("1e",
 * "1e309") reports an empty value, with validity.badInput: that is an error, never the default. */
export function parse(field, element) {
  return parseText(field, element.value, Boolean(element.validity?.badInput));
}

/** Shows `message` (or nothing) in a field's error slot, as a sentence, and marks the element. */
export function showFieldError(element, slot, message) {
  slot.textContent = message ? `${message[0].toUpperCase()}${message.slice(1)}.` : "";
  if (message) element.setAttribute("aria-invalid", "true");
  else element.removeAttribute("aria-invalid");
}

/** A field's element from its description: options or range, and what it is described by: its
 * hint (#<id>-hint beside the error slot, made here if there is none) and its error `slot`. */
export function setUpField(field, element, slot) {
  if (field.kind === "choice") {
    element.replaceChildren(...field.choices.map((choice) => new Option(choice, choice, false, choice === field.default)));
  } else if (field.kind !== "layers") {
    Object.assign(element, { type: "number", min: String(field.minimum), max: String(field.maximum),
                             step: field.kind === "int" ? "1" : "any" });
    element.inputMode = field.kind === "int" ? "numeric" : "decimal";
  }
  const hint = hintText(field);
  const hintId = `${element.id}-hint`;
  if (hint) {
    const small = slot.parentElement.querySelector(`#${hintId}`)
      ?? Object.assign(document.createElement("small"), { id: hintId });
    small.textContent = hint;
    slot.before(small);
  }
  element.setAttribute("aria-describedby", `${hint ? `${hintId} ` : ""}${slot.id}`);
}

/** Sets up a field's element from its description: label, options or range, hint. */
function build(form, field, element) {
  const id = ELEMENT_IDS[field.name];
  const label = form.querySelector(`label[for="${id}"]`);
  if (label) label.textContent = field.label;
  setUpField(field, element, form.querySelector(`#${id}-error`));
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
      const { value, error } = parse(field, this.elements[field.name]);
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
    // Other settings in the hash (the pool's "workers", pool.js) are kept as they are.
    const others = [...new URLSearchParams(location.hash.slice(1))]
      .filter(([name]) => !FIELDS.some((field) => field.name === name));
    const hash = [...FIELDS.map((field) => [field.name, this.elements[field.name].value.trim()]), ...others]
      .map(([name, value]) => `${name}=${encodeURIComponent(value).replaceAll("%2C", ",")}`).join("&");
    if (location.hash.slice(1) !== hash) history.replaceState(history.state, "", `#${hash}`);
  }

  #edited(element) {
    const field = FIELDS.find((each) => this.elements[each.name] === element);
    if (!field) return;
    this.#showError(field, parse(field, element).error);
    this.writeHash();
  }

  #showError(field, message) {
    showFieldError(this.elements[field.name], this.form.querySelector(`#${ELEMENT_IDS[field.name]}-error`), message);
  }
}
