"""The one description of everything the page and the tools must agree on.

The training form's fields (names, types, ranges, choices, defaults), the
model names, the network's input and output sizes, the upload cap and the
Content-Security-Policy live here.  ``build.py`` writes :func:`page_config`
into the site as ``config.json``, and the page builds its form and its checks
from that, so there is no second copy to drift.  A field's label is also what
Python's messages call it: a person reads "Mini-batch size must be between 1
and 1,000", not ``minibatch_size``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from pynn.files.modelfile import MAX_BYTES
from pynn.nets.architectures import ARCHITECTURES, CONV_HIDDEN, INPUTS, OUTPUTS, conv_layers, step_seconds
from pynn.nets.costs import COSTS
from pynn.nets.network import INITS
from pynn.page.spoken import spoken_number
from pynn.training import memory

# The most the page's worker may take, in every flow the forms allow (phones kill tabs near
# 500 MB; the tab adds ~300 MB to its worker's heap): jobs that would pass it are refused,
# from an estimate (pynn.training.memory), before they start.
HEAP_BUDGET = 256 * 2**20
# What the kept conv outputs (pynn.page.features) may hold: the shipped net's for MNIST's test set
# (49 MiB) and the fine-tune's replay pool (10 MiB).
FEATURE_CACHE_BYTES = 64 * 2**20
MODEL_NAMES = ("pretrained", "yours", "finetuned")  # "finetuned": yours, fine-tuned (pynn.page.teaching)
MAX_HIDDEN_LAYERS, MAX_HIDDEN_UNITS = 4, 1000
# What the worker loads (from the site's Pyodide lock, buildtools.onnx_assets) the first time a model is
# downloaded as ONNX or an .onnx is uploaded: ONNX's schema, which pulls in protobuf. Startup loads neither.
ONNX_PACKAGES = ("onnx-schema",)
CSP = "; ".join([
    "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "connect-src 'self'",
    "img-src 'self' data: blob:", "style-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'none'", "frame-ancestors 'none'",
])
# What makes the page cross-origin isolated, so that its workers can share memory
# (SharedArrayBuffer: a training step's shares then travel without messages, web/worker/shares.js).
# Every file is the site's own, so requiring CORP costs nothing. Headers only: a <meta> cannot set them.
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
# <meta> cannot carry frame-ancestors (browsers ignore it there and warn); the header has it all.
CSP_META = "; ".join(part for part in CSP.split("; ") if not part.startswith("frame-ancestors"))


@dataclass(frozen=True)
class Field:
    """One training setting: ``kind`` is "int", "float", "choice" or "layers"."""

    name: str
    label: str
    kind: str
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


FIELDS = (
    Field("architecture", "Network", "choice", "mlp", choices=ARCHITECTURES,
          help="mlp: sigmoid layers (Nielsen ch. 1–3); conv: 20 5×5 filters, 2×2 max-pool, ReLU, softmax (ch. 6)"),
    Field("hidden", "Hidden layers", "layers", [30], 1, MAX_HIDDEN_UNITS,
          help=f"up to {MAX_HIDDEN_LAYERS} sizes, like 30 or 100,30 (conv: the first is its ReLU layer)"),
    Field("cost", "Cost", "choice", "quadratic", choices=tuple(COSTS), help="mlp only (conv: log-likelihood)"),
    Field("init", "Initial weights", "choice", "standard", choices=INITS, help="mlp only"),
    Field("epochs", "Epochs", "int", 5, 1, 1000),
    Field("minibatch_size", "Mini-batch size", "int", 10, 1, 1000),
    Field("eta", "Learning rate η", "float", 3.0, 1e-6, 1000.0),
    Field("lmbda", "L2 λ", "float", 0.0, 0.0, 1e6),
    Field("train_size", "Training images", "int", 10_000, 100, 50_000),
    Field("seed", "Seed", "int", 0, 0, 2**32 - 1),
    Field("augment", "Augment", "choice", "off", choices=("off", "on"),
          help="on: every training image rotated, sheared, scaled, shifted and warped anew each epoch"),
)
# The page's pool of workers (web/page/pool.js): work that splits (an evaluation of the test set)
# runs on this many Pythons at once. "auto" is one per core, as many as POOL_MEMORY_SHARE of the
# device's memory (navigator.deviceMemory, where the browser tells it) holds at WORKER_MIB each: a
# worker's heap with the test set and its share, and the runtime around it (bench/pool.py
# measures it). Like the training settings, it lives in the URL hash, so a link or a bench pins it.
WORKERS = Field("workers", "Workers", "choice", "auto", choices=("auto", "1", "2", "3", "4", "6", "8"),
                help="auto: one per core, as memory allows; an evaluation and a conv net's computing ahead split "
                     "across them; a number also splits each step of a conv net's training (measured slower on 2 "
                     "cores, so auto trains on one)")
WORKER_MIB = 160


def check_workers(workers) -> int:
    """How many workers share a run's steps: one of WORKERS' counts ("auto" is the page's to resolve)."""
    counts = [int(choice) for choice in WORKERS.choices if choice != "auto"]
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= max(counts):
        raise SettingsError({WORKERS.name: f"must be a whole number from 1 to {max(counts)}, got {workers!r:.20}"},
                            {WORKERS.name: WORKERS.label})
    return workers


POOL_MEMORY_SHARE = 0.25
BY_NAME = {field.name: field for field in FIELDS}
DEFAULTS = {field.name: field.default for field in FIELDS}


# What a message calls the settings as a whole (an unknown or missing field is about them).
WHOLE = "settings"
WHOLE_LABEL = "The settings"


class SettingsError(ValueError):
    """Invalid settings; ``fields`` maps each bad field to its message, which the page shows at
    that field ("must be between 1 and 1,000").  The error's own message is one sentence for
    all of them, each named by its label: ``summary`` if given, else "<label> <message>"s."""

    def __init__(self, fields: dict[str, str], labels: dict[str, str] | None = None,
                 summary: str | None = None) -> None:
        labels = {WHOLE: WHOLE_LABEL, **(labels or {})}
        super().__init__(summary or "; ".join(f"{labels.get(name, name)} {message}"
                                              for name, message in fields.items()))
        self.fields = fields


def check_field(field: Field, value) -> object:
    """The value in its Python type, or ValueError with the message the page shows at the field
    (it reads after the field's label)."""
    if field.kind == "choice":
        if value not in field.choices:
            raise ValueError(f"must be one of {', '.join(field.choices)}")
        return value
    minimum, maximum = field.minimum, field.maximum
    if minimum is None or maximum is None:  # a mistake in FIELDS, not the user's
        raise TypeError(f"the {field.name} field has no range")
    low, high = spoken_number(minimum), spoken_number(maximum)
    if field.kind == "layers":
        if not (isinstance(value, list) and len(value) <= MAX_HIDDEN_LAYERS and all(
                isinstance(n, int) and not isinstance(n, bool) and minimum <= n <= maximum
                for n in value)):
            raise ValueError(f"must be up to {MAX_HIDDEN_LAYERS} layer sizes of {low}–{high} each, "
                             "like 30 or 100,30")
        return list(value)
    whole = field.kind == "int"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not float(value).is_integer()):
        raise ValueError(f"must be {'a whole number' if whole else 'a number'} between {low} and {high}")
    if not minimum <= value <= maximum:  # NaN fails this too
        raise ValueError(f"must be between {low} and {high}")
    return int(value) if whole else float(value)


