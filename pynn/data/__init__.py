"""Data: the Dataset (Nielsen's mnist_loader shapes, checked), MNIST with its pinned download, and
a person's drawing made to look like an MNIST digit."""
