"""pynn.page.settings: the one schema of the training form, and what the page is told."""

import json

import pytest

from pynn.files.modelfile import MAX_BYTES
from pynn.nets.costs import COSTS
from pynn.nets.network import INITS
from pynn.page import your_digits
from pynn.page.settings import (
    CSP,
    CSP_META,
    DEFAULTS,
    FIELDS,
    FINETUNE_FIELDS,
    SettingsError,
    check_settings,
    page_config,
)


def test_defaults_pass_their_own_checks():
    assert check_settings(dict(DEFAULTS)) == DEFAULTS


def test_choices_come_from_the_library():
    by_name = {field.name: field for field in FIELDS}
    assert by_name["cost"].choices == tuple(COSTS)
    assert by_name["init"].choices == INITS


@pytest.mark.parametrize("field", [f for f in FIELDS if f.kind in ("int", "float")], ids=lambda f: f.name)
def test_each_numeric_range_is_enforced_at_both_ends(field):
    check_settings({**DEFAULTS, field.name: field.minimum})
    check_settings({**DEFAULTS, field.name: field.maximum})
    step = 1 if field.kind == "int" else max(abs(field.maximum) * 1e-9, 1e-9)
    for bad in (field.minimum - step, field.maximum + step * 10, float("nan"), "5", None, True):
        with pytest.raises(SettingsError) as error:
            check_settings({**DEFAULTS, field.name: bad})
        assert list(error.value.fields) == [field.name]


def test_missing_and_unknown_fields_are_errors():
    settings = dict(DEFAULTS)
    del settings["eta"]
    with pytest.raises(SettingsError) as error:
        check_settings({**settings, "batch_size": 10})
    assert error.value.fields.keys() == {"eta", "settings"}
    assert "batch_size" in error.value.fields["settings"]


def test_hidden_layers():
    assert check_settings({**DEFAULTS, "hidden": []})["hidden"] == []
    for bad in ([0], [1001], [30, 30, 30, 30, 30], "30", [30.0], [True]):
        with pytest.raises(SettingsError, match="^Hidden layers must be up to 4 layer sizes") as error:
            check_settings({**DEFAULTS, "hidden": bad})
        assert list(error.value.fields) == ["hidden"]


def test_page_config_is_json_and_complete():
    config = json.loads(json.dumps(page_config()))
    assert [field["name"] for field in config["fields"]] == [field.name for field in FIELDS]
    assert config["models"] == ["pretrained", "yours", "finetuned"]
    assert (config["inputs"], config["outputs"], config["max_upload_bytes"]) == (784, 10, MAX_BYTES)
    assert config["csp"] == CSP
    assert [field["name"] for field in config["teach"]["finetune_fields"]] == [f.name for f in FINETUNE_FIELDS]
    assert config["teach"]["your_digits"]["max_digits"] == your_digits.MAX_DIGITS


def test_csp_allows_no_other_origin_and_nothing_inline():
    directives = dict(part.split(" ", 1) for part in CSP.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert "unsafe-inline" not in CSP and "http" not in CSP and "*" not in CSP
    assert CSP_META == CSP.replace("; frame-ancestors 'none'", "")
