"""``ganlab score``: arrays, folders and run directories, JSON output and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from ganlab.cli.score import register
from ganlab.config import DataConfig, GanlabConfig, ModelConfig, dump_config
from ganlab.data import DigitsDataset, StackedDigitsDataset
from ganlab.errors import DataError
from ganlab.metrics import SCORE_KEYS
from ganlab.metrics.realism import outside_rows as outside
from ganlab.metrics.score import label_free, score
from ganlab.schema import GATE_KEYS, GATE_PASS_RATE
from ganlab.schema.log import SCORE_ONLY_KEYS


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)

    @app.callback()
    def _root() -> None:  # a group, so the command is invoked as `score`, as in `ganlab score`
        pass

    return app


def to_uint8_hwc(images: torch.Tensor) -> np.ndarray:
    return ((images.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def stacked_npz(tmp_path_factory) -> str:
    images, _ = StackedDigitsDataset(16).sample(600, torch.Generator().manual_seed(0), split="held_out")
    path = tmp_path_factory.mktemp("samples") / "samples.npz"
    np.savez(path, images=to_uint8_hwc(images))
    return str(path)


def test_json_on_npz(app, stacked_npz, digit_net):
    result = CliRunner().invoke(app, ["score", stacked_npz, "--dataset", "stacked-digits", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # score's own keys after a run's, old keys in place
    assert list(out) == [*SCORE_KEYS, *GATE_KEYS, *SCORE_ONLY_KEYS]
    assert out["n_samples"] == 600 and out["modes_total"] == 1000
    # Held-out real data passes the realism gate at its calibrated rate (the level is read off another draw),
    # and of the modes a perfect generator hits with as many realistic draws (formula: 480 draws of 1000
    # uniform modes, 381.4), plain counting adds the misreads' strays.
    assert out["manifold_share"] == pytest.approx(GATE_PASS_RATE, abs=0.05)
    assert out["modes_raw"] > 1000 * (1 - 0.999 ** round(600 * out["manifold_share"])) * 0.9
    assert out["modes_ungated"] >= out["modes"] and out["precision"] > 0.7
    # Real samples are a perfect generator: counted as covering what one is expected to, under the rule.
    assert out["mode_coverage"] == pytest.approx(1.0, abs=0.1)


def test_table_on_npz_mentions_inception_skip(app, stacked_npz, digit_net):
    result = CliRunner().invoke(app, ["score", stacked_npz, "--dataset", "stacked-digits"])
    assert result.exit_code == 0, result.output
    assert "precision" in result.stdout and "Inception FID skipped" in result.stdout
    assert "held-out real" in result.stdout and "ndb_k" in result.stdout and "manifold_share" in result.stdout
    assert "dup_rate" in result.stdout
    assert "realistic_share" not in result.stdout  # one realism reading: the gate's


def test_label_free_readings_sit_next_to_real_data_s(stacked_npz, digit_net, tmp_path):
    """Held-out real samples read like the real-vs-real scale; one image repeated and noise do not."""
    real = score(stacked_npz, "stacked-digits", threads=1).label_free
    assert list(real) == list(SCORE_ONLY_KEYS) and real["ndb_bins"] == 60  # 600 distinct rows // 10 per bin
    assert real["ndb_k"] <= 0.1 and real["ndb_k_real"] <= 0.1  # about alpha = 0.05
    # Stacked digits hold no near-duplicate pair; real data is as spread as itself.
    assert real["dup_rate"] == 0.0 and real["dup_rate_real"] == 0.0
    assert real["diversity_real"] == pytest.approx(1.0, abs=0.05)
    images = np.load(stacked_npz)["images"]
    np.savez(tmp_path / "one.npz", images=np.repeat(images[:1], 600, axis=0))
    np.savez(tmp_path / "noise.npz", images=np.random.default_rng(0).integers(0, 256, images.shape, np.uint8))
    for garbage in ("one.npz", "noise.npz"):
        result = score(tmp_path / garbage, "stacked-digits", threads=1)
        out = result.label_free
        assert out["ndb_k"] >= 0.8, garbage
        # the same real draws: the scale does not move
        assert [out[k] for k in ("ndb_k_real", "dup_rate_real", "diversity_real")] == [
            real[k] for k in ("ndb_k_real", "dup_rate_real", "diversity_real")]
        assert out["dup_rate"] == (1.0 if garbage == "one.npz" else 0.0)
        if garbage == "noise.npz":  # realism is the gate's share; one real image repeated is on the manifold
            assert result.metrics["manifold_share"] <= 0.01


def test_outside_drops_rows_of_the_reference():
    rows = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(outside(rows, rows[[1, 4]]), rows[[0, 2, 3, 5]])
    assert len(outside(rows, rows)) == 0


def test_channel_mismatch_is_a_one_line_data_error(app, stacked_npz):
    result = CliRunner().invoke(app, ["score", stacked_npz, "--dataset", "digits", "--json"])
    assert isinstance(result.exception, DataError)
    assert str(result.exception) == "samples.npz: 3 channel(s) but dataset 'digits' has 1"


def test_resolution_mismatch(stacked_npz):
    with pytest.raises(DataError, match="16x16 images but dataset 'stacked-digits' is at 32x32"):
        score(stacked_npz, "stacked-digits", resolution=32)


def test_unsupported_resolution_and_unknown_dataset(tmp_path):
    path = tmp_path / "odd.npy"
    np.save(path, np.zeros((20, 1, 20, 20), np.float32))
    with pytest.raises(DataError, match="resolution"):
        score(path, "digits")
    with pytest.raises(DataError, match="unknown dataset 'mnist'"):
        score(path, "mnist")
    with pytest.raises(DataError, match="--dataset is required"):
        score(path)


def test_folder_of_rgb_pngs_is_converted_to_the_dataset_channels(tmp_path, digit_net):
    from PIL import Image

    images, _ = DigitsDataset(16).sample(40, torch.Generator().manual_seed(1), split="held_out")
    for i, img in enumerate(to_uint8_hwc(images.repeat(1, 3, 1, 1))):  # grayscale saved as RGB
        Image.fromarray(img).save(tmp_path / f"{i:03d}.png")
    result = score(tmp_path, "digits")
    assert result.metrics["n_samples"] == 40 and result.metrics["modes"] == 10


def test_run_directory(tmp_path, digit_net):
    from ganlab.models import build_generator

    config = GanlabConfig(data=DataConfig(dataset="digits", resolution=16, channels=1),
                          model=ModelConfig(nz=8, width=16))
    (tmp_path / "config.yaml").write_text(dump_config(config))
    torch.save({"generator": build_generator(config).state_dict()}, tmp_path / "checkpoint.pt")
    result = score(tmp_path, n=200)  # dataset defaults to the run's own
    assert result.dataset == "digits"
    assert result.metrics["n_samples"] == 200 and result.metrics["modes_total"] == 10
    with pytest.raises(DataError, match="1 channel"):
        score(tmp_path, "stacked-digits", n=50)


def test_json_nulls_for_data_without_modes(app, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "real.npz", images=rng.integers(0, 256, (300, 16, 16, 3), dtype=np.uint8))
    np.savez(tmp_path / "fake.npz", images=rng.integers(0, 256, (200, 16, 16, 3), dtype=np.uint8))
    result = CliRunner().invoke(app, ["score", str(tmp_path / "fake.npz"), "--dataset", "array",
                                      "--data-path", str(tmp_path / "real.npz"), "--json", "--threads", "1"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["modes"] is None and out["modes_total"] is None and out["kl"] is None
    assert out["frechet"] is not None and 0.0 <= out["coverage"] <= 1.0
    # One pool for both splits: the real-vs-real readings use only the real images the reference missed.
    from ganlab.metrics.score import build_reference
    from ganlab.sampling import real_generator

    drawn, _ = build_reference("array", 16, str(tmp_path / "real.npz")).sample(200, real_generator(0), "held_out")
    assert out["ndb_bins"] == len(torch.unique(drawn.flatten(1), dim=0)) // 10  # distinct rows, 10 per bin
    assert 0.0 <= out["ndb_k_real"] <= 1.0


def test_real_vs_real_duplicates_on_data_that_repeats_itself(tmp_path):
    """Crops of two photographs overlap, so real photos have near-duplicates (0.056-0.089 held out against held
    out, docs/diagnostics.md). Here 150 random images each come with a copy one grey level off: the real-vs-real
    duplicate rate is the share of held-out rows whose nearest other held-out row lies within a tenth of the
    reference rows' median nearest-neighbour distance, computed here in float64 from the same features."""
    from scipy.spatial.distance import cdist

    from ganlab.metrics.diversity import distinct_rows
    from ganlab.metrics.features import reader_for
    from ganlab.metrics.score import build_reference
    from ganlab.sampling import real_generator

    rng = np.random.default_rng(3)
    base = rng.integers(1, 255, (150, 16, 16, 3), dtype=np.uint8)
    np.savez(tmp_path / "real.npz", images=np.concatenate([base, base + 1]))
    np.savez(tmp_path / "fake.npz", images=rng.integers(0, 256, (100, 16, 16, 3), dtype=np.uint8))
    out = score(tmp_path / "fake.npz", "array", data_path=str(tmp_path / "real.npz"), threads=1).label_free

    reference = build_reference("array", 16, str(tmp_path / "real.npz"))
    generator = real_generator(0)
    real_images, _ = reference.sample(100, generator, split="held_out")
    held_images, _ = reference.sample(100, generator, split="train")
    read = reader_for(reference.name)
    real = distinct_rows(read(real_images).features).astype(np.float64)
    held = distinct_rows(outside(read(held_images).features, real.astype(np.float32))).astype(np.float64)

    def nearest_other(x: np.ndarray) -> np.ndarray:
        d = cdist(x, x)
        np.fill_diagonal(d, np.inf)
        return d.min(axis=1)

    level = 0.1 * np.median(nearest_other(real[: len(held)]))
    expected = float(np.mean(nearest_other(held) <= level))
    assert expected > 0.1  # the pairs show
    assert out["dup_rate_real"] == pytest.approx(expected, abs=1e-6)
    assert out["dup_rate"] == 0.0  # random images have no near-duplicate
    pairwise = lambda x: cdist(x, x)[np.triu_indices(len(x), 1)].mean()  # noqa: E731
    assert out["diversity_real"] == pytest.approx(pairwise(held) / pairwise(real), rel=1e-4)
    # Every periodic evaluation logs the same reading (eval_dup_rate_real) from the same draws.
    from ganlab.data import load_array_images
    from ganlab.metrics import evaluate

    fake, _ = load_array_images(tmp_path / "fake.npz")
    cheap = evaluate(fake, reference, full=False, generator=real_generator(0))
    assert cheap["dup_rate_real"] == out["dup_rate_real"]


