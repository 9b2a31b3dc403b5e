"""Reading logs from disk: parquet vs CSV, extra columns, schema errors, run directories."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ganlab.config import DiagnosticsConfig
from ganlab.diagnostics import Event, detect, diagnose_path, read_log
from ganlab.errors import ConfigError, DataError

from .traces import Shape, healthy, inject_collapse, inject_dominance, inject_nan


@pytest.fixture
def failing_log():
    shape = Shape(steps=1200, seed=12)
    log = inject_dominance(healthy(shape), 800, "grad_norm_g", np.random.default_rng(0))
    return inject_collapse(log, 300, True, np.random.default_rng(0))


def test_csv_and_parquet_give_the_same_events(tmp_path, failing_log) -> None:
    failing_log.to_parquet(tmp_path / "m.parquet")
    failing_log.to_csv(tmp_path / "m.csv", index=False)
    from_parquet = diagnose_path(tmp_path / "m.parquet")
    assert [e.kind for e in from_parquet] == ["mode_collapse", "d_dominance"]
    assert diagnose_path(tmp_path / "m.csv") == from_parquet


def test_csv_with_nan_inf_and_extra_columns(tmp_path) -> None:
    log = inject_nan(healthy(Shape(steps=400, seed=1)), 250, "grad_norm_d", np.inf)
    log.insert(3, "lr_scheduler_note", "cosine")
    log["loss_ema"] = 0.5
    log.to_csv(tmp_path / "export.csv", index=False)
    (event,) = diagnose_path(tmp_path / "export.csv")
    assert (event.kind, event.step, event.evidence["column"], event.evidence["value"]) == (
        "non_finite", 250, "grad_norm_d", "inf",
    )


def test_missing_required_columns_is_one_line_naming_file_columns_and_doc(tmp_path) -> None:
    healthy(Shape(steps=300)).drop(columns=["d_fake", "time_s"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError) as err:
        read_log(tmp_path / "bad.csv")
    message = str(err.value)
    assert "\n" not in message
    assert "bad.csv" in message and "'d_fake', which detector d_dominance needs" in message
    assert "time_s" not in message.split("the log has")[0] and "docs/metrics-schema.md" in message


@pytest.mark.parametrize("name", ["nope.parquet", "nope_dir"])
def test_missing_path_is_one_line_error(tmp_path, name) -> None:
    with pytest.raises(DataError, match="no such file") as err:
        diagnose_path(tmp_path / name)
    assert "\n" not in str(err.value)


def test_unknown_suffix_and_unreadable_file(tmp_path) -> None:
    (tmp_path / "m.json").write_text("{}")
    with pytest.raises(DataError, match=r"\.parquet or \.csv"):
        read_log(tmp_path / "m.json")
    (tmp_path / "m.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="cannot read") as err:
        read_log(tmp_path / "m.parquet")
    assert "\n" not in str(err.value)


def test_run_directory_uses_its_config_and_run_json(tmp_path) -> None:
    log = inject_nan(healthy(Shape(steps=400, seed=2)), 300, "loss_d")
    log.to_parquet(tmp_path / "metrics.parquet")
    (tmp_path / "run.json").write_text(json.dumps({"non_finite_tensor": "grad of D.main.3.weight"}))
    (tmp_path / "config.yaml").write_text("diagnostics:\n  detectors: [oscillation]\n")
    assert diagnose_path(tmp_path) == []  # the run's config switched non_finite off
    (tmp_path / "config.yaml").write_text("diagnostics:\n  patience: 10\n")
    (event,) = diagnose_path(tmp_path)
    assert event.evidence["tensor"] == "grad of D.main.3.weight"
    assert diagnose_path(tmp_path, DiagnosticsConfig(detectors=("oscillation",))) == []


def test_run_directory_errors(tmp_path) -> None:
    with pytest.raises(DataError, match="no metrics.parquet"):
        diagnose_path(tmp_path)
    healthy(Shape(steps=300)).to_parquet(tmp_path / "metrics.parquet")
    (tmp_path / "config.yaml").write_text("diagnostics:\n  stop_on: [collapse]\n")
    with pytest.raises(ConfigError, match="valid: non_finite, d_dominance"):
        diagnose_path(tmp_path)


def test_events_survive_a_json_round_trip(failing_log) -> None:
    events = detect(failing_log, DiagnosticsConfig())
    assert [Event.from_dict(json.loads(json.dumps(e.to_dict()))) for e in events] == events


def _cli(*args: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "ganlab", *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_non_numeric_value_is_bad_input_naming_file_column_and_row(tmp_path) -> None:
    log = healthy(Shape(steps=300, seed=3))
    log["loss_d"] = log["loss_d"].astype(object)
    log.loc[41, "loss_d"] = "1.2.3"  # data row 42, line 43 of the CSV
    log.to_csv(tmp_path / "typo.csv", index=False)
    with pytest.raises(DataError) as err:
        read_log(tmp_path / "typo.csv")
    message = str(err.value)
    assert "\n" not in message and "typo.csv" in message and "'loss_d'" in message
    assert "row 42 (line 43)" in message and "'1.2.3'" in message
    # The same through the CLI: exit 2 and one line, not a non_finite event with exit 0.
    code, out, errtext = _cli("diagnose", str(tmp_path / "typo.csv"))
    assert code == 2 and out == "" and errtext.count("\n") == 1 and "row 42" in errtext
    log.assign(loss_d=log["loss_d"].astype(str)).to_parquet(tmp_path / "typo.parquet")  # a text column
    with pytest.raises(DataError, match=r"'loss_d' row 42 holds '1\.2\.3'"):
        read_log(tmp_path / "typo.parquet")


def test_header_only_and_stepless_logs_are_bad_input(tmp_path) -> None:
    log = healthy(Shape(steps=300, seed=4))
    log.iloc[:0].to_csv(tmp_path / "header.csv", index=False)
    with pytest.raises(DataError, match="no rows, only a header"):
        read_log(tmp_path / "header.csv")
    log.assign(step=np.nan).to_csv(tmp_path / "nostep.csv", index=False)
    with pytest.raises(DataError, match=r"column 'step' row 1 \(line 2\) is empty"):
        read_log(tmp_path / "nostep.csv")
    one = log.copy()
    one["step"] = one["step"].astype(float)
    one.loc[7, "step"] = np.nan
    one.to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(DataError, match=r"column 'step' row 8 \(line 9\)"):
        read_log(tmp_path / "gap.csv")
    for name in ("header.csv", "nostep.csv"):
        code, out, err = _cli("diagnose", str(tmp_path / name))
        assert code == 2 and "no events" not in out and err.count("\n") == 1 and name in err
