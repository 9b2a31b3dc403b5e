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


def test_a_label_free_log_judged_at_the_digit_levels_gets_a_note(app, tmp_path) -> None:
    """D wins with its gradient gone while G's diversity is low, on a log without known modes: the event
    read the diversity levels set on digits, and stderr says so once; not when the levels were set, the log
    has known modes, or G's own gradient vanished (no level read)."""
    from .traces import inject_collapse

    def log_of(modes_total, vanishing):
        log = inject_dominance(healthy(Shape(steps=1000, seed=4, modes_total=modes_total)), 300, vanishing,
                               np.random.default_rng(0))
        return inject_collapse(log, 300, False, np.random.default_rng(1))

    runner = CliRunner()
    log_of(None, "grad_norm_d").to_parquet(tmp_path / "free.parquet")
    result = runner.invoke(app, ["diagnose", str(tmp_path / "free.parquet"), "--json"])
    assert result.exit_code == 0, result.output
    assert "d_dominance" in result.stdout
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "set on digits" in notes[0] and "ganlab check --update-baseline" in notes[0]
    assert str(tmp_path / "free.parquet") in notes[0]

    set_level = runner.invoke(app, ["diagnose", str(tmp_path / "free.parquet"), "--json",
                                    "--set", "diagnostics.collapse_partial_diversity=0.45"])
    assert set_level.exit_code == 0 and "note:" not in set_level.stderr

    log_of(1000, "grad_norm_d").to_parquet(tmp_path / "modes.parquet")
    with_modes = runner.invoke(app, ["diagnose", str(tmp_path / "modes.parquet"), "--json"])
    assert "d_dominance" in with_modes.stdout and "note:" not in with_modes.stderr

    inject_dominance(healthy(Shape(steps=1000, seed=4, modes_total=None)), 300, "grad_norm_g",
                     np.random.default_rng(0)).to_parquet(tmp_path / "g.parquet")
    g_gone = runner.invoke(app, ["diagnose", str(tmp_path / "g.parquet"), "--json"])
    assert "d_dominance" in g_gone.stdout and "note:" not in g_gone.stderr
