"""buildtools.styles: pinned fonts that verify, and digits rendered from them the way MNIST's look.

Needs files, Pillow and Debian's apt-get/dpkg-deb (the fonts are fetched once and cached)."""

import shutil

import numpy as np
import pytest

from buildtools import styles
from pynn.data import fetch

pytestmark = pytest.mark.native


@pytest.fixture(scope="module")
def rendered():
    # Pillow is a dev dependency (pyproject's "dev" extra): without it these tests fail, not skip
    import PIL  # noqa: F401

    return styles.rendered_digits()


def test_every_source_is_pinned_verified_and_not_hershey():
    assert len(styles.FONT_SOURCES) >= 20
    assert len({source.name for source in styles.FONT_SOURCES}) == len(styles.FONT_SOURCES)
    for source in styles.FONT_SOURCES:
        assert "hershey" not in (source.package + source.member).lower()
        assert "=" in source.package and len(source.package_sha256) == 64 and len(source.sha256) == 64
        assert fetch.sha256_file(source.path()) == source.sha256


def test_a_tampered_cached_font_is_refused(tmp_path, monkeypatch):
    source = styles.FONT_SOURCES[0]
    monkeypatch.setenv("PYNN_CACHE", str(tmp_path))
    cached = fetch.cached(source.sha256, source.name + source.member[-4:])
    cached.write_bytes(b"not a font")
    with pytest.raises(fetch.ChecksumError, match="refusing"):
        source.path()


def test_a_tampered_package_is_refused(tmp_path, monkeypatch):
    source = styles.FONT_SOURCES[0]
    real = fetch.apt_deb(source.package, source.package_sha256)
    monkeypatch.setenv("PYNN_CACHE", str(tmp_path))
    deb = fetch.cached(source.package_sha256, real.name.split("-", 1)[1])
    deb.write_bytes(real.read_bytes()[:-1] + b"!")
    with pytest.raises(fetch.ChecksumError, match="refusing"):
        source.path()
    assert not list(tmp_path.rglob("*.otf")) and not list(tmp_path.rglob("*.partial"))


def test_a_member_that_differs_from_its_pin_is_refused_and_not_cached(tmp_path, monkeypatch):
    source = styles.FONT_SOURCES[0]
    real = fetch.apt_deb(source.package, source.package_sha256)
    monkeypatch.setenv("PYNN_CACHE", str(tmp_path))
    shutil.copyfile(real, fetch.cached(source.package_sha256, real.name.split("-", 1)[1]))
    with pytest.raises(fetch.ChecksumError):
        fetch.deb_member(source.package, source.package_sha256, source.member, "0" * 64)
    assert not list(tmp_path.rglob("*.otf")) and not list(tmp_path.rglob("*.partial"))
    with pytest.raises(RuntimeError, match="has no file"):
        fetch.deb_member(source.package, source.package_sha256, "usr/share/no-such.otf", "0" * 64)


def test_rendered_digits_are_mnist_shaped_and_centred(rendered):
    images, labels, names = rendered
    n = 10 * len(styles.FONT_SOURCES)
    assert images.shape == (n, 784) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, np.tile(np.arange(10), len(styles.FONT_SOURCES)))
    assert names[::10] == [source.name for source in styles.FONT_SOURCES]
    pixels = images.reshape(-1, 28, 28).astype(np.float64)
    mass = pixels.sum(axis=(1, 2))
    assert (mass > 0).all() and images.max(axis=1).min() > 128  # thin faces are fainter after the 20×20 fit
    rows = (pixels.sum(axis=2) @ np.arange(28)) / mass
    cols = (pixels.sum(axis=1) @ np.arange(28)) / mass
    assert np.abs(rows - 14).max() <= 1 and np.abs(cols - 14).max() <= 1
    inked = pixels > 0
    height = inked.any(axis=2).sum(axis=1)
    width = inked.any(axis=1).sum(axis=1)
    assert (np.maximum(height, width) <= 20).all() and (np.maximum(height, width) >= 19).all()


def test_labels_match_the_digits_drawn(rendered):
    """Leave-one-face-out template matching: each face's digits, compared with the other faces'
    mean digits, are mostly read right (labels out of step would give about 10%)."""
    images, labels, _ = rendered
    faces = images.reshape(-1, 10, 784).astype(np.float64)
    faces /= np.linalg.norm(faces, axis=2, keepdims=True)
    right = 0
    for i in range(len(faces)):
        templates = np.delete(faces, i, axis=0).mean(axis=0)
        right += int((np.argmax(faces[i] @ templates.T, axis=1) == np.arange(10)).sum())
    assert right / faces[:, :, 0].size > 0.8


