"""Runs an ES module script in Node and returns the JSON it printed: how the tests check the plain
JavaScript modules of web/ (the page's, the worker's) without a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

WEB = Path(__file__).resolve().parents[1] / "web"


def module_specifier(relative: str) -> str:
    """web/``relative`` as a quoted file URL, for the script's ``import … from``."""
    return json.dumps((WEB / relative).as_uri())


def run_module_script(script: str) -> Any:
    """What ``script`` (an ES module) printed as JSON on its one line of output."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the README's first commands need Node and npm)")
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