def check_fields(fields: tuple[Field, ...], settings, defaults: bool) -> dict:
    """Each of ``fields`` checked; with ``defaults`` a field left out (or None) takes its
    default, else it is an error.  SettingsError names each bad field by its label."""
    labels = {field.name: field.label for field in fields}
    if not isinstance(settings, dict):
        raise SettingsError({WHOLE: "must be a dict of field → value"}, labels)
    errors, clean = {}, {}
    for field in fields:
        value = settings.get(field.name)
        if defaults and value is None:
            clean[field.name] = field.default
            continue
        try:
            clean[field.name] = check_field(field, value)
        except ValueError as error:
            errors[field.name] = str(error)
    unknown = sorted(set(settings) - set(labels))
    if unknown:
        errors[WHOLE] = f"include an unknown field {unknown[0]!r}"
    if errors:
        raise SettingsError(errors, labels)
    return clean


def check_settings(settings: dict) -> dict:
    """Every field checked (a missing one is an error), then the cost of one step (see
    check_step_time): SettingsError names each bad field."""
    clean = check_fields(FIELDS, settings, defaults=False)
    check_step_time(clean)
    check_training_memory(clean)
    return clean


def check_training_memory(settings: dict) -> int:
    """The estimated peak memory of a training run of checked settings (pynn.training.memory), or
    SettingsError on the fields that set it when it would pass HEAP_BUDGET."""
    conv = settings["architecture"] == "conv"
    layers = conv_layers(settings["hidden"][0] if settings["hidden"] else CONV_HIDDEN) if conv else None
    estimate = memory.training_bytes(settings, layers)
    message = memory.over_budget(estimate, HEAP_BUDGET, "Use a smaller mini-batch or smaller layers.")
    if message:
        raise SettingsError({"minibatch_size": message, "hidden": message})
    return estimate


