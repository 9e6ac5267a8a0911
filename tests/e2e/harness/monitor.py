"""Every request (pages, dedicated workers, service workers), console error and page error of
one or more browser contexts, and any attempt to reach another origin."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import BrowserContext, Page

CSP_META = re.compile(rb"<meta\s+http-equiv=[\"']?content-security-policy[^>]*>", re.IGNORECASE)
NETWORK_SCHEMES = ("http", "https", "ws", "wss")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Monitor:
    """Watches ``context`` (and any other given to ``watch``).

    ``origins``: the origin (or origins) the pages may use; anything else is recorded in
    ``foreign``.  With ``intercept`` (the tests' default) every request is routed through
    Playwright, and a request to another origin is aborted, so that a page that tries to reach
    out is caught even where no network would answer.  The benchmarks watch without
    intercepting (``intercept=False``), so that routing costs nothing in their timings.

    The server's Content-Security-Policy blocks a request to another origin inside the browser
    before it is made, and Chromium reports a blocked one in a worker nowhere a test can see;
    ``strip_csp`` serves every response without that header (and HTML without its
    <meta http-equiv> copy), so that any attempt becomes a request seen here.

    Every monitor made is listed in ``Monitor.made``: after each end-to-end test, conftest.py
    asks each for ``unchecked()``, what it saw since it was last asked, so that no test can
    leave an error unlooked-at by forgetting to call ``assert_clean``."""

    made: ClassVar[list[Monitor]] = []

    def __init__(self, context: BrowserContext | None, origins: str | tuple[str, ...], *, strip_csp: bool = False,
                 intercept: bool = True) -> None:
        self.origins = (origins,) if isinstance(origins, str) else tuple(origins)
        self.strip_csp = strip_csp
        self.intercept = intercept or strip_csp
        self.requests: list[tuple[str, str, str]] = []  # (source, method, url)
        self.foreign: list[str] = []
        self.errors: list[str] = []  # console errors and uncaught exceptions, with their source
        self.failed: list[str] = []  # same-origin requests that failed or got status >= 400
        self.workers: list[tuple[str, str]] = []
        self.checked = {"errors": 0, "foreign": 0}  # how much of each list unchecked() has handed out
        Monitor.made.append(self)
        if context is not None:
            self.watch(context)

    def watch(self, context: BrowserContext) -> Monitor:
        if self.intercept:
            context.route("**/*", self._route)
        context.on("request", self._request)
        context.on("requestfailed", self._request_failed)
        context.on("response", self._response)
        context.on("page", self._page)
        context.on("serviceworker", lambda worker: self._worker("service worker", worker))
        for page in context.pages:
            self._page(page)
        return self

    def is_foreign(self, url: str) -> bool:
        return urlsplit(url).scheme in NETWORK_SCHEMES and origin_of(url) not in self.origins

    # --- wiring
    def _route(self, route) -> None:
        url = route.request.url
        if self.is_foreign(url):
            self.foreign.append(f"{route.request.method} {url} (routed)")
            route.abort("blockedbyclient")
        elif self.strip_csp:
            response = route.fetch()
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"}
            if "text/html" in headers.get("content-type", ""):
                headers.pop("content-length", None)
                route.fulfill(response=response, headers=headers, body=CSP_META.sub(b"", response.body()))
            elif urlsplit(url).path.endswith("/precache.json"):
                headers.pop("content-length", None)
                route.fulfill(response=response, headers=headers, body=self._listing_of_stripped(route, response))
            else:
                route.fulfill(response=response, headers=headers)
        else:
            route.continue_()

    @staticmethod
    def _listing_of_stripped(route, listing) -> bytes:
        """The service worker checks each file against the listing's sha256; the page served
        without its CSP meta is not the built one, so its hash is that of the page as served."""
        files = json.loads(listing.body())
        page = route.fetch(url=urljoin(route.request.url, "index.html"))
        digest = base64.b64encode(hashlib.sha256(CSP_META.sub(b"", page.body())).digest()).decode()
        files["integrity"] |= {"./": f"sha256-{digest}", "index.html": f"sha256-{digest}"}
        return json.dumps(files).encode()

    @staticmethod
    def _source(request) -> str:
        # Playwright tells service-worker requests apart, but files a dedicated worker's under its page.
        return "service worker" if request.service_worker is not None else "page or worker"

    def _request(self, request) -> None:
        source = self._source(request)
        self.requests.append((source, request.method, request.url))
        if self.is_foreign(request.url):
            self.foreign.append(f"{request.method} {request.url} (from the {source})")

    def _request_failed(self, request) -> None:
        if origin_of(request.url) in self.origins and request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def _page(self, page: Page) -> None:
        page.on("console", lambda message: self._console("page", message))
        page.on("pageerror", lambda error: self.errors.append(f"page: uncaught {error}"))
        page.on("worker", lambda worker: self._worker("worker", worker))

    def _worker(self, kind: str, worker) -> None:
        self.workers.append((kind, worker.url))
        try:
            worker.on("console", lambda message: self._console(kind, message))
        except Exception:  # an older Playwright without worker console events
            pass

    def _console(self, source: str, message) -> None:
        if message.type == "error":
            where = message.location or {}
            self.errors.append(f"{source}: console.error {message.text!r} at {where.get('url', '?')}:"
                               f"{where.get('lineNumber', '?')}")

    # --- checks
    def sources(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for source, _, _ in self.requests:
            counts[source] = counts.get(source, 0) + 1
        return counts

    def uncaught(self) -> list[str]:
        return [e for e in self.errors if "uncaught" in e]

    @staticmethod
    def unexpected(errors: list[str], allow_errors: tuple[str, ...] = ()) -> list[str]:
        """``errors`` once each (a worker's message also reaches its page), less those a pattern
        of ``allow_errors`` matches (re.search)."""
        unique = {e.split(": ", 1)[-1]: e for e in errors}
        return [e for e in unique.values() if not any(re.search(a, e) for a in allow_errors)]

    def unchecked(self, allow_errors: tuple[str, ...] = ()) -> list[str]:
        """The console errors, uncaught exceptions and requests to other origins seen since the
        last call (less the allowed errors), as lines of a report; marks them checked."""
        errors, foreign = self.errors[self.checked["errors"]:], self.foreign[self.checked["foreign"]:]
        self.checked = {"errors": len(self.errors), "foreign": len(self.foreign)}
        return [*self.unexpected(errors, allow_errors), *dict.fromkeys(foreign)]

    def assert_clean(self, allow_errors: tuple[str, ...] = ()) -> None:
        errors = self.unexpected(self.errors, allow_errors)
        problems = []
        if self.foreign:
            problems.append("requests to other origins:\n  " + "\n  ".join(dict.fromkeys(self.foreign)))
        if errors:
            problems.append("console errors / uncaught exceptions:\n  " + "\n  ".join(errors))
        if self.failed:
            problems.append("failed same-origin requests:\n  " + "\n  ".join(dict.fromkeys(self.failed)))
        assert not problems, "\n".join(problems)
