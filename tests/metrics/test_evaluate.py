"""``evaluate`` end to end, and oracle sample sets with known answers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from ganlab.data import DigitsDataset, StackedDigitsDataset, TensorImageDataset
from ganlab.errors import DataError
from ganlab.metrics import CHEAP_KEYS, EVAL_KEYS, evaluate, modes_covered, reverse_kl
from ganlab.metrics.classifier import to_input
from ganlab.metrics.confusion import mode_confusion
from ganlab.metrics.evaluate import MODE_KEYS, NDB_SAMPLES, REAL_SEED, mode_metrics
from ganlab.metrics.features import digit_reading, reader_for
from ganlab.metrics.ndb import ndb
from ganlab.metrics.score import score
from ganlab.metrics.threads import limit_threads
from tests.metrics.pil_samples import pil_stacked


def test_real_held_out_stacked_digits_cover_all_modes(digit_net):
    ds = StackedDigitsDataset(32)
    images, _ = ds.sample(26_000, torch.Generator().manual_seed(0), split="held_out")
    modes = digit_reading(images).modes
    assert modes_covered(modes, 1000) >= 990
    assert reverse_kl(modes, ds.mode_probs()) < 0.05


# Measured on these sets (docs/metrics.md): modes 997 / 300 / 101 / 30, KL within 0.06 of ln(1000 / k).
@pytest.mark.parametrize("k", [1000, 300, 30])  # k = 100 goes through `score` below
def test_k_true_modes_rendered_by_pil(digit_net, k):
    """Held-out digits through PIL's resize, shifts, background, blur and noise: modes within max(2%, 2) of k."""
    ds = StackedDigitsDataset(32)
    images, true = pil_stacked(k, 10_000, seed=k)
    with limit_threads(1):
        out = mode_metrics(digit_reading(images), ds)
    assert abs(out["modes"] - k) <= max(0.02 * k, 2), out
    assert out["kl"] == pytest.approx(math.log(1000 / k), abs=0.15), out
    assert out["modes_raw"] >= out["modes"]  # plain counting only adds the misreads' stray modes
    assert 0.0 <= out["ambiguous_rate"] <= 0.15
    assert out["mode_coverage"] == pytest.approx(out["modes"] / out["modes_expected"])


def test_score_on_a_file_counts_true_modes(digit_net, tmp_path):
    images, _ = pil_stacked(100, 10_000, seed=100)
    np.savez(tmp_path / "samples.npz", images.numpy())
    metrics = score(tmp_path / "samples.npz", "stacked-digits", threads=1).metrics
    assert abs(metrics["modes"] - 100) <= 2 and metrics["modes_raw"] > 110
    assert metrics["kl"] == pytest.approx(math.log(10), abs=0.15)
    # 10k samples, 8,000 of which pass the realism gate as real data's do: a perfect generator is counted at
    # ~all 1000 (988.5 of them through the classifiers' confusion; 999.7 by the formula without it)
    assert metrics["modes_expected"] >= 985


def test_ambiguous_samples_are_where_no_majority_reads_a_channel(digit_net):
    ds = StackedDigitsDataset(16)
    images, _ = ds.sample(2000, torch.Generator().manual_seed(7), split="held_out")
    noisy = (images + 0.6 * torch.randn(images.shape, generator=torch.Generator().manual_seed(8))).clamp(-1, 1)
    reading = digit_reading(noisy)
    digits = torch.stack([digit_net(to_input(noisy[:, c : c + 1]))[0] for c in range(3)], dim=2)  # (M, N, 3)
    # A channel is unread when no digit has a strict majority of the members' votes (counted here by hand).
    votes = torch.stack([(digits == d).sum(dim=0) for d in range(10)])  # (10, N, 3)
    disagree = (votes.max(dim=0).values * 2 <= digits.shape[0]).any(dim=1).numpy()
    assert disagree.any() and not disagree.all()
    assert (reading.ambiguous == disagree).all()
    assert (reading.modes[disagree] == -1).all() and (reading.modes[~disagree] >= 0).all()
    out = mode_metrics(reading, ds)
    assert out["ambiguous_rate"] == pytest.approx(disagree.mean())
    # KL of the histogram less the expected leakage from the other modes, recomputed in float64 here.
    counts = np.bincount(reading.modes[~disagree], minlength=1000).astype(np.float64)
    confusion = mode_confusion(reading.channel_confusion, 3)
    leak = np.einsum("i,ij->j", counts, confusion * (1.0 - np.eye(1000)))
    p = np.maximum(counts - leak, 0.0)
    p = p / p.sum()
    hit = p > 0
    q = ds.mode_probs()
    assert out["kl"] == pytest.approx(float(np.sum(p[hit] * np.log(p[hit] / q[hit]))), rel=1e-9)


