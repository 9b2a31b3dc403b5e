"""The download-free feature spaces of issue 17: pixel statistics against a float64 numpy computation,
and the data's own autoencoder (deterministic, cached by the data's content, retrained on other data)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.metrics import encoder as enc
from ganlab.metrics.pixels import STAT_WEIGHT, pixel_features

QUICK = enc.EncoderSpec(steps=30, batch_size=16)


def numpy_pixel_features(images: np.ndarray) -> np.ndarray:
    """The pixel statistics of ``(N, C, 32, 32)`` images in plain float64 numpy."""
    x = images.astype(np.float64)
    n, c = x.shape[:2]
    thumb = x.reshape(n, c, 8, 4, 8, 4).mean(axis=(3, 5)).reshape(n, -1)
    stats = np.stack([x.mean(axis=(2, 3)), x.std(axis=(2, 3), ddof=1),
                      np.abs(np.diff(x, axis=3)).mean(axis=(2, 3)),
                      np.abs(np.diff(x, axis=2)).mean(axis=(2, 3))], axis=2)
    return np.concatenate([thumb, STAT_WEIGHT * stats.reshape(n, -1)], axis=1)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), channels=st.sampled_from([1, 3]), n=st.integers(1, 5))
def test_pixel_features_match_numpy(seed, channels, n):
    images = np.random.default_rng(seed).uniform(-1, 1, (n, channels, 32, 32)).astype(np.float32)
    got = pixel_features(torch.from_numpy(images))
    assert got.shape == (n, channels * 68) and got.dtype == np.float32
    assert np.allclose(got, numpy_pixel_features(images), atol=1e-5)


def test_pixel_features_see_a_checkerboard_a_flat_image_cannot():
    flat = torch.zeros(1, 1, 32, 32)
    checks = (torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2 * 2.0 - 1.0
    a, b = pixel_features(flat), pixel_features(checks.view(1, 1, 32, 32))
    assert np.allclose(a[0, :64], b[0, :64], atol=1e-6)  # the same 8x8 thumbnail (mean 0)
    assert b[0, 64 + 2] == pytest.approx(STAT_WEIGHT * 2.0)  # every horizontal step is 2


def shapes_batch(seed: int, n: int = 48) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 16, 16, generator=g) * 2 - 1


def test_training_is_deterministic_and_features_have_unit_rms():
    images = shapes_batch(0)
    a, b = enc.train_encoder(images, QUICK), enc.train_encoder(images, QUICK)
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(x, y), name
    features = enc.encoder_features(a, images)
    assert features.shape == (48, QUICK.features)
    assert np.sqrt((features.astype(np.float64) ** 2).mean()) == pytest.approx(1.0, rel=1e-4)


def test_the_cache_is_keyed_by_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(enc, "_LOADED", {})
    images, other = shapes_batch(1), shapes_batch(2)
    first = enc.data_encoder(images, QUICK)
    cached = sorted(p.name for p in tmp_path.glob("encoder-*.pt"))
    assert cached == [f"encoder-{enc.encoder_key(images, QUICK)}.pt"]
    monkeypatch.setattr(enc, "_LOADED", {})  # a fresh process: loaded from disk, not trained

    def no_training(*_args, **_kwargs):
        raise AssertionError("trained although cached")

    monkeypatch.setattr(enc, "train_encoder", no_training)
    again = enc.data_encoder(images, QUICK)
    assert again is not first
    assert np.array_equal(enc.encoder_features(again, images), enc.encoder_features(first, images))
    assert enc.encoder_key(other, QUICK) != enc.encoder_key(images, QUICK)
    with pytest.raises(AssertionError, match="trained although cached"):
        enc.data_encoder(other, QUICK)  # other data is never read with this data's encoder


def test_a_damaged_cache_file_is_retrained(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(enc, "_LOADED", {})
    images = shapes_batch(3)
    path = tmp_path / f"encoder-{enc.encoder_key(images, QUICK)}.pt"
    path.write_bytes(b"not a checkpoint")
    net = enc.data_encoder(images, QUICK)
    fresh = enc.train_encoder(images, QUICK)
    assert np.array_equal(enc.encoder_features(net, images), enc.encoder_features(fresh, images))
    assert torch.load(path, weights_only=True)["key"] == enc.encoder_key(images, QUICK)
