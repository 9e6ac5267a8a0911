"""The site's server (buildtools.server: build.py serve, the browser tests and benches) sends the
headers the page relies on: the CSP from its one source, and the cross-origin isolation headers
that let its workers share memory, unless asked to play a host that cannot set them."""

from __future__ import annotations

import threading
import urllib.request

import pytest

from buildtools.server import make_server
from pynn.page.settings import CSP, ISOLATION_HEADERS

pytestmark = pytest.mark.native  # a socket server: not for the in-Pyodide run


def served_headers(tmp_path, **options) -> dict[str, str]:
    (tmp_path / "index.html").write_text("<!doctype html>")
    server = make_server("127.0.0.1", 0, tmp_path, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/index.html") as response:
            return dict(response.headers)
    finally:
        server.shutdown()
        server.server_close()


def test_the_site_is_served_cross_origin_isolated_with_its_csp(tmp_path):
    headers = served_headers(tmp_path)
    assert headers["Content-Security-Policy"] == CSP
    assert ISOLATION_HEADERS == {"Cross-Origin-Opener-Policy": "same-origin",
                                 "Cross-Origin-Embedder-Policy": "require-corp"}
    for name, value in ISOLATION_HEADERS.items():
        assert headers[name] == value


def test_a_host_without_the_isolation_headers_still_sends_the_csp(tmp_path):
    headers = served_headers(tmp_path, isolated=False)
    assert headers["Content-Security-Policy"] == CSP
    assert not set(ISOLATION_HEADERS) & set(headers)