def test_one_image_repeated_is_collapse(digit_net):
    ds = StackedDigitsDataset(16)
    images, _ = ds.sample(1, torch.Generator().manual_seed(3), split="train")
    out = evaluate(images.repeat(500, 1, 1, 1), ds)
    assert out["modes_ungated"] == 1
    # One real image: on the manifold or not as a whole, and its mode counts only if it is.
    assert out["manifold_share"] in (0.0, 1.0) and out["modes"] == int(out["manifold_share"])
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
    assert set(out) == {*EVAL_KEYS, "ndb_k", "dup_rate_real"}
    assert {k for k, v in out.items() if v is not None} == {"n_samples", *CHEAP_KEYS, *MODE_KEYS}
    assert out["modes"] == out["modes_total"] == 10


def test_cheap_ndb_k_reads_the_first_500_samples_against_the_fixed_real_draw():
    """The log's ``ndb_k`` is ``ndb`` of the first ``NDB_SAMPLES`` rows of the generated and of the fixed real
    draw's features; None below that size; a generator stuck on one image reads high; the full path has none."""
    noise = torch.Generator().manual_seed(0)
    ds = TensorImageDataset("folder", torch.rand(1500, 3, 16, 16, generator=noise) * 2 - 1)
    fake = torch.rand(600, 3, 16, 16, generator=noise) * 2 - 1
    out = evaluate(fake, ds, full=False)
    real, _ = ds.sample(600, torch.Generator().manual_seed(REAL_SEED), split="held_out")
    read = reader_for("folder")
    expected = ndb(read(real).features[:NDB_SAMPLES], read(fake).features[:NDB_SAMPLES])
    assert out["ndb_k"] == expected.ndb_k and expected.bins >= 2
    assert evaluate(fake[:NDB_SAMPLES - 1], ds, full=False)["ndb_k"] is None
    # one image repeated: every bin with enough real rows for the z test to see it empty differs
    stuck = evaluate(fake[:1].repeat(NDB_SAMPLES, 1, 1, 1), ds, full=False)["ndb_k"]
    # Fake drawn like the real images reads far lower: 0.14-0.28 against 0.63-0.81 over seeds 0-5 of this
    # noise (not ~alpha: k-means bins fitted to unstructured rows over-fit them).
    assert stuck >= 0.5 and stuck >= out["ndb_k"] + 0.3
    assert "ndb_k" not in evaluate(fake, ds)


def test_default_generator_is_the_fixed_real_draw(digit_net):
    """Without a generator, the real samples are the held-out draw of seed 0: fakes equal to that draw
    score a Fréchet distance of 0, and against another draw they do not."""
    ds = StackedDigitsDataset(16)
    fake, _ = ds.sample(300, torch.Generator().manual_seed(REAL_SEED), split="held_out")
    assert evaluate(fake, ds)["frechet"] == pytest.approx(0.0, abs=1e-6)
    other = evaluate(fake, ds, generator=torch.Generator().manual_seed(REAL_SEED + 1))["frechet"]
    assert other > 1e-3


def test_data_without_modes():
    images = torch.rand(300, 3, 16, 16) * 2 - 1
    ds = TensorImageDataset("folder", images)
    out = evaluate(torch.rand(200, 3, 16, 16) * 2 - 1, ds)
    assert out["modes"] is None and out["modes_total"] is None and out["kl"] is None
    assert out["frechet"] is not None and 0.0 <= out["precision"] <= 1.0


def test_diverged_generator_gets_no_score_instead_of_a_plausible_one():
    """NaN samples zeroed would read as one gray digit (precision 1.0, coverage 0.8 before issue 21)."""
    ds = DigitsDataset(16)
    fake = torch.full((100, 1, 16, 16), float("nan"))
    for full in (False, True):
        out = evaluate(fake, ds, full=full)
        assert out["n_samples"] == 100 and all(out[k] is None for k in EVAL_KEYS if k != "n_samples"), out


@pytest.mark.parametrize(("shape", "message"), [
    ((20, 1, 32, 32), "1 channel(s) but dataset 'stacked-digits' has 3"),
    ((20, 3, 16, 16), "16x16 images but dataset 'stacked-digits' is at 32x32"),
    ((5, 3, 32, 32), "at least 10"),
])
def test_mismatch_is_a_data_error(shape, message):
    with pytest.raises(DataError, match=re.escape(message)):
        evaluate(torch.zeros(shape), StackedDigitsDataset(32))
