"""The messages a person reads in the page, in their words: a field by its label, never its
Python name; numbers as a person writes them; the wrong kind of file named as such; counts that
describe the file.  Each test here replaces a message a probe of the page quoted (issue 17)."""

import json
import re

import pytest
from synthetic_digits import make_digits

from pynn.files import modelfile
from pynn.nets.architectures import network_for, step_seconds
from pynn.nets.network import Network
from pynn.page import your_digits
from pynn.page.browser import Session
from pynn.page.settings import (
    DEFAULTS,
    FIELDS,
    FINETUNE_FIELDS,
    MAX_STEP_SECONDS,
    SettingsError,
    check_finetune_settings,
    check_settings,
)
from pynn.page.spoken import count, spoken_number
from pynn.page.your_digits import DigitsFileError

EXPONENT = re.compile(r"\de[+-]?\d")  # 4.29497e+09, 1e-06
NUMERIC = [f for f in FIELDS if f.kind in ("int", "float")]
FINETUNE_NUMERIC = [f for f in FINETUNE_FIELDS if f.kind in ("int", "float")]


def refusal(check, settings) -> SettingsError:
    with pytest.raises(SettingsError) as error:
        check(settings)
    return error.value


def test_numbers_are_spoken_as_a_person_writes_them():
    assert [spoken_number(x) for x in (1e-6, 0.95, 3.0, 1000, 2**32 - 1, 1e6, 1234.5, 0, -0.5)] == [
        "0.000001", "0.95", "3", "1,000", "4,294,967,295", "1,000,000", "1,234.5", "0", "-0.5"]
    assert (count(1, "digit"), count(501, "digit"), count(2000, "image")) == ("1 digit", "501 digits", "2,000 images")


def test_minibatch_out_of_range_speaks_its_label():
    # was "minibatch_size must be between 1 and 1000"
    error = refusal(check_settings, {**DEFAULTS, "minibatch_size": 2000})
    assert str(error) == "Mini-batch size must be between 1 and 1,000"
    assert error.fields == {"minibatch_size": "must be between 1 and 1,000"}  # shown at the field itself


def test_seed_out_of_range_has_no_exponent():
    # was "seed must be between 0 and 4.29497e+09"
    assert str(refusal(check_settings, {**DEFAULTS, "seed": -1})) == "Seed must be between 0 and 4,294,967,295"


@pytest.mark.parametrize("check, field", [(check_settings, f) for f in NUMERIC]
                         + [(check_finetune_settings, f) for f in FINETUNE_NUMERIC],
                         ids=lambda v: getattr(v, "name", getattr(v, "__name__", "")))
def test_every_numeric_field_is_named_by_its_label_with_its_range_spoken(check, field):
    base = dict(DEFAULTS) if check is check_settings else {}
    message = str(refusal(check, {**base, field.name: field.maximum * 2 + 1}))
    assert message == f"{field.label} must be between {spoken_number(field.minimum)} and " \
                      f"{spoken_number(field.maximum)}"
    assert not EXPONENT.search(message), message


def test_several_bad_fields_are_each_named_by_label():
    error = refusal(check_finetune_settings, {"rounds": 0, "replay": 1.0, "speed": 2})
    assert str(error) == ("Rounds must be between 1 and 100; MNIST share must be between 0 and 0.95; "
                          "The settings include an unknown field 'speed'")


def test_a_step_just_over_the_limit_never_reads_as_the_limit():
    # was "about 1.5 s (at most 1.5 s…)" for conv [1000] with mini-batch 181
    conv = {**DEFAULTS, "architecture": "conv", "hidden": [1000]}
    over = [size for size in range(1, 1001) if step_seconds({**conv, "minibatch_size": size}) > MAX_STEP_SECONDS]
    assert over and over[0] == 181  # the probe's case is the first size over the limit
    for size in over[:20]:
        error = refusal(check_settings, {**conv, "minibatch_size": size})
        shown = float(re.search(r"take about ([\d.]+) s", str(error)).group(1))
        assert shown > MAX_STEP_SECONDS, str(error)
        assert error.fields.keys() == {"hidden", "minibatch_size"}


def digits_file(digits) -> bytes:
    return your_digits.dumps(digits)


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_a_model_file_uploaded_as_digits_is_named_a_model_file(architecture):
    # the conv net's file was refused as "digits file is nested too deeply"
    model = network_for({**DEFAULTS, "architecture": architecture, "hidden": [10]})
    with pytest.raises(DigitsFileError) as error:
        your_digits.loads(modelfile.to_json(model))
    assert str(error.value) == your_digits.NOT_DIGITS
    assert "model file" in str(error.value) and "nested" not in str(error.value)


def test_a_deep_file_that_is_no_model_is_still_refused_as_too_deep():
    with pytest.raises(DigitsFileError, match="nested too deeply"):
        your_digits.loads(b"[" * 5000 + b"]" * 5000)


def test_a_digits_file_uploaded_as_a_model_is_named_a_digits_file():
    with pytest.raises(modelfile.ModelFileError,
                       match=r"^this is a file of your digits \(labelled drawings\), not a model"):
        modelfile.loads(digits_file(make_digits([1, 2])))
    modelfile.loads(modelfile.to_json(Network([784, 5, 10], seed=0)))  # a model still loads


def test_a_blank_digit_in_a_file_is_refused_as_the_pad_refuses_a_blank_drawing():
    digits = make_digits([3, 4])
    blank = {"format": "pynn-your-digits", "version": 1, "digits": [
        {**digits[0], "pixels": list(digits[0]["pixels"])}, {"label": 4, "pixels": [0] * 784, "strokes": []}]}
    with pytest.raises(DigitsFileError, match=r"^digit 2 of the file is blank"):
        your_digits.loads(json.dumps(blank))
    with pytest.raises(DigitsFileError, match="blank"):
        your_digits.dumps([{**digits[0], "pixels": bytes(784)}])


def test_a_file_over_the_cap_says_how_many_the_file_holds():
    digit = json.loads(digits_file(make_digits([5])))["digits"][0]
    data = json.dumps({"format": "pynn-your-digits", "version": 1, "digits": [digit] * 501})
    with pytest.raises(DigitsFileError, match=r"^the file holds 501 digits; the most it may hold is 500$"):
        your_digits.loads(data)


def test_adding_a_file_to_full_storage_describes_the_file_and_the_stored_digits():
    # was "digits holds 501 digits" for 1 digit uploaded with 500 stored
    session = Session()
    session.load_digits(digits_file(make_digits([d % 10 for d in range(your_digits.MAX_DIGITS)])))
    with pytest.raises(DigitsFileError) as error:
        session.load_digits(digits_file(make_digits([7])), replace=False)
    assert str(error.value) == ("the file holds 1 digit and you have 500 already: together 501, and you can keep "
                                "at most 500; delete 1 digit of yours, or upload a smaller file")
    assert len(session.your_digits) == 500  # and nothing changed
    session.load_digits(digits_file(make_digits([7])), replace=True)
    assert len(session.your_digits) == 1
