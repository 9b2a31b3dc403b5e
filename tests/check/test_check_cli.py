"""`ganlab check` end to end on a tiny check file: baseline creation, pass, regression, errors, outputs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ganlab.cli.main import main

REPO = Path(__file__).resolve().parents[2]

CHECK = {
    "name": "tiny-check",
    "seeds": 2,
    "base": {
        "data": {"dataset": "digits", "resolution": 16},
        "model": {"width": 16, "nz": 16},
        "train": {"steps": 60, "batch_size": 16, "checkpoint_every": 60, "device": "cpu"},
        "diagnostics": {"eval_every": 30, "eval_samples": 200, "final_samples": 500},
        "output": {"samples": 4},
    },
    "variants": {"relu-d": {"model.d_activation": "relu"}},
    "check": {"must_be_stable": ["baseline"], "tolerances": {"modes": 3}},
}


@pytest.fixture(scope="module")
def check_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("check")
    (root / "tiny.yaml").write_text(yaml.safe_dump(CHECK))
    code = main(["check", str(root / "tiny.yaml"), "--update-baseline", "--out", str(root / "runs")])
    assert code == 0
    return root


def test_update_baseline_writes_a_baseline_beside_the_file(check_dir):
    baseline = json.loads((check_dir / "tiny-baseline.json").read_text())
    assert set(baseline["variants"]) == {"baseline", "relu-d"} and baseline["variants"]["baseline"]["n_runs"] == 2
    assert baseline["definition_hash"]


def test_update_baseline_stores_the_levels_the_rule_makes_of_the_baseline_logs(check_dir):
    """Issue 18 item 4: recomputed here in float64 numpy from the baseline variant's own metrics logs."""
    import numpy as np
    import pandas as pd

    from tests.check.test_levels import SHARES, numpy_levels

    sweep_dir = check_dir / "runs" / "tiny-check"
    results = pd.read_parquet(sweep_dir / "results.parquet")
    logs = [pd.read_parquet(sweep_dir / d / "metrics.parquet") for d in results.loc[results.variant == "baseline",
                                                                                    "run_dir"]]
    stored = json.loads((check_dir / "tiny-baseline.json").read_text())
    assert stored["format"] == 2 and stored["levels"]["runs"] == 2 == len(logs)
    expected = numpy_levels(logs, SHARES)
    assert stored["levels"]["levels"].keys() == expected.keys()
    np.testing.assert_allclose([stored["levels"]["levels"][k] for k in expected], list(expected.values()), rtol=1e-12)
    assert stored["levels"]["evaluations"] == sum(int(log["eval_diversity"].notna().sum()) for log in logs)


def test_check_says_which_levels_it_diagnosed_with_and_from_where(check_dir, capsys):
    code = main(["check", str(check_dir / "tiny.yaml"), "--out", str(check_dir / "runs")])
    out = capsys.readouterr().out
    assert code == 0
    (line,) = [x for x in out.splitlines() if x.startswith("Collapse levels:")]
    assert "rule healthy-baseline-v2: calibrated on 2 run(s) of baseline" in line and line.endswith("from the baseline")


def test_a_level_set_on_the_command_line_is_named_as_replaced(check_dir, capsys):
    code = main(["check", str(check_dir / "tiny.yaml"), "--out", str(check_dir / "runs-set"),
                 "--set", "diagnostics.collapse_partial_dup_rate=0.2"])
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("Collapse levels:")]
    assert code in (0, 1)
    assert line.endswith("from the baseline; they replace --set diagnostics.collapse_partial_dup_rate")


def test_unchanged_code_passes_without_retraining(check_dir, capsys):
    md, junit = check_dir / "summary.md", check_dir / "junit.xml"
    code = main(["check", str(check_dir / "tiny.yaml"), "--out", str(check_dir / "runs"),
                 "--markdown", str(md), "--junit-xml", str(junit)])
    captured = capsys.readouterr()
    assert code == 0 and "PASS" in captured.out
    assert "4 of 4 runs already finished" in captured.out + captured.err
    cases = ET.parse(junit).getroot().findall("testcase")
    assert [c.get("name") for c in cases] == ["baseline", "relu-d"]
    assert not any(c.find("failure") is not None for c in cases)
    assert md.read_text().startswith("## ganlab check `tiny-check`: PASS")


