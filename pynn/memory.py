"""How much memory the page's jobs take, estimated from their settings before they start.

The worker's heap (Pyodide's WebAssembly memory) grows to a job's peak and never
shrinks, so a job whose peak would pass the budget (pynn.settings.HEAP_BUDGET) must be
refused before it starts, not after 18 s and 867 MiB.  The estimates add up the large
arrays a job makes, by the formulas that size them (the layers' own ``buffer_floats``,
the Trainer's gathered blocks, the augmenter's blocks, the rounds of a fine-tune) and
what is always there once MNIST is loaded.  They are meant to be a little above the
truth; bench/memory.py prints each flow's measured peak beside its estimate.
"""

from __future__ import annotations

import math

from pynn import augment
from pynn.batches import EpochBatches
from pynn.layers import ConvPoolLayer, Layer
from pynn.network3 import CHUNK

MiB = 2**20
# Python, numpy and pynn started in the worker, before any data: measured in the page (issue 14).
RUNTIME_BYTES = 35 * MiB
TARGET_BYTES = 10 * 8 + 8  # beside its inputs, a Dataset row holds a one-hot float64 target and an int64 label
MNIST_BYTES = (50_000 + 10_000) * (784 + TARGET_BYTES)  # the training and test sets, kept once loaded
# pynn.augment's float64 working arrays, per image of a block (measured: 35 MB for a block of 256)
AUGMENT_IMAGE_BYTES = 140_000
GATHER = EpochBatches.BLOCK  # samples the Trainer gathers (and converts to float64) at once


def mib(count: int) -> str:
    """Bytes as the messages show them."""
    return f"{count / MiB:,.0f} MiB"


def params_count(layers: list[Layer]) -> int:
    return sum(math.prod(shape) for layer in layers for shape in layer.param_shapes())


def layers_bytes(layers: list[Layer], batches: list[int]) -> int:
    """network3 layers in training: parameters, gradients, and the buffers each layer keeps for
    each batch size trained on (the full mini-batch and a short last one)."""
    return 8 * (2 * params_count(layers) + sum(layer.buffer_floats(m) for layer in layers for m in batches if m))


def inference_bytes(layers: list[Layer], batch: int = CHUNK) -> int:
    """Inference makes its buffers afresh and one layer at a time: at most about half of the
    largest layer's training buffers (no gradients, no backward copies)."""
    return 8 * max(layer.buffer_floats(batch) for layer in layers) // 2


def mlp_bytes(sizes: list[int], batch: int, short: int = 0) -> int:
    """The seed's MLP in training: weights, a workspace (gradients, and activations, deltas and
    scratch for the batch) per batch size, and the weights' one copy into training's layout."""
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    units = sum(sizes[1:])
    return 8 * (2 * params + sum(params + 3 * m * units for m in (batch, short) if m))


def gathered_bytes(samples: int, width: int, itemsize: int, augmented: bool) -> int:
    """The Trainer's gathered block: the rows taken, their float64 copy and targets, and the
    augmenter's working arrays when it distorts them."""
    rows = min(GATHER, samples)
    total = rows * (width * (itemsize + 8 + 1) + TARGET_BYTES)
    if augmented:
        total += min(augment.BLOCK, rows) * AUGMENT_IMAGE_BYTES + rows * width * itemsize
    return total


def training_bytes(settings: dict, layers: list[Layer] | None) -> int:
    """The worker's peak for a training run of checked settings: ``layers`` are the conv net's
    (pynn.architectures.conv_layers), None for the MLP."""
    m, n = settings["minibatch_size"], settings["train_size"]
    short = n % m
    if layers is None:
        network = mlp_bytes([784, *settings["hidden"], 10], m, short)
    else:
        network = layers_bytes(layers, [m, short]) + inference_bytes(layers)
    return RUNTIME_BYTES + MNIST_BYTES + network + gathered_bytes(n, 784, 1, settings["augment"] == "on")


def model_bytes(model, depth: int, batch: int, short: int = 0) -> int:
    """A model (the MLP, or network3 layers) trained by batches of ``batch`` (and a ``short``
    last one), its first ``depth`` layers frozen and run only CHUNK rows at a time."""
    layers = getattr(model, "layers", None)
    if layers is None:  # the MLP (any other model: counted as one layer, n_in → n_out)
        return mlp_bytes(list(getattr(model, "sizes", [model.n_in, model.n_out])), batch, short)
    return layers_bytes(layers[:depth], []) + layers_bytes(layers[depth:], [batch, short]) + inference_bytes(layers)


def finetune_bytes(settings: dict, model, depth: int, cache_bytes: int) -> int:
    """The worker's peak for a fine-tune of checked settings: ``depth`` conv layers frozen (the
    layers above learn from their outputs, kept for MNIST up to ``cache_bytes``), or none."""
    size, m = settings["round_size"], settings["minibatch_size"]
    yours = round(size * (1 - settings["replay"]))
    layers = getattr(model, "layers", None)
    params = params_count(layers) if layers is not None else model_bytes(model, 0, 0) // 16
    width, itemsize = (layers[depth].n_in, 8) if depth else (784, 1)
    total = RUNTIME_BYTES + MNIST_BYTES + 8 * params  # the model in use (its copy is in model_bytes)
    total += yours * 784 * 2 + min(augment.BLOCK, yours) * AUGMENT_IMAGE_BYTES  # your digits, augmented
    total += size * (width * itemsize + TARGET_BYTES) + gathered_bytes(size, width, itemsize, False)  # a round
    kept = layers is not None and isinstance(layers[0], ConvPoolLayer)  # a conv net's MNIST outputs are kept
    return total + model_bytes(model, depth, m, size % m) + (cache_bytes if kept else 0)


def over_budget(estimate: int, budget: int, change: str) -> str | None:
    """The message the form shows when ``estimate`` passes ``budget``, else None."""
    if estimate <= budget:
        return None
    return (f"with these settings this would need about {mib(estimate)} of memory; the page keeps within "
            f"{mib(budget)} so that phones do not close it. {change}")
