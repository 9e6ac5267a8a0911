"""The seed's per-sample algorithm, made to run on Python 3 and numpy 2, as an oracle.

This is network_seed.txt's backprop and update_minibatch with three fixes
(``sizes`` → ``layer_sizes``, ``xrange`` → ``range``, and the ragged
``np.divide`` done layer by layer), plus network2's L2 decay and cross-entropy
delta so the extensions can be checked too.  It is deliberately slow and
simple: one sample at a time.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def backprop(weights, biases, x, y, cost="quadratic"):
    nabla_w = [np.zeros(w.shape) for w in weights]
    nabla_b = [np.zeros(b.shape) for b in biases]
    activation, activations, zs = x, [x], []
    for w, b in zip(weights, biases):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = activations[-1] - y
    if cost == "quadratic":
        delta = delta * sigmoid_prime(zs[-1])
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for layer in range(2, len(weights) + 1):
        delta = np.dot(weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
        nabla_b[-layer] = delta
        nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
    return nabla_w, nabla_b


def update_minibatch(weights, biases, minibatch, alpha, cost="quadratic", lmbda=0.0, n=1):
    sum_w = [np.zeros(w.shape) for w in weights]
    sum_b = [np.zeros(b.shape) for b in biases]
    for x, y in minibatch:
        nabla_w, nabla_b = backprop(weights, biases, x, y, cost)
        sum_w = [s + g for s, g in zip(sum_w, nabla_w)]
        sum_b = [s + g for s, g in zip(sum_b, nabla_b)]
    mean_w = [s / len(minibatch) for s in sum_w]
    mean_b = [s / len(minibatch) for s in sum_b]
    weights = [(1 - alpha * lmbda / n) * w - alpha * g for w, g in zip(weights, mean_w)]
    biases = [b - alpha * g for b, g in zip(biases, mean_b)]
    return weights, biases


def sgd_epoch(weights, biases, training_data, minibatch_size, alpha, order):
    """One epoch in a given sample order (the seed shuffles with ``random``; the order is passed in)."""
    for k in range(0, len(order), minibatch_size):
        minibatch = [training_data[i] for i in order[k:k + minibatch_size]]
        weights, biases = update_minibatch(weights, biases, minibatch, alpha)
    return weights, biases
