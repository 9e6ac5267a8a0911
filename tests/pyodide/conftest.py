"""pytest-pyodide set-up for the tests in this folder, so `pytest tests/pyodide` needs no options.

pytest-pyodide (a plugin, active in every pytest run of the .venv) starts Pyodide under Node
(`--rt node`, its default) from `--dist-dir`.  Here that folder is always a TEST COPY of the
site's own Pyodide folder (site/pyodide/, made by `python3 build.py`): the same runtime, numpy
and pynn wheels, plus the pytest wheels pinned in requirements.txt, with a pyodide-lock.json
that lists exactly the files of the copy, so nothing is looked up on a CDN.  The copy lives
in pytest's temporary directory, outside the git tree.  An explicit `--dist-dir DIR` names
another Pyodide folder to copy and test instead of site/pyodide/.

Nothing here is skipped when something is missing: a missing build, Node, or runtime fails
the tests with a message that says what to do.
"""

from pathlib import Path

import pytest
from pyodide_support import SITE_PYODIDE, SUMMARY, make_test_dist

HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line("markers", "pyodide: runs in Pyodide under Node against a copy of site/pyodide "
                                       "(needs `python3 build.py` and node)")


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if HERE in Path(item.path).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.pyodide)
    runtimes = getattr(pytest, "pyodide_runtimes", None)
    if ours and "node" not in (runtimes or ()):
        # pytest-pyodide would skip every runtime test: refuse instead of passing with nothing run
        raise pytest.UsageError(f"tests/pyodide runs Pyodide under Node, but the pytest-pyodide runtimes are "
                                f"{sorted(runtimes or [])}: use `--rt node` (the default) or --ignore=tests/pyodide")


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.write_sep("-", "pynn in Pyodide")
        for line in SUMMARY:
            terminalreporter.write_line(line)


def source_dist_dir(config) -> Path:
    """site/pyodide, unless `--dist-dir` was given (pytest-pyodide's default is ./pyodide)."""
    given = Path(config.option.dist_dir).resolve()
    return SITE_PYODIDE if given == Path(config.invocation_params.dir, "pyodide").resolve() else given


@pytest.fixture(scope="session")
def pyodide_dist(request, tmp_path_factory) -> Path:
    """The test copy of the Pyodide folder (see the module docstring)."""
    return make_test_dist(source_dist_dir(request.config), tmp_path_factory.mktemp("pyodide-dist"))


@pytest.fixture(scope="session")
def web_server_main(request, pyodide_dist):
    """pytest-pyodide's web server, over the test copy; every runner it starts (they read
    `--dist-dir` when they start) then loads Pyodide from the copy too."""
    from pytest_pyodide.server import spawn_web_server

    config = request.config
    saved = config.option.dist_dir, getattr(pytest, "pyodide_dist_dir", None)
    config.option.dist_dir = pyodide_dist
    pytest.pyodide_dist_dir = pyodide_dist
    try:
        with spawn_web_server(pyodide_dist) as server:
            yield server
    finally:
        config.option.dist_dir, pytest.pyodide_dist_dir = saved
