"""End to end: crash isolation and exit codes, skipping finished runs, kill -9 and resume, the lock, dry runs.

Tiny runs (16x16, width 16, 20-40 steps) on two worker processes; the whole file takes well under a minute
on an idle two-core machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ganlab.cli.main import main
from ganlab.sweep.plan import plan_runs
from ganlab.sweep.results import read_results, result_columns
from ganlab.sweep.spec import load_sweep_spec
from tests.sweep.helpers import tiny_sweep, write_sweep

REPO = Path(__file__).resolve().parents[2]
TIME_COLUMNS = ["wall_time_s"]


def subprocess_env() -> dict[str, str]:
    """This process's environment now (after conftest set GANLAB_CACHE_DIR), with the repo importable."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def resume_sweep(tmp_path: Path) -> Path:
    """3 variants x 2 seeds of 40 steps, a checkpoint every 5: long enough to be killed mid-run."""
    data = tiny_sweep(name="resume", seeds=2, variants={"no-bn": {"model.batchnorm": "none"},
                                                       "sigmoid": {"model.g_output": "sigmoid", "data.range": [0, 1]}})
    data["base"]["train"].update(steps=40, checkpoint_every=5)
    return write_sweep(tmp_path / "resume.yaml", data)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The resume sweep run once, uninterrupted."""
    tmp = tmp_path_factory.mktemp("finished")
    file = resume_sweep(tmp)
    assert main(["sweep", str(file), "--out", str(tmp / "out"), "--workers", "2", "--no-report"]) == 0
    return file, tmp / "out" / "resume"


def test_results_table_has_one_completed_row_per_run(finished):
    file, sweep_dir = finished
    table = read_results(sweep_dir)
    assert list(table.columns) == result_columns() and len(table) == 6
    assert (table["status"] == "completed").all() and (table["steps_done"] == 40).all()
    assert sorted(table["variant"].unique()) == ["baseline", "no-bn", "sigmoid"]
    for row in table.itertuples():
        assert (sweep_dir / row.run_dir / "run.json").is_file() and (sweep_dir / row.log_path).is_file()
    manifest = json.loads((sweep_dir / "sweep.json").read_text())
    assert manifest["name"] == "resume" and manifest["n_runs"] == 6 and manifest["baseline"] == "baseline"
    assert manifest["status"] == "completed" and manifest["finished_at"] and manifest["workers"] == 2
    assert manifest["variants"]["no-bn"] == {"model.batchnorm": "none"} and len(manifest["sweep_sha256"]) == 64
    assert set(manifest["versions"]) == {"ganlab", "torch", "python"}
    # The manifest follows the schema the report reads, device included (the report's header shows it).
    from ganlab.report import load_sweep
    from ganlab.schema import SweepManifest

    assert SweepManifest.model_validate(manifest).device == "cpu" and list(manifest) == list(SweepManifest.model_fields)
    loaded = load_sweep(sweep_dir)
    assert loaded.meta["device"] == "cpu" and not [n for n in loaded.notes if "sweep.json" in n]


def _snapshot(sweep_dir: Path) -> dict[str, tuple[int, bytes]]:
    files = [*sweep_dir.glob("runs/*/run.json"), *sweep_dir.glob("runs/*/metrics.parquet"),
             *sweep_dir.glob("runs/*/checkpoint.pt")]
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in files}


def test_a_second_invocation_skips_finished_runs_without_starting_workers(finished, monkeypatch, capsys):
    import ganlab.sweep.backends.local as local

    file, sweep_dir = finished
    calls = []
    monkeypatch.setattr(local, "run", lambda tasks, options, on_done: calls.append(list(tasks)))
    before = _snapshot(sweep_dir)
    assert main(["sweep", str(file), "--out", str(sweep_dir.parent), "--no-report"]) == 0
    assert calls == [[]]  # the backend got no task: no worker was started
    assert _snapshot(sweep_dir) == before
    assert "6 of 6 runs already finished" in capsys.readouterr().out
    assert (read_results(sweep_dir)["status"] == "completed").all()


def test_dry_run_prints_the_runs_and_trains_nothing(finished, tmp_path, capsys):
    file, sweep_dir = finished
    assert main(["sweep", str(file), "--out", str(tmp_path), "--dry-run", "--set", "train.steps=7"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert ["variant", "seed", "run_id", "status", "overrides"] in [line.split() for line in lines]
    assert "6 runs = 3 variants x 2 seeds; 6 to run" in out
    assert any(line.startswith("analysis plan: 2 seeds per variant vs 2 baseline seeds") for line in lines)
    tasks = plan_runs(load_sweep_spec(file, {"train.steps": 7}), tmp_path)
    rows = {line.split()[2]: line for line in lines if len(line.split()) > 3 and line.split()[2] in
            {t.run_id for t in tasks}}
    assert list(rows) == [t.run_id for t in tasks]  # one row per run, in plan order
    for task in tasks:
        assert rows[task.run_id].split()[:2] == [task.variant, str(task.seed)]
        assert ('{"model.batchnorm": "none"}' in rows[task.run_id]) == (task.variant == "no-bn")
    assert list(tmp_path.iterdir()) == []
    # Against the finished output, every run shows as done.
    assert main(["sweep", str(file), "--out", str(sweep_dir.parent), "--dry-run"]) == 0
    assert "0 to run" in capsys.readouterr().out


def test_a_second_sweep_on_the_same_output_is_refused_naming_the_holder(finished, capsys):
    file, sweep_dir = finished
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from ganlab.sweep.lock import sweep_lock\n"
         f"with sweep_lock({str(sweep_dir)!r}):\n    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert main(["sweep", str(file), "--out", str(sweep_dir.parent), "--no-report"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"pid {holder.pid} on host" in err and "in use by another" in err
    finally:
        holder.kill()
        holder.wait()


def _interruptible(sweep_dir: Path) -> bool:
    """A run is mid-way with a checkpoint on disk and another has finished into the results table."""
    states = []
    for run_json in sweep_dir.glob("runs/*/run.json"):
        try:
            states.append((json.loads(run_json.read_text())["status"],
                           (run_json.parent / "checkpoint.pt").is_file()))
        except (OSError, ValueError):
            continue
    table = sweep_dir / "results.parquet"
    return any(s == "running" and ck for s, ck in states) and table.is_file() and \
        bool((read_results(table)["status"] == "completed").any())


def _freeze_at_checkpoint_and_a_finished_run(sweep_dir: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Stop the sweep's process group at a moment when `_interruptible` holds.

    A 40-step run can finish between seeing its checkpoint and the kill, so the group is stopped first and
    the state read again while nothing can change it; if the run finished meanwhile, the sweep goes on.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep finished before it could be interrupted"
        if _interruptible(sweep_dir):
            os.killpg(proc.pid, signal.SIGSTOP)
            if _interruptible(sweep_dir):
                return
            os.killpg(proc.pid, signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("no run reached a checkpoint in time")


def test_killed_sweep_resumes_to_the_same_results_as_an_uninterrupted_one(finished, tmp_path):
    file, reference = finished
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "ganlab", "sweep", str(file), "--out", str(out),
                             "--workers", "2", "--no-report"], env=subprocess_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _freeze_at_checkpoint_and_a_finished_run(out / "resume", proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    interrupted = {p.parent.name: json.loads(p.read_text()) for p in (out / "resume").glob("runs/*/run.json")}
    # With two workers the other running run may have been killed before its first checkpoint; only runs
    # that had one when killed must resume from it.
    partial = [rid for rid, info in interrupted.items()
               if info["status"] == "running" and (out / "resume" / "runs" / rid / "checkpoint.pt").is_file()]
    assert partial and any(info["status"] == "completed" for info in interrupted.values())
    mid_table = read_results(out / "resume")  # the table survived the kill whole
    assert len(mid_table) == 6 and (mid_table["status"] == "completed").sum() >= 1

    assert main(["sweep", str(file), "--out", str(out), "--workers", "2", "--no-report"]) == 0
    resumed = read_results(out / "resume").sort_values("run_id").reset_index(drop=True)
    expected = read_results(reference).sort_values("run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(resumed.drop(columns=TIME_COLUMNS), expected.drop(columns=TIME_COLUMNS))
    for rid in partial:
        info = json.loads((out / "resume" / "runs" / rid / "run.json").read_text())
        assert info["resumed_from"], f"run {rid} restarted instead of resuming from its checkpoint"
    for row in expected.itertuples():
        a = pd.read_parquet(out / "resume" / row.run_dir / "metrics.parquet").drop(columns=["time_s"])
        b = pd.read_parquet(reference / row.run_dir / "metrics.parquet").drop(columns=["time_s"])
        pd.testing.assert_frame_equal(a, b)


def test_crashing_and_dying_runs_are_errors_and_the_sweep_goes_on(tmp_path, capsys):
    data = tiny_sweep(name="crash", variants={"boom": {"model.generator": "tests.sweep.boom:make"},
                                              "killed": {"model.generator": "tests.sweep.boom:die"},
                                              "diverges": {"train.lr_d": 1e8, "train.lr_g": 1e8,
                                                           "model.g_output": "linear", "model.batchnorm": "none"}})
    file = write_sweep(tmp_path / "crash.yaml", data)
    assert main(["sweep", str(file), "--out", str(tmp_path / "out"), "--workers", "2", "--no-report"]) == 3
    out = capsys.readouterr().out
    sweep_dir = tmp_path / "out" / "crash"
    table = read_results(sweep_dir).set_index("variant")
    assert table.loc["baseline", "status"] == "completed"
    assert table.loc["diverges", "status"] == "failed"  # NaNs stopped it: a result, not an error
    assert "non_finite" in table.loc["diverges", "stop_reason"] and pd.isna(table.loc["diverges", "error"])
    assert table.loc["boom", "status"] == "error" and table.loc["killed", "status"] == "error"
    assert "RuntimeError: boom: this generator factory always fails" in table.loc["boom", "error"]
    assert "SIGKILL" in table.loc["killed", "error"]
    boom_log = (sweep_dir / table.loc["boom", "log_path"]).read_text()
    assert "Traceback" in boom_log and "boom: this generator factory always fails" in boom_log
    assert "worker process died with SIGKILL" in (sweep_dir / table.loc["killed", "log_path"]).read_text()
    assert table.loc["boom", "steps_done"] == 0 and table.loc["baseline", "steps_done"] == 20
    assert "killed seed 0: error" in out and "sweep crash: 4 runs (1 completed, 1 failed, 2 error)" in out


def test_only_errors_make_the_exit_code_nonzero(tmp_path):
    from ganlab.sweep.runner import SweepResult

    def result(*statuses):
        return SweepResult(tmp_path, pd.DataFrame({"status": list(statuses)}), len(statuses), 0)

    assert result("completed", "failed").exit_code == 0
    assert result("completed", "failed", "error").exit_code == 3 and result("error").n_errors == 1
