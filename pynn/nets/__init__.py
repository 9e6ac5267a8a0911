"""The networks and their maths: Nielsen's Network (network.py, with the book's per-sample
backprop) and its fast kernel, the layered network3 (conv, pool, softmax, dropout), activations,
costs, and the Model protocol the trainer reads."""
