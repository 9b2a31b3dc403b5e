"""The feature-space study: a one-image generator reads as collapsed in every space, the real split is
disjoint and fixed, and the CLI's study/ndb actions refuse bad input in one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.metrics import encoder as enc
from ganlab.validation import study as st
from ganlab.validation.__main__ import main
from ganlab.validation.export import export

QUICK = enc.EncoderSpec(steps=20, batch_size=16)


@pytest.fixture
def small_study(monkeypatch, tmp_path):
    monkeypatch.setattr(st, "REFERENCE", 60)
    monkeypatch.setattr(st, "HELD_OUT", 40)
    monkeypatch.setattr(st, "SAMPLES", 40)
    monkeypatch.setattr(st, "data_encoder", lambda images: enc.train_encoder(images, QUICK))
    return export("shapes", tmp_path / "shapes", count=100, seed=0)


def test_real_split_is_disjoint_and_fixed(small_study):
    a, b = st.real_split(small_study, 3, 16), st.real_split(small_study, 3, 16)
    assert a.reference.shape == (60, 3, 16, 16) and a.held_out.shape == (40, 3, 16, 16)
    assert torch.equal(a.reference, b.reference) and torch.equal(a.held_out, b.held_out)
    ref = {row.numpy().tobytes() for row in a.reference}
    assert not any(row.numpy().tobytes() in ref for row in a.held_out)


def one_bin_ndb(reference, row, n):
    """NDB/K of ``n`` copies of ``row`` by statsmodels' two-proportion z test, bin by bin."""
    from statsmodels.stats.proportion import proportions_ztest

    from ganlab.metrics.ndb import real_bins

    bins = real_bins(reference)
    hit = int(bins.assign(row)[0])
    n_real = int(bins.real_counts.sum())
    different = []
    for b, real_count in enumerate(bins.real_counts):
        counts = np.array([n if b == hit else 0, real_count])
        _, p = proportions_ztest(counts, np.array([n, n_real]))
        different.append(p < 0.05)
    return float(np.mean(different))


def test_one_image_repeated_reads_as_collapse_in_every_space(small_study):
    real = st.real_split(small_study, 3, 16)
    for space, read in st.feature_spaces(real).items():
        reference = read(real.reference)
        collapsed = read(real.reference[:1].repeat(40, 1, 1, 1))
        values = st.readings(reference, collapsed)
        assert values["ndb_k"] == pytest.approx(one_bin_ndb(reference, collapsed[:1], 40)), space
        assert values["ndb_k"] >= 0.5, space
        assert values["diversity"] < 0.01 and values["dup_rate"] == 1.0, space  # float32 reductions
        held = st.readings(reference, read(real.held_out))
        assert held["diversity"] > 0.8 and held["dup_rate"] < 0.1, space


def test_study_rows_cover_every_space_and_run(small_study, tmp_path):
    from ganlab.testing.tiny import tiny_config
    from ganlab.train import train

    config = tiny_config(tmp_path / "runs", channels=3,
                         data={"dataset": "folder", "path": str(small_study)},
                         overrides={"train.steps": 20, "diagnostics.enabled": False})
    run_dir = tmp_path / "runs" / "healthy-s0" / "r"
    train(config, run_dir)
    rows = st.study(st.real_split(small_study, 3, 16), {"healthy-s0": run_dir})
    assert [(r["space"], r["run"]) for r in rows] == [
        (s, r) for s in ("random_cnn", "pixels", "encoder") for r in ("real", "healthy-s0")]
    for row in rows:
        assert 0.0 <= row["ndb_k"] <= 1.0 and 0.0 <= row["realistic_share"] <= 1.0
    ndb_rows = st.ndb_of_runs(st.real_split(small_study, 3, 16), {"healthy-s0": run_dir})
    by_space = {(r["space"], r["run"]): r["ndb_k"] for r in ndb_rows}
    for row in rows:  # the same partition and samples as the study's
        assert by_space[(row["space"], row["run"])] == pytest.approx(row["ndb_k"])
    table = tmp_path / "ndb.csv"  # the CLI, run directories after --out
    assert main(["ndb", str(small_study), "--resolution", "16", "--out", str(table), str(run_dir)]) == 0
    import pandas as pd

    written = pd.read_csv(table)
    assert sorted(written.run.unique()) == ["healthy-s0", "real"]
    assert written.ndb_k.tolist() == pytest.approx([r["ndb_k"] for r in ndb_rows])


def test_cli_refuses_a_folder_that_is_no_run_and_a_missing_out(small_study, tmp_path, capsys):
    assert main(["study", str(small_study), str(tmp_path), "--out", str(tmp_path / "t.csv")]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert main(["ndb", str(small_study)]) == 2
    err = capsys.readouterr().err
    assert "--out CSV is required" in err and err.count("\n") == 1
