"""Teach it your handwriting, and see why it answers: labelling drawings (buttons and keys),
the gallery of your digits (delete, clear-all, reload, download/upload, hostile files),
fine-tuning (Stop, and a full run that makes "yours (fine-tuned)" the model in use),
evaluating on MNIST's test set, and the saliency map.  Most tests share one page (one
Pyodide start); they run in file order and each leaves the digits as it states."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from harness import ROOT, SITE
from harness.app import by_id, model_json, poll, wait_ready, wait_state
from harness.drawing import clear_pad, draw
from harness.forms import type_into
from harness.monitor import Monitor
from harness.predictions import last_answered, tap_predictions
from harness.teaching import ask, missing_model, model_digest, native_finetune, native_report, page_digits
from playwright.sync_api import expect
from teach_helpers import (
    TRAINING_TIMEOUT,
    canvas_ink,
    clear_digits,
    confusion,
    digit_count,
    download_digits,
    draw_and_label,
    labels,
    set_finetune_settings,
    style_drawings,
)

from pynn.data.digits import from_pad
from pynn.files import modelfile
from pynn.page.explain import explain

PRINT = {d["digit"]: d["strokes"] for d in style_drawings("print")}  # one of each digit
TRAINING_UNDER_WAY = ("() => +document.querySelector('[data-testid=finetune-progress]')"
                      ".getAttribute('aria-valuenow') > 0")


@pytest.fixture(scope="module")
def page(module_app):
    return module_app.page


@pytest.fixture(scope="module")
def pretrained():
    return modelfile.loads((SITE / "models" / "pretrained.npz").read_bytes())  # what the worker loads


def score(measure: dict | None) -> str:
    """A measure as the fine-tune's table writes it (finetune.js score())."""
    if not measure or measure["accuracy"] is None:
        return "–"
    return f"{measure['accuracy'] * 100:.2f}% ({measure['correct']}/{measure['total']})"


def counts(cell: str) -> tuple[int, int] | None:
    """(correct, total) of a table cell such as "97.50% (1950/2000)"; None for "–"."""
    found = re.fullmatch(r"\d+\.\d\d% \((\d+)/(\d+)\)", cell)
    assert found or cell == "–", f"unreadable cell {cell!r}"
    return found and (int(found[1]), int(found[2]))


def message(page) -> str:
    return by_id(page, "label-message").inner_text()


def test_blank_pad_is_refused_and_buttons_and_keys_label(page):
    clear_digits(page)
    clear_pad(page)
    buttons = by_id(page, "label-buttons").locator("button[data-digit]")
    expect(buttons).to_have_count(10)
    assert buttons.evaluate_all("bs => bs.map(b => b.dataset.digit)") == [str(d) for d in range(10)]
    buttons.nth(3).click()
    expect(by_id(page, "label-message")).to_contain_text("blank")
    assert digit_count(page) == 0

    draw_and_label(page, PRINT[1], 1)
    clear_pad(page)
    draw(page, PRINT[7])
    by_id(page, "draw-canvas").focus()
    page.keyboard.press("7")
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(2)
    assert labels(page) == ["1", "7"]
    page.keyboard.press("Escape")  # Esc still clears the pad
    expect(by_id(page, "prediction")).to_have_text("")
    gallery = by_id(page, "your-digits").locator("[data-label] canvas")
    assert gallery.evaluate_all("cs => cs.map(c => [c.width, c.height])") == [[28, 28], [28, 28]]


def test_delete_and_clear_all_with_undo(page):
    draw_and_label(page, PRINT[4], 4)
    assert labels(page) == ["1", "7", "4"]
    by_id(page, "your-digits").locator("[data-label='7'] button").click()
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(2)
    assert labels(page) == ["1", "4"]
    by_id(page, "clear-digits").click()
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(0)
    by_id(page, "undo-clear").click()
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(2)
    assert labels(page) == ["1", "4"]


def test_digits_survive_a_reload(page):
    page.reload()
    wait_ready(page)
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(2)
    assert labels(page) == ["1", "4"]


