"""The docs' example loop (docs/monitor.md), run as written with a G that ignores z: the monitor stops the
collapsed run online, and ``ganlab diagnose`` on its run directory gives the same events."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli.main import app
from ganlab.diagnostics import diagnose_path
from ganlab.schema import EVENTS_JSON, EventKind, read_events, read_run

DOC = Path(__file__).resolve().parents[2] / "docs" / "monitor.md"


def example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    return next(b for b in blocks if "monitor.step(" in b and "for step in" in b)


def run_example(run_dir: Path, z_scale: float) -> dict:
    code = example()
    assert "z_scale = 1.0" in code
    namespace = {"run_dir": run_dir}
    exec(compile(code.replace("z_scale = 1.0", f"z_scale = {z_scale}"), str(DOC), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def collapsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    run_dir = tmp_path_factory.mktemp("monitor") / "collapsed"
    return run_dir, run_example(run_dir, 0.0)


def test_the_example_stops_a_collapsed_generator_online(collapsed: tuple[Path, dict]) -> None:
    run_dir, ns = collapsed
    monitor = ns["monitor"]
    assert monitor.should_stop and monitor.stop_event.kind == EventKind.MODE_COLLAPSE
    assert monitor.step_done < ns["steps"]  # stopped before the end
    record = read_run(run_dir)
    assert record is not None and record.status == "failed" and record.steps_done == monitor.step_done
    assert "mode_collapse" in (record.stop_reason or "")


def test_diagnose_on_its_run_dir_gives_the_online_events(collapsed: tuple[Path, dict]) -> None:
    run_dir, ns = collapsed
    online = [e.to_dict() for e in ns["monitor"].events]
    offline = [e.to_dict() for e in diagnose_path(run_dir)]
    written = [e.to_dict() for e in read_events(run_dir / EVENTS_JSON)]
    assert online == offline == written
    assert any(e["kind"] == "mode_collapse" for e in offline)
    result = CliRunner().invoke(app, ["diagnose", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events"] == offline


def test_the_same_loop_with_z_is_not_stopped(tmp_path: Path) -> None:
    """The control: the example as written (G reads z) trains to the end with no collapse event."""
    ns = run_example(tmp_path / "healthy", 1.0)
    monitor = ns["monitor"]
    assert not monitor.should_stop and monitor.step_done == ns["steps"]
    assert EventKind.MODE_COLLAPSE not in {e.kind for e in monitor.events}
    assert read_run(tmp_path / "healthy").status == "completed"


def test_the_thresholds_that_stopped_it_give_the_same_events_offline(collapsed: tuple[Path, dict],
                                                                     tmp_path: Path) -> None:
    """The log alone (no config.yaml beside it) under the defaults misses the collapse; with the online
    thresholds given to diagnose (--set, or a config file) it gives exactly the online events."""
    import shutil

    import yaml

    from ganlab.schema import METRICS_FILE

    run_dir, ns = collapsed
    log = tmp_path / "metrics.parquet"
    shutil.copy(run_dir / METRICS_FILE, log)
    online = [e.to_dict() for e in ns["monitor"].events]
    assert [e.to_dict() for e in diagnose_path(log)] != online
    settings = {"eval_every": 20, "eval_samples": 200, "check_every": 20, "stop_on": ["mode_collapse"],
                "patience": 0, "collapse_persist": 2, "collapse_min_steps": 0}
    sets = [a for k, v in settings.items() for a in ("--set", f"diagnostics.{k}={json.dumps(v)}")]
    result = CliRunner().invoke(app, ["diagnose", str(log), "--json", *sets])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events"] == online
    (tmp_path / "ganlab.yaml").write_text(yaml.safe_dump({"diagnostics": settings}))
    assert [e.to_dict() for e in diagnose_path(log, tmp_path / "ganlab.yaml")] == online
