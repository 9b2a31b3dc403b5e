"""The per-sample realism test against a brute-force float64 computation, and its known-truth readings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.metrics.prdc import prdc
from ganlab.metrics.realism import (
    MIN_CALIBRATION_ROWS,
    calibrated_level,
    kept_balls,
    level_threshold,
    outside_rows,
    passes,
    realism_scores,
    realistic_share,
)
from ganlab.schema.log import REALISM_PASS_RATE

CENTRES = np.random.default_rng(99).standard_normal((10, 8)) * 4


def mixture(n: int, rng: np.random.Generator) -> np.ndarray:
    return CENTRES[rng.integers(0, 10, n)] + rng.standard_normal((n, 8))


def reference_scores(real: np.ndarray, samples: np.ndarray, k: int, keep_percentile: float) -> np.ndarray:
    """Kynkäänniemi et al.'s realism score on full float64 distance matrices (small inputs only)."""
    from scipy.spatial.distance import cdist

    real = np.unique(real, axis=0)
    radii = np.sort(cdist(real, real), axis=1)[:, k]  # column 0 is the row itself
    keep = radii <= np.percentile(radii, keep_percentile)
    with np.errstate(divide="ignore"):
        return (radii[keep, None] / cdist(real[keep], samples)).max(axis=0)


@pytest.mark.parametrize(("k", "keep", "shift"), [(3, 50.0, 0.0), (3, 100.0, 0.5), (5, 75.0, 1.0), (1, 50.0, 0.2)])
def test_matches_brute_force(k, keep, shift):
    rng = np.random.default_rng(k * 10 + int(keep))
    real, fake = mixture(400, rng), mixture(300, rng) * 1.1 + shift
    ours = realism_scores(real, fake, k, keep, chunk=64)  # small chunks: exercise the streaming
    ref = reference_scores(real, fake, k, keep)
    np.testing.assert_allclose(ours, ref, rtol=1e-4)  # float32 distances
    # A float32 near-tie at score 1 may flip one sample.
    assert realistic_share(real, fake, k, keep) == pytest.approx((ref > 1).mean(), abs=1 / 300 + 1e-12)


def test_every_ball_kept_is_improved_precision():
    rng = np.random.default_rng(1)
    real, fake = mixture(500, rng), mixture(400, rng) + 0.7
    assert realistic_share(real, fake, keep_percentile=100.0) == pytest.approx(prdc(real, fake)["precision"],
                                                                               abs=1 / 400 + 1e-12)


def test_real_data_passes_at_its_calibrated_rate():
    """Calibrated on one held-out draw, another independent real draw passes at that rate (binomial error)."""
    rng = np.random.default_rng(2)
    real, calibration, fresh = mixture(2000, rng), mixture(2000, rng), mixture(2000, rng)
    balls = kept_balls(real)
    rate = realistic_share(real, calibration, balls=balls)
    assert 0.3 < rate < 0.9  # half the balls kept: a real sample misses them a good part of the time
    standard_error = np.sqrt(2 * rate * (1 - rate) / 2000)  # difference of two shares of 2000
    assert abs(realistic_share(real, fresh, balls=balls) - rate) < 4 * standard_error


