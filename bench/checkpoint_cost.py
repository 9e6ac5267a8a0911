"""What checkpointing costs a run, natively: the time to write one checkpoint
(pynn.page.checkpoints.dumps, as the training job does about every CHECKPOINT_SECONDS of
training) beside the training time between two checkpoints, for the default MLP and the
default conv net at the form's full training size.  Not measured here: the page's copy of the
bytes to the main thread and its IndexedDB write (they run off the worker's training turn).

    .venv/bin/python bench/checkpoint_cost.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from job_driver import start  # noqa: E402
from synthetic_digits import npz_bytes  # noqa: E402

from pynn.page import checkpoints  # noqa: E402
from pynn.page.browser import Session  # noqa: E402
from pynn.page.jobs import CHECKPOINT_SECONDS  # noqa: E402
from pynn.page.settings import DEFAULTS  # noqa: E402

TRAIN = 50_000


def one_checkpoint(settings: dict, repeats: int = 5) -> tuple[float, int]:
    """Seconds to write a checkpoint of a run under way (best of ``repeats``), and its bytes."""
    session = Session()
    session.set_data(npz_bytes(TRAIN, 0), npz_bytes(200, 1))
    job = start(session, "train", settings=settings)
    timings, size = [], 0
    original = checkpoints.dumps

    def timed(*args, **kwargs):
        nonlocal size
        began = time.perf_counter()
        data = original(*args, **kwargs)
        timings.append(time.perf_counter() - began)
        size = len(data)
        return data

    checkpoints.dumps = timed
    try:
        for _ in range(100_000):
            train = session.jobs.entries.get(job)
            if train is not None and train.begun:
                train.job.since_checkpoint = float("inf")  # due now
            session.work(0.0)
            if len(timings) >= repeats:
                break
    finally:
        checkpoints.dumps = original
        session.stop_job(job)
    return min(timings), size


def main() -> None:
    print(f"checkpoint every {CHECKPOINT_SECONDS:.0f} s of training; train_size {TRAIN:,}")
    for name, settings in [("mlp", {**DEFAULTS, "train_size": TRAIN}),
                           ("conv", {**DEFAULTS, "architecture": "conv", "train_size": TRAIN})]:
        seconds, size = one_checkpoint(settings)
        print(f"{name:5s} checkpoint {size / 1e6:6.2f} MB written in {seconds * 1000:7.1f} ms"
              f" = {100 * seconds / CHECKPOINT_SECONDS:.2f}% of the {CHECKPOINT_SECONDS:.0f} s between checkpoints")


if __name__ == "__main__":
    main()
