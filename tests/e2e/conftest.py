"""End-to-end tests of the built site in Debian's Chromium, through pytest-playwright.

The site must be built first (``python3 build.py``); these fixtures build
nothing.  They serve site/ with build.make_server on 127.0.0.1 (a free port)
in a daemon thread, launch /usr/bin/chromium headless (Playwright cannot
download its own browsers here), and watch every request, console message and
page error of each test's browser context.

Run:  .venv/bin/python -m pytest tests/e2e -q      (artifacts go to test-results/)
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

CHROMIUM = os.environ.get("PYNN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

HERE = str(Path(__file__).resolve().parent)
for path in (HERE, str(Path(HERE).parents[1])):  # helpers.py and digits.py beside this file; build.py at the root
    if path not in sys.path:
        sys.path.insert(0, path)

from helpers import ROOT, SITE, Monitor, open_app  # noqa: E402

import build  # noqa: E402

RESULTS = ROOT / "test-results"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test of the built site in Chromium (needs site/ built)")
    # Artifacts (traces, videos, our screenshots) go to <repo>/test-results/ wherever pytest is started.
    if getattr(config.option, "output", None) == "test-results":
        config.option.output = str(RESULTS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.path)).is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


class SiteServer:
    """site/ served by build.make_server on 127.0.0.1 in a daemon thread."""

    def __init__(self, directory: Path = SITE) -> None:
        self.httpd = build.make_server("127.0.0.1", 0, directory)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.origin = self.url.rstrip("/")
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"site-{self.httpd.server_port}",
                                       daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        """Stop serving and close the listening socket: new connections are refused."""
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.running = False


def check_site_built() -> None:
    index = SITE / "index.html"
    if not index.is_file():
        pytest.fail(f"{index} is missing: build the site first with `cd {ROOT} && python3 build.py`", pytrace=False)
    for needed in ("models/pretrained.json", "pyodide/pyodide.asm.wasm", "data/mnist-train.npz"):
        if not (SITE / needed).is_file():
            pytest.fail(f"site/{needed} is missing: the build is incomplete; run `python3 build.py`", pytrace=False)


@pytest.fixture(scope="session")
def site_server():
    """The one server most tests share."""
    check_site_built()
    server = SiteServer()
    yield server
    server.stop()


@pytest.fixture
def fresh_server():
    """A factory of extra servers (each on its own port, so its own origin), stopped after the test."""
    check_site_built()
    servers = []

    def start() -> SiteServer:
        servers.append(SiteServer())
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
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig, delete_output_dir) -> Path:
    """<--output>/screenshots/, by default test-results/screenshots/ (made after pytest-playwright
    empties the output directory at the start of the session)."""
    directory = Path(pytestconfig.getoption("--output")).absolute() / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@dataclass
class App:
    """A page of the app, loaded and ready, and the monitor of its browser context."""

    page: Page
    monitor: Monitor
    ready_seconds: float


def start_app(context, server: SiteServer) -> App:
    monitor = Monitor(context, server.origin)
    page = context.new_page()
    seconds = open_app(page, server.url)
    return App(page, monitor, seconds)


@pytest.fixture
def monitor(context, site_server) -> Monitor:
    """Every request, console error and page error of this test's context (installed before any page)."""
    return Monitor(context, site_server.origin)


@pytest.fixture
def app(context, site_server) -> App:
    """The app in a fresh context of its own (fresh IndexedDB, service worker, worker), ready."""
    return start_app(context, site_server)


@pytest.fixture(scope="module")
def module_app(browser, browser_context_args, site_server):
    """The app in a context shared by one module's tests (one Pyodide start for many checks)."""
    context = browser.new_context(**browser_context_args)
    try:
        yield start_app(context, site_server)
    finally:
        context.close()
