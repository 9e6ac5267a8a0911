"""What pynn's ONNX export and import share: ONNX's own schema, the opset, names and metadata keys.

The schema is ONNX's generated ``onnx_ml_pb2`` (from the pinned ``onnx`` package) over the
``protobuf`` runtime: pynn encodes and decodes no protobuf of its own.  Both are optional
(``pip install 'pynn[onnx]'``); pynn's core stays numpy only, and this module imports them
only when a model is exported or an .onnx is read.
"""

from __future__ import annotations

import importlib
from types import ModuleType

IR_VERSION = 8  # ONNX 1.10's IR: every runtime of the last years reads it (onnxruntime, onnxruntime-web)
OPSET = 13  # Softmax over one axis (opset 13's meaning), Flatten, Gemm, Conv, MaxPool: all stable since
INPUT, OUTPUT = "image", "output"
PRODUCER = "pynn"
# metadata_props: what the input is, how the page prepares a drawing, what the output means, and
# what pynn needs back that the graph cannot say (training-time settings, the model's meta).
KEY_INPUT, KEY_PREPROCESSING, KEY_OUTPUT = "pynn.input", "pynn.preprocessing", "pynn.output"
KEY_COST, KEY_DROPOUT, KEY_META = "pynn.cost", "pynn.dropout", "pynn.meta"
PREPROCESSING = ("pynn's page normalises a drawing first, as MNIST's digits were made: crop to the ink, scale "
                 "it (keeping its aspect ratio, by area averaging) so its longer side fills a 20x20 box, and "
                 "place it in the 28x28 field with its centre of mass at the centre (pynn.data.digits.normalize_digit)")


def schema() -> ModuleType:
    """ONNX's generated protobuf classes (ModelProto, …): ``onnx.onnx_ml_pb2``, from the ``onnx``
    package natively, or the same file shipped alone where there is no ``onnx`` wheel (Pyodide)."""
    try:
        return importlib.import_module("onnx.onnx_ml_pb2")
    except ImportError as error:
        raise RuntimeError("ONNX files need the protobuf runtime and ONNX's schema: "
                           f"pip install 'pynn[onnx]' ({error})") from None
