"""The logs people have: the same training history written to ganlab's CSV, to TensorBoard under
pytorch/examples' names, to an MLflow file store and as a W&B history export gives identical events."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ganlab.cli.main import app
from ganlab.diagnostics import diagnose_path, diagnose_runs
from ganlab.errors import DataError
from ganlab.schema import EVAL_COLUMNS, LOGGED_VALUES, EventKind
from tests.diagnostics.traces import Shape, healthy, inject_collapse, inject_nan

NAN_STEP = 1100
# pytorch/examples/dcgan's names (and loss/d-style tags for the gradient norms, which it does not log)
TB_NAMES = {"loss_d": "Loss_D", "loss_g": "Loss_G", "d_real": "D(x)", "d_fake": "D(G(z))",
            "grad_norm_d": "grad_norm/D", "grad_norm_g": "grad_norm/G"}
# MLflow keys allow no parentheses
MLFLOW_NAMES = {"loss_d": "loss/d", "loss_g": "loss/g", "d_real": "D_x", "d_fake": "D_G_z",
                "grad_norm_d": "grad_norm_d", "grad_norm_g": "grad_norm_g"}


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    """A run that collapses from step 300 and goes NaN at step 1100, as float32 (what TensorBoard keeps)."""
    rng = np.random.default_rng(3)
    log = inject_collapse(healthy(Shape(steps=1200)), 300, True, rng)
    log = inject_nan(log, NAN_STEP, "loss_d")
    numeric = [c for c in log.columns if c != "step"]
    log[numeric] = log[numeric].astype("float32").astype("float64")
    return log


def scalars(history: pd.DataFrame, names: dict[str, str]):
    """(name, value, step) of each scalar a logger would write: every per-step value, evaluations on their rows."""
    for row in history.itertuples(index=False):
        row = row._asdict()
        for column in (*LOGGED_VALUES, *EVAL_COLUMNS):
            if column in row and (column in LOGGED_VALUES or not math.isnan(row[column])):
                yield names.get(column, column), float(row[column]), int(row["step"])


def dicts(events) -> list[dict]:
    return [e.to_dict() for e in events]


@pytest.fixture(scope="module")
def csv_events(history: pd.DataFrame, tmp_path_factory) -> list[dict]:
    path = tmp_path_factory.mktemp("csv") / "metrics.csv"
    history.to_csv(path, index=False)
    events = dicts(diagnose_path(path))
    kinds = {e["kind"]: e for e in events}
    assert kinds["non_finite"]["step"] == NAN_STEP and kinds["non_finite"]["evidence"]["column"] == "loss_d"
    assert "mode_collapse" in kinds
    return events


def write_tensorboard(history: pd.DataFrame, folder: Path, names: dict[str, str] = TB_NAMES) -> Path:
    pytest.importorskip("tbparse")
    tensorboard = pytest.importorskip("torch.utils.tensorboard")
    writer = tensorboard.SummaryWriter(str(folder))
    for name, value, step in scalars(history, names):
        writer.add_scalar(name, value, step)
    writer.close()
    return folder


def test_tensorboard_under_pytorch_examples_names_equals_the_csv(history, csv_events, tmp_path) -> None:
    run = write_tensorboard(history, tmp_path / "tb")
    assert dicts(diagnose_path(run)) == csv_events


def test_mlflow_file_store_run_equals_the_csv(history, csv_events, tmp_path, monkeypatch) -> None:
    pytest.importorskip("mlflow")
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 writes a file store only when told to
    client = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    run = client.create_run(client.create_experiment("dcgan"))
    metrics = [Metric(name, value, 0, step) for name, value, step in scalars(history, MLFLOW_NAMES)]
    for i in range(0, len(metrics), 1000):
        client.log_batch(run.info.run_id, metrics=metrics[i:i + 1000])
    client.set_terminated(run.info.run_id)
    run_dir = tmp_path / "mlruns" / run.info.experiment_id / run.info.run_id
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")  # the reader needs no setting from the user
    assert dicts(diagnose_path(run_dir)) == csv_events


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_wandb_history_export_equals_the_csv(history, csv_events, tmp_path, suffix) -> None:
    export = history.drop(columns=["lr_d", "lr_g", "time_s"]).rename(columns={"step": "_step", **TB_NAMES})
    export["_runtime"] = np.arange(len(export)) * 0.1
    export["_timestamp"] = 1.7e9 + export["_runtime"]
    path = tmp_path / f"wandb_export{suffix}"
    export.to_csv(path, index=False) if suffix == ".csv" else export.to_parquet(path, index=False)
    assert dicts(diagnose_path(path)) == csv_events


def test_a_folder_of_runs_diagnoses_each(history, csv_events, tmp_path) -> None:
    write_tensorboard(history, tmp_path / "runs" / "seed0")
    healthy_part = history[history["step"] < 250]
    write_tensorboard(healthy_part, tmp_path / "runs" / "seed1")
    found = diagnose_runs(tmp_path / "runs")
    assert [p.name for p, _ in found] == ["seed0", "seed1"]
    assert dicts(found[0][1]) == csv_events and found[1][1] == []
    result = CliRunner().invoke(app, ["diagnose", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    assert [r["events"] for r in json.loads(result.output)["runs"]] == [csv_events, []]


def test_an_unmapped_signal_is_one_line_with_the_tags_and_the_closest(history, tmp_path) -> None:
    run = write_tensorboard(history, tmp_path / "tb", {**TB_NAMES, "d_real": "D/real_prob"})
    with pytest.raises(DataError) as err:
        diagnose_path(run)
    message = str(err.value)
    assert "\n" not in message and "no column 'd_real', which detector d_dominance needs" in message
    assert "'Loss_D'" in message and "'D(G(z))'" in message  # the tags found
    assert "did you mean 'D/real_prob'" in message
    result = CliRunner().invoke(app, ["diagnose", str(run), "--set", "diagnostics.detectors=[non_finite]"])
    assert result.exit_code == 0, result.output


def test_map_names_a_tag(history, csv_events, tmp_path) -> None:
    run = write_tensorboard(history, tmp_path / "tb", {**TB_NAMES, "d_real": "D/real_prob"})
    result = CliRunner().invoke(app, ["diagnose", str(run), "--json", "--map", "d_real=D/real_prob"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events"] == csv_events
    assert EventKind.NON_FINITE in {e["kind"] for e in csv_events}
