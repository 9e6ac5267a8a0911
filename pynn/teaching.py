"""The page's "teach it your handwriting" and "why this answer" calls, for the worker's Session.

Your digits (labelled drawings), fine-tuning a copy of the model in use on them
with MNIST replay, evaluating a model on the test set (confusion, mistakes), and
explaining one answer.  The work is done by pynn.your_digits, pynn.finetune,
pynn.report and pynn.explain; this class keeps the state between the page's
calls and speaks in plain values.  It is mixed into pynn.browser.Session, whose
``models``, ``active``, ``train_data`` and ``test_data`` it reads.
"""

from __future__ import annotations

import time

import numpy as np

from pynn import your_digits
from pynn.digits import BlankImageError, from_pad, preview
from pynn.explain import explain
from pynn.features import FeatureCache, conv_depth
from pynn.finetune import REPLAY_POOL, FineTune
from pynn.report import Evaluation


class TeachingSession:
    """State for your digits, a fine-tune run and an evaluation; see the module docstring."""

    models: dict
    active: str | None
    running: bool  # a training run (of "yours") goes on

    def __init__(self) -> None:
        self.your_digits: list[dict] = []
        self.finetune: FineTune | None = None
        self.finetune_base: str | None = None
        self.evaluation: Evaluation | None = None
        # a conv net's conv outputs on MNIST, shared by evaluations and fine-tunes of the same filters
        self.features = FeatureCache()


    def label_digit(self, pixels: bytes, width: int, height: int, label: int, strokes: list | None = None) -> dict:
        """Normalise a drawing as ``predict`` does and add it to your digits with ``label``.
        A blank drawing raises BlankImageError (its message says to draw first); a bad label
        or strokes raise DigitsFileError.  Returns the new digit's index, the per-label
        counts and the 28×28 preview that was stored."""
        image = preview(from_pad(pixels, width, height))  # raises BlankImageError
        digits = self.your_digits
        if len(digits) >= your_digits.MAX_DIGITS:
            raise your_digits.DigitsFileError(f"you have {len(digits)} digits, the most a file holds; "
                                              "remove some first")
        digit = your_digits.check_digit({"label": label, "pixels": image, "strokes": strokes or []})
        self.your_digits = [*digits, digit]
        return {"index": len(self.your_digits) - 1, "count": len(self.your_digits),
                "per_label": your_digits.counts(self.your_digits), "preview": image}

    def digits_summary(self) -> dict:
        """Your digits for the page: labels, previews (784 bytes each) and strokes, and counts."""
        digits = self.your_digits
        return {"count": len(digits), "per_label": your_digits.counts(digits),
                "digits": [{"label": d["label"], "preview": d["pixels"], "strokes": d["strokes"]} for d in digits]}

    def remove_digit(self, index: int) -> dict:
        digits = list(self.your_digits)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(digits):
            raise IndexError(f"no digit number {index!r}")
        del digits[index]
        self.your_digits = digits
        return self.digits_summary()

    def clear_digits(self) -> dict:
        """Forget all your digits (the page keeps a copy of the file until it is sure)."""
        self.your_digits = []
        return self.digits_summary()

    def digits_file(self) -> bytes:
        """Your digits as the downloadable file (pynn.your_digits format)."""
        return your_digits.dumps(self.your_digits)

    def load_digits(self, data: bytes, replace: bool = True) -> dict:
        """Read a digits file (validated; on error nothing changes), replacing or adding to yours."""
        loaded = your_digits.loads(data)
        self.your_digits = loaded if replace else your_digits.merged(self.your_digits, loaded)
        return self.digits_summary()

    def start_finetune(self, digits_bytes: bytes | None = None, settings: dict | None = None) -> dict:
        """Start fine-tuning a copy of the active model on your digits (the file ``digits_bytes``,
        or the ones labelled in this session if None) with MNIST replay.  Settings are
        pynn.settings.FINETUNE_FIELDS (missing ones take defaults).  The copy becomes the
        model "finetuned" when the run is done; the active model is not changed."""
        if self.active is None:
            raise RuntimeError("no model is loaded to fine-tune")
        if self.train_data is None:
            raise RuntimeError("MNIST is not loaded yet: fine-tuning mixes in MNIST images so it does not forget")
        digits = self.your_digits if digits_bytes is None else your_digits.loads(digits_bytes)
        self.finetune = FineTune(self.models[self.active], digits, self.train_data, self.test_data, settings,
                                 cache=self.features)
        self.finetune_base = self.active
        run = self.finetune
        return {"base": self.active, "digits": len(digits), "held_out": len(run.held_index),
                "trained_on": len(run.train_index), "total_batches": run.total_batches,
                "settings": dict(run.settings), "notes": run.notes()}

    def finetune_chunk(self, seconds: float = 0.2) -> dict:
        """Fine-tune for about ``seconds``; the progress, with ``result`` (before → after) once done.
        To stop, simply stop calling: the model in use was never touched."""
        run = self.finetune
        if run is None:
            raise RuntimeError("no fine-tune; start one first")
        progress = run.run(max_seconds=seconds)
        if run.done:
            result = run.result()
            if "finetuned" not in self.models or self.models["finetuned"] is not run.model:
                run.model.meta = {**run.model.meta, "name": "finetuned",
                                  "finetuned_from": self.finetune_base, "finetune": {
                                      k: result[k] for k in ("before", "after", "per_label", "settings")}}
                self.models["finetuned"] = run.model
            progress["result"] = result
        return progress

    def evaluate_start(self, name: str | None = None) -> dict:
        """Start evaluating model ``name`` (default: the active one) on the MNIST test set."""
        name = self.active if name is None else name
        if name not in self.models:
            raise KeyError(f"no model named {name!r}")
        if self.test_data is None:
            raise RuntimeError("the MNIST test set is not loaded yet")
        if self.running and self.models[name] is self.models.get("yours"):
            # its weights change under the evaluation (and the kept conv outputs would not be its own)
            raise RuntimeError("this model is being trained: evaluate it when the run ends, or press Stop")
        self.evaluation = Evaluation(self.models[name], self.test_data, cache=self.features)
        return {"name": name, **self.evaluation.progress()}

    def evaluate_chunk(self, seconds: float = 0.2, max_mistakes: int | None = 200) -> dict:
        """Evaluate for about ``seconds``; the progress, with ``result`` once done (see pynn.report)."""
        evaluation = self.evaluation
        if evaluation is None:
            raise RuntimeError("no evaluation; start one first")
        progress = evaluation.run(max_seconds=seconds)
        if evaluation.done:
            progress["result"] = evaluation.result(max_mistakes)
        return progress

    def warm_features(self, seconds: float = 0.03) -> dict:
        """Compute ahead, for about ``seconds`` (at least one block), what a fine-tune or an
        evaluation of the active model will read from the feature cache: its conv layers'
        outputs on MNIST's test set, then on the replay pool.  The page calls this between
        other work once you start teaching it.  ``paused`` while a training run goes on."""
        if self.running:
            return {"done": False, "paused": True}
        model = self.models.get(self.active)
        if conv_depth(model) == 0 or self.test_data is None or self.train_data is None:
            return {"done": True, "paused": False}
        kept = self.features.of(model)
        targets = ((self.test_data, len(self.test_data)), (self.train_data, REPLAY_POOL))
        left = sum(len(kept.missing(data, stop)) for data, stop in targets)
        deadline = time.perf_counter() + seconds
        for data, stop in targets:
            for _ in kept.fill(data, stop):
                left -= 1
                if time.perf_counter() >= deadline:
                    return {"done": left == 0, "paused": False, "left": left}
        return {"done": True, "paused": False, "left": 0}

    def test_image(self, index: int) -> bytes:
        """Test image ``index`` as 784 bytes (to show a mistake)."""
        if self.test_data is None:
            raise RuntimeError("the MNIST test set is not loaded yet")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.test_data):
            raise IndexError(f"no test image number {index!r}")
        row = self.test_data.x[index]
        if row.dtype == np.uint8:
            return row.tobytes()
        return np.clip(np.rint(row * self.test_data.scale * 256), 0, 255).astype(np.uint8).tobytes()

    def explain(self, pixels: bytes, width: int, height: int, name: str | None = None) -> dict:
        """Why the model (default: the active one) answers as it does for this drawing: the
        answer, the saliency of each input pixel and the first hidden layer's activations
        (see pynn.explain), with the 28×28 preview.  A blank drawing gives ``{"blank": True}``."""
        try:
            x = from_pad(pixels, width, height)
        except BlankImageError:
            return {"blank": True}
        result = explain(self.models[self.active if name is None else name], x)
        return {"blank": False, **result, "preview": preview(x)}
