"""Sample grids in a TensorBoard log feed mode_collapse: a tiny pytorch/examples-style training whose G
ignores z logs its samples as grids (make_grid's layout through add_image, and add_images'), and
``ganlab diagnose --data`` finds the collapse from the images; grids of real images find none."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ganlab.cli.main import app, main
from ganlab.diagnostics import diagnose_path
from ganlab.diagnostics.sources.sample_grids import SampleGrids, grid_columns
from ganlab.errors import DataError
from ganlab.schema import EVAL_DIVERSITY, EVAL_DUP_RATE, EVENTS_JSON, RESULTS, RUNS_DIR, EventKind, read_events
from tests.logs.test_grids import make_grid

torch = pytest.importorskip("torch")
tensorboard = pytest.importorskip("torch.utils.tensorboard")
pytest.importorskip("tbparse")

STEPS, R, NZ, WIDTH, BATCH = 8, 16, 8, 8, 64
# Few steps: the collapse must hold on 3 grids spanning 4 steps (the defaults ask 500 steps of a long run).
SETTINGS = ["--set", "diagnostics.detectors=[non_finite,mode_collapse,oscillation]",
            "--set", "diagnostics.collapse_min_steps=4"]


def real_data():
    from ganlab.monitor import real_dataset

    return real_dataset("gaussian-grid", resolution=R)


def train(log_dir: Path, grids: str, collapsed: bool) -> None:
    """pytorch/examples' DCGAN loop, tiny, logging its scalars and a grid of 64 images per step to TensorBoard:
    G's samples (``collapsed``: G gets z * 0, so every sample is one image) or real images (healthy grids)."""
    torch.manual_seed(0)
    G = torch.nn.Sequential(
        torch.nn.ConvTranspose2d(NZ, WIDTH * 2, 4, 1, 0, bias=False), torch.nn.BatchNorm2d(WIDTH * 2),
        torch.nn.ReLU(True),  # (WIDTH*2) x 4 x 4
        torch.nn.ConvTranspose2d(WIDTH * 2, WIDTH, 4, 2, 1, bias=False), torch.nn.BatchNorm2d(WIDTH),
        torch.nn.ReLU(True),  # WIDTH x 8 x 8
        torch.nn.ConvTranspose2d(WIDTH, 1, 4, 2, 1, bias=False), torch.nn.Tanh())  # 1 x 16 x 16
    D = torch.nn.Sequential(
        torch.nn.Conv2d(1, WIDTH, 4, 2, 1, bias=False), torch.nn.LeakyReLU(0.2, True),  # WIDTH x 8 x 8
        torch.nn.Conv2d(WIDTH, 1, 8, 1, 0, bias=False), torch.nn.Sigmoid())  # 1 x 1 x 1
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCELoss()
    real_images = real_data().sample(BATCH * (STEPS + 1), torch.Generator().manual_seed(5))[0]
    writer = tensorboard.SummaryWriter(str(log_dir))
    for step in range(1, STEPS + 1):
        real = real_images[step * BATCH:(step + 1) * BATCH]
        fake = G(torch.randn(BATCH, NZ, 1, 1) * (0.0 if collapsed else 1.0))
        opt_d.zero_grad()
        out_real, out_fake = D(real).view(-1), D(fake.detach()).view(-1)
        err_d = bce(out_real, torch.ones_like(out_real)) + bce(out_fake, torch.zeros_like(out_fake))
        err_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        out = D(fake).view(-1)
        err_g = bce(out, torch.ones_like(out))
        err_g.backward()
        opt_g.step()
        for name, value in (("Loss_D", err_d), ("Loss_G", err_g), ("D(x)", out_real.mean()),
                            ("D(G(z))", out_fake.mean())):
            writer.add_scalar(name, value.item(), step)
        shown = ((fake.detach() if collapsed else real) + 1) / 2  # TensorBoard takes [0, 1]
        if grids == "make_grid":  # torchvision.utils.make_grid(shown) logged with add_image
            writer.add_image("fake_samples", make_grid(shown.numpy()).transpose(2, 0, 1), step)
        else:
            writer.add_images("fake_samples", shown, step)
    writer.close()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tb")
    for grids in ("make_grid", "add_images"):
        for kind in ("collapsed", "healthy"):
            train(root / f"{grids}-{kind}", grids, kind == "collapsed")
    return root


