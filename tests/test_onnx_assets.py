"""build.py's ONNX step (buildtools.onnx_assets): the schema wheel the page loads on demand holds ONNX's own
generated module, byte for byte, readable once unpacked, and names protobuf as its dependency."""

import stat
import zipfile

import onnx.onnx_ml_pb2
import pytest

from buildtools import onnx_assets
from pynn.page.settings import ONNX_PACKAGES

pytestmark = pytest.mark.native  # pip downloads (cached by hash) and files


def test_the_schema_wheel_holds_onnxs_own_module_readable_with_protobuf_as_its_dependency(tmp_path):
    wheel = onnx_assets.schema_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        module = archive.read("onnx/onnx_ml_pb2.py")
        metadata = archive.read("onnx_schema-1.23.0.dist-info/METADATA").decode()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert module == open(onnx.onnx_ml_pb2.__file__, "rb").read()  # the pinned onnx's file, as installed here
    assert sorted(names) == ["onnx/__init__.py", "onnx/onnx_ml_pb2.py", "onnx_schema-1.23.0.dist-info/METADATA",
                             "onnx_schema-1.23.0.dist-info/RECORD", "onnx_schema-1.23.0.dist-info/WHEEL"]
    assert all(mode & stat.S_IRUSR for mode in modes.values()), modes  # unreadable members vanish at the .pyc step
    assert "Name: onnx-schema" in metadata and "Requires-Dist: protobuf>=7.36.2" in metadata
    assert ONNX_PACKAGES == ("onnx-schema",)  # what the worker asks Pyodide for: this wheel, and protobuf with it
    (tmp_path / "again").mkdir()
    assert onnx_assets.schema_wheel(tmp_path / "again").read_bytes() == wheel.read_bytes()  # the same bytes each build
