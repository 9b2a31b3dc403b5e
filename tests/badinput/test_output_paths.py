"""Issue 21 item 4: an output path that cannot be written is one line on stderr, exit 2, naming the path and
why, before any training (it used to end in NotADirectoryError/IsADirectoryError after the work)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.errors import OutputError
from ganlab.io import check_output_dir, check_output_file
from tests.badinput.helpers import CHECK, RUN_CONFIG, SWEEP, assert_one_line_error, cli, write


def _nothing_trained(root: Path, before: set[Path]) -> None:
    """No new file anywhere under ``root`` (no run directory, no lock, no probe left behind)."""
    assert set(root.rglob("*")) == before, set(root.rglob("*")) - before


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    return write(tmp_path / "taken.txt", "a file, not a folder\n")


def test_train_out_naming_a_file(tmp_path, a_file):
    config = write(tmp_path / "run.yaml", RUN_CONFIG)
    before = set(tmp_path.rglob("*"))
    assert_one_line_error(cli("train", config, "--out", a_file), "--out", str(a_file), "is a file, not a folder")
    _nothing_trained(tmp_path, before)


def test_train_output_dir_under_a_file(tmp_path, a_file):
    config = write(tmp_path / "run.yaml", RUN_CONFIG + f"output: {{dir: '{a_file}/runs'}}\n")
    before = set(tmp_path.rglob("*"))
    assert_one_line_error(cli("train", config), "output.dir", f"{a_file}/runs", f"{a_file} is a file")
    assert_one_line_error(cli("train", config, "--dry-run"), "output.dir")  # the dry run no longer says valid
    _nothing_trained(tmp_path, before)


def test_sweep_out_naming_a_file_and_a_report_folder_in_the_way(tmp_path, a_file):
    sweep = write(tmp_path / "s.yaml", SWEEP)
    before = set(tmp_path.rglob("*"))
    assert_one_line_error(cli("sweep", sweep, "--out", a_file), "--out", str(a_file), "is a file, not a folder")
    (tmp_path / "out" / "reports" / "fz.html").mkdir(parents=True)  # the report's place is a folder
    before = set(tmp_path.rglob("*"))
    assert_one_line_error(cli("sweep", sweep, "--out", tmp_path / "out"), "report", "fz.html",
                          "is a folder, not a file")
    _nothing_trained(tmp_path, before)


@pytest.mark.parametrize("option, value, why", [
    ("--out", "FILE", "is a file, not a folder"),
    ("--junit-xml", "DIR", "is a folder, not a file"),
    ("--markdown", "DIR", "is a folder, not a file"),
    ("--markdown", "/proc/x.md", "cannot create files in /proc"),
    ("--junit-xml", "FILE/x.xml", "is a file, not a folder"),
])
def test_check_outputs(tmp_path, a_file, option, value, why):
    check = write(tmp_path / "c.yaml", CHECK)
    value = value.replace("FILE", str(a_file)).replace("DIR", str(tmp_path))
    before = set(tmp_path.rglob("*"))
    assert_one_line_error(cli("check", check, option, value, "--out", tmp_path / "runs")
                          if option != "--out" else cli("check", check, "--out", value), option, value, why)
    _nothing_trained(tmp_path, before)


def test_report_output_naming_a_folder_or_proc(tmp_path):
    from ganlab.testing.synthetic import make_sweep

    sweep_dir = make_sweep(tmp_path / "sweep", seeds=2, steps=40, checkpoint_every=20)
    (tmp_path / "r.html").mkdir()
    assert_one_line_error(cli("report", sweep_dir, "-o", tmp_path / "r.html"), str(tmp_path / "r.html"),
                          "is a folder, not a file")
    assert_one_line_error(cli("report", sweep_dir, "-o", "/proc/x.html"), "/proc/x.html")
    assert not list((tmp_path / "r.html").iterdir())


def test_the_helper_refuses_devices_nul_and_long_names_and_leaves_nothing(tmp_path):
    for bad in ("/dev/null", str(tmp_path / "a\x00b"), str(tmp_path / ("x" * 250))):
        with pytest.raises(OutputError):
            check_output_file(bad, "--markdown")
    with pytest.raises(OutputError, match="NUL"):
        check_output_dir(tmp_path / "a\x00b", "--out")
    assert check_output_dir(tmp_path / "new" / "deeper", "--out") == tmp_path / "new" / "deeper"
    assert check_output_file(tmp_path / "new" / "r.xml", "--junit-xml") == tmp_path / "new" / "r.xml"
    assert not list(tmp_path.iterdir())  # probed, not created