def test_download_and_upload_round_trip(page, tmp_path):
    path = download_digits(page, tmp_path / "digits.json")
    saved = json.loads(path.read_text())
    assert saved["format"] == "pynn-your-digits" and [d["label"] for d in saved["digits"]] == [1, 4]
    clear_digits(page)
    by_id(page, "upload-digits").set_input_files(str(path))
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(2)
    assert labels(page) == ["1", "4"]
    expect(by_id(page, "label-message")).to_contain_text("Added 2 digits")


@pytest.mark.parametrize("name, body", [
    ("garbage.json", b"\x00\xffnot json"),
    ("nested.json", b"[" * 5000 + b"]" * 5000),
    ("wrong.json", json.dumps({"format": "pynn-your-digits", "version": 1,
                               "digits": [{"label": 11, "pixels": [0] * 784, "strokes": []}]}).encode()),
    ("nan.json", b'{"format": "pynn-your-digits", "version": 1, "digits": [{"label": 1, "pixels": [NaN], '
                 b'"strokes": []}]}'),
    ("huge.json", b" " * (13 * 1024 * 1024)),
])
def test_hostile_upload_is_refused_and_digits_kept(page, tmp_path, name, body):
    path = tmp_path / name
    path.write_bytes(body)
    by_id(page, "upload-digits").set_input_files(str(path))
    expect(by_id(page, "label-message")).to_contain_text(f"{name} was not loaded")
    assert labels(page) == ["1", "4"]


def test_a_model_file_uploaded_as_digits_is_named_a_model_file(page):
    # was "digits file is nested too deeply"
    by_id(page, "upload-digits").set_input_files(str(ROOT / "web" / "models" / "pretrained.json"))
    expect(by_id(page, "label-message")).to_have_text(
        "pretrained.json was not loaded, and your digits are as they were: this is a model file, not a file of "
        "your digits (a model is uploaded under Model)")
    assert labels(page) == ["1", "4"]


def test_a_digits_file_uploaded_as_a_model_is_named_a_digits_file(page, tmp_path):
    path = download_digits(page, tmp_path / "my-digits.json")
    by_id(page, "upload-model").set_input_files(str(path))
    expect(by_id(page, "model-error")).to_have_text(
        "my-digits.json was not loaded: this is a file of your digits (labelled drawings), not a model file")
    assert by_id(page, "model-select").input_value() == "pretrained"


def test_saliency_and_lit_units_explain_the_drawing(page, pretrained):
    tap_predictions(page)
    clear_pad(page)
    draw(page, PRINT[3])
    expect(by_id(page, "saliency")).to_have_attribute("data-digit", re.compile(r"^\d$"))
    assert canvas_ink(page, "saliency") > 50
    # What the worker explained, for the ink the page sent, is pynn.page.explain's natively.
    call = last_answered(page, "explain")
    sent = call["sent"]
    native = explain(pretrained, from_pad(bytes(sent["pixels"]), sent["width"], sent["height"]))
    assert call["value"]["digit"] == native["digit"] and by_id(page, "saliency").get_attribute("data-digit") == str(
        native["digit"])
    np.testing.assert_allclose(call["value"]["saliency"], native["saliency"], rtol=0, atol=1e-12)
    assert bytes(call["value"]["saliency_image"]) == native["saliency_image"]
    assert page.locator("#units.lit canvas").count() > 0
    fires = page.locator("#units canvas").evaluate_all("cs => cs.map(c => +c.dataset.fire)")
    assert 0 <= min(fires) < max(fires) <= 1  # relative to the strongest unit of the whole layer
    clear_pad(page)
    assert canvas_ink(page, "saliency") == 0


def test_finetune_with_no_digits_says_what_to_do(page):
    with page.expect_download() as info:  # keep them, to put back after
        by_id(page, "download-digits").click()
    clear_digits(page)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "finetune-message")).to_contain_text("no digits to fine-tune on")
    by_id(page, "upload-digits").set_input_files(info.value.path())
    expect(by_id(page, "your-digits").locator("[data-label]")).to_have_count(2)


