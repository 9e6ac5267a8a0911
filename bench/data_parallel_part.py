"""One worker's half of bench/data_parallel.mjs (run inside Pyodide in a Node worker thread).

Worker ``k`` of ``n`` holds the whole conv net; at each step it computes the gradient of its
part of the mini-batch (rows k·m/n .. (k+1)·m/n), scaled by η/m as the one-worker step scales
the whole batch's, and writes it to its region of a SharedArrayBuffer; after a barrier every
worker sums the regions in order 0..n−1 (the fixed order: every worker gets the same sum, bit
for bit, and a rerun gets it again) and takes the step itself, so the nets stay identical and
no parameters travel.  With n = 1 it is the page's step (Stepper.step) as it is.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np

from pynn.nets.architectures import network_for
from pynn.page.browser import read_npz
from pynn.page.settings import DEFAULTS


class Part:
    def __init__(self, k: int, n: int, m: int, steps: int, hidden: int, eta: float) -> None:
        self.k, self.n, self.m, self.eta = k, n, m, eta
        settings = {**DEFAULTS, "architecture": "conv", "hidden": [hidden], "minibatch_size": m, "eta": eta}
        with open("/data/mnist-train.npz", "rb") as file:
            self.data = read_npz(file.read()).subset(m * steps)
        self.net = network_for(settings)
        self.whole = self.net.stepper(m)
        self.mine = self.net.stepper(m // n)
        self.params = [p for layer in self.net.layers for p in layer.params]
        self.grads = [g for layer in self.net.layers for g in layer.grads]
        self.size = sum(p.size for p in self.params)
        self.flat = np.empty(self.size)
        self.total = np.empty(self.size)
        self.other = np.empty(self.size)
        self.times: dict[str, list[float]] = {"gradient": [], "copy_in": [], "reduce_apply": []}  # s, each step
        self.worst = 0.0  # largest |data-parallel gradient − one worker's| at the checked steps

    def reset(self) -> None:
        """Time from here on only (the first steps warm up)."""
        self.times = {key: [] for key in self.times}

    def batch(self, t: int, rows: slice | None = None):
        start = t * self.m
        x = self.data.inputs(start, start + self.m).T
        y = self.data.y[start:start + self.m]
        return (x, y) if rows is None else (x[rows], y[rows])

    def one_step(self, t: int) -> None:
        """The page's own step on one worker (n = 1)."""
        started = time.perf_counter()
        x, y = self.batch(t)
        self.whole.step(x, y, self.eta, 0.0, len(self.data))
        self.times["gradient"].append(time.perf_counter() - started)

    def partial(self, t: int, region) -> None:
        """This worker's part of step t's gradient, into its shared region."""
        started = time.perf_counter()
        share = self.m // self.n
        x, y = self.batch(t, slice(self.k * share, (self.k + 1) * share))
        self.mine.gradient(x, y, self.eta / self.m, measure_cost=False)
        np.concatenate([g.ravel() for g in self.grads], out=self.flat)
        middle = time.perf_counter()
        region.assign(self.flat)
        self.times["gradient"].append(middle - started)
        self.times["copy_in"].append(time.perf_counter() - middle)

    def reduce_apply(self, t: int, regions, check: bool) -> None:
        """Sum every worker's part in order 0..n−1 and take the step."""
        started = time.perf_counter()
        regions[0].assign_to(self.total)
        for region in regions[1:]:
            region.assign_to(self.other)
            self.total += self.other
        if check:  # one worker's gradient of the same batch at the same weights
            x, y = self.batch(t)
            self.whole.gradient(x, y, self.eta / self.m, measure_cost=False)
            whole = np.concatenate([g.ravel() for g in self.grads])
            self.worst = max(self.worst, float(np.max(np.abs(whole - self.total))))
        offset = 0
        for param in self.params:
            param -= self.total[offset:offset + param.size].reshape(param.shape)
            offset += param.size
        if not check:
            self.times["reduce_apply"].append(time.perf_counter() - started)

    def digest(self) -> str:
        return hashlib.sha256(b"".join(p.tobytes() for p in self.params)).hexdigest()

    def flat_params(self) -> bytes:
        return b"".join(p.tobytes() for p in self.params)
