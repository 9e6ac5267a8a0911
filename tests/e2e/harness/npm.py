"""npm packages the harness and the benchmarks use, installed by themselves on first use: each
folder's package-lock.json pins every package with its integrity hash, and ``npm ci`` checks it."""

from __future__ import annotations

import subprocess
from pathlib import Path

NODE = Path(__file__).resolve().parent / "node"  # the harness's own: axe-core (harness.axe)


def npm_ci(folder: Path) -> None:
    """``npm ci`` in ``folder`` (integrity-checked from its lock file, no install scripts), unless
    its node_modules is already as new as the lock."""
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], check=True,
                   cwd=folder)
