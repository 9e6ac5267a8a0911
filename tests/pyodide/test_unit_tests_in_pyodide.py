"""pynn's unit tests (tests/test_*.py, unchanged) run by pytest inside Pyodide under Node.

The module starts one Pyodide from the test copy of site/pyodide, loads numpy, pynn and
pytest from it, writes the unit test files into Pyodide's file system and runs pytest
there once.  Every test that native pytest collects from the same files (same marker
expression) becomes one test here, which passes only if that test passed inside Pyodide;
test_same_tests_ran_in_pyodide fails if Pyodide collected any other set of tests (an
empty or partial run cannot pass).
"""

import json
import shutil
import time
from pathlib import Path

import pytest
from pyodide_support import (
    MARKEXPR,
    PYODIDE_ROOT,
    ROOT,
    SUMMARY,
    copy_into_pyodide,
    files_to_run,
    native_unit_test_ids,
    run_python,
    script_timeout,
    support_files,
)

HERE = Path(__file__).resolve().parent
RUN_TIMEOUT = 1800  # seconds for the whole in-Pyodide run
EXPECTED = {"sys.platform": "emscripten", "python": "3.12.7", "numpy": "2.0.2"}


def pytest_generate_tests(metafunc):
    if "unit_test" in metafunc.fixturenames:
        metafunc.parametrize("unit_test", native_unit_test_ids())


@pytest.fixture(scope="module")
def native_ids():
    return native_unit_test_ids()


@pytest.fixture(scope="module")
def inner(selenium_module_scope, pyodide_dist):
    """The record of one pytest run of the unit tests inside Pyodide (see inner_pytest.run)."""
    start = time.perf_counter()
    selenium = selenium_module_scope
    selenium.load_package(["numpy", "pynn", "pytest"])  # raises on any failure
    files = {f"{PYODIDE_ROOT}/{path.relative_to(ROOT).as_posix()}": path
             for path in files_to_run() + support_files()}
    files[f"{PYODIDE_ROOT}/inner/inner_pytest.py"] = HERE / "inner_pytest.py"
    copy_into_pyodide(selenium, pyodide_dist, files)
    args = ["-p", "no:cacheprovider", "--color=no", "-rfE", "-m", MARKEXPR,
            *[path.relative_to(ROOT).as_posix() for path in files_to_run()]]
    with script_timeout(selenium, RUN_TIMEOUT):
        record = json.loads(run_python(selenium, f"""
            import sys
            sys.path.insert(0, "{PYODIDE_ROOT}/inner")
            import inner_pytest
            inner_pytest.run("{PYODIDE_ROOT}", {args!r})
        """))
    SUMMARY.append(f"unit tests inside Pyodide: pytest exit {record['exit_code']}, {len(record['collected'])} "
                   f"collected, {sum(t['outcome'] == 'passed' for t in record['tests'].values())} passed "
                   f"(natively {len(native_unit_test_ids())} collected); {record['seconds']:.1f} s in pytest.main, "
                   f"{time.perf_counter() - start:.1f} s with loading packages and copying files")
    return record


def output_tail(record, lines=60):
    text = record["output"].rstrip().splitlines()
    return "\n".join(text[-lines:])


def test_node_runtime_is_there():
    """Without Node, or with no Pyodide runtime selected, the tests below would not run:
    fail here instead of skipping."""
    assert shutil.which("node"), "node is not on PATH: the in-Pyodide tests run Pyodide under Node"
    runtimes = getattr(pytest, "pyodide_runtimes", None)
    assert runtimes and "node" in runtimes, (
        f"pytest-pyodide runtimes are {runtimes!r}: run tests/pyodide with `--rt node` (pytest-pyodide's default)")


def test_pyodide_environment(inner, runtime):
    """The run really happened in Pyodide 0.27.7's Python with its numpy, importing pynn
    from the site's wheel (not from a source tree)."""
    environment = inner["environment"]
    assert {key: environment[key] for key in EXPECTED} == EXPECTED
    assert "/site-packages/pynn/" in environment["pynn_file"], environment


def test_same_tests_ran_in_pyodide(inner, native_ids, runtime):
    collected, native = set(inner["collected"]), set(native_ids)
    problems = []
    if inner["collect_errors"]:
        problems.append("collection errors in Pyodide:\n" +
                        "\n".join(f"{e['nodeid']}:\n{e['text']}" for e in inner["collect_errors"]))
    if native - collected:
        problems.append(f"{len(native - collected)} tests collected natively but not in Pyodide: "
                        f"{sorted(native - collected)[:20]}")
    if collected - native:
        problems.append(f"{len(collected - native)} tests collected in Pyodide but not natively: "
                        f"{sorted(collected - native)[:20]}")
    if set(inner["tests"]) != collected:
        problems.append(f"{len(collected - set(inner['tests']))} collected tests did not report in Pyodide")
    if inner["exit_code"] != 0:
        problems.append(f"pytest exited with {inner['exit_code']} in Pyodide")
    assert not problems, "\n".join(problems) + "\n\npytest output inside Pyodide (tail):\n" + output_tail(inner)
    assert len(collected) == len(native) > 0


def test_in_pyodide(unit_test, inner, runtime):
    """One unit test, as it went inside Pyodide."""
    result = inner["tests"].get(unit_test)
    if result is None:
        pytest.fail(f"{unit_test} did not run in Pyodide\n\npytest output inside Pyodide (tail):\n"
                    f"{output_tail(inner)}", pytrace=False)
    if result["outcome"] != "passed":
        pytest.fail(f"{unit_test}: {result['outcome']} in Pyodide (it must pass there as natively)\n\n"
                    f"{result['text']}", pytrace=False)
