"""What a fine-tune did to the model, said plainly, and the fine-tuned model's own record.

A fine-tune can make a model worse: at a rate far too high (eta = 1000) MNIST's test
accuracy falls to chance, and if the new model kept its base's meta the page would go on
showing the base's 99.52%.  :func:`verdict` says whether it got worse and why;
:func:`finetuned_meta` gives the new model the test accuracy measured after the fine-tune.
"""

from __future__ import annotations

# Worse: MNIST's test accuracy fell by more than this (a point; replay keeps a good fine-tune
# well within it), or the accuracy on your held-out digits fell at all.
WORSE_BY = 0.01


def verdict(before: dict, after: dict) -> dict:
    """Whether the fine-tune made the model worse, and why, in the user's words: MNIST's test
    accuracy fell by more than WORSE_BY, or the accuracy on your held-out digits fell."""
    reasons = []
    mnist = [None if record["mnist_test"] is None else record["mnist_test"]["accuracy"] for record in (before, after)]
    before_mnist, after_mnist = mnist
    if before_mnist is not None and after_mnist is not None and after_mnist < before_mnist - WORSE_BY:
        reasons.append(f"MNIST test accuracy fell from {before_mnist:.2%} to {after_mnist:.2%}")
    held = [record["yours_held_out"]["accuracy"] for record in (before, after)]
    if None not in held and held[1] < held[0]:
        reasons.append(f"on your held-out digits it fell from {held[0]:.0%} to {held[1]:.0%}")
    return {"worse": bool(reasons), "reasons": reasons, "mnist_before": mnist[0], "mnist_after": mnist[1]}


def finetuned_meta(base_meta: dict | None, result: dict, base_name: str | None = None) -> dict:
    """The fine-tuned model's meta: the base's, with the test accuracy measured after the
    fine-tune in place of the base's (None if MNIST was not measured), and the fine-tune's
    record, verdict included.  ``test_images`` says how many test images that figure is on."""
    mnist = result["after"]["mnist_test"]
    meta = {key: value for key, value in (base_meta or {}).items() if key != "test_images"}
    meta.update({"name": "finetuned", "finetuned_from": base_name,
                 "test_accuracy": None if mnist is None else mnist["accuracy"],
                 "test_images": None if mnist is None else mnist["total"],
                 "worse": result["verdict"]["worse"],
                 "finetune": {key: result[key] for key in ("before", "after", "per_label", "settings", "verdict")}})
    return meta