def test_finetune_hints_write_numbers_as_a_person_does(page):
    set_finetune_settings(page)
    expect(page.locator("#finetune-test_size-hint")).to_have_text("100 – 10,000")  # was "100 – 10000"
    expect(page.locator("#finetune-seed-hint")).to_have_text("0 – 4,294,967,295")


@pytest.mark.parametrize("text", ["1e", "1e309", ""])
def test_unreadable_finetune_setting_is_an_error_at_its_field_not_the_default(page, text):
    # "1e" and "1e309" were taken as the default (Number() of the number input's empty value)
    set_finetune_settings(page)
    box = page.locator("#finetune-round_size")
    type_into(box, text)
    by_id(page, "fine-tune").click()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_be_focused()
    expect(page.locator("#finetune-round_size-error")).to_have_text("Enter a number between 20 and 20,000.")
    expect(by_id(page, "finetune-message")).to_have_text("Fix the highlighted fine-tune settings first.")
    assert by_id(page, "status").get_attribute("data-state") == "ready"  # nothing started
    set_finetune_settings(page, round_size=600)
    box.blur()


def test_finetune_stop_leaves_the_model_in_use(page):
    """Stopped once it has trained some mini-batches: "pretrained" is as it was, to the bit, and
    answers as it did, and no "finetuned" model was made."""
    digest, answer = model_digest(page, "pretrained"), ask(page, "predict", "pretrained")
    set_finetune_settings(page, rounds=100, round_size=1500, test_size=100)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "status")).to_have_attribute("data-state", "training")
    poll(page, TRAINING_UNDER_WAY, timeout=TRAINING_TIMEOUT / 1000)
    expect(by_id(page, "stop-finetune")).to_be_enabled()
    by_id(page, "stop-finetune").click()
    wait_state(page, ("ready",))
    expect(by_id(page, "finetune-message")).to_contain_text("Stopped")
    assert by_id(page, "model-select").input_value() == "pretrained"
    expect(by_id(page, "model-select").locator("option[value=finetuned]")).to_have_count(0)
    assert "finetuned" in missing_model(page, "finetuned")
    assert model_digest(page, "pretrained") == digest
    assert ask(page, "predict", "pretrained") == answer


def test_full_finetune_makes_the_finetuned_model_the_one_in_use(page, pretrained):
    for digit in (0, 2, 5, 8):
        draw_and_label(page, PRINT[digit], digit)
        draw_and_label(page, PRINT[digit], digit)
    set_finetune_settings(page, rounds=2, round_size=300, test_size=2000)
    by_id(page, "fine-tune").click()
    expect(by_id(page, "status")).to_have_attribute("data-state", "training")
    expect(by_id(page, "status")).to_have_attribute("data-state", "ready", timeout=TRAINING_TIMEOUT)
    assert by_id(page, "model-select").input_value() == "finetuned"
    expect(by_id(page, "model-select").locator("option:checked")).to_have_text("yours (fine-tuned)")
    result = by_id(page, "finetune-result")
    expect(result.locator("tr")).to_have_count(3)
    expect(by_id(page, "finetune-notes")).to_contain_text("no 3, 6, 7, 9")  # the digits not drawn (7 was deleted)
    expect(by_id(page, "finetune-message")).not_to_contain_text("worse")  # it did not get worse

    # The same fine-tune natively: the page's digits, the settings (seed too) the model records.
    finetuned = modelfile.loads(model_json(page, "finetuned"))
    settings = finetuned.meta["finetune"]["settings"]
    assert settings["seed"] == 0 and settings["rounds"] == 2 and settings["freeze"] == "conv"
    native, native_model = native_finetune(pretrained, page_digits(page), settings)
    for row in result.locator("tr[data-measure]").all():
        measure, cells = row.get_attribute("data-measure"), row.locator("td").all_inner_texts()
        page_figures = [counts(cells[1]), counts(cells[3])]
        native_figures = [counts(score(native[when][measure])) for when in ("before", "after")]
        assert page_figures == native_figures, f"{measure}: page {cells}, native {native_figures}"
    assert native["after"]["mnist_test"]["total"] == 2000
    # Freeze "conv": its conv layers are the base's, to the bit; the layers above learned, as natively.
    layers = [layer.params for layer in finetuned.layers]
    base_layers = [layer.params for layer in pretrained.layers]
    for ours, base, theirs, layer in zip(layers, base_layers, [layer.params for layer in native_model.layers],
                                         finetuned.layers):
        if type(layer).__name__ == "ConvPoolLayer":
            assert all(np.array_equal(a, b) for a, b in zip(ours, base)), "a conv layer changed"
        else:
            assert not any(np.array_equal(a, b) for a, b in zip(ours, base)), "an upper layer did not learn"
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    assert sum(type(layer).__name__ == "ConvPoolLayer" for layer in finetuned.layers) == 2
    # It can be saved and downloaded like any model.
    by_id(page, "save-model").click()
    expect(page.locator("#model-note")).to_contain_text("Saved your fine-tuned model")
    with page.expect_download() as info:
        by_id(page, "download-model").click()
    assert info.value.suggested_filename == "pynn-finetuned.json"


