"""``evaluate`` end to end, and oracle sample sets with known answers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from ganlab.data import DigitsDataset, StackedDigitsDataset, TensorImageDataset, digit_splits
from ganlab.data.digits import resize_digits
from ganlab.errors import DataError
from ganlab.metrics import CHEAP_KEYS, EVAL_KEYS, evaluate, modes_covered, reverse_kl
from ganlab.metrics.features import digit_reading


def restricted_stacked(k: int, n: int, seed: int, resolution: int = 32) -> tuple[torch.Tensor, np.ndarray]:
    """``n`` real held-out stacked digits drawn evenly from ``k`` randomly chosen of the 1000 modes."""
    x, y = digit_splits()["held_out"]
    images = resize_digits(x, resolution)
    rng = np.random.default_rng(seed)
    modes = rng.choice(1000, k, replace=False)[rng.integers(0, k, n)]
    channels = []
    for digit in (modes // 100, modes // 10 % 10, modes % 10):
        idx = np.empty(n, np.int64)
        for d in range(10):  # a random held-out image of the wanted digit for each sample
            where = np.flatnonzero(digit == d)
            idx[where] = rng.choice(np.flatnonzero(y == d), len(where))
        channels.append(images[idx])
    return torch.cat(channels, dim=1), modes


def test_real_held_out_stacked_digits_cover_all_modes(digit_net):
    ds = StackedDigitsDataset(32)
    images, _ = ds.sample(26_000, torch.Generator().manual_seed(0), split="held_out")
    modes = digit_reading(images).modes
    assert modes_covered(modes, 1000) >= 990
    assert reverse_kl(modes, ds.mode_probs()) < 0.05


@pytest.mark.parametrize(("k", "n"), [(10, 2000), (100, 10_000), (500, 10_000)])
def test_real_samples_restricted_to_k_modes(digit_net, k, n):
    ds = StackedDigitsDataset(32)
    images, _ = restricted_stacked(k, n, seed=k)
    modes = digit_reading(images).modes
    # The classifier misreads ~0.6% of digits (~2% of stacked samples); each misread lands in a
    # stray mode a few times. Counting modes hit by >= 15% of the expected per-mode count
    # discounts those stray hits; with min_count=1 they would add up to ~50% extra modes at k=100.
    min_count = max(1, round(0.15 * n / k))
    assert modes_covered(modes, 1000, min_count) == pytest.approx(k, rel=0.02)
    # The ~2% of samples in stray modes pull KL slightly below ln(1000 / k).
    assert reverse_kl(modes, ds.mode_probs()) == pytest.approx(math.log(1000 / k), abs=0.1)


def test_one_image_repeated_is_collapse(digit_net):
    ds = StackedDigitsDataset(16)
    images, _ = ds.sample(1, torch.Generator().manual_seed(3), split="train")
    out = evaluate(images.repeat(500, 1, 1, 1), ds)
    assert out["modes"] == 1
    assert out["diversity"] < 0.01
    assert out["dup_rate"] == 1.0
    assert out["recall"] == 0.0 and out["coverage"] < 0.05  # one point sits in a few real balls


def test_full_evaluation_of_real_samples(digit_net):
    ds = StackedDigitsDataset(16)
    fake, _ = ds.sample(600, torch.Generator().manual_seed(4), split="held_out")
    out = evaluate(fake, ds)
    assert set(out) == set(EVAL_KEYS)
    assert out["n_samples"] == 600 and out["modes_total"] == 1000
    assert out["precision"] > 0.8 and out["recall"] > 0.8 and out["coverage"] > 0.8
    assert 0.8 < out["density"] < 1.2 and abs(out["diversity"] - 1) < 0.05
    assert abs(out["kid"]) < 0.01  # noise ~1e-3 at 600 samples; dimmed or shifted digits score 0.2-0.3
    assert out["dup_rate"] < 0.01


def test_cheap_evaluation_fills_only_cheap_keys(digit_net):
    ds = DigitsDataset(16)
    fake, _ = ds.sample(500, torch.Generator().manual_seed(5), split="train")
    out = evaluate(fake, ds, full=False)
    assert set(out) == set(EVAL_KEYS)
    assert {k for k, v in out.items() if v is not None} == {"n_samples", *CHEAP_KEYS}
    assert out["modes"] == out["modes_total"] == 10


def test_repeatable_with_default_generator(digit_net):
    ds = StackedDigitsDataset(16)
    fake, _ = ds.sample(300, torch.Generator().manual_seed(6), split="train")
    assert evaluate(fake, ds, full=False) == evaluate(fake, ds, full=False)


def test_data_without_modes():
    images = torch.rand(300, 3, 16, 16) * 2 - 1
    ds = TensorImageDataset("folder", images)
    out = evaluate(torch.rand(200, 3, 16, 16) * 2 - 1, ds)
    assert out["modes"] is None and out["modes_total"] is None and out["kl"] is None
    assert out["frechet"] is not None and 0.0 <= out["precision"] <= 1.0


def test_diverged_generator_is_scored_not_crashed(digit_net):
    ds = DigitsDataset(16)
    fake = torch.full((100, 1, 16, 16), float("nan"))
    out = evaluate(fake, ds, full=False)
    assert out["modes"] == 1 and out["dup_rate"] == 1.0


@pytest.mark.parametrize(("shape", "message"), [
    ((20, 1, 32, 32), "1 channel(s) but dataset 'stacked-digits' has 3"),
    ((20, 3, 16, 16), "16x16 images but dataset 'stacked-digits' is at 32x32"),
    ((5, 3, 32, 32), "at least 10"),
])
def test_mismatch_is_a_data_error(shape, message):
    with pytest.raises(DataError, match=re.escape(message)):
        evaluate(torch.zeros(shape), StackedDigitsDataset(32))
