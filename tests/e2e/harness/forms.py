"""The training form.  Its fields are named here the way pynn names them (pynn.page.settings; the
URL hash uses the same keys), and mapped, in this one place, to the form's data-testids."""

from __future__ import annotations

from playwright.sync_api import Page

from harness.app import by_id
from pynn.page import settings as pynn_settings

# pynn's setting name (and URL hash key) → the form field's data-testid
FIELDS = {"architecture": "architecture", "hidden": "hidden-layers", "cost": "cost", "init": "init",
          "epochs": "epochs", "minibatch_size": "batch-size", "eta": "learning-rate", "lmbda": "lambda",
          "train_size": "train-size", "seed": "seed", "augment": "augment"}
assert list(FIELDS) == [field.name for field in pynn_settings.FIELDS], \
    "harness.forms.FIELDS and pynn.page.settings.FIELDS name different settings"

# A short run that trains well: [784, 30, 10] on 10,000 images, one epoch.
VALID_SETTINGS = {"architecture": "mlp", "hidden": [30], "cost": "quadratic", "init": "standard", "epochs": 1,
                  "minibatch_size": 10, "eta": 3.0, "lmbda": 0.0, "train_size": 10_000, "seed": 1, "augment": "off"}


def form_text(value) -> str:
    """A setting as a person types it: 100,30 for layers, the number or the choice as it is."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(n) for n in value)
    return str(value)


def field(page: Page, name: str):
    """The form field of pynn's setting ``name``."""
    return by_id(page, FIELDS[name])


def set_field(page: Page, name: str, value) -> None:
    """Set one setting as a user would: choose an option, or type the text."""
    element = field(page, name)
    if element.evaluate("e => e.tagName") == "SELECT":
        element.select_option(form_text(value))
    else:
        element.fill(form_text(value))


def type_into(element, text: str) -> None:
    """Replace a field's text by typing it, key by key (a number input takes "1e" only that way)."""
    element.focus()
    element.press("ControlOrMeta+a")
    element.press_sequentially(text) if text else element.press("Delete")


def fill_settings(page: Page, settings: dict | None = None, **changes) -> dict[str, str]:
    """The whole form: ``settings`` (VALID_SETTINGS if None) with ``changes``, by pynn's names;
    returns the texts set, by name."""
    wanted = {**(VALID_SETTINGS if settings is None else settings), **changes}
    unknown = set(wanted) - set(FIELDS)
    assert not unknown, f"no such settings: {sorted(unknown)}"
    texts = {name: form_text(value) for name, value in wanted.items()}
    for name, text in texts.items():
        set_field(page, name, text)
    return texts


def read_form(page: Page) -> dict[str, str]:
    """Every field's current value as text, by pynn's names."""
    return {name: field(page, name).input_value() for name in FIELDS}


def field_messages(page: Page, name: str) -> dict[str, str]:
    """The visible texts a field points to with aria-errormessage / aria-describedby, by element id."""
    return field(page, name).evaluate("""e => {
      const ids = [e.getAttribute('aria-errormessage'), e.getAttribute('aria-describedby')]
        .filter(Boolean).join(' ').split(/\\s+/).filter(Boolean);
      const found = {};
      for (const id of ids) {
        const m = document.getElementById(id);
        if (m && m.checkVisibility() && m.textContent.trim()) found[id] = m.textContent.trim();
      }
      return found;
    }""")