def _noise_and_checkerboards(n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    noise = torch.from_numpy(rng.uniform(-1, 1, (n, 1, 16, 16)).astype(np.float32))
    yy, xx = np.mgrid[:16, :16]
    boards = []
    for _ in range(n):  # checkerboards and stripes of random period, phase and contrast
        period, phase, contrast = rng.integers(1, 5), rng.integers(0, 4), rng.uniform(0.5, 1.0)
        pattern = ((xx + phase) // period + (yy if rng.random() < 0.5 else 0) // period) % 2
        boards.append(contrast * (2.0 * pattern - 1.0))
    return noise, torch.from_numpy(np.stack(boards)[:, None].astype(np.float32))


def test_digits_pass_noise_and_checkerboards_fail():
    """In the random-CNN feature space, on real digits: held-out digits pass, garbage never does."""
    from ganlab.data import DigitsDataset
    from ganlab.metrics.features import random_cnn_features

    data, g = DigitsDataset(16), torch.Generator().manual_seed(0)
    real = random_cnn_features(data.sample(1000, g, split="train")[0])
    held = random_cnn_features(data.sample(300, g, split="held_out")[0])
    noise, boards = _noise_and_checkerboards(300, np.random.default_rng(3))
    balls = kept_balls(real)
    assert realistic_share(real, held, balls=balls) > 0.3
    assert realistic_share(real, random_cnn_features(noise), balls=balls) == 0.0
    assert realistic_share(real, random_cnn_features(boards), balls=balls) <= 0.01


def test_a_copy_of_a_kept_centre_is_infinitely_real():
    rng = np.random.default_rng(4)
    real = mixture(200, rng)
    centres, _ = kept_balls(real)
    assert np.isinf(realism_scores(real, centres[:5])).all()


@settings(max_examples=60, deadline=None)
@given(n_real=st.integers(1, 60), n_fake=st.integers(1, 40), dim=st.integers(1, 5), k=st.integers(1, 5),
       keep=st.floats(1.0, 100.0), identical=st.booleans(), seed=st.integers(0, 2**16))
def test_shapes_and_edge_cases(n_real, n_fake, dim, k, keep, identical, seed):
    rng = np.random.default_rng(seed)
    real = np.ones((n_real, dim)) if identical else rng.standard_normal((n_real, dim))
    fake = rng.standard_normal((n_fake, dim))
    if (1 if identical else n_real) <= k:
        with pytest.raises(ValueError, match="distinct real samples"):
            realism_scores(real, fake, k, keep)
        return
    scores = realism_scores(real, fake, k, keep)
    assert scores.shape == (n_fake,) and (scores >= 0).all()
    centres, radii = kept_balls(real, k, keep)
    assert 1 <= len(centres) <= n_real and (radii > 0).all()
    assert realistic_share(real, fake, k, keep) == (scores > 1).mean()
    assert realistic_share(real, centres, k, keep) == 1.0  # every centre lies in its own ball


@pytest.mark.parametrize("where", ["real", "fake"])
def test_non_finite_features_are_refused(where):
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((100, 4)), rng.standard_normal((50, 4))
    (real if where == "real" else fake)[7, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf"):
        realism_scores(real, fake)


def test_bad_arguments():
    rng = np.random.default_rng(6)
    real = rng.standard_normal((100, 4))
    with pytest.raises(ValueError, match="4 dimensions, samples 3"):
        realism_scores(real, rng.standard_normal((10, 3)))
    with pytest.raises(ValueError, match="keep_percentile"):
        kept_balls(real, keep_percentile=0.0)


# The calibrated realism level: a threshold on the score that held-out real data passes at a stated rate.


def reference_level(real: np.ndarray, held: np.ndarray, rate: float, k: int = 3, keep: float = 50.0) -> float:
    """The level by its definition, in float64: the ceil(rate * L)-th largest held-out real score."""
    real = np.asarray(real, np.float32).astype(np.float64)
    held = np.asarray(held, np.float32).astype(np.float64)
    scores = np.sort(reference_scores(real, held, k, keep))[::-1]
    return float(scores[int(np.ceil(rate * len(held) - 1e-9)) - 1])


@pytest.mark.parametrize(("rate", "keep", "shift"), [(0.5, 50.0, 0.0), (0.95, 50.0, 0.8), (0.8, 100.0, 0.3)])
def test_level_matches_brute_force(rate, keep, shift):
    rng = np.random.default_rng(int(rate * 100))
    real, held, fake = mixture(400, rng), mixture(300, rng), mixture(300, rng) * 1.2 + shift
    level = calibrated_level(real, held, rate, keep_percentile=keep)
    expected = reference_level(real, held, rate, keep=keep)
    assert level.threshold == pytest.approx(expected, rel=1e-4)  # float32 distances
    assert level.calibration_rows == 300 and level.pass_rate == rate
    ref = reference_scores(np.asarray(real, np.float32).astype(np.float64),
                           np.asarray(fake, np.float32).astype(np.float64), 3, keep)
    clear = np.abs(ref - expected) > 1e-3 * expected  # a float32 near-tie at the level may go either way
    assert clear.mean() > 0.95
    np.testing.assert_array_equal(passes(level, fake)[clear], (ref >= expected)[clear])


@pytest.mark.parametrize("rate", [REALISM_PASS_RATE, 0.9])
def test_real_data_passes_the_level_at_its_rate_on_a_fresh_draw(rate):
    """The level is read off one held-out draw; an independent real draw passes at that rate (binomial error)."""
    rng = np.random.default_rng(7)
    real, calibration = mixture(2000, rng), mixture(2000, rng)
    level = calibrated_level(real, calibration, rate)
    assert rate <= level.real_share < rate + 1 / 2000 + 1e-12  # continuous scores: no ties at the level
    for draw in range(3):
        fresh = mixture(2000, np.random.default_rng(100 + draw))
        # The fresh share's error, plus the level's own (it is the empirical quantile of 2000 scores).
        standard_error = np.sqrt(rate * (1 - rate) * (1 / 2000 + 1 / 2000))
        assert abs(passes(level, fresh).mean() - rate) < 4 * standard_error


def test_digits_pass_the_level_noise_and_checkerboards_never_do():
    """In the random-CNN feature space of real digits: a fresh held-out draw passes at about the rate; uniform
    noise and checkerboards (the issue's garbage generators) do not pass at all."""
    from ganlab.data import DigitsDataset
    from ganlab.metrics.features import random_cnn_features

    data, g = DigitsDataset(16), torch.Generator().manual_seed(0)
    real = random_cnn_features(data.sample(1000, g, split="train")[0])
    calibration = random_cnn_features(data.sample(300, g, split="held_out")[0])
    fresh = outside_rows(random_cnn_features(data.sample(300, g, split="held_out")[0]), real)
    level = calibrated_level(real, calibration)
    noise, boards = _noise_and_checkerboards(300, np.random.default_rng(3))
    rate = REALISM_PASS_RATE
    share = passes(level, fresh).mean()
    # the calibration draw shares held-out images with the fresh one (digits hold out ~360): loose on purpose
    assert abs(share - rate) < 4 * np.sqrt(rate * (1 - rate) * (1 / len(fresh) + 1 / level.calibration_rows))
    assert passes(level, random_cnn_features(noise)).mean() == 0.0
    assert passes(level, random_cnn_features(boards)).mean() == 0.0


@settings(max_examples=60, deadline=None)
@given(n_held=st.integers(MIN_CALIBRATION_ROWS, 80), dim=st.integers(1, 4), rate=st.floats(0.01, 1.0),
       ties=st.booleans(), seed=st.integers(0, 2**16))
def test_level_properties(n_held, dim, rate, ties, seed):
    """At least ``rate`` of the calibration rows pass, strictly fewer would pass anything higher, a higher rate
    never raises the level, and a sample passes exactly when its score reaches the level."""
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((60, dim))
    held = rng.standard_normal((n_held, dim)) + 0.3
    if ties:  # repeated held-out rows tie at their score
        held = held[rng.integers(0, max(1, n_held // 3), n_held)]
    level = calibrated_level(real, held, rate)
    scores = realism_scores(real, held)
    assert (scores >= level.threshold).mean() == level.real_share >= rate - 1e-12
    assert (scores > level.threshold).mean() < rate
    if rate > 0.02:
        assert calibrated_level(real, held, rate / 2).threshold >= level.threshold
    np.testing.assert_array_equal(passes(level, held), scores >= level.threshold)
    assert level_threshold(scores, 1.0) == scores.min()


def test_level_refusals():
    rng = np.random.default_rng(8)
    real = rng.standard_normal((100, 4))
    with pytest.raises(ValueError, match="pass_rate"):
        calibrated_level(real, rng.standard_normal((50, 4)), 0.0)
    with pytest.raises(ValueError, match="9 held-out real row"):  # rows equal to reference rows do not count
        calibrated_level(real, np.concatenate([real[:20], rng.standard_normal((9, 4))]))
    with pytest.raises(ValueError, match="NaN or Inf"):
        calibrated_level(real, np.full((20, 4), np.inf))
