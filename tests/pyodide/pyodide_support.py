"""Host-side helpers for tests/pyodide: the test copy of the site's Pyodide folder,
native collection of the unit tests, and moving files and code into Pyodide.

Nothing here reaches the network except ``pip download`` of the wheels pinned in
requirements.txt (through pynn.data.fetch, which checks each sha256 and caches by hash).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TESTS = ROOT / "tests"
SITE_PYODIDE = ROOT / "site" / "pyodide"
REQUIREMENTS = HERE / "requirements.txt"
RUNTIME_FILES = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                 "package.json", "pyodide-lock.json"]
SERVED = "_files"  # folder of the test copy that holds files on their way into Pyodide's file system

# The unit tests that run inside Pyodide: every tests/test_*.py but test_mnist.py, minus the
# tests marked as needing the MNIST files or the native platform (files, subprocesses, Pillow).
NATIVE_ONLY_FILES = {"test_mnist.py"}
MARKEXPR = "not mnist and not native"
# Where the unit tests live inside Pyodide (same layout as the repository, so same node ids).
PYODIDE_ROOT = "/home/pyodide/pynn-tests"

BUILD_HINT = "run `python3 build.py` (it builds site/pyodide/ and fills the caches)"
SUMMARY: list[str] = []  # lines for the end of pytest's report (conftest.pytest_terminal_summary)


class SetupError(RuntimeError):
    """The Pyodide test set-up cannot be made; the message says what to do."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the test copy of site/pyodide

def check_site_pyodide(source: Path) -> None:
    """The site's Pyodide folder is complete, its lock lists only files that are there (with
    the right hashes), and its pynn wheel holds exactly the pynn/ sources of this checkout."""
    missing = [name for name in RUNTIME_FILES if not (source / name).is_file()]
    if missing:
        raise SetupError(f"{source} lacks {', '.join(missing)}: {BUILD_HINT}")
    lock = json.loads((source / "pyodide-lock.json").read_text())
    for name, package in lock["packages"].items():
        path = source / package["file_name"]
        if not path.is_file():
            raise SetupError(f"{source}/pyodide-lock.json lists {name} as {package['file_name']}, which is not "
                             f"there; Pyodide would look for it elsewhere: {BUILD_HINT}")
        if sha256(path) != package["sha256"]:
            raise SetupError(f"{path.name} does not have the sha256 that {source}/pyodide-lock.json lists: "
                             f"{BUILD_HINT}")
    if "pynn" not in lock["packages"]:
        raise SetupError(f"{source}/pyodide-lock.json has no pynn: {BUILD_HINT}")
    wheel = source / lock["packages"]["pynn"]["file_name"]
    with zipfile.ZipFile(wheel) as archive:  # .py sources, or .pyc where build.py compiled them
        shipped = {name.rsplit(".", 1)[0] for name in archive.namelist()
                   if name.startswith("pynn/") and name.endswith((".py", ".pyc"))}
    here = {f"pynn/{path.relative_to(ROOT / 'pynn').with_suffix('').as_posix()}":
            hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted((ROOT / "pynn").rglob("*.py"))}
    built_from = {f"pynn/{name.removesuffix('.py')}": digest for name, digest in
                  json.loads((source.parent / "build-info.json").read_text())["pynn_sources"].items()}
    if shipped != set(here) or built_from != here:
        differ = sorted(name for name in shipped | here.keys() | built_from.keys()
                        if name not in shipped or built_from.get(name) != here.get(name))
        raise SetupError(f"{wheel.name} in {source} is not built from this checkout's pynn/ "
                         f"(differs in {', '.join(differ)}): {BUILD_HINT}")


def pinned_wheels() -> list[tuple[str, str]]:
    """(name==version, sha256) of each wheel in requirements.txt."""
    pins = []
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+)\s+--hash=sha256:([0-9a-f]{64})", line)
        if not match:
            raise SetupError(f"{REQUIREMENTS.name}: cannot read {line!r}; expected name==version --hash=sha256:…")
        pins.append((match[1], match[2]))
    return pins


