"""How much memory the page's jobs take, estimated from their settings before they start.

The worker's heap (Pyodide's WebAssembly memory) grows to a job's peak, a fifth at a
time, and never shrinks, so a job whose peak would pass the budget
(pynn.page.settings.HEAP_BUDGET) must be refused before it starts, not after 18 s and
867 MiB.  The estimates add up the large arrays a job makes, by the shapes the layers
make them in (``layer_floats``), the Trainer's gathered blocks, the augmenter's blocks
and a fine-tune's rounds, and what is always there once MNIST is loaded.  They are meant
to be a little above the truth; bench/memory.py prints each flow's measured peak beside
its estimate.
"""

from __future__ import annotations

import math

from pynn.nets.layers import ConvPoolLayer, Layer
from pynn.nets.network3 import CHUNK
from pynn.training.batches import EpochBatches

MiB = 2**20


def augment_block() -> int:
    """pynn.training.augment's block of images distorted at once.  Imported on first use: the
    worker imports this module at startup, where it estimates nothing (README's Startup)."""
    from pynn.training.augment import BLOCK

    return BLOCK

# Python, numpy and pynn started in the worker, before any data: measured in the page (issue 14).
RUNTIME_BYTES = 35 * MiB
TARGET_BYTES = 10 * 8 + 8  # beside its inputs, a Dataset row holds a one-hot float64 target and an int64 label
MNIST_BYTES = (50_000 + 10_000) * (784 + TARGET_BYTES)  # the training and test sets, kept once loaded
# pynn.training.augment's float64 working arrays, per image of a block (measured: 35 MB for a block of 256)
AUGMENT_IMAGE_BYTES = 140_000
# Pyodide's heap grows by a fifth at a time (Emscripten's geometric step, measured: 34.6, 41.6,
# 49.9 … MiB), and never shrinks: a live peak P leaves a heap of up to HEAP_GROWTH × P.
HEAP_GROWTH = 1.2
# Python's own objects and numpy's small temporaries beside the arrays counted here (bench/memory.py)
SLACK_BYTES = 20 * MiB
GATHER = EpochBatches.BLOCK  # samples the Trainer gathers (and converts to float64) at once


def mib(count: int) -> str:
    """Bytes as the messages show them."""
    return f"{count / MiB:,.0f} MiB"


def params_count(layers: list[Layer]) -> int:
    return sum(math.prod(shape) for layer in layers for shape in layer.param_shapes())


