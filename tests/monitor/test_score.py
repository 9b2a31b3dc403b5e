"""A Monitor closed with its G writes what ``ganlab score RUN_DIR`` reads (checkpoint.pt, a config.yaml that
rebuilds G): score on the run directory equals score on the same samples saved as an array, and equals the
run's final_metrics, computed as ``ganlab train`` computes them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ganlab import Monitor
from ganlab.cli.main import main
from ganlab.config import load_config
from ganlab.diagnostics import diagnose_path
from ganlab.errors import ConfigError
from ganlab.metrics.score import score
from ganlab.sampling import final_samples
from ganlab.schema import CHECKPOINT, CONFIG_YAML, EVENTS_JSON, SCORE_KEYS, read_events, read_run
from tests.monitor.user_models import Generator

NZ, BATCH, STEPS = 8, 32, 6
SETTINGS = {"eval_every": 3, "eval_samples": 64, "final_samples": 300, "check_every": 3,
            "detectors": ["non_finite", "mode_collapse", "oscillation"]}
TARGET = {"_target_": "tests.monitor.user_models.Generator", "nz": NZ, "width": 8}


def train(run_dir: Path, generator: object = TARGET, seed: int = 3) -> tuple[Monitor, nn.Module]:
    """A few steps of a DCGAN loop with a Monitor, left open."""
    torch.manual_seed(0)
    G = Generator(NZ, 8)
    D = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 8, 1, 0))  # logits
    opt_d, opt_g = torch.optim.Adam(D.parameters(), 2e-4), torch.optim.Adam(G.parameters(), 2e-4)
    bce = nn.BCEWithLogitsLoss()
    monitor = Monitor(run_dir, "gaussian-grid", SETTINGS, resolution=16, seed=seed)
    real_images = monitor.dataset.sample(BATCH * STEPS, torch.Generator().manual_seed(1))[0]
    for step in range(STEPS):
        real, fake = real_images[step * BATCH:(step + 1) * BATCH], G(torch.randn(BATCH, NZ, 1, 1))
        opt_d.zero_grad()
        out_real, out_fake = D(real).view(-1), D(fake.detach()).view(-1)
        loss_d = bce(out_real, torch.ones_like(out_real)) + bce(out_fake, torch.zeros_like(out_fake))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = bce(D(fake).view(-1), torch.ones(BATCH))
        loss_g.backward()
        opt_g.step()
        monitor.step(loss_d, loss_g, out_real, out_fake, sample=lambda n: G(torch.randn(n, NZ, 1, 1)))
    return monitor, G


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nn.Module, dict]:
    run_dir = tmp_path_factory.mktemp("monitor") / "run"
    monitor, G = train(run_dir)
    record = monitor.close(G=G, generator=TARGET)
    assert record.final_metrics is not None
    return run_dir, G, record.final_metrics


def same(a: dict, b: dict, rel: float = 0.0) -> bool:
    """Equal keys and values (None with None, NaN with NaN), to ``rel`` relative."""
    def close(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is None and y is None
        return (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=rel, abs=0.0)

    return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)


def test_score_on_the_run_dir_equals_score_on_the_same_samples_and_the_final_metrics(
        run: tuple[Path, nn.Module, dict], tmp_path: Path) -> None:
    run_dir, G, final = run
    assert (run_dir / CHECKPOINT).is_file()
    # score caps its threads; the monitor sampled G with the loop's: the same count, else G's convolutions
    # sum in another order and the samples differ in float32's last bits (so do the trainer's and score's).
    threads = torch.get_num_threads()
    on_run = score(run_dir, threads=threads)
    # The same samples, drawn from the loop's own G (not the checkpoint's) as final_metrics draws them.
    z_as_image = nn.Sequential(nn.Unflatten(1, (NZ, 1, 1)), G)  # ganlab draws z (N, nz); G takes (N, nz, 1, 1)
    samples = final_samples(z_as_image, load_config(run_dir / CONFIG_YAML))
    np.save(tmp_path / "samples.npy", samples.numpy())
    on_array = score(tmp_path / "samples.npy", "gaussian-grid", seed=3, threads=threads)
    assert on_run.dataset == on_array.dataset == "gaussian-grid"
    assert len(samples) == on_run.metrics["n_samples"] == 300
    # Exactly the run's final_metrics; the array of the same samples to float32's last bits (feature kernels
    # may pick another summation order for another memory layout: ganlab.sampling.streams).
    assert same({k: on_run.metrics[k] for k in SCORE_KEYS}, {k: final[k] for k in SCORE_KEYS})
    assert same(on_run.metrics, on_array.metrics, rel=1e-5)
    assert on_run.metrics["modes"] == on_array.metrics["modes"]
    assert on_run.metrics["modes_total"] == 25 and on_run.metrics["frechet"] > 0


def test_the_cli_scores_it_and_diagnose_and_the_record_still_read_it(
        run: tuple[Path, nn.Module, dict], capsys: pytest.CaptureFixture[str]) -> None:
    run_dir, _, final = run
    assert main(["score", str(run_dir), "--json", "--threads", str(torch.get_num_threads())]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["modes"] == final["modes"] and printed["kid"] == pytest.approx(final["kid"], rel=1e-12)
    assert [e.to_dict() for e in diagnose_path(run_dir)] == [e.to_dict() for e in read_events(run_dir / EVENTS_JSON)]
    record = read_run(run_dir)
    assert record is not None and record.status == "completed" and record.final_metrics == final


def test_a_factory_builds_a_sequential_g(tmp_path: Path) -> None:
    """An nn.Sequential G (the docs' example) is rebuilt by a factory, 'pkg.module:factory'."""
    monitor, G = train(tmp_path / "run")
    record = monitor.close(G=G.main, generator="tests.monitor.user_models:sequential_generator", nz=NZ)
    assert record.final_metrics is not None
    scored = score(tmp_path / "run", threads=torch.get_num_threads()).metrics
    assert same({k: scored[k] for k in SCORE_KEYS}, {k: record.final_metrics[k] for k in SCORE_KEYS})


def test_a_g_the_config_would_not_rebuild_is_one_line_and_the_monitor_stays_open(tmp_path: Path) -> None:
    monitor, G = train(tmp_path / "run")
    with pytest.raises(ConfigError) as err:
        monitor.close(G=G, generator={**TARGET, "width": 16})
    assert "\n" not in str(err.value) and "does not match" in str(err.value) and "main.0.weight" in str(err.value)
    with pytest.raises(ConfigError, match="pass both G= .* and generator="):
        monitor.close(G=G)
    assert not (tmp_path / "run" / CHECKPOINT).exists()
    record = monitor.close()  # still open: closes without G
    assert record.status == "completed" and record.final_metrics is None


def test_the_closed_run_has_the_trainers_sample_grid_of_its_last_step(run: tuple[Path, nn.Module, dict]) -> None:
    """The report shows each run's last sample grid: the monitor writes it at close, 64 images (output.samples)
    of G on the run's fixed z stream, tiled as the trainer tiles them (pad 2, 8 x 8 for 64)."""
    from PIL import Image

    from ganlab.sampling import draw_z, fixed_stream, generate
    from ganlab.schema import sample_files

    run_dir, G, _ = run
    config = load_config(run_dir / CONFIG_YAML)
    assert list(sample_files(run_dir)) == [STEPS]
    grid = np.asarray(Image.open(sample_files(run_dir)[STEPS]))
    assert grid.shape == (8 * (16 + 2) + 2, 8 * (16 + 2) + 2)  # one channel, 8 x 8 tiles of 16 px
    constant, fixed = fixed_stream(config)
    z = draw_z(config, 64, fixed, constant)
    with torch.no_grad():
        images = generate(nn.Sequential(nn.Unflatten(1, (NZ, 1, 1)), G), z, config.data.range)  # (64, 1, 16, 16)
    tiles = np.stack([grid[2 + r * 18:2 + r * 18 + 16, 2 + c * 18:2 + c * 18 + 16] for r in range(8) for c in range(8)])
    expected = ((images[:, 0].clamp(-1, 1).numpy().astype(np.float64) + 1) * 127.5).round()
    assert np.abs(tiles.astype(np.float64) - expected).max() <= 1  # float32 last bits may round either way
    assert (grid[:2] == 0).all() and (grid[:, :2] == 0).all()  # the padding
