"""`ganlab score` speed: 10k stacked-digits samples (32x32) with the mode classifier cached.

Run: pytest tests/benchmarks/bench_score.py -m benchmark --benchmark-enable -s
Targets: score on 10k samples under 10 s on a 2-core CPU; the trainer's cheap online evaluation of
1000 samples under 1 s.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.data import StackedDigitsDataset
from ganlab.metrics import evaluate
from ganlab.metrics.classifier import digit_classifier
from ganlab.metrics.score import score

pytestmark = pytest.mark.benchmark


def noisy_real(n: int, resolution: int) -> torch.Tensor:
    """Held-out stacked digits plus a little noise: realistic samples with all metrics defined."""
    g = torch.Generator().manual_seed(0)
    images, _ = StackedDigitsDataset(resolution).sample(n, g, split="held_out")
    return (images + 0.05 * torch.randn(images.shape, generator=g)).clamp(-1, 1)


@pytest.fixture(scope="module", autouse=True)
def cached_classifier():
    digit_classifier()  # trained once per cache dir; the benchmarks time the cached path


def test_score_10k_stacked_digits(benchmark, tmp_path):
    fake = noisy_real(10_000, 32)
    path = tmp_path / "samples.npz"
    np.savez(path, images=((fake.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8))
    benchmark.group = "score"
    benchmark.pedantic(score, args=(path, "stacked-digits"), rounds=3, iterations=1)
    print(f"\nscore of 10k stacked digits: median {benchmark.stats.stats.median:.2f} s")
    assert benchmark.stats.stats.median < 10.0


def test_cheap_online_evaluation_of_1000(benchmark):
    dataset = StackedDigitsDataset(16)
    fake = noisy_real(1000, 16)
    benchmark.group = "score"
    benchmark.pedantic(evaluate, args=(fake, dataset), kwargs={"full": False}, rounds=5, iterations=1,
                       warmup_rounds=1)
    assert benchmark.stats.stats.median < 1.0
