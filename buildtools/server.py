"""The site's static server (``build.py serve``, the end-to-end tests and the browser benches):
files with the right types, the Content-Security-Policy that allows no other origin, and the
headers that make the page cross-origin isolated (its workers may share memory)."""

from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the right types and a Content-Security-Policy that allows no other origin."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
                      ".json": "application/json", ".css": "text/css", ".npz": "application/octet-stream",
                      ".whl": "application/octet-stream", ".zip": "application/zip"}

    isolated = True  # False: a host that cannot set COOP/COEP (the tests and benches of that case)

    def end_headers(self) -> None:
        from pynn.page.settings import CSP, ISOLATION_HEADERS

        self.send_header("Content-Security-Policy", CSP)
        for name, value in ISOLATION_HEADERS.items() if self.isolated else ():
            self.send_header(name, value)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if os.environ.get("PYNN_SERVE_LOG"):
            super().log_message(format, *args)


class UnisolatedHandler(SiteHandler):
    isolated = False


def make_server(host: str, port: int, directory: Path, *, isolated: bool = True) -> http.server.ThreadingHTTPServer:
    """A server for ``directory`` (port 0 picks a free one); the caller runs serve_forever.
    ``isolated=False`` leaves out the cross-origin isolation headers, as a host that cannot set them."""
    handler = functools.partial(SiteHandler if isolated else UnisolatedHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)
