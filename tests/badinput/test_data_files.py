"""Hostile data files: each is one line naming the file, exit 2, and nothing huge is allocated."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from ganlab.data.files import load_array_images
from tests.badinput.helpers import assert_one_line_error, cli, write


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def _npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _object_npz(path: Path) -> Path:
    member = io.BytesIO()
    np.save(member, np.array([{"a": 1}, 2], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images.npy", member.getvalue())
    return path


def _hostile(tmp_path: Path, kind: str) -> tuple[Path, str]:
    if kind == "png-bomb":
        return write(tmp_path / "imgs" / "bomb.png", _png_header(60000, 60000)).parent, "bomb.png"
    if kind == "huge-npy":  # 10^6 x 3 x 128 x 128 float32 = 183 GiB
        return write(tmp_path / "huge.npy", _npy_header((1_000_000, 3, 128, 128)) + b"\0" * 64), "the header claims"
    if kind == "object-npz":
        return _object_npz(tmp_path / "obj.npz"), "Python objects"
    if kind == "zero-npy":
        return write(tmp_path / "zero.npy", b""), "empty file"
    raise AssertionError(kind)


KINDS = ["png-bomb", "huge-npy", "object-npz", "zero-npy"]


@pytest.mark.parametrize("kind", KINDS)
def test_score_refuses_hostile_samples(tmp_path: Path, kind: str) -> None:
    path, needle = _hostile(tmp_path, kind)
    assert_one_line_error(cli("score", path, "--dataset", "digits"), needle, path.name)


@pytest.mark.parametrize("kind", KINDS)
def test_a_sweep_dry_run_refuses_hostile_training_data(tmp_path: Path, kind: str) -> None:
    path, needle = _hostile(tmp_path, kind)
    base = {"data": {"dataset": "folder" if path.is_dir() else "array", "path": str(path), "resolution": 16},
            "model": {"nz": 8, "width": 16}}
    sweep = write(tmp_path / "sweep.yaml", yaml.safe_dump({"name": "s", "base": base, "seeds": 1}))
    assert_one_line_error(cli("sweep", sweep, "--dry-run", "--out", tmp_path), needle, path.name)


def test_over_the_limit_but_honest_header_is_refused_without_reading(tmp_path: Path) -> None:
    from ganlab.data.files import MAX_ARRAY_BYTES

    n = MAX_ARRAY_BYTES // (3 * 16 * 16) + 1  # uint8 (n, 16, 16, 3): one image over the limit
    path = tmp_path / "big.npy"
    with open(path, "wb") as handle:  # a sparse file: the size is real, the disk use is not
        handle.write(_npy_header((n, 16, 16, 3), "|u1"))
        handle.truncate(handle.tell() + n * 16 * 16 * 3)
    assert_one_line_error(cli("score", path, "--dataset", "digits"), "more than the limit")


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_valid_arrays_still_load_exactly(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    path = tmp_path / f"ok{suffix}"
    if suffix == ".npy":
        np.save(path, images)
    else:
        np.savez(path, images=images, labels=np.arange(5))
    loaded, labels = load_array_images(path)
    expected = images.transpose(0, 3, 1, 2).astype(np.float64) / 127.5 - 1.0
    np.testing.assert_allclose(loaded.numpy(), expected, atol=1e-6)
    if suffix == ".npz":
        assert labels is not None and labels.tolist() == list(range(5))
