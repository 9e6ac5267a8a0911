"""pynn: Nielsen's network.py, made exact, fast and safe, for CPython and Pyodide.

``pynn.io`` is the old, documented name of :mod:`pynn.files.modelfile` (model files: save, load,
loads); it was renamed because inside pynn it shadowed the standard library's ``io``.  The old
name still imports, as the same module object, so code written against it keeps working."""

import sys

from pynn.data.dataset import Dataset
from pynn.files import modelfile
from pynn.nets.network import Network, sigmoid, sigmoid_prime
from pynn.training.trainer import Progress, Trainer

io = modelfile  # `from pynn import io`, `pynn.io.load`
sys.modules[f"{__name__}.io"] = modelfile  # `import pynn.io`, `from pynn.io import load`

__version__ = "0.1.0"
__all__ = ["Dataset", "Network", "Progress", "Trainer", "sigmoid", "sigmoid_prime"]
