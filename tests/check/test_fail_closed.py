"""Issue 21 item 2: the gate fails closed. Whatever cannot be compared is a regression (exit 1) or a usage
error (exit 2, one line), never a PASS: NaN/Infinity in a baseline, a NaN or bool tolerance, a `check:`
holding no mapping, a variant missing on either side, a gated metric without values, a NaN comparison.
Issue 21 item 3 and issue 18 item 5: `--update-baseline` checks where the baseline goes before training,
and refuses to record a baseline that breaks `must_be_stable` or lacks a gated metric.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from ganlab.check import CheckSettings, compare
from ganlab.check.spec import load_check
from ganlab.metrics import HIGHER_IS_BETTER
from tests.badinput.helpers import CHECK, assert_one_line_error, cli, write
from tests.check.test_compare import baseline, variant

GATED = CHECK + "  tolerances: {modes: 2, kl: '50%'}\n"
# The fake sweep below writes no run logs to calibrate levels on or rediagnose (tests/check/test_levels.py does)
UNCALIBRATED = GATED + "  calibrate_levels: false\n"
VARIANTS = ("baseline", "relu")


def results_frame(metrics: dict[str, dict[str, list[float]]] | None = None,
                  events: dict[tuple[str, int], str] | None = None) -> pd.DataFrame:
    """A results table of 2 seeds per variant, as ``run_sweep`` returns it."""
    metrics = metrics or {}
    rows = []
    for name in VARIANTS:
        for seed in (0, 1):
            row: dict[str, Any] = {"variant": name, "seed": seed, "status": "completed",
                                   "event_kinds": (events or {}).get((name, seed), "")}
            for metric, values in metrics.get(name, {"modes": [9.0, 9.0], "kl": [0.2, 0.2]}).items():
                row[f"metric_{metric}"] = values[seed]
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """``run_sweep`` replaced by one that records it was called and returns ``state['results']``."""
    from ganlab.sweep import runner

    state: dict[str, Any] = {"calls": 0, "results": results_frame()}

    def fake_run_sweep(sweep: Any, out: Any, **_: Any) -> SimpleNamespace:
        state["calls"] += 1
        return SimpleNamespace(results=state["results"], sweep_dir=Path(out) / sweep.name)

    monkeypatch.setattr(runner, "run_sweep", fake_run_sweep)
    return state


def good_baseline(check_file: Path, **metric_values: Any) -> dict[str, Any]:
    values = {"modes": [9.0, 9.0], "kl": [0.2, 0.2], **metric_values}
    entry = {"n_runs": 2, "seeds": [0, 1], "runs_with_event": {}, "runs_by_seed_events": {"0": [], "1": []},
             "metrics": values}
    return {"format": 1, "check": "fz", "definition_hash": load_check(check_file).definition_hash,
            "ganlab_version": "0", "created_at": "now", "variants": {v: copy.deepcopy(entry) for v in VARIANTS}}


def run_gate(tmp_path: Path, base: dict[str, Any] | str, check_text: str = GATED) -> tuple[int, str, str]:
    check_file = write(tmp_path / "c.yaml", check_text)
    text = base if isinstance(base, str) else json.dumps(base)
    write(tmp_path / "c-baseline.json", text)
    return cli("check", check_file, "--out", tmp_path / "runs")


def test_the_fixture_baseline_passes(tmp_path: Path, no_training: dict[str, Any]) -> None:
    base = good_baseline(write(tmp_path / "c.yaml", GATED))
    code, out, _ = run_gate(tmp_path, base)
    assert code == 0 and "PASS" in out and no_training["calls"] == 1


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda b: b["variants"]["baseline"]["metrics"].update(modes=[float("nan")] * 2), "modes.0"),
    (lambda b: b["variants"]["relu"]["metrics"].update(kl=[float("inf"), 0.1]), "kl.0"),
    (lambda b: b["variants"]["relu"]["metrics"].update(kl=[0.1, float("-inf")]), "kl.1"),
    (lambda b: b["variants"]["relu"]["metrics"].update(modes=[True, True]), "modes.0"),
    (lambda b: b["variants"]["relu"]["metrics"].update(modes=[]), "modes"),
    (lambda b: b["variants"]["relu"]["metrics"].update(modes=[1e400, 1.0]), "modes.0"),  # json: Infinity
    (lambda b: b["variants"].pop("relu"), "lacks variant(s) 'relu'"),
    (lambda b: b["variants"].update(extra=b["variants"]["relu"]), "not in the check file 'extra'"),
    (lambda b: b["variants"]["relu"]["metrics"].pop("kl"), "variant 'relu' has no baseline values of kl"),
    (lambda b: b["variants"]["relu"].update(n_runs=0, seeds=[], runs_by_seed_events={}), "n_runs"),
    (lambda b: b["variants"]["relu"].update(n_runs=True), "n_runs"),
    (lambda b: b["variants"]["relu"].update(seeds=[0, 0]), "distinct seeds"),
    (lambda b: b["variants"]["relu"].update(runs_with_event={"non_finite": 1}), "disagrees"),
])
def test_a_baseline_that_would_switch_the_gate_off_is_refused_before_training(
        tmp_path: Path, no_training: dict[str, Any], edit: Any, needle: str) -> None:
    base = good_baseline(write(tmp_path / "c.yaml", GATED))
    edit(base)
    line = assert_one_line_error(run_gate(tmp_path, base), "c-baseline.json", needle)
    assert "--update-baseline" in line
    assert no_training["calls"] == 0


def test_nan_written_as_json_literals_is_refused(tmp_path: Path, no_training: dict[str, Any]) -> None:
    base = good_baseline(write(tmp_path / "c.yaml", GATED))
    text = json.dumps(base).replace("[9.0, 9.0]", "[NaN, NaN]", 1).replace("[0.2, 0.2]", "[Infinity, 1]", 1)
    assert "NaN" in text and "Infinity" in text
    assert_one_line_error(run_gate(tmp_path, text), "finite number")
    assert no_training["calls"] == 0


@pytest.mark.parametrize(("section", "needle"), [
    ("check:\n  tolerances: {modes: .nan}\n", "tolerance of modes must be a finite number"),
    ("check:\n  tolerances: {modes: .inf}\n", "tolerance of modes must be a finite number"),
    ("check:\n  tolerances: {modes: true}\n", "got True"),
    ("check:\n  tolerances: {kl: '9999999999999999999999999999999999999999999999999999999999999999999999999999"
     "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
     "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"
     "99999999999999999999999999999999%'}\n", "tolerance of kl"),
    ("check:\n  alpha: true\n", "check.alpha"),
    ("check:\n  alpha: .nan\n", "check.alpha"),
    ("check: 0\n", "check: must be a mapping of settings, got 0"),
    ("check: false\n", "got False"),
    ("check: ''\n", "got ''"),
    ("check: []\n", "got []"),
    ("check:\n", "got None"),
])
def test_a_check_section_that_would_switch_the_gate_off_is_one_line(tmp_path: Path, no_training: dict[str, Any],
                                                                    section: str, needle: str) -> None:
    check_file = write(tmp_path / "c.yaml", CHECK.split("check:")[0] + section)
    assert_one_line_error(cli("check", check_file, "--out", tmp_path / "runs"), needle)
    assert no_training["calls"] == 0


@pytest.mark.parametrize(("metrics", "needle"), [
    ({"modes": [float("nan"), float("nan")], "kl": [0.2, 0.2]}, "modes: no finite value in this run"),
    ({"modes": [float("inf"), float("inf")], "kl": [0.2, 0.2]}, "modes: no finite value in this run"),
    ({"kl": [0.2, 0.2]}, "modes: no finite value in this run"),
])
def test_a_gated_metric_missing_now_is_a_regression(tmp_path: Path, no_training: dict[str, Any],
                                                    metrics: dict[str, list[float]], needle: str) -> None:
    base = good_baseline(write(tmp_path / "c.yaml", GATED))
    no_training["results"] = results_frame({"relu": metrics})
    code, out, _ = run_gate(tmp_path, base)
    assert code == 1 and "REGRESSION" in out and needle in out


def test_a_variant_without_finished_runs_now_is_a_regression(tmp_path: Path, no_training: dict[str, Any]) -> None:
    base = good_baseline(write(tmp_path / "c.yaml", GATED))
    frame = results_frame()
    no_training["results"] = frame[frame["variant"] != "relu"]
    code, out, _ = run_gate(tmp_path, base)
    assert code == 1 and "no run of it finished now" in out


def test_a_comparison_that_overflows_to_nan_is_a_regression() -> None:
    # mean of [1e308, 1e308] is inf on both sides: inf - inf is NaN, and NaN > tolerance was False (a pass)
    settings = CheckSettings(must_be_stable=(), tolerances={"kl": 0.1})
    (v,) = compare({"v": variant(2, metrics={"kl": [1e308, 1e308]})},
                   baseline(v=variant(2, metrics={"kl": [1e308, 1e308]})), settings, HIGHER_IS_BETTER)
    assert not v.passed and "kl mean inf" in v.regressions[0]


def test_a_partly_missing_metric_is_noted() -> None:
    settings = CheckSettings(must_be_stable=(), tolerances={"kl": 0.1})
    (v,) = compare({"v": variant(3, metrics={"kl": [0.2]})}, baseline(v=variant(3, metrics={"kl": [0.2]})),
                   settings, HIGHER_IS_BETTER)
    assert v.passed and "mean over the 1 of 3 finished runs" in v.notes[0]


# item 3: where the baseline goes is checked before any training
@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_update_baseline_to_an_unwritable_place_fails_before_training(tmp_path: Path, no_training: dict[str, Any],
                                                                      where: str) -> None:
    check_file = write(tmp_path / "c.yaml", GATED)
    target = tmp_path / "dir"
    target.mkdir()
    if where == "under-a-file":
        target = write(tmp_path / "file", "x") / "b.json"
    result = cli("check", check_file, "--update-baseline", "--baseline", target, "--out", tmp_path / "runs")
    assert_one_line_error(result, "--baseline", str(target))
    assert no_training["calls"] == 0


# issue 18 item 5: --update-baseline does not record an unstable or incomplete baseline
def test_update_baseline_refuses_events_in_a_must_be_stable_variant(tmp_path: Path,
                                                                   no_training: dict[str, Any]) -> None:
    check_file = write(tmp_path / "c.yaml", UNCALIBRATED)
    no_training["results"] = results_frame(events={("baseline", 1): "non_finite,d_dominance",
                                                   ("relu", 0): "oscillation"})
    code, out, err = cli("check", check_file, "--update-baseline", "--out", tmp_path / "runs")
    assert code == 1 and no_training["calls"] == 1
    assert not (tmp_path / "c-baseline.json").exists()
    (line,) = err.splitlines()
    assert "baseline not written" in line and "'baseline'" in line and "seed 1 (non_finite, d_dominance)" in line
    assert "relu" not in line  # not must_be_stable
    assert "must be stable, but seed 1 shows non_finite" in out


def test_update_baseline_allows_allowed_kinds(tmp_path: Path, no_training: dict[str, Any]) -> None:
    check_file = write(tmp_path / "c.yaml", UNCALIBRATED)
    no_training["results"] = results_frame(events={("baseline", 1): "oscillation"})  # CHECK allows oscillation
    code, _, err = cli("check", check_file, "--update-baseline", "--out", tmp_path / "runs")
    assert (code, err) == (0, "")
    written = json.loads((tmp_path / "c-baseline.json").read_text())
    assert written["variants"]["baseline"]["runs_with_event"] == {"oscillation": 1}


def test_update_baseline_refuses_a_gated_metric_without_values(tmp_path: Path, no_training: dict[str, Any]) -> None:
    check_file = write(tmp_path / "c.yaml", UNCALIBRATED)
    no_training["results"] = results_frame({"relu": {"modes": [float("nan")] * 2, "kl": [0.2, 0.2]}})
    code, _, err = cli("check", check_file, "--update-baseline", "--out", tmp_path / "runs")
    assert code == 1 and not (tmp_path / "c-baseline.json").exists()
    assert "variant 'relu' has no finite modes" in err and err.count("\n") == 1
