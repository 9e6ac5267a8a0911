"""Runs survive a reload (issue 14, part 1): a conv net's run and a fine-tune resumed after a
reload end, to the bit, as the same ones never interrupted; a finished run's or fine-tune's
model is kept without Save, as the latest unsaved model, and offered back after a reload."""

from __future__ import annotations

import numpy as np
from harness.app import by_id, model_json, open_app, poll, wait_ready
from harness.forms import VALID_SETTINGS, fill_settings
from harness.models import select_model, wait_saved
from harness.runs import CHECKPOINT, RECORD_JS, reload_and_resume, uninterrupted, wait_gone, wait_stored
from harness.training import train
from playwright.sync_api import expect
from teach_helpers import TRAINING_TIMEOUT, download_digits, draw_and_label, set_finetune_settings, style_drawings

from pynn.files import modelfile

# Long enough for a checkpoint (one per ~10 s of training; about 1 s per 1,000 images), short enough
# for a test; the reload comes before the last epoch, so an epoch's shuffle is drawn after it.
# The first checkpoint comes after about 10 s of training; four epochs of 15,000 images keep it
# before the last epoch (so a shuffle is drawn after resuming) up to ~4,500 images a second, where
# two epochs failed on a quiet machine (~1,500 a second: the checkpoint fell in the last epoch).
CONV_RESUME = {**VALID_SETTINGS, "architecture": "conv", "hidden": [30], "epochs": 4, "eta": 0.1,
               "train_size": 15_000, "seed": 7}


PRINT = {d["digit"]: d["strokes"] for d in style_drawings("print")}  # one of each digit


def params(json_text: str) -> list[np.ndarray]:
    model = modelfile.loads(json_text)
    return [p for layer in model.layers for p in layer.params]


def test_a_conv_run_resumed_after_a_reload_ends_bit_identical_to_an_unbroken_one(app, browser,
                                                                                browser_context_args, base_url):
    page = app.page
    fill_settings(page, **CONV_RESUME)
    by_id(page, "train").click()
    kept = reload_and_resume(page)
    assert kept["epoch"] < CONV_RESUME["epochs"] - 1 and kept["bytes"] > 0  # a shuffle is drawn after resuming
    resumed = model_json(page, "yours")
    assert modelfile.loads(resumed).describe()["layers"][0]["type"] == "ConvPoolLayer"
    wait_gone(page, CHECKPOINT)  # dropped once the run ended

    unbroken = uninterrupted(browser, browser_context_args, base_url, CONV_RESUME)
    ours, theirs = params(resumed), params(unbroken)
    assert len(ours) == len(theirs) == 6
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and np.array_equal(a, b)  # bit for bit, not merely close
    assert app.monitor.errors == []


LATEST = "latest-model"  # web/page/storage.js's key of the latest unsaved model
QUICK = {**VALID_SETTINGS, "epochs": 1, "train_size": 1000, "seed": 11}


def option(page, name: str):
    return by_id(page, "model-select").locator(f"option[value={name}]")


def test_a_finished_run_is_kept_without_save_and_offered_back_after_a_reload_marked_unsaved(app):
    page = app.page
    train(page, QUICK)
    trained = model_json(page, "yours")
    assert wait_stored(page, LATEST)["name"] == "yours"
    page.reload()
    wait_ready(page)
    expect(option(page, "yours")).to_have_count(1)
    expect(option(page, "yours")).to_have_attribute("data-unsaved", "true")
    expect(option(page, "yours")).to_contain_text("unsaved")
    assert model_json(page, "yours") == trained  # the same model, to the bit (JSON floats round-trip)

    # Save keeps it for good under its name; the unsaved copy is dropped, and the mark goes.
    select_model(page, "yours")
    by_id(page, "save-model").click()
    wait_saved(page, "yours")
    wait_gone(page, LATEST)
    expect(option(page, "yours")).not_to_have_attribute("data-unsaved", "true")
    page.reload()
    wait_ready(page)
    expect(option(page, "yours")).to_contain_text("saved")
    expect(option(page, "yours")).not_to_contain_text("unsaved")
    assert model_json(page, "yours") == trained
    assert app.monitor.errors == []


def test_a_fine_tuned_model_is_kept_without_save_and_replaces_the_latest_run(app):
    page = app.page
    train(page, QUICK)
    wait_stored(page, LATEST)
    for digit in (1, 4):
        draw_and_label(page, PRINT[digit], digit)
        draw_and_label(page, PRINT[digit], digit)
    set_finetune_settings(page, rounds=1, round_size=100, test_size=100)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "model-select")).to_have_value("finetuned", timeout=TRAINING_TIMEOUT)
    wait_ready(page, TRAINING_TIMEOUT)
    finetuned = model_json(page, "finetuned")
    poll(page, f"async () => ((await ({RECORD_JS})('{LATEST}')) || {{}}).name === 'finetuned'", timeout=10)
    page.reload()
    wait_ready(page)
    expect(option(page, "finetuned")).to_have_attribute("data-unsaved", "true")
    expect(option(page, "yours")).to_have_count(0)  # the latest only: the run before was replaced, not saved
    assert model_json(page, "finetuned") == finetuned
    assert app.monitor.errors == []


# About 1 s a round in the page (0.4 s natively): a checkpoint comes ~10 s into training.
LONG_FINETUNE = {"rounds": 30, "round_size": 1500, "test_size": 500, "seed": 3}


def finetuned_params(page) -> list[np.ndarray]:
    expect(by_id(page, "model-select")).to_have_value("finetuned", timeout=TRAINING_TIMEOUT)
    wait_ready(page, TRAINING_TIMEOUT)
    return params(model_json(page, "finetuned"))


def test_a_fine_tune_resumed_after_a_reload_ends_bit_identical_to_an_unbroken_one(app, browser, browser_context_args,
                                                                                 base_url, tmp_path):
    page = app.page
    for digit in (1, 4):
        draw_and_label(page, PRINT[digit], digit)
        draw_and_label(page, PRINT[digit], digit)
    digits = download_digits(page, tmp_path / "digits.json")
    set_finetune_settings(page, **LONG_FINETUNE)
    by_id(page, "fine-tune").click()
    kept = poll(page, f"async () => {{ const r = await ({RECORD_JS})('{CHECKPOINT}'); "
                      "return r && r.kind === 'finetune' && r; }", timeout=TRAINING_TIMEOUT / 1000, interval=0.5)
    assert kept["round"] < LONG_FINETUNE["rounds"] and kept["bytes"] > 0
    page.reload()
    wait_ready(page)
    expect(by_id(page, "resume-offer")).to_be_visible()
    expect(by_id(page, "resume-offer")).to_contain_text("fine-tune did not finish")
    by_id(page, "resume").click()
    expect(by_id(page, "finetune-message")).to_contain_text("Resumed", timeout=TRAINING_TIMEOUT)
    resumed = finetuned_params(page)
    wait_gone(page, CHECKPOINT)  # dropped once it ended

    context = browser.new_context(**browser_context_args)
    try:
        other = context.new_page()
        open_app(other, base_url)
        by_id(other, "upload-digits").set_input_files(str(digits))  # the same digits, to the pixel
        expect(by_id(other, "your-digits").locator("[data-label]")).to_have_count(4)
        set_finetune_settings(other, **LONG_FINETUNE)
        by_id(other, "fine-tune").click()
        unbroken = finetuned_params(other)
    finally:
        context.close()
    assert len(resumed) == len(unbroken) > 0
    for a, b in zip(resumed, unbroken):
        assert a.shape == b.shape and np.array_equal(a, b)
    assert app.monitor.errors == []