def test_style_dataset_is_deterministic_and_labelled(rendered):
    images, labels = styles.style_dataset(seed=3, copies=2)
    clean, clean_labels, _ = rendered
    assert images.shape == (2 * len(clean), 784) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, np.repeat(clean_labels, 2))
    again, _ = styles.style_dataset(seed=3, copies=2)
    other, _ = styles.style_dataset(seed=4, copies=2)
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, other)
    with_clean, with_labels = styles.style_dataset(seed=3, copies=1, include_clean=True)
    np.testing.assert_array_equal(with_clean[:len(clean)], clean)
    assert len(with_labels) == 2 * len(clean)
    with pytest.raises(ValueError, match="copies"):
        styles.style_dataset(seed=0, copies=-1)


def bench_module(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_stroke_style_set_is_up_to_date_and_broad():
    style_set = bench_module("style_set")
    data = style_set.style_set()
    assert style_set.OUTPUT.read_text() == style_set.to_json(data), "run bench/style_set.py"
    drawings = data["drawings"]
    assert len(drawings) >= 200
    families = {d["style"] for d in drawings}
    assert len(families) >= 10
    for family in families:
        counts = np.bincount([d["digit"] for d in drawings if d["style"] == family], minlength=10)
        assert (counts >= 3).all(), family
    skeletons = {d["skeleton"] for d in drawings}
    for wanted in ("6-hook", "1-flag-foot", "9-curved-tail", "7-crossed", "4-open", "4-closed", "2-loop",
                   "3-flat-top", "1-european", "1-long-flag", "1-steep-flag", "1-long-flag-foot", "7-crossed-serif",
                   "7-crossed-curved", "6-low-loop", "6-high-loop"):
        assert wanted in skeletons
    for d in drawings:
        points = np.concatenate([np.asarray(stroke) for stroke in d["strokes"]])
        assert points.min() >= 0 and points.max() <= 1


def test_the_style_set_holds_the_european_pair_in_many_hands():
    """Issue 19: flagged 1s and crossed 7s in at least six families each, upright and slanted, and
    sixes whose loop closes high and low; a crossed 7 is drawn with a second stroke across its stem."""
    style_set = bench_module("style_set")
    drawings = style_set.style_set()["drawings"]
    flagged = {d["style"] for d in drawings if d["digit"] == 1 and "flag" in d["skeleton"] or
               d["skeleton"] == "1-european"}
    crossed = {d["style"] for d in drawings if d["skeleton"].startswith("7-crossed")}
    assert len(flagged) >= 6 and len(crossed) >= 6
    slants = {style_set.FAMILIES[style][1] != 0 for style in flagged & crossed}
    assert slants == {True, False}
    for name in ("6-low-loop", "6-high-loop"):
        assert sum(d["skeleton"] == name for d in drawings) >= 3
    for d in drawings:
        if d["skeleton"].startswith("7-crossed"):
            bar = np.asarray(d["strokes"][-1])
            stem = np.asarray(d["strokes"][0])
            height = bar[:, 1].mean()
            # the stem passes the bar's height between the bar's ends: the bar crosses it
            k = int(np.argmax(stem[:, 1] > height))  # the stem's first point below the bar
            (x0, y0), (x1, y1) = stem[k - 1], stem[k]
            at = x0 + (x1 - x0) * (height - y0) / (y1 - y0)
            assert len(d["strokes"]) == 2 and bar[:, 0].min() < at < bar[:, 0].max(), d["skeleton"]


def test_strokes_are_inked_like_the_pad():
    """A 20 px round pen on a 280 px pad: a dot is a disc of radius 10, a line a capsule."""
    style_set = bench_module("style_set")
    dot = style_set.rasterise([[[0.5, 0.5]]]).astype(np.float64) / 255
    assert abs(dot.sum() - np.pi * 100) < 3
    bar = style_set.rasterise([[[0.25, 0.5], [0.75, 0.5]]]).astype(np.float64) / 255
    assert abs(bar.sum() - (np.pi * 100 + 20 * 140)) < 5
    column = style_set.to_input([[[0.5, 0.2], [0.5, 0.8]]])
    assert column.shape == (784, 1) and 0 < column.max() <= 1 + 1e-12
