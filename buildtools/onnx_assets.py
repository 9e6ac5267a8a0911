"""build.py's ONNX step: what the page needs to read and write ONNX, loaded only when asked for.

Pyodide has no ``onnx`` wheel, and needs none: pynn uses only ONNX's generated schema
(``onnx/onnx_ml_pb2.py``, plain Python over the protobuf runtime).  So the site ships, beside
numpy and pynn, two packages that the worker loads the first time a model is downloaded as, or
uploaded in, ONNX (startup loads neither):

- ``protobuf``: PyPI's pure-Python wheel, pinned by sha256;
- ``onnx-schema``: a wheel made here holding an ``onnx`` package with nothing but that
  generated module, taken from the pinned ``onnx`` wheel (the module pinned by sha256 too),
  so pynn.files.onnx_proto imports ``onnx.onnx_ml_pb2`` in the page as it does natively.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from pynn.data.fetch import pip_wheel, wheel_member

PROTOBUF = ("protobuf==7.36.2", "bdb3a345d48db958e6ce1f18e508beb0cc981d64f24088427549c866cd039f1e",
            ("--platform", "any", "--python-version", "3.12", "--implementation", "py"))
ONNX = ("onnx==1.23.0", "f4af61ed154442b43d72a6846e5e054ecf1474375c19058d87455317192eb7fe",
        ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"))
SCHEMA = ("onnx/onnx_ml_pb2.py", "6dfb5075c9c267d61040d9b510b9412ad163567e258e0a36719b5ea3fa3e8432")
INIT = b'"""ONNX\'s generated protobuf schema (onnx_ml_pb2) alone, from onnx 1.23.0 (Apache-2.0), for pynn."""\n'


def schema_source() -> Path:
    """onnx/onnx_ml_pb2.py out of the pinned onnx wheel (every platform's wheel holds the same file)."""
    requirement, wheel_sha256, platform = ONNX
    return wheel_member(requirement, wheel_sha256, *SCHEMA, platform)


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def schema_wheel(out_dir: Path) -> Path:
    """onnx_schema-1.23.0-py3-none-any.whl in ``out_dir``, made from the pinned module; the same bytes each
    build (fixed timestamps), so the site's hashes do not change from one build to the next."""
    version = ONNX[0].split("==")[1]
    info = f"onnx_schema-{version}.dist-info"
    files = {
        "onnx/__init__.py": INIT,
        "onnx/onnx_ml_pb2.py": schema_source().read_bytes(),
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: onnx-schema\nVersion: {version}\n"
                             f"Summary: onnx/onnx_ml_pb2.py from onnx {version}, alone\nLicense: Apache-2.0\n"
                             f"Requires-Dist: {PROTOBUF[0].replace('==', '>=')}\n").encode(),
        f"{info}/WHEEL": (b"Wheel-Version: 1.0\nGenerator: buildtools.onnx_assets\nRoot-Is-Purelib: true\n"
                          b"Tag: py3-none-any\n"),
    }
    record = [record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = out_dir / f"onnx_schema-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            member.external_attr = 0o644 << 16  # rw-r--r--: unpacked with no mode bits, the files cannot be read
            archive.writestr(member, data)
    return target


def site_wheels(out_dir: Path) -> list[Path]:
    """The protobuf wheel (copied) and the schema wheel (made), in ``out_dir``, after removing any of an
    earlier build (the .pyc step would keep its compiled wheel rather than compile the new one)."""
    for old in [*out_dir.glob("protobuf-*.whl"), *out_dir.glob("onnx_schema-*.whl")]:
        old.unlink()
    name, version = PROTOBUF[0].split("==")
    target = out_dir / f"{name}-{version}-py3-none-any.whl"  # the name Pyodide's lock reads the tags from
    target.write_bytes(pip_wheel(*PROTOBUF).read_bytes())
    return [target, schema_wheel(out_dir)]
