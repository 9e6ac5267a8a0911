"""Nothing ships that the page does not use: every module in the pynn wheel (the one the page
downloads) is one the page's Python reaches from pynn.page.browser, or a declared public module of
the library.  Reached is measured: modulefinder reads every import statement, those inside
functions too (the ONNX export is imported on first use), from pynn.page.browser outwards.

It would catch build-time code put back in the package (as styles and pretrained once were), a
new module nothing imports, and buildtools/ slipping into the wheel."""

import ast
import modulefinder
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.native  # builds a wheel and reads the sources

ROOT = Path(__file__).resolve().parents[1]
# The library's own public modules that the page has no use for: python -m pynn, and MNIST as
# Nielsen's mnist_loader gives it (with the pinned download it needs).
PUBLIC_LIBRARY = {"pynn.__main__", "pynn.cli", "pynn.data.mnist", "pynn.data.fetch"}


def wheel_modules(tmp_path: Path) -> set[str]:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("pynn-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if name.endswith(".py")]
    assert all(name.startswith("pynn/") for name in names), f"not pynn's: {names}"
    return {name.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for name in names}


def reached_from_the_page(tmp_path: Path) -> set[str]:
    entry = tmp_path / "page.py"
    entry.write_text("import pynn.page.browser\n")
    finder = modulefinder.ModuleFinder(path=[str(ROOT), *sys.path], excludes=["numpy", "onnx", "google"])
    finder.run_script(str(entry))
    return {name for name in finder.modules if name == "pynn" or name.startswith("pynn.")}


def test_the_wheel_holds_what_the_page_imports_and_the_public_library(tmp_path):
    shipped = wheel_modules(tmp_path)
    reached = reached_from_the_page(tmp_path)
    assert {"pynn.page.browser", "pynn.nets.network", "pynn.files.onnx_export", "pynn.files.python_export"} <= reached
    unused = shipped - reached - PUBLIC_LIBRARY
    assert not unused, f"the wheel ships modules the page never imports: {sorted(unused)}"
    assert PUBLIC_LIBRARY <= shipped


STARTUP_IMPORTS = """
import sys
import pynn.page.browser as browser
before = sorted(name for name in sys.modules if name.startswith('pynn.'))
browser.job_class('train'), browser.job_class('evaluate')
import pynn.page.pool_jobs
after = sorted(name for name in sys.modules if name.startswith('pynn.'))
print(repr((before, after)))
"""


def test_the_first_prediction_imports_no_job_module_until_a_job_starts():
    """The page's start imports pynn.page.browser only (measured: the job modules cost ~50 ms of
    it in Pyodide); a top-level import of the jobs, training or fine-tuning would undo that."""
    out = subprocess.run([sys.executable, "-c", STARTUP_IMPORTS], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    before, after = ast.literal_eval(out.strip())
    # (pynn.training.trainer is not among them: pynn/__init__ names Trainer, the library's API)
    heavy = {"pynn.page.page_jobs", "pynn.page.evaluate_jobs", "pynn.page.finetune", "pynn.page.checkpoints",
             "pynn.page.report", "pynn.page.pool_jobs"}
    assert not heavy & set(before), sorted(heavy & set(before))
    assert heavy <= set(after), sorted(heavy - set(after))

