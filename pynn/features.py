"""A conv net's convolution outputs, kept: its expensive part, computed once per set of filters.

In the shipped conv net almost all the arithmetic is in the conv-pool layers (1.6M
of 1.7M multiply-adds per image); the fully connected layers above them are cheap.
Fine-tuning only those upper layers (pynn.finetune's default) leaves the filters
as they are, so the conv layers' outputs for MNIST's test set are the same before
and after, and for every model fine-tuned from the same base.  A
:class:`FeatureCache` keeps them, keyed by a hash of the conv layers (architecture
and parameters) and by the data set, and fills them a block at a time, so the
worker can report progress and stop between blocks: what is filled stays filled.

The numbers are feedforward's exactly: ``Network.outputs`` runs the same
CHUNK-row blocks whether it goes through every layer or stops after the conv
layers and later resumes from what was kept.  Only blocks of whole CHUNKs are
kept, so that every kept row was computed in the same block as feedforward's.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from pynn.data import Dataset
from pynn.layers import ConvPoolLayer
from pynn.model import Model
from pynn.network3 import CHUNK, Network

KEEP = 4  # (filters, data set) pairs kept; the whole MNIST test set's features take 51 MB


def conv_depth(model: Model) -> int:
    """How many of the model's first layers are conv-pool layers (0 for the MLP)."""
    depth = 0
    for layer in getattr(model, "layers", ()):
        if not isinstance(layer, ConvPoolLayer):
            break
        depth += 1
    return depth


def layers_key(model: Network, depth: int) -> str:
    """A hash of layers[:depth]: their descriptions and the bytes of their parameters."""
    digest = hashlib.sha256()
    for layer in model.layers[:depth]:
        digest.update(json.dumps(layer.describe(), sort_keys=True).encode())
        for param in layer.params:
            digest.update(str(param.shape).encode())
            digest.update(np.ascontiguousarray(param, dtype=np.float64).tobytes())
    return digest.hexdigest()


def upper_layers(model: Network, depth: int) -> Network:
    """The layers above ``depth`` as a network of their own.  It shares the layer objects, so
    training it trains them in ``model``; its generator is the model's (shuffles, dropout)."""
    return Network(model.layers[depth:], seed=model.rng)


class FeatureCache:
    """Conv layers' outputs per (filters, data set), kept CHUNK rows at a time; see the module docstring."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.entries: OrderedDict[tuple[str, int], tuple[Dataset, dict[int, np.ndarray]]] = OrderedDict()

    def of(self, model: Model) -> KeptFeatures:
        """What is kept for ``model``'s filters (hashed now: don't change them while you use it)."""
        depth = conv_depth(model)
        return KeptFeatures(self, model, depth, layers_key(model, depth) if depth else "")

    def chunks(self, key: str, data: Dataset) -> dict[int, np.ndarray]:
        """The kept chunks (first row // CHUNK → rows) of the filters ``key`` on this data set."""
        entry = self.entries.get((key, id(data)))
        if entry is None or entry[0] is not data:  # an id can be reused once its data set is gone
            entry = self.entries[key, id(data)] = (data, {})
            while len(self.entries) > self.keep:
                self.entries.popitem(last=False)
        self.entries.move_to_end((key, id(data)))
        return entry[1]


class KeptFeatures:
    """One model's view of a FeatureCache: its conv layers' outputs, kept or computed."""

    def __init__(self, cache: FeatureCache, model: Model, depth: int, key: str) -> None:
        self.cache, self.model, self.depth, self.key = cache, model, depth, key

    def missing(self, data: Dataset, stop: int) -> list[int]:
        """The first rows of the CHUNKs below ``stop`` that are not kept yet."""
        kept = self.cache.chunks(self.key, data)
        return [first for first in range(0, min(stop, len(data)), CHUNK) if first // CHUNK not in kept]

    def fill(self, data: Dataset, stop: int) -> Iterator[int]:
        """Compute and keep the missing CHUNKs below ``stop``, one per step; yields how many are left."""
        missing = self.missing(data, stop)
        for done, first in enumerate(missing, 1):
            self.features(data, first, min(first + CHUNK, len(data)))
            yield len(missing) - done

    def features(self, data: Dataset, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of ``data`` through the conv layers.  A block that is not made of
        whole CHUNKs (the data's end aside) is computed and not kept."""
        if not self.depth:
            raise ValueError("the model has no conv layers to keep the outputs of")
        if not 0 <= start < stop <= len(data):
            raise ValueError(f"rows {start}..{stop} are not within the {len(data)} samples")
        if start % CHUNK or (stop % CHUNK and stop != len(data)):
            return self.model.outputs(data.inputs(start, stop).T, stop=self.depth)
        kept = self.cache.chunks(self.key, data)
        for first in range(start, stop, CHUNK):
            if first // CHUNK not in kept:
                last = min(first + CHUNK, len(data))
                kept[first // CHUNK] = self.model.outputs(data.inputs(first, last).T, stop=self.depth)
        return np.concatenate([kept[first // CHUNK] for first in range(start, stop, CHUNK)])

    def outputs(self, data: Dataset, start: int, stop: int) -> np.ndarray:
        """The model's outputs as rows (stop − start, n_out) for rows start..stop of ``data``:
        a conv net's conv part kept, the rest computed; any other model directly."""
        if not self.depth:
            return self.model.feedforward(data.inputs(start, stop)).T
        return self.model.outputs(self.features(data, start, stop), start=self.depth)