# Stop and predictions wait for the step under way: above this the form refuses the settings,
MAX_STEP_SECONDS = 1.5
# and above this the page warns that Stop and predictions will lag.
SLOW_STEP_SECONDS = 0.25


def check_step_time(settings: dict) -> float:
    """The estimated step time of checked settings, or SettingsError on the two fields that set
    it when one step would outlast MAX_STEP_SECONDS (Stop could not act in between)."""
    seconds = step_seconds(settings)
    if seconds > MAX_STEP_SECONDS:
        # Rounded up, so that a step just over the limit never reads as the limit itself.
        shown = spoken_number(math.ceil(seconds * 10) / 10)
        message = (f"with these layers and this mini-batch size, one training step would take about {shown} s; "
                   f"the most is {spoken_number(MAX_STEP_SECONDS)} s, so that Stop acts at once: "
                   "use a smaller mini-batch or smaller layers")
        raise SettingsError({"hidden": message, "minibatch_size": message}, summary=message)
    return seconds


def page_config() -> dict:
    """What the page needs to know, as JSON types."""
    return {
        "fields": [{key: list(value) if isinstance(value, tuple) else value for key, value in asdict(field).items()}
                   for field in FIELDS],
        "max_hidden_layers": MAX_HIDDEN_LAYERS,
        "models": list(MODEL_NAMES),
        "inputs": INPUTS,
        "outputs": OUTPUTS,
        "max_upload_bytes": MAX_BYTES,
        "onnx_packages": list(ONNX_PACKAGES),
        "slow_step_seconds": SLOW_STEP_SECONDS,
        "heap_budget": HEAP_BUDGET,
        "workers": {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(WORKERS).items()},
        "worker_mib": WORKER_MIB,
        "pool_memory_share": POOL_MEMORY_SHARE,
        "csp": CSP,
        "csp_meta": CSP_META,
        "teach": teach_config(),
    }


# ---------------------------------------------------------------- teaching it your handwriting
# The fine-tune form (pynn.page.finetune): any field left out, or None, takes its default;
# eta's default None means "the rate the model was trained with, if its file says, else
# 0.1 for the cross-entropy cost and 1.0 for the quadratic one".
FINETUNE_FIELDS = (
    Field("rounds", "Rounds", "int", 4, 1, 100, help="each round is fresh augmented copies of your digits"),
    Field("round_size", "Images per round", "int", 600, 20, 20_000, help="yours (augmented) and MNIST together"),
    Field("replay", "MNIST share", "float", 0.75, 0.0, 0.95,
          help="the share of each round that is MNIST, so it does not forget the rest"),
    Field("minibatch_size", "Mini-batch size", "int", 10, 1, 1000),
    Field("eta", "Learning rate η", "float", None, 1e-6, 1000.0, help="empty: the model's own"),
    Field("lmbda", "L2 λ", "float", 0.0, 0.0, 1e6),
    Field("freeze", "Keep fixed", "choice", "conv", choices=("conv", "none"),
          help="conv: a conv net's filters stay, the layers above learn (seconds; forgets less); "
               "none: every layer learns (slow for a conv net)"),
    Field("hold_out", "Hold out", "choice", "auto", choices=("auto", "none"),
          help="auto: keep about a quarter of each digit you drew twice or more out of training, to test on"),
    Field("test_size", "MNIST test images", "int", 10_000, 100, 10_000),
    Field("seed", "Seed", "int", 0, 0, 2**32 - 1),
)
FINETUNE_DEFAULTS = {field.name: field.default for field in FINETUNE_FIELDS}


def check_finetune_settings(settings: dict | None) -> dict:
    """The fine-tune settings with defaults filled in; SettingsError names each bad field."""
    return check_fields(FINETUNE_FIELDS, {} if settings is None else settings, defaults=True)


def teach_config() -> dict:
    """The fine-tune form and the your-digits caps, as JSON types (for page_config)."""
    from pynn.page import your_digits

    return {
        "finetune_fields": [{key: list(value) if isinstance(value, tuple) else value
                             for key, value in asdict(field).items()} for field in FINETUNE_FIELDS],
        "your_digits": {"max_digits": your_digits.MAX_DIGITS, "max_strokes": your_digits.MAX_STROKES,
                        "max_points": your_digits.MAX_POINTS, "max_bytes": your_digits.MAX_BYTES},
    }
