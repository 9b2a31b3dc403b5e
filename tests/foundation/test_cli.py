"""End-to-end CLI runs: `python -m ganlab`, `ganlab train`, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import yaml

from ganlab.cli.main import main

TINY = {
    "data": {"dataset": "digits", "resolution": 16},
    "model": {"width": 16, "nz": 8},
    "train": {"steps": 6, "batch_size": 8, "checkpoint_every": 3},
    "diagnostics": {"enabled": False},
    "output": {"samples": 4},
}


def write_config(tmp_path, data=TINY):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_python_dash_m_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "ganlab", "--help"], capture_output=True, text=True, check=True)
    assert "train" in out.stdout


def test_train_writes_a_run_and_stays_quiet_off_a_terminal(tmp_path):
    cfg = write_config(tmp_path)
    out = subprocess.run([sys.executable, "-m", "ganlab", "train", str(cfg), "--out", str(tmp_path / "runs"),
                          "--set", "model.batchnorm=none", "--device", "cpu"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "" and out.stdout.startswith("completed: ")
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["model"]["batchnorm"] == "none"


def test_config_typo_is_one_line_exit_2(tmp_path, capsys):
    bad = dict(TINY, model={"width": 16, "batchnrom": "none"})
    code = main(["train", str(write_config(tmp_path, bad))])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "did you mean 'model.batchnorm'" in err and "tiny.yaml:" in err


def test_bad_data_path_is_one_line_exit_2(tmp_path, capsys):
    bad = dict(TINY, data={"dataset": "folder", "path": str(tmp_path / "nowhere")})
    assert main(["train", str(write_config(tmp_path, bad))]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
