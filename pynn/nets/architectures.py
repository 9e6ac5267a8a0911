"""The networks the page (and the CLI) can build from training settings, and what they cost.

"mlp" is the seed's sigmoid network with the given hidden layers; "conv" is a
small network3 conv net (chapter 6): 20 5×5 filters with 2×2 max-pooling, one
ReLU layer (the first hidden size, 100 if none), and a softmax output.  The
cost of a step is estimated from multiply-adds, so the page can refuse settings
whose single step would keep Stop waiting, and evaluation can be sliced.
"""

from __future__ import annotations

from pynn.nets import network3
from pynn.nets.layers import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
from pynn.nets.network import Network

INPUTS, OUTPUTS = 784, 10
ARCHITECTURES = ("mlp", "conv")
CONV_FILTERS, CONV_KERNEL, CONV_POOL, CONV_HIDDEN = 20, 5, 2, 100
# One SGD step's cost, measured in Pyodide 0.27.7 under Node on this project's 2-core machine:
# [784,1000,10] with mini-batch 1000 took 1.1 s, [784,1000,1000,1000,1000,10] with 100 took 0.9 s;
# the conv net at mini-batch 10 took 11–20 ms.  A step costs about 6 flops per multiply-add of
# the forward pass per sample (forward 2, backward 4); the MLP's first layer counts half because
# its inputs are sparse (the kernel skips pixels no sample in the batch inks).
STEP_FLOPS_PER_SECOND = 2.3e9


def layer_sizes(settings: dict) -> list[int]:
    return [INPUTS, *settings["hidden"], OUTPUTS]


def conv_layers(hidden: int = CONV_HIDDEN) -> list:
    side = (28 - CONV_KERNEL + 1) // CONV_POOL
    return [ConvPoolLayer((CONV_FILTERS, 1, CONV_KERNEL, CONV_KERNEL), (1, 28, 28), (CONV_POOL, CONV_POOL), "relu"),
            FullyConnectedLayer(CONV_FILTERS * side * side, hidden, "relu"),
            SoftmaxLayer(hidden, OUTPUTS)]


def network_for(settings: dict, meta: dict | None = None) -> Network | network3.Network:
    """A fresh network for checked training settings."""
    if settings.get("architecture", "mlp") == "conv":
        hidden = settings["hidden"][0] if settings["hidden"] else CONV_HIDDEN
        return network3.Network(conv_layers(hidden), seed=settings["seed"], meta=meta)
    return Network(layer_sizes(settings), cost=settings["cost"], init=settings["init"], seed=settings["seed"],
                   meta=meta)


def multiply_adds(settings: dict) -> float:
    """Multiply-adds of one sample's forward pass, the MLP's sparse first layer at half."""
    if settings.get("architecture", "mlp") == "conv":
        side = 28 - CONV_KERNEL + 1
        hidden = settings["hidden"][0] if settings["hidden"] else CONV_HIDDEN
        pooled = CONV_FILTERS * (side // CONV_POOL) ** 2
        return CONV_FILTERS * CONV_KERNEL**2 * side * side + pooled * hidden + hidden * OUTPUTS
    sizes = layer_sizes(settings)
    first, *rest = [n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return first / 2 + sum(rest)


def step_seconds(settings: dict) -> float:
    """Estimated seconds of one mini-batch step in the page's worker."""
    return 6.0 * settings["minibatch_size"] * multiply_adds(settings) / STEP_FLOPS_PER_SECOND


def forward_multiply_adds(model) -> int:
    """Multiply-adds of one sample's forward pass through a built model."""
    if not isinstance(model, network3.Network):
        return sum(n_in * n_out for n_in, n_out in zip(model.sizes[:-1], model.sizes[1:]))
    total = 0
    for layer in model.layers:
        if isinstance(layer, ConvPoolLayer):
            f, c, kh, kw = layer.filter_shape
            _, h, w = layer.image_shape
            total += f * c * kh * kw * (h - kh + 1) * (w - kw + 1)
        else:
            total += layer.n_in * layer.n_out
    return total


def summary(model) -> str:
    """A short line for people: "784 → 30 → 10", or the conv net's layers in words."""
    if not isinstance(model, network3.Network):
        return " → ".join(map(str, model.sizes))
    parts = []
    for layer in model.layers:
        if isinstance(layer, ConvPoolLayer):
            f, _, kh, kw = layer.filter_shape
            parts.append(f"{f} {kh}×{kw} filters + {layer.pool}×{layer.pool} max-pool")
        elif isinstance(layer, SoftmaxLayer):
            parts.append(f"softmax {layer.n_out}")
        else:
            parts.append(f"{layer.n_out} {layer.activation}")
    return " → ".join(parts)
