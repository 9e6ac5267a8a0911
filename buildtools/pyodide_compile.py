"""build.py's .pyc step: Pyodide's stdlib and wheels compiled to bytecode before they ship.

The npm package's python_stdlib.zip and the numpy wheel carry .py sources, so every page
load compiles them again (import numpy: 0.56–0.84 s, compiled 0.17–0.30 s, measured
here).  pyodide-build's ``pyodide py-compile DIR`` compiles each zip and wheel in DIR
with the host CPython, which must be the runtime's minor version (3.12 for Pyodide
0.27.7), and rewrites DIR/pyodide-lock.json with the new file names and sha256s.

pyodide-build is installed, pinned, into a venv of its own (.venv-py312) made from a
Python 3.12 found on this machine; without one the site is built from .py files and
the build says so.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS_VENV = ROOT / ".venv-py312"
# pyodide-build 0.29.x is the line that goes with Pyodide 0.27; its wheel-repacking code
# needs wheel < 0.46 (which dropped wheel.cli).
TOOLS = ["pyodide-build==0.29.3", "wheel==0.45.1"]
PYTHON_MINOR = "3.12"


def find_python() -> Path | None:
    """A CPython 3.12: $PYNN_PYTHON312, python3.12 on PATH, or one installed by pyenv."""
    candidates = [os.environ.get("PYNN_PYTHON312"), shutil.which(f"python{PYTHON_MINOR}"),
                  *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{PYTHON_MINOR}*/bin/python")), reverse=True)]
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version == PYTHON_MINOR:
            return Path(candidate)
    return None


def tools_venv() -> tuple[Path | None, str]:
    """The `pyodide` command of .venv-py312 (made and filled on first use), or None and why not."""
    pyodide = TOOLS_VENV / "bin" / "pyodide"
    stamp = TOOLS_VENV / ".pynn-tools"
    if pyodide.exists() and stamp.exists() and stamp.read_text() == " ".join(TOOLS):
        return pyodide, ""
    python = find_python()
    if python is None:
        return None, f"no Python {PYTHON_MINOR} found (set PYNN_PYTHON312, or put python{PYTHON_MINOR} on PATH)"
    try:
        if not (TOOLS_VENV / "bin" / "python").exists():
            subprocess.run([str(python), "-m", "venv", str(TOOLS_VENV)], check=True, capture_output=True)
        subprocess.run([str(TOOLS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *TOOLS], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or "").strip()[-300:]
        return None, f"could not install {' '.join(TOOLS)} into {TOOLS_VENV.name}: {detail}"
    stamp.write_text(" ".join(TOOLS))
    return pyodide, ""


def compile_pyodide_dir(directory: Path) -> str:
    """Compile every zip and wheel in ``directory`` to .pyc in place; a sentence on what happened."""
    pyodide, why_not = tools_venv()
    if pyodide is None:
        return f"skipped, the site ships .py sources: {why_not}"
    result = subprocess.run([str(pyodide), "py-compile", "--silent", str(directory)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pyodide py-compile failed:\n{result.stderr.strip()[-2000:]}")
    check_lock(directory / "pyodide-lock.json")
    compiled = sorted(path.name for path in directory.iterdir() if path.suffix in (".zip", ".whl"))
    return f"compiled with {pyodide.parent.parent.name}: {', '.join(compiled)}"


def check_lock(lock_path: Path) -> None:
    """Every file the lock lists is there with the sha256 it lists (py-compile renames and
    rewrites wheels); a stale hash is fixed through pyodide-lock, a missing file stops the build."""
    from pyodide_lock import PyodideLockSpec

    spec = PyodideLockSpec.from_json(lock_path)
    changed = False
    for package in spec.packages.values():
        path = lock_path.parent / package.file_name
        if not path.exists():
            raise SystemExit(f"after py-compile the lock lists {package.file_name}, which is not there")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if package.sha256 != digest:
            package.sha256, changed = digest, True
    if changed:
        spec.to_json(lock_path)
    json.loads(lock_path.read_text())  # still a readable lock
