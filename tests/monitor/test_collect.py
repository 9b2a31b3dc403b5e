"""A Monitor's run, ``ganlab train`` runs and a TensorBoard log gathered by ``ganlab collect`` into one folder
that ``ganlab report`` reads, each run with the events its own run directory holds."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ganlab.cli.main import app
from ganlab.collect import group_of
from ganlab.config import GanlabConfig, apply_overrides
from ganlab.errors import DataError
from ganlab.schema import RESULTS, read_run
from ganlab.train import train
from tests.monitor.test_example import run_example

TINY = {"data.dataset": "gaussian-grid", "data.resolution": 16, "model.nz": 8, "model.width": 16,
        "train.batch_size": 16, "train.steps": 30, "train.log_every": 1, "train.checkpoint_every": 30,
        "diagnostics.enabled": False}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("collect") / "runs"
    for seed in (0, 1):
        cfg = apply_overrides(GanlabConfig(), {**TINY, "seed": seed})
        train(cfg, root / "dcgan" / f"seed{seed}", progress=False)
    run_example(root / "my_loop" / "seed0", 0.0)
    return root


def test_monitor_runs_appear_in_the_report_beside_train_runs(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare"
    result = CliRunner().invoke(app, ["collect", str(runs), "--out", str(out), "--group",
                                      r"runs/(?P<variant>[^/]+)/seed(?P<seed>\d+)", "--baseline", "dcgan"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / RESULTS).sort_values(["variant", "seed"])
    assert list(zip(table["variant"], table["seed"], strict=True)) == [("dcgan", 0), ("dcgan", 1), ("my_loop", 0)]
    mine = table[table["variant"] == "my_loop"].iloc[0]
    record = read_run(runs / "my_loop" / "seed0")
    assert record is not None and mine["status"] == "failed" == record.status
    assert json.loads(mine["events"]) == [e.model_dump(mode="json") for e in record.events]
    assert mine["onset_mode_collapse"] == record.events[0].step
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(out), "-o", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text()
    assert "my_loop" in html and "dcgan" in html


def test_group_of_names_variant_and_seed() -> None:
    assert group_of(Path("a/runs/lr_high/seed3"), r"runs/(?P<variant>[^/]+)/seed(?P<seed>\d+)") == ("lr_high", 3)
    assert group_of(Path("a/runs/lr_high/seed3"), None) == ("lr_high", None)
    assert group_of(Path("x/bn-off-7"), r"(bn-\w+)-\d") == ("bn-off", None)
    with pytest.raises(DataError, match="matches no --group pattern"):
        group_of(Path("x/y"), r"seed\d")


def test_other_tools_logs_become_run_directories_with_diagnose_events(tmp_path: Path) -> None:
    from ganlab.diagnostics import diagnose_path
    from ganlab.schema import EVENTS_JSON, read_events
    from tests.diagnostics.traces import Shape, healthy, inject_nan

    for seed, nan_at in ((0, 150), (1, None)):
        log = healthy(Shape(steps=300, seed=seed))
        log = inject_nan(log, nan_at, "loss_g") if nan_at else log
        folder = tmp_path / "wandb" / "lr_high"
        folder.mkdir(parents=True, exist_ok=True)
        log.rename(columns={"step": "_step", "loss_d": "Loss_D", "loss_g": "Loss_G"}).to_csv(
            folder / f"seed{seed}.csv", index=False)
    out = tmp_path / "compare"
    result = CliRunner().invoke(app, ["collect", str(tmp_path / "wandb"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / RESULTS).sort_values("seed")
    assert list(table["variant"]) == ["lr_high", "lr_high"]
    for row, source in zip(table.itertuples(), ["seed0.csv", "seed1.csv"], strict=True):
        expected = [e.to_dict() for e in diagnose_path(tmp_path / "wandb" / "lr_high" / source)]
        assert [e.to_dict() for e in read_events(out / row.run_dir / EVENTS_JSON)] == expected
    assert table.iloc[0]["onset_non_finite"] == 150 and pd.isna(table.iloc[1]["onset_non_finite"])
    # Each collected run's run.json is a valid record (a NaN training time was written as null, which the
    # schema refused, so every collected run read as missing); the time is unknown, not zero.
    for row in table.itertuples():
        record = read_run(out / row.run_dir)
        assert record is not None and record.wall_time_s is None and record.status == "completed"
    assert table["wall_time_s"].isna().all()
    again = CliRunner().invoke(app, ["collect", str(tmp_path), "--out", str(out)])  # out inside the paths
    assert again.exit_code == 0, again.output
    assert len(pd.read_parquet(out / RESULTS)) == 2  # its own run folders are not collected again
