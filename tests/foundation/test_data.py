"""Built-in and user datasets: ranges, known modes, splits, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from ganlab.config import DataConfig
from ganlab.data import build_dataset, digit_splits
from ganlab.data.digits import resize_digits
from ganlab.data.gaussian_grid import N_MODES, grid_centres
from ganlab.errors import DataError


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@given(resolution=st.sampled_from([16, 32, 64]), n=st.integers(1, 64),
       name=st.sampled_from(["stacked-digits", "digits", "gaussian-grid"]))
def test_builtin_datasets_give_images_in_range_with_valid_modes(resolution, n, name):
    ds = build_dataset(DataConfig(dataset=name, resolution=resolution))
    images, modes = ds.sample(n, gen())
    assert images.shape == (n, ds.channels, resolution, resolution) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert modes is not None and modes.shape == (n,) and 0 <= modes.min() and modes.max() < ds.n_modes
    assert ds.mode_probs().shape == (ds.n_modes,) and ds.mode_probs().sum() == pytest.approx(1.0)


def test_stacked_digit_modes_encode_the_three_channel_digits():
    ds = build_dataset(DataConfig(dataset="stacked-digits", resolution=16))
    x_train, y_train = digit_splits(0.2)["train"]
    singles = resize_digits(x_train, 16).numpy()
    lookup = {x.tobytes(): y for x, y in zip(singles[:, 0], y_train, strict=True)}
    images, modes = ds.sample(32, gen(3))
    for image, mode in zip(images.numpy(), modes.tolist(), strict=True):
        digits = [lookup[image[c].tobytes()] for c in range(3)]
        assert mode == 100 * digits[0] + 10 * digits[1] + digits[2]


def test_stacked_digits_reach_all_1000_modes_and_splits_are_disjoint():
    ds = build_dataset(DataConfig(dataset="stacked-digits", resolution=16))
    _, modes = ds.sample(20000, gen())
    assert len(np.unique(modes.numpy())) == 1000
    splits = digit_splits(0.2)
    train = {x.tobytes() for x in splits["train"][0]}
    assert not any(x.tobytes() in train for x in splits["held_out"][0])
    assert len(splits["train"][0]) + len(splits["held_out"][0]) == 1797


def test_sampling_is_a_pure_function_of_the_generator_seed():
    ds = build_dataset(DataConfig(dataset="stacked-digits", resolution=16))
    a, b = ds.sample(16, gen(7)), ds.sample(16, gen(7))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_gaussian_grid_blob_peaks_sit_at_their_mode_centre():
    ds = build_dataset(DataConfig(dataset="gaussian-grid", resolution=32))
    images, modes = ds.sample(200, gen())
    centres = grid_centres(32)
    peaks = images[:, 0].flatten(1).argmax(1).numpy()
    peak_rc = np.stack([peaks // 32, peaks % 32], axis=1)
    nearest = np.argmin(((peak_rc[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == modes.numpy()).mean() == 1.0 and N_MODES == 25


def save_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_folder_dataset_is_recursive_cropped_and_resized(tmp_path):
    rng = np.random.default_rng(0)
    save_png(tmp_path / "a.png", rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
    save_png(tmp_path / "sub" / "b.png", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    ds = build_dataset(DataConfig(dataset="folder", path=str(tmp_path), resolution=16))
    images, modes = ds.sample(8, gen())
    assert images.shape == (8, 3, 16, 16) and modes is None and len(ds.images) == 2


def test_folder_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        build_dataset(DataConfig(dataset="folder", path=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no images found"):
        build_dataset(DataConfig(dataset="folder", path=str(tmp_path / "empty")))
    save_png(tmp_path / "ok" / "good.png", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "ok" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"broken\.png: unreadable image"):
        build_dataset(DataConfig(dataset="folder", path=str(tmp_path / "ok")))
    with pytest.raises(DataError, match="data.path is required"):
        build_dataset(DataConfig(dataset="folder"))


def test_array_dataset_accepts_uint8_nhwc_and_float_nchw_with_labels(tmp_path):
    uint8 = np.random.default_rng(0).integers(0, 255, (10, 16, 16, 3), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", images=uint8, labels=np.arange(10) % 4)
    ds = build_dataset(DataConfig(dataset="array", path=str(tmp_path / "a.npz"), resolution=16))
    images, modes = ds.sample(6, gen())
    assert images.shape == (6, 3, 16, 16) and ds.n_modes == 4 and modes.max() < 4
    assert torch.allclose(ds.images[0], torch.from_numpy(uint8[0]).permute(2, 0, 1).float() / 127.5 - 1)
    floats = np.random.default_rng(1).uniform(-1, 1, (5, 1, 32, 32)).astype(np.float32)
    np.save(tmp_path / "f.npy", floats)
    ds = build_dataset(DataConfig(dataset="array", path=str(tmp_path / "f.npy"), resolution=16))
    assert ds.images.shape == (5, 1, 16, 16) and ds.n_modes is None


@pytest.mark.parametrize("array,match", [
    (np.zeros((4, 16, 16), np.uint8), "expected a non-empty 4-D array"),
    (np.zeros((4, 16, 16, 2), np.uint8), "C = 1 or 3"),
    (np.full((4, 3, 16, 16), 5.0, np.float32), r"must lie in \[-1, 1\]"),
    (np.zeros((4, 3, 16, 16), np.int32), "unsupported dtype int32"),
])
def test_array_errors_name_the_file_and_the_expectation(tmp_path, array, match):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(DataError, match=match) as err:
        build_dataset(DataConfig(dataset="array", path=str(tmp_path / "bad.npy")))
    assert "bad.npy" in str(err.value)


def test_channels_mismatch_is_an_error():
    with pytest.raises(DataError, match="has 1 channel"):
        build_dataset(DataConfig(dataset="digits", channels=3))
