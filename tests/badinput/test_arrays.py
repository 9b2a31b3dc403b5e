"""Issue 21 item 8: arrays with a zero dimension, .npz members that are not .npy arrays and labels too large
for a mode count are one-line errors naming the file and what would be valid (tracebacks before)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from tests.badinput.helpers import assert_one_line_error, cli, write

N = 12


def _images() -> np.ndarray:
    return np.zeros((N, 8, 8, 1), np.uint8)


@pytest.mark.parametrize("shape, dtype", [
    ((N, 1, 0, 8), np.float32), ((N, 1, 8, 0), np.float32), ((N, 0, 8, 8), np.float32),
    ((N, 0, 0, 1), np.uint8), ((N, 8, 0, 3), np.uint8), ((N, 8, 8, 0), np.uint8),
])
def test_a_zero_dimension_is_refused(tmp_path, shape, dtype):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros(shape, dtype))
    for argv in (("score", path, "--dataset", "gaussian-grid"),):
        assert_one_line_error(cli(*argv), str(path), "every dimension at least 1", str(shape))
    config = write(tmp_path / "run.yaml", f"data: {{dataset: array, path: '{path}', resolution: 16}}\n"
                   "model: {nz: 8, width: 16}\ntrain: {steps: 2, batch_size: 4, device: cpu}\n"
                   f"output: {{dir: '{tmp_path / 'out'}'}}\n")
    assert_one_line_error(cli("train", config), str(path), "every dimension at least 1")


@pytest.mark.parametrize("member", ["images", "labels"])
def test_an_npz_member_of_raw_bytes_is_refused(tmp_path, member):
    path = tmp_path / "x.npz"
    np.savez(path, images=_images(), labels=np.zeros(N, np.int64))
    with zipfile.ZipFile(path, "a") as archive:  # a member without the .npy suffix: np.load gives its bytes
        archive.writestr("samples" if member == "images" else "labels", b"\x00raw bytes")
    if member == "images":
        with zipfile.ZipFile(tmp_path / "y.npz", "w") as archive:
            archive.writestr("images", b"\x00raw bytes")
        path = tmp_path / "y.npz"
    assert_one_line_error(cli("score", path, "--dataset", "gaussian-grid"), str(path), "raw bytes", "numpy.savez")


@pytest.mark.parametrize("labels", [np.full(N, 2**62, np.int64), np.full(N, np.iinfo(np.uint64).max, np.uint64),
                                    np.full(N, -1, np.int64), np.full(N, 1.5)])
def test_labels_beyond_a_mode_count_are_refused(tmp_path, labels):
    path = tmp_path / "x.npz"
    np.savez(path, images=_images(), labels=labels)
    config = write(tmp_path / "run.yaml", f"data: {{dataset: array, path: '{path}', resolution: 16}}\n"
                   "model: {nz: 8, width: 16}\ntrain: {steps: 2, batch_size: 4, device: cpu}\n"
                   f"output: {{dir: '{tmp_path / 'out'}'}}\n")
    assert_one_line_error(cli("train", config), str(path), "'labels' must be integers in 0..1,000,000")


def test_the_largest_valid_label_loads(tmp_path):
    from ganlab.data.files import MAX_LABEL, load_array_images

    path = tmp_path / "x.npz"
    np.savez(path, images=_images(), labels=np.arange(N, dtype=np.uint64) + (MAX_LABEL - N + 1))
    _, labels = load_array_images(path)
    assert labels is not None and int(labels.max()) == MAX_LABEL
