"""The page's "teach it your handwriting" and "why this answer" calls, for the worker's Session.

Your digits (labelled drawings), the test images an evaluation got wrong, and
explaining one answer.  The work is done by pynn.page.your_digits and pynn.page.explain;
fine-tuning and evaluating are jobs (pynn.page.page_jobs, pynn.page.evaluate_jobs).  This class keeps your
digits between the page's calls and speaks in plain values.  It is mixed into
pynn.page.browser.Session, whose ``models``, ``active``, ``test_data`` and ``jobs``
it reads.
"""

from __future__ import annotations

import numpy as np

from pynn.data.digits import BlankImageError, from_pad, preview
from pynn.page import your_digits
from pynn.page.explain import explain
from pynn.page.features import FeatureCache
from pynn.page.jobs import Scheduler


class TeachingSession:
    """State for your digits, a fine-tune run and an evaluation; see the module docstring."""

    models: dict
    active: str | None
    jobs: Scheduler

    def __init__(self) -> None:
        self.your_digits: list[dict] = []
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
        self.teaching_started()
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
        """Your digits as the downloadable file (pynn.page.your_digits format)."""
        return your_digits.dumps(self.your_digits)

    def load_digits(self, data: bytes, replace: bool = True, ahead: bool = False) -> dict:
        """Read a digits file (validated; on error nothing changes), replacing or adding to yours.
        ``ahead``: they come from you now (an upload, not storage at start-up), so start
        computing ahead for a fine-tune."""
        loaded = your_digits.loads(data)
        self.your_digits = loaded if replace else your_digits.merged(self.your_digits, loaded)
        if ahead:
            self.teaching_started()
        return self.digits_summary()

    def teaching_started(self) -> None:
        """Once you label or upload digits: compute ahead what a fine-tune will read (a
        background job: it runs only while no other job can).  Its module is imported here, not
        at startup (pynn.page.browser.job_class says why)."""
        from pynn.page.evaluate_jobs import warm_job

        if not self.jobs.of_kind("warm") and (job := warm_job(self, self.active)) is not None:
            self.jobs.start(job)

    def test_images(self, indices: list[int]) -> bytes:
        """Test images ``indices``, 784 bytes each, one after another (to show mistakes)."""
        if self.test_data is None:
            raise RuntimeError("the MNIST test set is not loaded yet")
        data = self.test_data
        for index in indices:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(data):
                raise IndexError(f"no test image number {index!r}")
        rows = data.x[list(indices)]
        if rows.dtype != np.uint8:
            rows = np.clip(np.rint(rows * data.scale * 256), 0, 255).astype(np.uint8)
        return rows.tobytes()

    def explain(self, pixels: bytes, width: int, height: int, name: str | None = None) -> dict:
        """Why the model (default: the active one) answers as it does for this drawing: the
        answer, the saliency of each input pixel and the first hidden layer's activations
        (see pynn.page.explain), with the 28×28 preview.  A blank drawing gives ``{"blank": True}``."""
        try:
            x = from_pad(pixels, width, height)
        except BlankImageError:
            return {"blank": True}
        result = explain(self.models[self.active if name is None else name], x)
        return {"blank": False, **result, "preview": preview(x)}