def model_params(model) -> int:
    """The parameters of a network3 net, the MLP or any model (counted as one layer n_in → n_out)."""
    layers = getattr(model, "layers", None)
    if layers is not None:
        return params_count(layers)
    sizes = list(getattr(model, "sizes", [model.n_in, model.n_out]))
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def layer_floats(layer: Layer, m: int, backward: bool, below: bool) -> int:
    """The floats a network3 layer's buffers take for a batch of ``m`` (the arrays of its
    make_buffers, and backward's: ``below`` if it passes a gradient to the layer beneath)."""
    if isinstance(layer, ConvPoolLayer):
        f, g = layer.filter_shape[0], m * layer.groups
        rows = g * layer.pool ** 2
        floats = layer.k * rows + f * rows + f * g + 2 * m * layer.n_out + f * rows // 8  # cols, z, pooled, a, s, beats
        return floats + backward * f * rows + below * (layer.k * rows + m * layer.n_in)  # dz; dcols, below
    floats = 2 * m * layer.n_out + m * layer.n_in + 3 * m  # a, s, below, and three columns
    return floats + (layer.p_dropout > 0) * (2 * m * layer.n_in + m * layer.n_in // 8)  # mask, xd, keep


def layers_bytes(layers: list[Layer], batches: list[int]) -> int:
    """network3 layers in training: parameters, gradients, and the buffers each layer keeps for
    each batch size trained on (the full mini-batch and a short last one); the first layer
    passes no gradient down."""
    kept = sum(layer_floats(layer, m, True, i > 0) for i, layer in enumerate(layers) for m in batches if m)
    return 8 * (2 * params_count(layers) + kept)


def inference_bytes(layers: list[Layer], batch: int = CHUNK) -> int:
    """Inference makes its buffers afresh and one layer at a time (the one below gives its output)."""
    return 8 * max(layer_floats(layer, batch, False, False) + batch * layer.n_in for layer in layers)


def mlp_bytes(sizes: list[int], batch: int, short: int = 0) -> int:
    """The seed's MLP in training: weights, and a workspace (gradients, and activations, deltas
    and scratch for the batch) per batch size."""
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    units = sum(sizes[1:])
    return 8 * (params + sum(params + 3 * m * units for m in (batch, short) if m))


def gathered_bytes(samples: int, width: int, itemsize: int, augmented: bool) -> int:
    """The Trainer's gathered block: the rows taken, their float64 copy and targets, and the
    augmenter's working arrays when it distorts them."""
    rows = min(GATHER, samples)
    total = rows * (width * (itemsize + 8 + 1) + TARGET_BYTES)
    if augmented:
        total += min(augment_block(), rows) * AUGMENT_IMAGE_BYTES + rows * width * itemsize
    return total


def training_bytes(settings: dict, layers: list[Layer] | None) -> int:
    """The worker's peak for a training run of checked settings: ``layers`` are the conv net's
    (pynn.nets.architectures.conv_layers), None for the MLP."""
    m, n = settings["minibatch_size"], settings["train_size"]
    short = n % m
    if layers is None:
        network = mlp_bytes([784, *settings["hidden"], 10], m, short)
    else:
        network = layers_bytes(layers, [m, short]) + inference_bytes(layers)
    return RUNTIME_BYTES + SLACK_BYTES + MNIST_BYTES + network + gathered_bytes(n, 784, 1, settings["augment"] == "on")


def model_bytes(model, depth: int, batch: int, short: int = 0) -> int:
    """A model (the MLP, or network3 layers) trained by batches of ``batch`` (and a ``short``
    last one), its first ``depth`` layers frozen and run only CHUNK rows at a time."""
    layers = getattr(model, "layers", None)
    if layers is None:  # the MLP (any other model: counted as one layer, n_in → n_out)
        return mlp_bytes(list(getattr(model, "sizes", [model.n_in, model.n_out])), batch, short)
    return layers_bytes(layers[:depth], []) + layers_bytes(layers[depth:], [batch, short]) + inference_bytes(layers)


def finetune_bytes(settings: dict, model, depth: int, cache_bytes: int) -> int:
    """The worker's peak for a fine-tune of checked settings: ``depth`` conv layers frozen (the
    layers above learn from their outputs, kept for MNIST up to ``cache_bytes``), or none.
    Each round is made (your digits augmented, then their conv outputs a block at a time),
    then trained on; the larger of the two is the peak."""
    size, m = settings["round_size"], settings["minibatch_size"]
    yours = round(size * (1 - settings["replay"]))
    layers = getattr(model, "layers", None)
    width, itemsize = (layers[depth].n_in, 8) if depth and layers is not None else (784, 1)
    kept = layers is not None and isinstance(layers[0], ConvPoolLayer)  # a conv net's MNIST outputs are kept
    base = RUNTIME_BYTES + SLACK_BYTES + MNIST_BYTES + 8 * model_params(model) + (cache_bytes if kept else 0)
    inference = inference_bytes(layers) if layers is not None else 0
    round_data = size * (width * itemsize + TARGET_BYTES)
    # your digits picked, checked and augmented (uint8), and the augmenter's block (or a conv block)
    making = yours * 784 * 3 + max(min(augment_block(), yours) * AUGMENT_IMAGE_BYTES, inference)
    training = model_bytes(model, depth, m, size % m) - inference + gathered_bytes(size, width, itemsize, False)
    return base + round_data + max(making, training, inference)


def evaluation_bytes(model, cache_bytes: int, test_size: int = 10_000) -> int:
    """The worker's peak while it evaluates ``model`` on the test set, or computes its conv
    outputs ahead (pynn.page.teaching): its kept outputs, a block's buffers, the report's arrays."""
    layers = getattr(model, "layers", None)
    kept = layers is not None and isinstance(layers[0], ConvPoolLayer)
    work = (cache_bytes + inference_bytes(layers)) if kept and layers is not None else 8 * CHUNK * 784 * 3
    return RUNTIME_BYTES + SLACK_BYTES + MNIST_BYTES + 8 * model_params(model) + work + 16 * test_size * 10


def heap_bytes(live: int) -> int:
    """The heap a live peak of ``live`` bytes may leave, the runtime's growth steps included."""
    return math.ceil(live * HEAP_GROWTH)


def over_budget(estimate: int, budget: int, change: str) -> str | None:
    """The message the form shows when the heap a live peak ``estimate`` leaves passes
    ``budget``, else None."""
    heap = heap_bytes(estimate)
    if heap <= budget:
        return None
    return (f"with these settings this would need about {mib(heap)} of memory; the page keeps within "
            f"{mib(budget)} so that phones do not close it. {change}")
