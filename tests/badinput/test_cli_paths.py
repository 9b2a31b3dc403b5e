"""Where `ganlab sweep` writes its report, and the config schema as a leaf module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ganlab.errors import ConfigError
from tests.badinput.helpers import SWEEP, cli, write


@pytest.mark.parametrize("use_out", [False, True])
def test_sweep_report_goes_under_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_out: bool) -> None:
    import ganlab.report
    import ganlab.sweep.runner
    from ganlab.sweep.runner import SweepResult

    calls: dict[str, object] = {}

    def fake_run_sweep(spec: object, out: Path, **kwargs: object) -> SweepResult:
        calls["out"] = out
        return SweepResult(sweep_dir=Path(out).absolute() / "fz", results=pd.DataFrame({"status": ["completed"]}),
                           n_runs=1, n_skipped=0)

    def fake_build_report(sweep_dir: Path, out_html: Path, baseline: str | None = None) -> Path:
        calls["html"] = out_html
        return out_html

    monkeypatch.setattr(ganlab.sweep.runner, "run_sweep", fake_run_sweep)
    monkeypatch.setattr(ganlab.report, "build_report", fake_build_report)
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path / "sweep.yaml", SWEEP)
    out = tmp_path / "elsewhere"
    code, stdout, _ = cli("sweep", path, *(["--out", out] if use_out else []))
    assert code == 0
    if use_out:
        assert (calls["out"], calls["html"]) == (out, out / "reports" / "fz.html")
    else:  # the main job's documented default: runs/<name> and reports/<name>.html in the current folder
        assert (calls["out"], calls["html"]) == (Path("runs"), Path("reports") / "fz.html")
    assert f"report: {calls['html']}" in stdout


def test_importing_the_config_imports_neither_torch_nor_the_data() -> None:
    code = ("import sys, ganlab.config, ganlab.config.schema, ganlab.config.load; "
            "bad = [m for m in ('torch', 'ganlab.data', 'ganlab.losses', 'ganlab.models') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_run_dir_config_can_be_read_without_torch(tmp_path: Path) -> None:
    """``load_config`` (what ``diagnose`` and ``score`` read a run's config.yaml with) imports no torch; the
    registry names are looked up only by ``load_run_config``, for a config about to be trained."""
    config = write(tmp_path / "config.yaml", "data: {dataset: gausian-grid}\ndiagnostics: {patience: 7}\n")
    code = ("import sys; from ganlab.config import load_config; "
            f"c = load_config({str(config)!r}); assert c.diagnostics.patience == 7; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    from ganlab.train.load import load_run_config

    with pytest.raises(ConfigError, match=r"config.yaml:1: data.dataset = 'gausian-grid': unknown dataset; "
                                          r"did you mean 'gaussian-grid'"):
        load_run_config(config)
