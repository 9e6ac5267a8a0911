"""The product build: what ``python3 build.py`` ships has no test seams (web/testing/), and works.

The suite runs against a test build (``--test-seams``); here that build is turned into the
product one exactly as build.py makes it (web/testing/ left out, config.json's test_seams false,
the offline listing written again by build.write_precache_list), served on its own origin, and
used as a visitor would.  It would catch the page depending on its seams (a static import of
testing/, a request for it, window.pynnApp read by the page) and the seams shipping to users."""

from __future__ import annotations

import json
import shutil

import pytest
from harness import SITE
from harness.app import wait_state
from harness.digits import STROKES
from harness.drawing import draw
from harness.monitor import Monitor
from harness.predictions import wait_prediction
from harness.server import SiteServer

import build


@pytest.fixture(scope="module")
def product_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("product") / "site"
    shutil.copytree(SITE, site, ignore=shutil.ignore_patterns("testing"))
    config = json.loads((site / "config.json").read_text())
    (site / "config.json").write_text(json.dumps({**config, "test_seams": False}, indent=1))
    build.write_precache_list(site)
    server = SiteServer(site)
    yield server
    server.stop()


def test_the_product_build_predicts_without_its_test_seams(context, product_site):
    monitor = Monitor(context, product_site.origin)
    page = context.new_page()
    page.goto(product_site.url)
    assert wait_state(page, ("ready", "error")) == "ready"
    draw(page, STROKES[1])
    assert wait_prediction(page).text, "no prediction was shown"
    assert page.evaluate("() => typeof window.pynnApp") == "undefined"
    listing = json.loads((product_site.directory / "precache.json").read_text())["files"]
    assert not [name for name in listing if name.startswith("testing/")]
    assert not [url for _, _, url in monitor.requests if "/testing/" in url]
    monitor.assert_clean()
