"""Rooms by role, and small ones: no source file over 300 lines, no test file over 450 (issue 15's
targets).  It would catch a module grown past its cap unnoticed, as pynn/page/browser.py did
(305 lines) before it was trimmed back."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.native  # reads the repository's files

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".js", ".mjs"}
SOURCE_CAP, TEST_CAP = 300, 450


def files_under(*folders: str) -> list[Path]:
    found = [path for folder in folders for path in (ROOT / folder).rglob("*")
             if path.suffix in SUFFIXES and "node_modules" not in path.parts]
    assert found, f"no sources found under {folders}: the check would pass on nothing"
    return found


def too_long(paths: list[Path], cap: int) -> dict[str, int]:
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in paths}
    return {name: lines for name, lines in lengths.items() if lines > cap}


def test_no_source_file_is_over_300_lines():
    sources = files_under("pynn", "web", "buildtools", "bench") + [ROOT / "build.py"]
    assert not too_long(sources, SOURCE_CAP)


def test_no_test_file_is_over_450_lines():
    assert not too_long(files_under("tests"), TEST_CAP)
