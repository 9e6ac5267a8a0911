"""The Python half of the web page's worker: models, predictions and training.

The worker (web/worker/worker.js) holds one :class:`Session` and reaches it only through
:func:`call`, with plain values (bytes, numbers, dicts of JSON types) in and a plain ``{"ok": ...}``
dict out, so nothing here imports Pyodide and all of it is tested natively.  Anything the user
supplies (a model file, training settings) is validated here, and a rejected one leaves the session
as it was.  Whether a training run is going is known here and nowhere else in the worker.
"""

from __future__ import annotations

import io
import math

import numpy as np

from pynn.data.dataset import Dataset
from pynn.data.digits import BlankImageError, from_pad, preview
from pynn.files import modelfile
from pynn.files.untrusted import megabytes
from pynn.nets.architectures import summary
from pynn.page.explain import first_layer_pictures
from pynn.page.jobs import Scheduler
from pynn.page.settings import INPUTS, OUTPUTS, SettingsError
from pynn.page.teaching import TeachingSession

MAX_MODEL_BYTES = modelfile.MAX_BYTES


class ModelTooLargeError(ValueError):
    """A model whose JSON file would be over the cap the page loads models with."""


def plain(value):
    """A value from JavaScript as plain Python: typed arrays as bytes, arrays as lists,
    objects as dicts.  Duck-typed on Pyodide's JsProxy methods, so this module never imports
    pyodide: every JsProxy has to_py, a JsBuffer to_bytes too (an int has only to_bytes)."""
    if hasattr(value, "to_py"):
        value = value.to_bytes() if hasattr(value, "to_bytes") else value.to_py()
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


# What the page may call, by these names on both sides (web/ uses them as they are, with the
# arguments named as here), and what the worker calls for its job loop.
PAGE_CALLS = ("predict", "use", "load_model", "model_json", "model_file", "hidden_units", "label_digit",
              "digits_summary", "remove_digit", "clear_digits", "digits_file", "load_digits", "test_images",
              "explain", "evaluation_report", "missing_features", "keep_features",
              "kept_features", "share_gradient")
WORKER_CALLS = ("set_data", "start_job", "stop_job", "stop_waiting", "work", "give_share")


def call(session: Session, method: str, args=None) -> dict:
    """The worker's one entry point: ``session.method(**args)`` as {"ok": True, "value": ...},
    or {"ok": False, "name", "message"} (and "fields" for a SettingsError) instead of an
    exception, so that the page gets errors as data."""
    try:
        if method not in PAGE_CALLS + WORKER_CALLS:
            raise AttributeError(f"the page may not call {method!r}")
        args = plain(args) or {}
        if not isinstance(args, dict):
            raise TypeError(f"{method}'s arguments must be given by name")
        return {"ok": True, "value": getattr(session, method)(**args)}
    except SettingsError as error:
        return {"ok": False, "name": "SettingsError", "message": str(error), "fields": error.fields}
    except Exception as error:
        return {"ok": False, "name": type(error).__name__, "message": str(error) or type(error).__name__}


def read_npz(data: bytes) -> Dataset:
    """An MNIST split shipped as a pickle-free .npz of uint8 images and labels."""
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
        return Dataset.from_arrays(archive["images"], archive["labels"])


