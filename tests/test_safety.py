"""Untrusted files: MNIST's pickle is read by an unpickler that builds numpy
arrays and nothing else, and pinned downloads are checked by sha256.
No MNIST data is needed here (and nothing here runs a subprocess)."""

import gzip
import hashlib
import pickle

import numpy as np
import pytest

from pynn.data import fetch, mnist
from pynn.data.fetch import ChecksumError
from pynn.data.mnist import NumpyOnlyUnpickler


def unpickle(data):
    import io

    return NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def global_call_pickle(module, name, argument):
    """The classic malicious pickle: call module.name(argument) while loading (protocol 0 opcodes)."""
    return f"c{module}\n{name}\n(V{argument}\ntR.".encode()


class EvalOnLoad:
    """Pickles as a call to builtins.eval."""

    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


def test_numpy_arrays_load(tmp_path):
    """Tuples of arrays (what mnist.pkl.gz holds) come through intact.  Protocol 4: Python 3
    writes protocol-2 bytes via _codecs.encode, which is (rightly) not allowed; the real
    Python 2 file is read in test_mnist.py."""
    images = np.arange(12, dtype=np.float32).reshape(3, 4) / 256
    labels = np.array([5, 0, 4], dtype=np.int64)
    data = ((images, labels), (images[:1], labels[:1]))
    loaded = unpickle(pickle.dumps(data, protocol=4))
    np.testing.assert_array_equal(loaded[0][0], images)
    assert loaded[0][0].dtype == np.float32 and loaded[0][1].dtype == np.int64
    np.testing.assert_array_equal(loaded[1][1], labels[:1])
    path = tmp_path / "small.pkl.gz"
    with gzip.open(path, "wb") as f:
        f.write(pickle.dumps(data, protocol=4))
    np.testing.assert_array_equal(mnist.read_pickle(path)[0][1], labels)


@pytest.mark.parametrize("module, name", [("os", "system"), ("posix", "system"), ("nt", "system"),
                                          ("subprocess", "getoutput"), ("builtins", "exec")])
def test_refuses_a_pickle_that_runs_a_command(tmp_path, module, name):
    marker = tmp_path / "ran"
    argument = f"touch {marker}" if name != "exec" else f"open({str(marker)!r}, 'w').close()"
    with pytest.raises(pickle.UnpicklingError, match=f"refusing to unpickle {module}.{name}"):
        unpickle(global_call_pickle(module, name, argument))
    assert not marker.exists()


def test_refuses_a_pickle_that_calls_eval(tmp_path):
    marker = tmp_path / "ran"
    data = pickle.dumps(EvalOnLoad(f"open({str(marker)!r}, 'w').close()"))
    assert b"eval" in data  # the pickle really does reference builtins.eval
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle builtins.eval"):
        unpickle(data)
    assert not marker.exists()


def test_refuses_other_numpy_callables():
    """Only ndarray, dtype and _reconstruct: not e.g. numpy.load (which could read a file)."""
    with pytest.raises(pickle.UnpicklingError, match="numpy.load"):
        unpickle(global_call_pickle("numpy", "load", "/etc/passwd"))


def test_read_pickle_refuses_a_malicious_file(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        f.write(pickle.dumps(EvalOnLoad(f"open({str(marker)!r}, 'w').close()"), protocol=2))
    # protocol 2 names the module as Python 2 did, __builtin__
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to unpickle (__builtin__|builtins)\.eval"):
        mnist.read_pickle(path)
    assert not marker.exists()


def test_to_uint8_is_lossless_or_refuses():
    pixels = (np.arange(256, dtype=np.float32) / 256).reshape(16, 16)
    as_bytes = mnist.to_uint8(pixels)
    assert as_bytes.dtype == np.uint8
    np.testing.assert_array_equal(as_bytes.ravel(), np.arange(256))
    with pytest.raises(ValueError, match="not exact multiples of 1/256"):
        mnist.to_uint8(pixels + np.float32(0.001))
    with pytest.raises(ValueError, match="not exact multiples"):
        mnist.to_uint8(np.array([1.0], dtype=np.float32))  # 256/256 is not a byte


def test_unknown_split():
    with pytest.raises(ValueError, match="unknown split 'training'"):
        mnist.split_path("training")


def test_verify_accepts_the_pinned_file(tmp_path):
    path = tmp_path / "asset.bin"
    content = bytes(range(256)) * 5000  # more than one read block
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    assert fetch.sha256_file(path) == digest
    assert fetch.verify(path, digest) == path


def test_verify_refuses_a_mismatching_file(tmp_path):
    path = tmp_path / "asset.bin"
    path.write_bytes(b"the expected content")
    pinned = hashlib.sha256(b"the expected content").hexdigest()
    path.write_bytes(b"the expected content, tampered")
    actual = hashlib.sha256(b"the expected content, tampered").hexdigest()
    with pytest.raises(ChecksumError, match=f"asset.bin: sha256 is {actual}, but {pinned} is pinned"):
        fetch.verify(path, pinned)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(ChecksumError):
        fetch.verify(empty, pinned)
