"""Non-finite samples are never scored as plausible: ``evaluate`` gives no metric, ``score`` refuses in one
line, and training stops as ``non_finite`` when G's evaluation or final samples hold NaN/Inf (issue 21, item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganlab.data import TensorImageDataset
from ganlab.metrics import EVAL_KEYS, evaluate
from tests.badinput.helpers import assert_one_line_error, cli, write

RUN = """\
data: {dataset: gaussian-grid, resolution: 16}
model: {nz: 8, width: 16}
train: {steps: 12, batch_size: 8, device: cpu, checkpoint_every: 6}
diagnostics: {eval_every: 6, eval_samples: 64, final_samples: 100}
output: {samples: 4}
"""


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("full", [False, True])
def test_evaluate_gives_no_metric_for_non_finite_samples(bad: float, full: bool) -> None:
    real = torch.rand(300, 1, 8, 8) * 2 - 1
    dataset = TensorImageDataset("folder", real)
    fake = torch.rand(100, 1, 8, 8) * 2 - 1
    fake[3, 0, 2, 2] = bad  # one pixel of one sample is enough
    out = evaluate(fake, dataset, full=full)
    assert set(out) == set(EVAL_KEYS)
    assert out["n_samples"] == 100
    assert all(out[k] is None for k in EVAL_KEYS if k != "n_samples"), out


def _train(tmp_path: Path) -> Path:
    config = write(tmp_path / "run.yaml", RUN)
    code, _, err = cli("train", config, "--out", tmp_path / "runs")
    assert code == 0, err
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and record["final_metrics"]["precision"] is not None
    return run_dir


def test_score_refuses_a_run_whose_generator_gives_nan(tmp_path: Path) -> None:
    run_dir = _train(tmp_path)
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    for tensor in state["generator"].values():
        if tensor.is_floating_point():
            tensor.fill_(float("nan"))
    torch.save(state, run_dir / "checkpoint.pt")
    for flag in ([], ["--json"]):
        result = cli("score", run_dir, *flag)
        line = assert_one_line_error(result, str(run_dir), "NaN or Inf")
        assert "precision" not in result[1] and "coverage" not in result[1], line


def test_training_stops_as_non_finite_when_the_evaluation_batch_is_nan(tmp_path: Path) -> None:
    config = RUN.replace("model: {nz: 8, width: 16}",
                         "model: {nz: 8, width: 16, generator: 'tests.badinput.nan_models:make'}")
    path = write(tmp_path / "nan.yaml", config)
    code, _, err = cli("train", path, "--out", tmp_path / "nan-runs")
    assert code == 0, err
    (run_dir,) = (tmp_path / "nan-runs").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed", record
    assert "output of G" in (record["non_finite_tensor"] or ""), record
    assert [e["kind"] for e in record["events"]] == ["non_finite"]
    assert record["steps_done"] == 6  # stopped at the first evaluation
    assert not record["final_metrics"] or all(v is None for k, v in record["final_metrics"].items()
                                              if k != "n_samples")


def test_training_stops_as_non_finite_when_only_the_final_samples_are_nan(tmp_path: Path) -> None:
    config = RUN.replace("model: {nz: 8, width: 16}",
                         "model: {nz: 8, width: 16, generator: 'tests.badinput.nan_models:make'}")
    path = write(tmp_path / "nan.yaml", config.replace("eval_every: 6", "eval_every: 0"))
    code, _, err = cli("train", path, "--out", tmp_path / "runs")
    assert code == 0, err
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and record["steps_done"] == 12, record
    assert "final samples" in (record["non_finite_tensor"] or ""), record
    assert [e["kind"] for e in record["events"]] == ["non_finite"]
    assert record["final_metrics"] is None
