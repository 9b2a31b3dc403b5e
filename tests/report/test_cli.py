"""`ganlab report`: writes the three files; bad input is one line on stderr and exit code 2."""

from __future__ import annotations

from ganlab.cli.main import main


def test_report_command_writes_html_and_summaries(sweep_dir, tmp_path, capsys):
    out = tmp_path / "r" / "sweep.html"
    assert main(["report", str(sweep_dir), "-o", str(out), "--baseline", "baseline"]) == 0
    assert out.is_file()
    assert (out.parent / "sweep.summary.md").is_file() and (out.parent / "sweep.summary.csv").is_file()
    assert f"report: {out}" in capsys.readouterr().out


def test_missing_sweep_dir_exits_2_with_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganlab: error: ") and "no such sweep directory" in err and err.count("\n") == 1


def test_unknown_baseline_exits_2(sweep_dir, tmp_path, capsys):
    assert main(["report", str(sweep_dir), "-o", str(tmp_path / "r.html"), "--baseline", "nope"]) == 2
    assert "choose one of" in capsys.readouterr().err
