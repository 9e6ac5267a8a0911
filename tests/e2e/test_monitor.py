"""The console check every end-to-end test gets (conftest.py's pytest_runtest_call over
Monitor.unchecked): what it reports, once, and what a test's provokes_errors patterns let pass.
No browser: the monitor's lists are filled as its event handlers fill them."""

from __future__ import annotations

from harness.monitor import Monitor

ORIGIN = "http://127.0.0.1:8000"


def test_each_error_is_reported_once_and_only_the_named_ones_are_let_pass():
    monitor = Monitor(None, ORIGIN)
    assert monitor in Monitor.made  # so the check after each test reaches it
    monitor.errors += ["worker: console.error 'boom' at w.js:1", "page: console.error 'boom' at w.js:1",
                       "page: uncaught Error: a test hook crashed it"]
    monitor.foreign.append("GET https://cdn.example.org/x.js (routed)")
    assert monitor.unchecked(("a test hook crashed it",)) == [
        "page: console.error 'boom' at w.js:1",  # a worker's message also reaches its page: once
        "GET https://cdn.example.org/x.js (routed)"]  # another origin is never allowed
    assert monitor.unchecked() == []  # reported once: the next test is not blamed for them
    monitor.errors.append("page: uncaught TypeError: x is undefined")
    assert monitor.unchecked(("boom",)) == ["page: uncaught TypeError: x is undefined"]
    assert monitor.unchecked() == []
