"""site/ served by buildtools.server.make_server (with its Content-Security-Policy) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from buildtools.server import make_server
from harness import ROOT, SITE

NEEDED = ("index.html", "models/pretrained.json", "pyodide/pyodide.asm.wasm", "data/mnist-train.npz",
          "testing/testhooks.js")
BUILD = "python3 build.py --test-seams"  # the tests drive the page through web/testing/


class SiteNotBuilt(RuntimeError):
    pass


def check_site_built(site: Path = SITE) -> None:
    """Raise SiteNotBuilt, saying what to do, unless ``site`` holds a complete build."""
    for needed in NEEDED:
        if not (site / needed).is_file():
            raise SiteNotBuilt(f"{site / needed} is missing: build the site first with `cd {ROOT} && {BUILD}`")
    if not json.loads((site / "config.json").read_text()).get("test_seams"):
        raise SiteNotBuilt(f"{site} is a build without the tests' seams: build it with `cd {ROOT} && {BUILD}`")


class SiteServer:
    """A directory served by buildtools.server.make_server on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, directory: Path = SITE, *, isolated: bool = True) -> None:
        self.directory = directory
        self.httpd = make_server("127.0.0.1", 0, directory, isolated=isolated)
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


@contextlib.contextmanager
def serving(httpd):
    """Serve any socketserver in a daemon thread for the ``with`` block; yields its URL."""
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