def test_a_destabilising_change_fails_with_exit_1_and_names_it(check_dir, capsys):
    md, junit = check_dir / "bad.md", check_dir / "bad.xml"
    code = main(["check", str(check_dir / "tiny.yaml"), "--out", str(check_dir / "runs-bad"),
                 "--set", "train.lr_d=1e12", "--set", "train.lr_g=1e12",
                 "--markdown", str(md), "--junit-xml", str(junit)])
    assert code == 1
    text = md.read_text()
    assert "REGRESSION" in text and "must be stable, but seed 0 shows non_finite" in text
    failure = ET.parse(junit).getroot().find("testcase[@name='baseline']/failure")
    assert failure is not None and "non_finite" in failure.get("message")


def test_errored_runs_exit_3(check_dir):
    code = main(["check", str(check_dir / "tiny.yaml"), "--out", str(check_dir / "runs-err"),
                 "--set", "model.generator=tests.sweep.boom:make"])
    assert code == 3


def test_a_baseline_from_another_definition_is_refused(check_dir, tmp_path, capsys):
    edited = dict(CHECK, seeds=3)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(edited))
    code = main(["check", str(tmp_path / "tiny.yaml"), "--baseline", str(check_dir / "tiny-baseline.json")])
    err = capsys.readouterr().err
    assert code == 2 and "another check definition" in err and "--update-baseline" in err


@pytest.mark.parametrize("check,match", [
    ({"must_be_stable": ["nope"]}, "unknown variant"),
    ({"tolerances": {"fid": 1}}, "unknown metric 'fid'"),
    ({"tolerances": {"kl": "ten percent"}}, "percentage"),
    ({"must_be_stabel": []}, "unknown key 'check.must_be_stabel'"),
])
def test_bad_check_sections_are_one_line_errors(tmp_path, capsys, check, match):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(dict(CHECK, check=check)))
    assert main(["check", str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1


def test_missing_baseline_says_how_to_create_it(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(CHECK))
    assert main(["check", str(tmp_path / "c.yaml")]) == 2
    assert "--update-baseline" in capsys.readouterr().err


def test_the_shipped_example_passes_against_its_committed_baseline(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["check", "ablations/ci.yaml", "--out", str(tmp_path)]) == 0


@pytest.mark.parametrize("variants,match", [
    ({}, "variants: Dictionary should have at least 1 item"),
    ("oops", "variants: Input should be a valid dictionary"),
    ({"baseline": {"n_runs": 2}}, "variants.baseline.seeds: Field required"),
    ({"baseline": {"n_runs": 2, "seeds": [0, 1], "runs_with_event": {"non_finite": 3}, "runs_by_seed_events": {},
                   "metrics": {}}}, "between 0 and n_runs=2"),
    ({"baseline": {"n_runs": "two", "seeds": [], "runs_with_event": {}, "runs_by_seed_events": {},
                   "metrics": {}}}, "variants.baseline.n_runs"),
    ({"baseline": {"n_runs": 2, "seeds": [0, 1], "runs_with_event": [], "runs_by_seed_events": {},
                   "metrics": {"modes": [1, "x"]}}}, "variants.baseline.runs_with_event"),
])
def test_a_malformed_baseline_with_the_right_hash_is_refused_before_training(check_dir, tmp_path, capsys,
                                                                             variants, match):
    good = json.loads((check_dir / "tiny-baseline.json").read_text())
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(CHECK))
    bad = tmp_path / "bad-baseline.json"
    bad.write_text(json.dumps(dict(good, variants=variants)))
    code = main(["check", str(tmp_path / "tiny.yaml"), "--baseline", str(bad), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(bad) in err and match in err, err
    assert not (tmp_path / "runs").exists()  # refused before any training


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"variants": ' * 50_000 + "1" + "}" * 50_000,
                                  "", "\xff\xfe not json"])
def test_an_unreadable_or_deeply_nested_baseline_is_one_line(tmp_path, capsys, text):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(CHECK))
    bad = tmp_path / "bad-baseline.json"
    bad.write_bytes(text.encode("latin-1"))
    code = main(["check", str(tmp_path / "tiny.yaml"), "--baseline", str(bad), "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not a" in err and str(bad) in err, err[:300]
    assert not (tmp_path / "runs").exists()
