"""pynn.files.untrusted.structure: the count made before parsing equals a walk of the parsed value."""

import json

import numpy as np
import pytest

from pynn.files import untrusted

TRICKY_STRINGS = ["", "]", "[{", ",,", '"', "\\", '\\"]', "a, b", "}{", " \n\t"]


def random_value(rng, depth=0):
    kind = rng.integers(6) if depth < 5 else rng.integers(3)
    if kind == 0:
        return float(rng.standard_normal())
    if kind == 1:
        return TRICKY_STRINGS[rng.integers(len(TRICKY_STRINGS))]
    if kind == 2:
        return [None, True, False, 0][rng.integers(4)]
    if kind in (3, 4):
        return [random_value(rng, depth + 1) for _ in range(rng.integers(4))]
    return {TRICKY_STRINGS[i]: random_value(rng, depth + 1) for i in rng.permutation(len(TRICKY_STRINGS))[:3]}


def walked(value, depth=0, counts=None) -> tuple[int, list[int]]:
    """The oracle: nesting and values per level, from the parsed value."""
    counts = [] if counts is None else counts
    deepest = depth
    if isinstance(value, (list, dict)):
        if len(counts) <= depth:
            counts.extend([0] * (depth + 1 - len(counts)))
        counts[depth] += len(value)
        for item in value.values() if isinstance(value, dict) else value:
            deepest = max(deepest, walked(item, depth + 1, counts)[0])
        deepest = max(deepest, depth + 1)
    while counts and counts[-1] == 0:
        counts.pop()
    return deepest, counts


@pytest.mark.parametrize("seed", range(40))
def test_structure_equals_a_walk_of_the_parsed_value(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    value = [random_value(rng) for _ in range(rng.integers(1, 5))]
    text = json.dumps(value, indent=int(rng.integers(2)) or None)
    monkeypatch.setattr(untrusted, "BLOCK", int(rng.integers(1, 40)))  # values across block boundaries
    assert untrusted.structure(text) == walked(value)
