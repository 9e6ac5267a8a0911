"""End-to-end tests of the built site in Debian's Chromium, through pytest-playwright.

The site must be built first, with the tests' seams (``python3 build.py --test-seams``); these
fixtures build nothing.  They serve site/ with buildtools.server.make_server on 127.0.0.1 (a free
port) in a daemon thread, launch /usr/bin/chromium headless (Playwright cannot download its own
browsers here), and watch every request, console message and page error of each test's browser
context.  What the tests do to the page is in harness/ (shared with the browser benchmarks in bench/).

Run:  .venv/bin/python -m pytest tests/e2e -q      (artifacts go to test-results/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # the harness package beside this file
    sys.path.insert(0, HERE)

from harness import CHROMIUM, CHROMIUM_ARGS, ROOT  # noqa: E402
from harness.app import start_app  # noqa: E402
from harness.monitor import Monitor  # noqa: E402
from harness.server import SiteNotBuilt, SiteServer, check_site_built  # noqa: E402

RESULTS = ROOT / "test-results"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test of the built site in Chromium (needs site/ built)")
    config.addinivalue_line("markers", "provokes_errors(*patterns): console errors this test causes on purpose, "
                                       "each matched by a pattern (re.search); any other still fails it")
    # Artifacts (traces, videos, our screenshots) go to <repo>/test-results/ wherever pytest is started.
    if getattr(config.option, "output", None) == "test-results":
        config.option.output = str(RESULTS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.path)).is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


def built() -> None:
    try:
        check_site_built()
    except SiteNotBuilt as error:
        pytest.fail(str(error), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every test's console: after a test that passed, any console error, uncaught exception
    (page, worker or service worker) or request to another origin that a Monitor saw while it
    ran fails it, unless its ``provokes_errors`` marker names that error.  A module's shared
    page is checked test by test (what its start-up logged counts against the first test)."""
    allowed = tuple(p for marker in item.iter_markers("provokes_errors") for p in marker.args)
    try:
        outcome = yield
    finally:  # a failed test's errors are its own too, not the next test's
        problems = [line for monitor in Monitor.made for line in monitor.unchecked(allowed)]
    assert not problems, "the browser reported, during this test:\n  " + "\n  ".join(problems)
    return outcome


@pytest.fixture(scope="session")
def site_server():
    """The one server most tests share."""
    built()
    server = SiteServer()
    yield server
    server.stop()


@pytest.fixture
def fresh_server():
    """A factory of extra servers (each on its own port, so its own origin), stopped after the test."""
    built()
    servers = []

    def start(isolated: bool = True) -> SiteServer:
        servers.append(SiteServer(isolated=isolated))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def base_url(site_server) -> str:
    return site_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) "
                    "or set PYNN_CHROMIUM", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "accept_downloads": True}


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig, delete_output_dir) -> Path:
    """<--output>/screenshots/, by default test-results/screenshots/ (made after pytest-playwright
    empties the output directory at the start of the session)."""
    directory = Path(pytestconfig.getoption("--output")).absolute() / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def monitor(context, site_server) -> Monitor:
    """Every request, console error and page error of this test's context (installed before any page)."""
    return Monitor(context, site_server.origin)


@pytest.fixture
def app(context, site_server):
    """The app in a fresh context of its own (fresh IndexedDB, service worker, worker), ready."""
    return start_app(context, site_server.url, site_server.origin)


@pytest.fixture(scope="module")
def module_app(browser, browser_context_args, site_server):
    """The app in a context shared by one module's tests (one Pyodide start for many checks)."""
    context = browser.new_context(**browser_context_args)
    try:
        yield start_app(context, site_server.url, site_server.origin)
    finally:
        context.close()
