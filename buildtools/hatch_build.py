"""hatchling's build hook for the pynn wheel: pynn/data/digits.py and pynn/checks.py also go in as text,
pynn/sources/NAME.py.txt, for pynn.files.python_export ("Download as Python"), which copies them into the
file it writes.  The site compiles the wheel to .pyc only; text is left as it is.  (Copies are made
first: hatch's force-include of a package's own file would drop the module from its place.)"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCES = ("data/digits", "checks")  # paths under pynn/, without .py


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        folder = Path(tempfile.gettempdir()) / "pynn-wheel-sources"  # one folder, overwritten by each build
        folder.mkdir(exist_ok=True)
        for name in SOURCES:
            base = name.rsplit("/", 1)[-1]
            copy = folder / f"{base}.py.txt"
            shutil.copyfile(Path(self.root) / "pynn" / f"{name}.py", copy)
            build_data["force_include"][str(copy)] = f"pynn/sources/{base}.py.txt"
