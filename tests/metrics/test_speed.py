"""Speed targets, kept out of the default run (``-m benchmark`` selects them).

They time wall-clock on whatever machine runs them; on a busy shared machine, expect noise.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from ganlab.data import StackedDigitsDataset
from ganlab.metrics import evaluate
from ganlab.metrics.score import score

pytestmark = pytest.mark.benchmark


def noisy_real(n: int, resolution: int) -> torch.Tensor:
    """Held-out stacked digits plus faint noise: every sample distinct, like a generator's."""
    images, _ = StackedDigitsDataset(resolution).sample(n, torch.Generator().manual_seed(9), split="held_out")
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(10)) * 0.02
    return (images + noise).clamp(-1, 1)


def test_cheap_evaluation_under_one_second(digit_net):
    ds = StackedDigitsDataset(16)
    fake = noisy_real(1000, 16)
    evaluate(fake, ds, full=False)  # warm-up: imports, caches
    start = time.perf_counter()
    evaluate(fake, ds, full=False)
    assert time.perf_counter() - start < 1.0


def test_score_10k_stacked_digits_under_ten_seconds(digit_net, tmp_path):
    fake = noisy_real(10_000, 32)
    path = tmp_path / "samples.npz"
    np.savez(path, images=((fake.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8))
    start = time.perf_counter()
    score(path, "stacked-digits")
    assert time.perf_counter() - start < 10.0
