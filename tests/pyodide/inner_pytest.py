"""Runs inside Pyodide: pytest on the unit tests, with every test's outcome recorded.

Copied into Pyodide's file system and imported there; ``run`` returns one JSON string
(outcome and failure text per node id, collection errors, pytest's exit code and its
whole terminal output) for the host-side tests to check.
"""

import contextlib
import io
import json
import os
import platform
import sys
import time


class Recorder:
    """A pytest plugin that keeps each test's worst outcome over setup, call and teardown."""

    RANK = {"passed": 0, "xfailed": 1, "skipped": 2, "xpassed": 3, "failed": 4, "error": 5}

    def __init__(self):
        self.tests = {}
        self.collected = []
        self.collect_errors = []

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append({"nodeid": report.nodeid, "text": report.longreprtext})

    def pytest_collection_finish(self, session):
        self.collected = [item.nodeid for item in session.items]

    def pytest_runtest_logreport(self, report):
        if report.passed:
            outcome = "xpassed" if hasattr(report, "wasxfail") else "passed"
        elif report.skipped:
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        else:
            outcome = "failed" if report.when == "call" else "error"
        entry = self.tests.setdefault(report.nodeid, {"outcome": "passed", "text": ""})
        if self.RANK[outcome] > self.RANK[entry["outcome"]]:
            entry["outcome"] = outcome
        if outcome != "passed":
            entry["text"] += f"--- {report.when}: {outcome}\n{report.longreprtext}\n"


def run(root, args):
    """pytest.main(args) in ``root``, its output captured; the record as a JSON string."""
    import numpy
    import pytest

    import pynn

    os.chdir(root)
    recorder = Recorder()
    output = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        exit_code = pytest.main(list(args), plugins=[recorder])
    return json.dumps({
        "exit_code": int(exit_code),
        "seconds": time.perf_counter() - start,
        "tests": recorder.tests,
        "collected": recorder.collected,
        "collect_errors": recorder.collect_errors,
        "output": output.getvalue(),
        "environment": {
            "sys.platform": sys.platform,
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "pytest": pytest.__version__,
            "pynn": pynn.__version__,
            "pynn_file": pynn.__file__,
        },
    })
