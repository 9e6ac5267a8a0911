"""Checkpoints (pynn.page.checkpoints, pynn.page.finetune_checkpoints) changed member by member,
the way a corrupt or hostile file would differ: shared by the tests that each must be refused."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np


def rewrite(checkpoint: bytes, **members) -> bytes:
    """The checkpoint with members replaced (through np.save) or, given None, removed."""
    with zipfile.ZipFile(io.BytesIO(checkpoint)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    for name, value in members.items():
        files.pop(f"{name}.npy")
        if value is not None:
            buffer = io.BytesIO()
            np.save(buffer, value)
            files[f"{name}.npy"] = buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def edit_state(checkpoint: bytes, change) -> bytes:
    """The checkpoint with its JSON state passed through ``change`` (which edits it in place)."""
    with np.load(io.BytesIO(checkpoint)) as archive:
        state = json.loads(str(archive["state"]))
    change(state)
    return rewrite(checkpoint, state=np.array(json.dumps(state)))