def valid_accuracy(value) -> float | None:
    """An accuracy worth showing: a real number from 0 to 1 (a model file may say anything)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1:
        return float(value)
    return None


class Session(TeachingSession):
    """Models by name ("pretrained", "yours", "finetuned"), the active one, and the jobs."""

    def __init__(self) -> None:
        self.models: dict[str, modelfile.Model] = {}
        self.active: str | None = None
        self.train_data: Dataset | None = None
        self.test_data: Dataset | None = None
        self.jobs = Scheduler()
        self.replicas: dict = {}  # a pool worker's nets for training shares, by their settings
        super().__init__()

    def test_set(self) -> Dataset:
        """The MNIST test set that jobs read; a RuntimeError before it is loaded."""
        if self.test_data is None:
            raise RuntimeError("the MNIST test set is not loaded yet")
        return self.test_data

    def train_set(self) -> Dataset:
        """The MNIST training set that runs read; a RuntimeError if this worker has none."""
        if self.train_data is None:
            raise RuntimeError("the MNIST training set is not loaded in this worker")
        return self.train_data

    @property
    def running(self) -> bool:
        """Whether a training run (of "yours") goes on."""
        return bool(self.jobs.of_kind("train"))

    # --- models

    def load_model(self, name: str, data: str | bytes) -> dict:
        """Validate a model file and make it ``name``; on any error nothing changes."""
        if name == "yours" and self.running:
            raise RuntimeError("wait for training to finish before replacing your model")
        network = modelfile.loads(data)  # size-capped; a UTF-8 byte order mark (Windows editors add one) is fine
        if network.n_in != INPUTS or network.n_out != OUTPUTS:
            raise modelfile.ModelFileError(f"this page needs a {INPUTS} → … → {OUTPUTS} network; "
                                    f"the file has sizes {network.sizes}")
        self.models[name] = network
        self.active = self.active or name
        return self.describe(name)

    def describe(self, name: str) -> dict:
        network = self.models[name]
        meta = dict(network.meta)
        if "test_accuracy" in meta:
            meta["test_accuracy"] = valid_accuracy(meta["test_accuracy"])
        return {"name": name, "kind": modelfile.spec_and_params(network)[0]["kind"], "sizes": network.sizes,
                "summary": summary(network), "cost": network.cost.name, "meta": meta}

    def use(self, name: str) -> dict:
        if name not in self.models:
            raise KeyError(f"no model named {name!r}")
        self.active = name
        return self.describe(name)

    def model_file(self, name: str, form: str) -> bytes | str:
        """The model as an ONNX file (bytes; the worker loads protobuf and ONNX's schema first) or as
        one Python file needing only numpy (text), for Download; or as .npz bytes, which
        ``load_model`` takes back exactly: how the page copies a model to its other workers (fast
        to write and read, and float64, so every worker gives the same answers bit for bit).
        Imported here, not at startup."""
        if form == "npz":
            return modelfile.encode(self.models[name], form="npz")
        if form == "onnx":
            from pynn.files.onnx_export import to_onnx

            return to_onnx(self.models[name])
        if form == "python":
            from pynn.files.python_export import to_python

            return to_python(self.models[name])
        raise ValueError(f"form must be 'npz', 'onnx' or 'python', got {form!r:.40}")

    def model_json(self, name: str) -> str:
        """The model file, or ModelTooLargeError if it would be over the cap load_model enforces
        (what the page saves or downloads, it must be able to load)."""
        text = modelfile.to_json(self.models[name])
        if len(text) > MAX_MODEL_BYTES:  # ASCII: characters are bytes
            raise ModelTooLargeError(f"the {name} model is {megabytes(len(text))} as a file, over the "
                                     f"{megabytes(MAX_MODEL_BYTES)} this page can load back; "
                                     "a network with fewer weights can be saved")
        return text

    def predict(self, pixels: bytes, width: int, height: int, name: str | None = None) -> dict:
        """Digit, normalised outputs and the 28×28 preview for a width×height uint8 ink image,
        read by model ``name`` (default: the active one).

        A blank image gives ``{"blank": True}`` instead of a guess."""
        try:
            x = from_pad(pixels, width, height)
        except BlankImageError:
            return {"blank": True}
        outputs = self.models[self.active if name is None else name].feedforward(x)[:, 0]
        return {
            "blank": False,
            "digit": int(np.argmax(outputs)),
            "probabilities": (outputs / outputs.sum()).tolist(),
            "preview": preview(x),
        }

    def hidden_units(self, name: str, count: int = 16) -> dict:
        """What the first layer learned, as grey images (pynn.page.explain.first_layer_pictures)."""
        return first_layer_pictures(self.models[name], count)

    # --- jobs (pynn.page.jobs, pynn.page.page_jobs, pynn.page.evaluate_jobs)

    def set_data(self, train: bytes | None = None, test: bytes | None = None) -> dict:
        """Keep the MNIST training and/or test set (uint8) that jobs read; a set not given stays
        as it was.  Each is loaded when a job first needs it (pynn.page.jobs): a worker that only
        evaluates, as the pool's do, never holds the training set."""
        train_data, test_data = (None if data is None else read_npz(data) for data in (train, test))
        self.train_data = self.train_data if train_data is None else train_data
        self.test_data = self.test_data if test_data is None else test_data
        return {"train": len(self.train_data or ()), "test": len(self.test_data or ())}

    def loaded(self) -> tuple[str, ...]:
        """The MNIST sets this worker holds, by the names jobs need them by."""
        return tuple(name for name, data in (("train", self.train_data), ("test", self.test_data)) if data is not None)

    def start_job(self, kind: str, **args) -> dict:
        """Start a job of ``kind`` (see JOBS) with its arguments, checked now: bad settings, or a
        job that cannot go with one under way, are refused before anything is loaded."""
        if kind not in JOBS:
            raise ValueError(f"there is no job {kind!r}; the jobs are {', '.join(JOBS)}")
        if kind == "finetune":
            args = {"base": self.active, **args}  # a resumed one names its own base
        job = job_class(kind)(self, **args)
        self.refuse_clash(job)
        return {"job": self.jobs.start(job), "kind": kind, "needs_data": self.jobs.needs_data(self.loaded())}

    def refuse_clash(self, job) -> None:
        """RuntimeError if ``job`` cannot run beside the jobs under way (one run at a time)."""
        runs = self.jobs.of_kind("train") + self.jobs.of_kind("finetune")
        if job.kind in ("train", "finetune") and runs:
            what = "a training run" if runs[0].kind == "train" else "a fine-tune"
            raise RuntimeError(f"{what} is going: wait for it to end, or press Stop, before starting another")
        if job.kind in ("evaluate", "evaluate_share"):
            if self.jobs.of_kind(job.kind):
                raise RuntimeError("an evaluation is going already: wait for it, or press Stop")
            if self.running and self.models[job.name] is self.models.get("yours"):
                # its weights change under the evaluation (and the kept conv outputs would not be its own)
                raise RuntimeError("this model is being trained: evaluate it when the run ends, or press Stop")

    def evaluation_report(self, name: str, shares: list[bytes], seconds: float, features: list | None = None,
                          spans: list[int] | None = None) -> dict:
        """The report of an evaluation the pool's workers did in shares (pynn.page.pool_jobs): the
        same, count for count, as the "evaluate" job's; their conv outputs are kept here."""
        from pynn.page.pool_jobs import merged_report

        return merged_report(self, name, shares, seconds, features, spans=spans)

    def missing_features(self, name: str, parts: int) -> list[int]:
        """The shares of the test set whose conv outputs are still to compute (pynn.page.pool_jobs)."""
        from pynn.page.pool_jobs import missing_parts

        return missing_parts(self, name, parts)

    def keep_features(self, name: str, start: int, features: bytes, key: str) -> dict:
        """Keep conv outputs a worker of the pool computed ahead (pynn.page.evaluate_jobs.FeaturesShareJob)."""
        from pynn.page.pool_jobs import keep_features

        return keep_features(self, name, start, features, key)

    def kept_features(self, name: str, digest: bool = True) -> dict:
        """The test set's conv outputs kept for model ``name``: CHUNKs missing, sha256 of the rows."""
        from pynn.page.pool_jobs import kept_digest

        return kept_digest(self, name, digest)

    def share_gradient(self, settings: dict, weights: bytes, x: bytes, y: bytes, scale: float,
                       measure_cost: bool) -> dict:
        """A pool worker's share of a training step (pynn.page.shared_steps): its rows' gradient at
        the weights it is given, {"gradient": float64 bytes, "cost"}."""
        from pynn.page.shared_steps import share_of

        return share_of(self.replicas, settings, weights, x, y, scale, measure_cost)

    def give_share(self, job: int, step: int, index: int, gradient: bytes | None = None,
                   cost: float | None = None) -> dict:
        """A pool worker's answer to share ``index`` of a training step (None: the worker is gone)."""
        return {"taken": self.jobs.give(job, step, index, gradient, cost)}

    def stop_job(self, job: int) -> dict:
        """Ask job ``job`` to end at its next turn (a training run keeps what it learned)."""
        return {"stopping": self.jobs.stop(job)}

    def stop_waiting(self) -> list[int]:
        """Stop every job still waiting for its data (it could not be loaded); their ids."""
        return self.jobs.stop_waiting(self.loaded())

    def work(self, seconds: float = 0.03) -> dict:
        """One turn of the job loop (pynn.page.jobs.Scheduler.work): about ``seconds`` of one job."""
        return self.jobs.work(seconds, self.loaded())


JOBS = ("train", "finetune", "evaluate", "evaluate_share", "features_share")


def job_class(kind: str) -> type:
    """The class of the jobs of ``kind`` (one of JOBS). Their modules (pynn.page.page_jobs,
    pynn.page.evaluate_jobs, and what those import: training, fine-tuning, reports, checkpoints)
    are imported on the first job, not at startup, which needs only a model and a prediction; so
    are the pool's functions above (pynn.page.pool_jobs)."""
    if kind in ("train", "finetune"):
        from pynn.page import page_jobs

        return {"train": page_jobs.TrainJob, "finetune": page_jobs.FineTuneJob}[kind]
    from pynn.page import evaluate_jobs

    return {"evaluate": evaluate_jobs.EvaluateJob, "evaluate_share": evaluate_jobs.EvaluateShareJob,
            "features_share": evaluate_jobs.FeaturesShareJob}[kind]