def test_evaluate_shows_accuracy_confusion_per_digit_and_mistakes(page):
    by_id(page, "evaluate").click()
    accuracy = by_id(page, "test-accuracy")
    expect(accuracy).to_contain_text(re.compile(r"\d+\.\d\d%"), timeout=TRAINING_TIMEOUT)
    percent = float(re.search(r"(\d+\.\d\d)%", accuracy.inner_text()).group(1))
    assert accuracy.get_attribute("data-model") == "finetuned"
    matrix = confusion(page)
    native = native_report(modelfile.loads(model_json(page, "finetuned")))
    assert matrix == native["confusion"]
    shown = by_id(page, "mistakes").locator("> [data-index]").evaluate_all("ms => ms.map(m => +m.dataset.index)")
    assert shown == [m["index"] for m in native["mistakes"]] and len(shown) == min(100, native["mistakes_total"])
    assert sum(map(sum, matrix)) == 10_000
    diagonal = sum(matrix[d][d] for d in range(10))
    assert abs(diagonal / 100 - percent) <= 0.005
    per_digit = by_id(page, "per-digit-accuracy").locator("[data-digit]")
    expect(per_digit).to_have_count(10)
    rates = per_digit.evaluate_all("items => items.map(i => +i.dataset.accuracy)")
    assert all(abs(rates[d] - matrix[d][d] / sum(matrix[d])) < 1e-5 for d in range(10))
    # A cell's count on hover and on keyboard focus.
    cell = by_id(page, "confusion").locator("[data-true='4'][data-pred='9']")
    cell.hover()
    expect(page.locator("#confusion-readout")).to_contain_text(f"True 4, read as 9: {matrix[4][9]} image")
    by_id(page, "confusion").locator("[data-true='0'][data-pred='0']").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#confusion-readout")).to_contain_text(f"True 1, read correctly: {matrix[1][1]:,} images")
    # The mistakes, most confident first; choosing one (Enter) shows its probabilities.
    mistakes = by_id(page, "mistakes").locator("> [data-true][data-pred]")
    assert mistakes.count() > 0
    pairs = mistakes.evaluate_all("ms => ms.map(m => [m.dataset.true, m.dataset.pred])")
    assert all(t != p for t, p in pairs)
    mistakes.first.focus()
    page.keyboard.press("Enter")
    bars = by_id(page, "mistake-detail").locator("[data-digit][data-p]")
    expect(bars).to_have_count(10)
    p = bars.evaluate_all("bs => bs.map(b => +b.dataset.p)")
    assert abs(sum(p) - 1) < 1e-4 and p.index(max(p)) == int(pairs[0][1])


def test_without_indexeddb_it_works_in_memory_and_says_so(browser, browser_context_args, site_server):
    context = browser.new_context(**browser_context_args)
    try:
        context.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")
        Monitor(context, site_server.origin)
        page = context.new_page()
        page.goto(site_server.url)
        wait_ready(page)
        expect(by_id(page, "label-message")).to_contain_text("kept in memory only")
        draw_and_label(page, PRINT[6], 6)
        assert labels(page) == ["6"]
    finally:
        context.close()
