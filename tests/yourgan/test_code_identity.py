"""Item 1 of issue 18: a run's id holds the code it trains, so changed code never reuses old runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

import ganlab
from ganlab.config import validate
from ganlab.train import run_id
from tests.badinput.helpers import cli
from tests.yourgan.conftest import edit, team_config


def _id(repo: Path, **model: object) -> str:
    sys.path.insert(0, str(repo))  # the fixture restores sys.path
    return run_id(validate(team_config(repo / "images", **model)))


def test_editing_the_model_module_changes_the_run_id(team_repo: Path) -> None:
    before = _id(team_repo)
    assert _id(team_repo) == before  # unchanged code: the same run
    edit(team_repo / "mygan" / "models.py", "use_bn=True", "use_bn=False")
    after = _id(team_repo)
    assert after != before
    edit(team_repo / "mygan" / "models.py", "use_bn=False", "use_bn=True")
    assert _id(team_repo) == before  # the same bytes again: the same id (content, not file times)


def test_a_local_file_the_module_imports_is_part_of_the_id(team_repo: Path) -> None:
    before = _id(team_repo)
    edit(team_repo / "mygan" / "init.py", "0.02)\n", "0.05)\n")  # weights_init, imported by models.py
    assert _id(team_repo) != before


def test_local_code_outside_the_package_is_followed(team_repo: Path) -> None:
    (team_repo / "layers.py").write_text("SLOPE = 0.2\n")
    edit(team_repo / "mygan" / "models.py", "from mygan.init import weights_init\n",
         "from mygan.init import weights_init\nimport layers  # noqa: F401\n")
    before = _id(team_repo)
    (team_repo / "layers.py").write_text("SLOPE = 0.1\n")
    assert _id(team_repo) != before


def test_a_moved_checkout_keeps_its_run_ids(team_repo: Path, tmp_path: Path) -> None:
    import shutil

    before = _id(team_repo)
    moved = tmp_path / "elsewhere"
    shutil.copytree(team_repo / "mygan", moved / "mygan", ignore=shutil.ignore_patterns("__pycache__"))
    for name in [m for m in sys.modules if m == "mygan" or m.startswith("mygan.")]:
        del sys.modules[name]
    sys.path.remove(str(team_repo))
    sys.path.insert(0, str(moved))
    assert run_id(validate(team_config(team_repo / "images"))) == before


def test_code_version_replaces_the_hash(team_repo: Path) -> None:
    declared = _id(team_repo, code_version="v1")
    edit(team_repo / "mygan" / "models.py", "use_bn=True", "use_bn=False")
    assert _id(team_repo, code_version="v1") == declared  # the team vouches for it
    assert _id(team_repo, code_version="v2") != declared


def test_ganlab_version_is_part_of_the_id(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _id(team_repo)
    monkeypatch.setattr(ganlab, "__version__", "99.0")
    assert _id(team_repo) != before
    builtin = validate({"data": {"dataset": "digits", "resolution": 16}})
    changed = run_id(builtin)
    monkeypatch.setattr(ganlab, "__version__", "99.1")
    assert run_id(builtin) != changed  # ganlab's own DCGAN too


def test_unhashable_code_asks_for_code_version(team_repo: Path) -> None:
    from ganlab.errors import ConfigError

    with pytest.raises(ConfigError, match="model.generator: cannot find the source of 'nowhere.models'.*code_version"):
        run_id(validate({"model": {"generator": {"_target_": "nowhere.models.G", "nz": 4}}}))
    assert run_id(validate({"model": {"generator": {"_target_": "nowhere.models.G", "nz": 4},
                                      "code_version": "1.2"}}))


def _sweep_file(repo: Path) -> Path:
    path = repo / "ci.yaml"
    path.write_text(yaml.safe_dump({"name": "ci", "seeds": 1, "base": team_config(repo / "images"),
                                    "variants": {"no-bn": {"model.generator.use_bn": False}}}, sort_keys=False))
    return path


def test_sweep_retrains_changed_code_and_says_why(team_repo: Path, tmp_path: Path) -> None:
    path, out = _sweep_file(team_repo), tmp_path / "out"
    code, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-report")
    assert code == 0, err
    runs = sorted(p.name for p in (out / "ci" / "runs").iterdir())
    assert len(runs) == 2
    code, err, _ = cli("sweep", path, "--out", out, "--workers", "1", "--no-report")
    assert code == 0 and "2 of 2 runs already finished" in err and "retraining" not in err, err

    edit(team_repo / "mygan" / "models.py", "nn.ReLU(True),\n            # state size. (ngf) x 16",
         "nn.LeakyReLU(0.2, True),\n            # state size. (ngf) x 16")
    code, err, _ = cli("sweep", path, "--out", out, "--workers", "1", "--no-report")  # notes go to stdout
    assert code == 0, err
    reasons = [line for line in err.splitlines() if "retraining" in line]
    assert len(reasons) == 2, err
    for variant in ("baseline", "no-bn"):
        assert any(f"({variant}, seed 0): code of mygan.models changed" in line for line in reasons), reasons
    assert len(list((out / "ci" / "runs").iterdir())) == 4  # the old runs are kept, not reused


def test_check_retrains_after_batchnorm_is_removed_in_the_team_code(team_repo: Path, tmp_path: Path) -> None:
    """The issue's false PASS: the YAML unchanged, G's batchnorm removed in the team's own code; `check` on
    the same --out must train the changed G again instead of reporting the old runs as finished."""
    path, out = team_repo / "check.yaml", tmp_path / "ci-out"
    path.write_text(yaml.safe_dump({"name": "ci", "seeds": 1, "base": team_config(team_repo / "images"),
                                    "variants": {}, "check": {"must_be_stable": ["baseline"]}}, sort_keys=False))
    code, out_text, err = cli("check", path, "--out", out, "--update-baseline", "--workers", "1")
    assert code == 0, err
    code, out_text, err = cli("check", path, "--out", out, "--workers", "1")
    err = out_text + err  # progress notes and the summary
    assert code == 0 and "1 of 1 runs already finished" in err, err
    runs = out / "ci" / "runs"
    before = {p.name for p in runs.iterdir()}

    edit(team_repo / "mygan" / "models.py", "return nn.BatchNorm2d(c) if use_bn else nn.Identity()",
         "return nn.Identity()")
    code, out_text, err = cli("check", path, "--out", out, "--workers", "1")
    err = out_text + err  # progress notes and the summary
    assert "already finished" not in err, err
    assert "(baseline, seed 0): code of mygan.models changed" in err and "retraining" in err, err
    after = {p.name for p in runs.iterdir()}
    assert len(after - before) == 1 and before <= after  # a new run for the new code; the old one kept
    assert code in (0, 1), err  # a verdict on the new runs (3 steps decide nothing about stability)
