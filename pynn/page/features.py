"""A conv net's convolution outputs, kept: its expensive part, computed once per set of filters.

In the shipped conv net almost all the arithmetic is in the conv-pool layers (1.6M
of 1.7M multiply-adds per image); the fully connected layers above them are cheap.
Fine-tuning only those upper layers (pynn.page.finetune's default) leaves the filters
as they are, so the conv layers' outputs for MNIST's test set are the same before
and after, and for every model fine-tuned from the same base.  A
:class:`FeatureCache` keeps them, keyed by a hash of the conv layers (architecture
and parameters) and by the data set, and fills them a block at a time, so the
worker can report progress and stop between blocks: what is filled stays filled.

The numbers are feedforward's exactly: ``Network.outputs`` runs the same
CHUNK-row blocks whether it goes through every layer or stops after the conv
layers and later resumes from what was kept.  Only blocks of whole CHUNKs are
kept, so that every kept row was computed in the same block as feedforward's.

The cache holds at most FEATURE_CACHE_BYTES (pynn.page.settings, within the worker's memory
budget): a conv net of one layer has 2,880 outputs an image, 230 MB for the test set,
so past the cap the least recently used entries go, and what still does not fit is
computed each time rather than kept.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from pynn.data.dataset import Dataset
from pynn.nets.layers import ConvPoolLayer
from pynn.nets.model import Model
from pynn.nets.network3 import CHUNK, Network
from pynn.page.settings import FEATURE_CACHE_BYTES

KEEP = 4  # (filters, data set) pairs kept; the shipped net's features of MNIST's test set take 51 MB


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
    import hashlib  # here: the worker imports this module at startup, where it hashes nothing

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


class Entry:
    """The kept chunks of one (filters, data set), and whether the cache had room for more."""

    def __init__(self, data: Dataset) -> None:
        self.data, self.full = data, False
        self.chunks: dict[int, np.ndarray] = {}  # by chunk index

    @property
    def bytes(self) -> int:
        return sum(rows.nbytes for rows in self.chunks.values())


class FeatureCache:
    """Conv layers' outputs per (filters, data set), kept CHUNK rows at a time, at most ``keep``
    pairs and ``max_bytes`` in all (the least recently used go first); see the module docstring."""

    def __init__(self, keep: int = KEEP, max_bytes: int = FEATURE_CACHE_BYTES) -> None:
        self.keep, self.max_bytes = keep, max_bytes
        self.entries: OrderedDict[tuple[str, int], Entry] = OrderedDict()

    def of(self, model: Model) -> KeptFeatures:
        """What is kept for ``model``'s filters (hashed now: don't change them while you use it)."""
        depth = conv_depth(model)
        return KeptFeatures(self, model, depth, layers_key(model, depth) if depth else "")

    def entry(self, key: str, data: Dataset) -> Entry:
        """The entry of the filters ``key`` on this data set, made the most recently used."""
        entry = self.entries.get((key, id(data)))
        if entry is None or entry.data is not data:  # an id can be reused once its data set is gone
            entry = self.entries[key, id(data)] = Entry(data)
            while len(self.entries) > self.keep:
                self.entries.popitem(last=False)
        self.entries.move_to_end((key, id(data)))
        return entry

    def chunks(self, key: str, data: Dataset) -> dict[int, np.ndarray]:
        """The kept chunks (first row // CHUNK → rows) of the filters ``key`` on this data set."""
        return self.entry(key, data).chunks

    @property
    def bytes(self) -> int:
        return sum(entry.bytes for entry in self.entries.values())

    def keep_chunk(self, key: str, data: Dataset, index: int, rows: np.ndarray) -> None:
        """Keep ``rows`` as chunk ``index`` if they fit within max_bytes, the least recently used
        other entries dropped to make room; if they do not fit even so, the entry is marked full
        (its further chunks are computed when asked for, and not computed ahead)."""
        entry = self.entry(key, data)
        total = self.bytes
        while total + rows.nbytes > self.max_bytes and len(self.entries) > 1:
            _, dropped = self.entries.popitem(last=False)
            total -= dropped.bytes
        if total + rows.nbytes > self.max_bytes:
            entry.full = True
        else:
            entry.chunks[index] = rows


class KeptFeatures:
    """One model's view of a FeatureCache: its conv layers' outputs, kept or computed."""

    def __init__(self, cache: FeatureCache, model: Model, depth: int, key: str) -> None:
        self.cache, self.model, self.depth, self.key = cache, model, depth, key

    def missing(self, data: Dataset, stop: int, start: int = 0) -> list[int]:
        """The first rows of the CHUNKs from ``start`` (a whole CHUNK) below ``stop`` not kept yet."""
        entry = self.cache.entry(self.key, data)
        if entry.full:  # no room to keep more: computing ahead would only compute
            return []
        return [first for first in range(start, min(stop, len(data)), CHUNK) if first // CHUNK not in entry.chunks]

    def fill(self, data: Dataset, stop: int, start: int = 0) -> Iterator[int]:
        """Compute and keep the missing CHUNKs from ``start`` below ``stop``, one per step; yields
        how many are left.  One kept by someone else meanwhile (keep_rows: a worker of the pool
        computed it) is not computed again."""
        missing = self.missing(data, stop, start)
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
        blocks = []
        for first in range(start, stop, CHUNK):
            rows = kept.get(first // CHUNK)
            if rows is None:
                rows = self.model.outputs(data.inputs(first, min(first + CHUNK, len(data))).T, stop=self.depth)
                self.cache.keep_chunk(self.key, data, first // CHUNK, rows)
            blocks.append(rows)
        return np.concatenate(blocks)

    def kept_rows(self, data: Dataset, start: int, stop: int) -> np.ndarray | None:
        """Rows start..stop through the conv layers if every CHUNK of them is kept, else None:
        what a worker of the pool hands the main worker after its share (pynn.page.pool_jobs)."""
        kept = self.cache.chunks(self.key, data) if self.depth else {}
        blocks = [kept.get(first // CHUNK) for first in range(start, stop, CHUNK)]
        if start % CHUNK or not blocks or any(block is None for block in blocks):
            return None
        return np.concatenate(blocks)

    def keep_rows(self, data: Dataset, start: int, rows: np.ndarray) -> None:
        """Keep ``rows``, the conv layers' outputs for rows start.. of ``data`` that another
        worker computed by the same code on the same CHUNKs (so they are what this one would
        compute, bit for bit), as if computed here."""
        width = self.model.layers[self.depth - 1].n_out if self.depth else 0
        stop = start + len(rows)
        if not self.depth or start % CHUNK or stop > len(data) or rows.ndim != 2 or rows.shape[1] != width:
            raise ValueError(f"rows {start}..{stop} of width {rows.shape[-1]} are not whole CHUNKs of this "
                             f"model's {width} conv outputs within the {len(data)} samples")
        for first in range(start, stop, CHUNK):
            self.cache.keep_chunk(self.key, data, first // CHUNK, rows[first - start:first - start + CHUNK].copy())

    def outputs(self, data: Dataset, start: int, stop: int) -> np.ndarray:
        """The model's outputs as rows (stop − start, n_out) for rows start..stop of ``data``:
        a conv net's conv part kept, the rest computed; any other model directly."""
        if not self.depth:
            return self.model.feedforward(data.inputs(start, stop)).T
        return self.model.outputs(self.features(data, start, stop), start=self.depth)