def test_real_vs_real_needs_images_outside_the_reference(tmp_path):
    """A folder of 30 images: 200 reference draws take them all, so nothing is held out to give a scale."""
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "real.npz", images=rng.integers(0, 256, (30, 16, 16, 3), dtype=np.uint8))
    np.savez(tmp_path / "fake.npz", images=rng.integers(0, 256, (200, 16, 16, 3), dtype=np.uint8))
    result = score(tmp_path / "fake.npz", "array", data_path=str(tmp_path / "real.npz"), threads=1)
    out = result.label_free
    assert out["ndb_k_real"] is None and out["dup_rate_real"] is None and out["diversity_real"] is None
    assert out["ndb_bins"] == 3 and out["ndb_k"] is not None and out["dup_rate"] is not None
    assert any("real-vs-real readings skipped: 0 real image(s)" in note for note in result.notes)


def test_non_finite_samples_have_no_label_free_reading():
    """A run directory's G may emit NaN (arrays holding NaN are refused on load): nothing is read."""
    images = torch.zeros(20, 1, 16, 16)
    images[3, 0, 2, 2] = float("nan")
    assert label_free(images, DigitsDataset(16), 0) == (dict.fromkeys(SCORE_ONLY_KEYS), [])


def test_label_free_on_evaluates_features_equals_reading_the_images_again():
    """score hands label_free the features evaluate read (the same images, the same real draw) instead of
    reading them a second time: the readings are identical either way."""
    from ganlab.metrics.evaluate import evaluate, evaluate_read
    from ganlab.metrics.threads import limit_threads
    from ganlab.sampling import real_generator

    dataset = StackedDigitsDataset(16)
    images, _ = dataset.sample(300, torch.Generator().manual_seed(4), split="train")
    images = torch.cat([images, images[:100]])  # 200 of the 400 samples have an exact copy among the others
    with limit_threads(1):
        metrics, fake, real = evaluate_read(images, dataset, generator=real_generator(2))
        assert metrics == evaluate(images, dataset, generator=real_generator(2))
        again = label_free(images, dataset, 2)
        shared = label_free(images, dataset, 2, fake_features=fake.features, real_features=real.features)
    assert shared == again and shared[0]["ndb_k"] is not None and shared[0]["ndb_k_real"] is not None
    assert shared[0]["dup_rate"] == metrics["dup_rate"] >= 0.5  # the final metric's, printed with its scale


