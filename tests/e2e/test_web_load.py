"""The page gets ready from its own origin alone, without errors, under a strict CSP."""

from __future__ import annotations

import html
import json
import re
import time
import urllib.request

from harness.app import by_id, wait_ready, wait_service_worker
from harness.monitor import Monitor
from playwright.sync_api import expect

from pynn.page.settings import CSP, CSP_META


def test_ready_with_no_other_origin_and_no_errors(new_context, site_server):
    context = new_context()
    # Served without its Content-Security-Policy, so that anything the page, its worker or its
    # service worker would fetch from elsewhere shows up as a request (and is aborted) here.
    monitor = Monitor(context, site_server.origin, strip_csp=True)
    page = context.new_page()

    started = time.perf_counter()
    page.goto(site_server.url)
    expect(by_id(page, "status")).to_have_attribute("data-state", "loading", timeout=10_000)
    wait_ready(page)
    ready_seconds = time.perf_counter() - started
    timings = page.evaluate("() => window.pynnApp && window.pynnApp.timings")
    print(f"\nnavigation → ready: {ready_seconds:.2f} s; the page's own timings (ms): {timings}")

    expect(by_id(page, "status")).not_to_be_empty()
    assert page.evaluate("() => typeof window.pynnApp === 'object' && !!window.pynnApp.bridge"), \
        "window.pynnApp.bridge is missing"
    # The service worker registers and precaches after ready: wait for it, so that its requests count
    # too (and this check cannot pass by looking before it exists).
    registration = wait_service_worker(page)
    print(f"service worker: {registration}")
    assert registration["scope"] == site_server.url, registration
    time.sleep(0.5)

    urls = [url for _, _, url in monitor.requests]
    sources = monitor.sources()
    print(f"requests: {len(urls)} by source {sources}; workers: {monitor.workers}")
    # The watch really covers the worker (it fetches Pyodide, the model) and the service worker.
    for needed in ("pyodide/pyodide.asm.wasm", "models/pretrained.npz"):
        assert any(url.endswith(needed) for url in urls), f"no request for {needed} was seen: {urls}"
    assert any(kind == "worker" for kind, _ in monitor.workers), f"no dedicated worker started: {monitor.workers}"
    assert any(kind == "service worker" for kind, _ in monitor.workers), \
        f"no service worker was seen: {monitor.workers}"
    assert sources.get("service worker", 0) > 0, "the service worker's requests (its precaching) were not seen"
    monitor.assert_clean()


# --- the Content-Security-Policy

# The only sources a directive may name: no other origin, no 'unsafe-inline', no 'unsafe-eval'.
SAFE_SOURCES = {"'self'", "'none'", "'wasm-unsafe-eval'", "data:", "blob:"}
REQUIRED = {"default-src": ["'self'"], "script-src": ["'self'", "'wasm-unsafe-eval'"], "connect-src": ["'self'"],
            "worker-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"], "form-action": ["'none'"]}


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0].lower() not in parsed, f"{words[0]} given twice in {policy!r}"
            parsed[words[0].lower()] = words[1:]
    return parsed


def strictness_problems(policy: str) -> list[str]:
    """What makes ``policy`` weaker than the site's promise (empty when it is strict)."""
    parsed = directives(policy)
    problems = [f"{name} allows {source}" for name, sources in parsed.items() for source in sources
                if source not in SAFE_SOURCES]
    problems += [f"{name} is {parsed.get(name)}, not {sources}" for name, sources in REQUIRED.items()
                 if parsed.get(name) != sources]
    return problems


def test_the_strictness_check_catches_weaker_policies():
    assert strictness_problems(CSP) == [] and strictness_problems(CSP_META) == []
    weaker = [CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
              CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
              CSP.replace("connect-src 'self'", "connect-src 'self' https://cdn.example.org"),
              CSP.replace("img-src 'self'", "img-src 'self' *"),
              CSP.replace("script-src 'self' 'wasm-unsafe-eval'", "script-src 'self' 'unsafe-eval'"),
              CSP.replace("object-src 'none'; ", "")]
    for policy in weaker:
        assert policy != CSP and strictness_problems(policy), f"not caught: {policy}"


def served(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url) as response:
        return response.headers.get("Content-Security-Policy", ""), response.read()


def test_served_with_the_exact_content_security_policy(site_server):
    """The second line of defence: the browser itself refuses any other origin.  The header and
    the <meta> copy in index.html are pynn.page.settings' policy, to the character."""
    for path in ("", "index.html", "worker/worker.js", "pyodide/pyodide.mjs", "models/pretrained.json", "config.json"):
        header, _ = served(site_server.url + path)
        assert header == CSP, f"/{path}: header {header!r}\n  expected {CSP!r}"
    assert strictness_problems(CSP) == [], strictness_problems(CSP)

    _, body = served(site_server.url)
    metas = re.findall(r"<meta\s+http-equiv=[\"']?content-security-policy[\"']?\s+content=\"([^\"]*)\"",
                       body.decode(), re.IGNORECASE)
    assert len(metas) == 1, f"expected one CSP <meta> in index.html, found {len(metas)}"
    meta = html.unescape(metas[0])
    assert meta == CSP_META, f"<meta> {meta!r}\n  expected {CSP_META!r}"
    assert "frame-ancestors" not in meta and "frame-ancestors 'none'" in CSP
    assert strictness_problems(meta) == [], strictness_problems(meta)

    _, config = served(site_server.url + "config.json")
    config = json.loads(config)
    assert (config["csp"], config["csp_meta"]) == (CSP, CSP_META), "config.json disagrees with pynn.page.settings"