def wheel_file_name(wheel: Path) -> str:
    """The proper file name (name-version-tag.whl) of a wheel, from its own .dist-info."""
    with zipfile.ZipFile(wheel) as archive:
        (info,) = {name.split("/")[0] for name in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/WHEEL", name)}
        tags = re.findall(r"^Tag: (\S+)$", archive.read(f"{info}/WHEEL").decode(), re.MULTILINE)
    if tags != ["py3-none-any"]:
        raise SetupError(f"{wheel.name} is tagged {tags}; only pure-Python py3-none-any wheels go into Pyodide here")
    return f"{info.removesuffix('.dist-info')}-py3-none-any.whl"


def make_test_dist(source: Path, target: Path) -> Path:
    """Copy the site's Pyodide folder to ``target``, add the pinned pytest wheels, and write a
    lock that lists exactly the files of the copy."""
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.utils import add_wheels_to_spec

    from pynn.data.fetch import pip_wheel

    check_site_pyodide(source)
    target.mkdir(parents=True, exist_ok=True)
    lock = json.loads((source / "pyodide-lock.json").read_text())
    for name in RUNTIME_FILES + [package["file_name"] for package in lock["packages"].values()]:
        shutil.copyfile(source / name, target / name)  # copies, not links: Node resolves links to the original
    wheels = []
    for requirement, digest in pinned_wheels():
        cached = pip_wheel(requirement, digest)
        wheel = target / wheel_file_name(cached)
        shutil.copyfile(cached, wheel)
        wheels.append(wheel)
    spec = add_wheels_to_spec(PyodideLockSpec.from_json(target / "pyodide-lock.json"), wheels)
    for name, package in spec.packages.items():
        if not (target / package.file_name).is_file() or package.file_name != Path(package.file_name).name:
            raise SetupError(f"the test lock lists {name} as {package.file_name}, which is not in {target}")
        if sha256(target / package.file_name) != package.sha256:
            raise SetupError(f"the test lock's sha256 for {name} does not match {package.file_name}")
    spec.to_json(target / "pyodide-lock.json")
    (target / SERVED).mkdir(exist_ok=True)
    return target


# ---------------------------------------------------------------- the unit tests, natively

def unit_test_files() -> list[Path]:
    return [path for path in sorted(TESTS.glob("test_*.py")) if path.name not in NATIVE_ONLY_FILES]


def files_to_run() -> list[Path]:
    """The unit test files with at least one test that runs inside Pyodide (a file whose tests
    are all native-only is not even imported there)."""
    return [ROOT / name for name in sorted({nodeid.split("::")[0] for nodeid in native_unit_test_ids()})]


def support_files() -> list[Path]:
    """What the unit tests need beside themselves: conftest.py, helper modules, the pytest config."""
    return [path for path in sorted(TESTS.glob("*.py")) if not path.name.startswith("test_")] + \
        [ROOT / "pyproject.toml"]


@functools.cache
def native_unit_test_ids() -> tuple[str, ...]:
    """The node ids native pytest collects from the unit test files, with the same marker
    expression and, as inside Pyodide, no third-party pytest plugins (collected once per run)."""
    files = [str(path.relative_to(ROOT)) for path in unit_test_files()]
    if not files:
        raise SetupError(f"no unit test files in {TESTS}")
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", MARKEXPR,
               *files]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    ids = [line for line in result.stdout.splitlines() if "::" in line and not line.startswith(" ")]
    if result.returncode != 0 or not ids:
        raise SetupError(f"native collection of the unit tests failed (exit {result.returncode}):\n"
                         f"{' '.join(command)}\n{result.stdout}{result.stderr}")
    return tuple(ids)


# ---------------------------------------------------------------- talking to Pyodide

@contextlib.contextmanager
def script_timeout(selenium, seconds: float):
    """Let one long call run: the runner's script timeout, and for pytest-pyodide's Node runner
    also pexpect's default timeout, which it uses (60 s) while waiting for a result."""
    old_script, old_expect = selenium.script_timeout, getattr(getattr(selenium, "p", None), "timeout", None)
    selenium.set_script_timeout(seconds)
    if old_expect is not None:
        selenium.p.timeout = seconds
    try:
        yield selenium
    finally:
        selenium.set_script_timeout(old_script)
        if old_expect is not None:
            selenium.p.timeout = old_expect


def copy_into_pyodide(selenium, dist: Path, files: dict[str, Path]) -> None:
    """Put host files into Pyodide's file system at the given absolute paths: each is copied
    into the served test copy, fetched inside the runtime, written with FS.writeFile, and then
    its sha256 is checked inside Pyodide against the host's."""
    served = dist / SERVED
    urls, digests = {}, {}
    for i, (dest, source) in enumerate(files.items()):
        name = f"{i:04d}-{source.name}"
        shutil.copyfile(source, served / name)
        urls[dest] = f"{SERVED}/{name}"
        digests[dest] = sha256(source)
    selenium.run_js(f"""
        const files = {json.dumps(urls)};
        for (const [dest, url] of Object.entries(files)) {{
            const response = await fetch(url);
            if (!response.ok) {{
                throw new Error(`${{url}}: HTTP ${{response.status}}`);
            }}
            pyodide.FS.mkdirTree(dest.substring(0, dest.lastIndexOf("/")));
            pyodide.FS.writeFile(dest, new Uint8Array(await response.arrayBuffer()));
        }}
    """)
    seen = json.loads(run_python(selenium, f"""
        import hashlib, json
        json.dumps({{path: hashlib.sha256(open(path, "rb").read()).hexdigest() for path in {sorted(files)!r}}})
    """))
    if seen != digests:
        bad = sorted(path for path in digests if seen.get(path) != digests[path])
        raise AssertionError(f"files arrived in Pyodide changed: {bad}")


def run_python(selenium, code: str) -> str:
    """Run Python code in Pyodide and return the value of its last expression, which must be a str."""
    result = selenium.run(_dedent(code))
    if not isinstance(result, str):
        raise AssertionError(f"expected a str from Pyodide, got {type(result).__name__}: {result!r}")
    return result


def _dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code).strip() + "\n"