def test_idle_cores_is_a_sane_thread_count():
    import os

    from ganlab.metrics.threads import idle_cores

    assert 1 <= idle_cores() <= (os.cpu_count() or 1)


@pytest.mark.parametrize(("z", "stop"), [("normal", False), ("uniform", False), ("constant", False),
                                         ("normal", True)])
def test_score_of_a_finished_run_reproduces_its_final_metrics(tmp_path, monkeypatch, digit_net, z, stop):
    """One sampling path: `ganlab score RUN_DIR` draws the samples the trainer scored, for every z
    distribution, and for a run a detector stopped early (its checkpoint is G at the stop)."""
    from ganlab.config import apply_overrides
    from ganlab.schema import read_run
    from ganlab.train import train

    config = apply_overrides(GanlabConfig(), {
        "data.dataset": "digits", "data.resolution": 16, "model.nz": 8, "model.width": 16,
        "train.steps": 30, "train.batch_size": 16, "train.checkpoint_every": 20, "train.threads": 1,
        "train.z_distribution": z, "diagnostics.eval_every": 0, "diagnostics.final_samples": 300,
        "output.samples": 4})
    if stop:  # a detector that stops the run at step 10, between checkpoints
        from ganlab.diagnostics import Event, OnlineMonitor

        config = apply_overrides(config, {"diagnostics.stop_on": ["oscillation"], "diagnostics.check_every": 10})
        monkeypatch.setattr(OnlineMonitor, "check", lambda self, rows, step: Event(
            "oscillation", step, "failure", {}, "stopped by the test") if step >= 10 else None)
    result = train(config, tmp_path / "run", progress=False)
    record = read_run(result.run_dir)
    assert record is not None and record.final_metrics is not None
    assert (record.status, record.steps_done < 30) == (("failed", True) if stop else ("completed", False))
    scored = score(result.run_dir, threads=1)
    assert scored.metrics["n_samples"] == 300
    assert scored.metrics == {k: record.final_metrics[k] for k in (*SCORE_KEYS, *GATE_KEYS)}
    # A different seed draws other samples, so the equality above is not a coincidence of constants.
    if z != "constant":
        assert score(result.run_dir, seed=config.seed + 1, threads=1).metrics != scored.metrics
