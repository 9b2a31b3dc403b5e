"""gaussian-grid modes read analytically (the 3-standard-deviation rule)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.data import GaussianGridDataset
from ganlab.data.gaussian_grid import grid_centres, render_blobs
from ganlab.metrics import evaluate
from ganlab.metrics.grid import read_grid_modes


@pytest.mark.parametrize("resolution", [16, 32, 64])
def test_real_samples_are_high_quality_and_correct(resolution):
    images, modes = GaussianGridDataset(resolution).sample(3000, torch.Generator().manual_seed(0))
    read = read_grid_modes(images)
    good = read >= 0
    # Isotropic jitter: P(|jitter| <= 3 std) = 1 - exp(-4.5) = 98.9%.
    assert good.mean() == pytest.approx(1 - np.exp(-4.5), abs=0.006)
    assert (read[good] == modes.numpy()[good]).all()


def test_exact_centres_are_read_exactly():
    r = 32
    centres = torch.from_numpy(grid_centres(r)).float()
    assert read_grid_modes(render_blobs(centres, r)).tolist() == list(range(25))


def test_low_quality_samples_have_no_mode():
    r = 32
    centres = torch.from_numpy(grid_centres(r)).float()
    two_blobs = torch.maximum(render_blobs(centres[[0]], r), render_blobs(centres[[24]], r))
    between = render_blobs((centres[[0]] + centres[[1]]) / 2, r)  # half-way between two modes
    blank = -torch.ones(1, 1, r, r)
    noise = torch.rand(1, 1, r, r, generator=torch.Generator().manual_seed(0)) * 2 - 1
    faint = render_blobs(centres[[7]], r) * 0.3 - 0.7  # peak at 30% intensity
    images = torch.cat([two_blobs, between, blank, noise, faint])
    assert read_grid_modes(images).tolist() == [-1] * 5


def test_evaluate_on_real_grid_samples():
    ds = GaussianGridDataset(16)
    fake, _ = ds.sample(2000, torch.Generator().manual_seed(1))
    out = evaluate(fake, ds, full=False)
    assert out["modes"] == out["modes_total"] == 25
    assert out["kl"] < 0.02
    # Read analytically, without misreads: no correction, no ensemble, the formula for modes_expected.
    assert out["modes_raw"] == out["modes"] and out["ambiguous_rate"] is None
    q = ds.mode_probs()
    assert out["modes_expected"] == pytest.approx(float(np.sum(1 - (1 - q) ** 2000)))
