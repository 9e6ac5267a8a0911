"""pynn: Nielsen's network.py, made exact, fast and safe, for CPython and Pyodide."""

from pynn.data import Dataset
from pynn.network import Network, sigmoid, sigmoid_prime
from pynn.training import Progress, Trainer

__version__ = "0.1.0"
__all__ = ["Dataset", "Network", "Progress", "Trainer", "sigmoid", "sigmoid_prime"]
