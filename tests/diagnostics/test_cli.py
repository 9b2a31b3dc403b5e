"""``ganlab diagnose`` through a local Typer app (the lead wires ``register`` into ganlab.cli.main)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from ganlab.cli.diagnose import register
from ganlab.errors import DataError

from .traces import Shape, healthy, inject_dominance


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "diagnose" a subcommand, as in the real CLI
        """ganlab"""

    return app


@pytest.fixture
def failing(tmp_path):
    log = inject_dominance(healthy(Shape(steps=800, seed=1)), 400, "grad_norm_g", np.random.default_rng(1))
    log.to_parquet(tmp_path / "metrics.parquet")
    return tmp_path


def test_json_output_shape(app, failing) -> None:
    result = CliRunner().invoke(app, ["diagnose", str(failing), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["events"]
    (event,) = data["events"]
    assert list(event) == ["kind", "step", "severity", "evidence", "message"]
    assert event["kind"] == "d_dominance" and isinstance(event["step"], int)
    assert all(isinstance(v, int | float | str) for v in event["evidence"].values())


def test_json_with_no_events(app, tmp_path) -> None:
    healthy(Shape(steps=300)).to_csv(tmp_path / "m.csv", index=False)
    result = CliRunner().invoke(app, ["diagnose", str(tmp_path / "m.csv"), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"events": []}


def test_table_output(app, failing, tmp_path) -> None:
    result = CliRunner().invoke(app, ["diagnose", str(failing / "metrics.parquet")])
    assert result.exit_code == 0 and "d_dominance" in result.output and "failure" in result.output
    healthy(Shape(steps=300)).to_csv(tmp_path / "m.csv", index=False)
    result = CliRunner().invoke(app, ["diagnose", str(tmp_path / "m.csv")])
    assert result.exit_code == 0 and "no events" in result.output


def test_bad_input_raises_ganlab_error_for_main_to_report(app, tmp_path) -> None:
    result = CliRunner().invoke(app, ["diagnose", str(tmp_path / "missing.csv")])
    assert isinstance(result.exception, DataError)  # main.py prints it on one line and exits 2