def diagnose(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(app, ["diagnose", *args, "--json", *SETTINGS])
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {}, result.stderr


def kinds(events: list[dict]) -> set[str]:
    return {e["kind"] for e in events}


@pytest.mark.parametrize("grids", ["make_grid", "add_images"])
def test_a_collapsed_generators_grids_give_mode_collapse_and_real_grids_do_not(logs: Path, grids: str) -> None:
    code, out, err = diagnose(str(logs / f"{grids}-collapsed"), "--data", "gaussian-grid", "--resolution", str(R))
    assert code == 0, err
    collapse = [e for e in out["events"] if e["kind"] == EventKind.MODE_COLLAPSE]
    assert len(collapse) == 1 and collapse[0]["severity"] == "failure" and collapse[0]["step"] == 1
    assert collapse[0]["evidence"]["dup_rate"] == 1.0 and collapse[0]["evidence"]["diversity"] == 0.0
    code, out, err = diagnose(str(logs / f"{grids}-healthy"), "--data", "gaussian-grid", "--resolution", str(R))
    assert code == 0, err
    assert EventKind.MODE_COLLAPSE not in kinds(out["events"])


def test_without_the_real_data_the_scalars_alone_miss_it_and_a_note_says_why(logs: Path) -> None:
    code, out, err = diagnose(str(logs / "add_images-collapsed"))
    assert code == 0
    assert EventKind.MODE_COLLAPSE not in kinds(out["events"])
    assert "logs images ('fake_samples'); pass --data" in err


def test_the_grid_columns_are_the_evaluation_of_the_same_tiles(logs: Path) -> None:
    """The columns equal ganlab's own evaluation of the tiles as the log stores them (8-bit)."""
    from ganlab.metrics.evaluate import evaluate
    from ganlab.sampling import real_generator

    data = real_data()
    columns, samples = grid_columns(logs / "add_images-healthy", SampleGrids(data))
    assert samples == BATCH and columns["step"].tolist() == list(range(1, STEPS + 1))
    real_images = data.sample(BATCH * (STEPS + 1), torch.Generator().manual_seed(5))[0]
    step = 3
    shown = (real_images[step * BATCH:(step + 1) * BATCH] + 1) / 2
    stored = torch.floor((shown * 255).clamp(0, 255)) / 255 * 2 - 1  # TensorBoard's 8 bits: x * 255, truncated
    expected = evaluate(stored, data, full=False, generator=real_generator(0))
    row = columns.iloc[step - 1]
    assert row[EVAL_DIVERSITY] == pytest.approx(expected["diversity"], rel=1e-6)
    assert row[EVAL_DUP_RATE] == expected["dup_rate"]
    assert 0.9 < row[EVAL_DIVERSITY] < 1.1  # real images read as the real data does


def test_a_log_of_grids_alone_is_diagnosed_for_collapse(tmp_path: Path) -> None:
    writer = tensorboard.SummaryWriter(str(tmp_path))
    for step in (100, 200, 300, 400):
        writer.add_images("G(z)", torch.full((32, 1, R, R), 0.25), step)
    writer.close()
    events = diagnose_path(tmp_path, {"detectors": ["mode_collapse"], "collapse_min_steps": 200},
                           grids=SampleGrids(real_data()))
    assert [(e.kind, e.step) for e in events] == [(EventKind.MODE_COLLAPSE, 100)]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``ganlab ARGS`` as the console script runs it: its exit code and stderr."""
    code = main(list(args))
    return code, capsys.readouterr().err.strip()


def test_grids_that_do_not_split_are_one_line_exit_2(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, line = cli(capsys, "diagnose", str(logs / "make_grid-collapsed"), "--data", "gaussian-grid",
                     "--resolution", "32", *SETTINGS)
    assert code == 2
    assert "\n" not in line and "a 146x146 image does not split into 32x32 tiles" in line
    assert "'fake_samples' at step 1" in line
    with pytest.raises(DataError, match="no image tag 'samples'; it has 'fake_samples'"):
        grid_columns(logs / "make_grid-collapsed", SampleGrids(real_data(), tag="samples"))


def test_grid_options_without_data_and_a_resolution_the_data_lacks_are_refused(
        logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, line = cli(capsys, "diagnose", str(logs / "make_grid-collapsed"), "--grid-padding", "2")
    assert code == 2 and "pass --data" in line
    code, line = cli(capsys, "diagnose", str(logs / "make_grid-collapsed"), "--data", "gaussian-grid",
                     "--resolution", "12")
    assert code == 2 and "\n" not in line and "resolution" in line and "12" in line


def test_too_few_tiles_per_grid_is_one_line(tmp_path: Path) -> None:
    """The Lightning GAN example logs 6 images: too few to say anything about collapse."""
    writer = tensorboard.SummaryWriter(str(tmp_path))
    writer.add_images("generated_images", torch.rand(6, 1, R, R), 0)
    writer.close()
    with pytest.raises(DataError, match="6 tile"):
        grid_columns(tmp_path, SampleGrids(real_data()))


def test_an_undecodable_image_and_colour_grids_for_grey_data_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tensorboard.compat.proto.summary_pb2 import Summary

    writer = tensorboard.SummaryWriter(str(tmp_path / "junk"))
    image = Summary.Image(height=16, width=16, colorspace=3, encoded_image_string=b"not a png")
    writer.file_writer.add_summary(Summary(value=[Summary.Value(tag="fake", image=image)]), 7)
    writer.close()
    code, line = cli(capsys, "diagnose", str(tmp_path / "junk"), "--data", "gaussian-grid", "--resolution", str(R),
                     "--set", "diagnostics.detectors=[mode_collapse]")
    assert code == 2 and "\n" not in line and "'fake' at step 7: cannot decode the image" in line
    writer = tensorboard.SummaryWriter(str(tmp_path / "colour"))
    writer.add_images("fake", torch.rand(16, 3, R, R), 1)
    writer.close()
    code, line = cli(capsys, "diagnose", str(tmp_path / "colour"), "--data", "gaussian-grid", "--resolution", str(R),
                     "--set", "diagnostics.detectors=[mode_collapse]")
    assert code == 2 and "\n" not in line and "colour images, but the real data has 1 channel" in line


def test_collect_scores_the_grids_too(logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``ganlab collect --data`` writes each log's run directory with the events ``diagnose --data`` gives."""
    out = tmp_path / "compare"
    code, err = cli(capsys, "collect", str(logs / "add_images-collapsed"), str(logs / "add_images-healthy"),
                    "--out", str(out), "--group", r"add_images-(?P<variant>\w+)", "--data", "gaussian-grid",
                    "--resolution", str(R), *SETTINGS)
    assert code == 0, err
    results = pd.read_parquet(out / RESULTS).set_index("variant")
    assert results.loc["collapsed", "onset_mode_collapse"] == 1
    assert pd.isna(results.loc["healthy", "onset_mode_collapse"])
    for variant, kinds_found in (("collapsed", ["mode_collapse"]), ("healthy", [])):
        events = read_events(out / RUNS_DIR / results.loc[variant, "run_id"] / EVENTS_JSON)
        assert [e.kind for e in events] == kinds_found
