"""Issue 18 item 4: `ganlab check` calibrates its collapse levels on the baseline's healthy seeds.

The rule is recomputed here in float64 numpy from the runs' logs; the levels reach the detectors (a healthy
run with duplicates on its data stops being a false alarm, a collapsed one is still caught); a format-1
baseline still loads and says it uses the configured levels; a corrupt level fails closed in one line.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.check.levels import LEVEL_KEYS, CalibratedLevels, calibrate, rediagnose, rule_levels
from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics import diagnose_path
from ganlab.schema import CONFIG_YAML, METRICS_FILE
from tests.badinput.helpers import assert_one_line_error, write
from tests.check import test_fail_closed as fail_closed
from tests.check.test_fail_closed import GATED, good_baseline, run_gate

no_training = fail_closed.no_training  # the fake sweep (a fixture): checks that must fail before any training

SHORT_LOGS = Path(__file__).parents[1] / "yourgan" / "short_logs"
DEFAULTS = DiagnosticsConfig()
SHARES = {k: float(getattr(DEFAULTS, k)) for k in LEVEL_KEYS}
# the resolved diagnostics of the short logs' 300-step runs (eval every 100): the fitted span and the duplicates rule
SHORT_RUN = {"eval_every": 100, "eval_samples": 500, "collapse_min_steps": 200, "collapse_needs_duplicates": True}


def numpy_levels(logs: list[pd.DataFrame], shares: dict[str, float]) -> dict[str, float]:
    """The rule, independently: float64 numpy over every finite evaluation of every healthy log."""
    div = np.concatenate([log["eval_diversity"].to_numpy(np.float64) for log in logs])
    dup = np.concatenate([log["eval_dup_rate"].to_numpy(np.float64) for log in logs])
    d, u = np.nanmin(div), np.nanmax(dup)
    out = {"collapse_full_diversity": shares["collapse_full_diversity"] * d,
           "collapse_partial_diversity": shares["collapse_partial_diversity"] * d,
           "collapse_partial_dup_rate": u + shares["collapse_partial_dup_rate"] * (1 - u),
           "collapse_full_dup_rate": u + shares["collapse_full_dup_rate"] * (1 - u)}
    if all("eval_manifold_share" in log for log in logs):  # each run's best; the lowest of those, over 0.8
        m = min(np.nanmax(log["eval_manifold_share"].to_numpy(np.float64)) for log in logs)
        out["quality_min_share"] = shares["quality_min_share"] * min(1.0, m / 0.8)
    return out


@given(d=st.floats(0.0, 5.0), u=st.floats(0.0, 1.0), full_div=st.floats(0.0, 0.5), gap_div=st.floats(0.0, 1.0),
       partial_dup=st.floats(0.01, 1.0), gap_dup=st.floats(0.0, 1.0), m=st.floats(0.0, 1.0), q=st.floats(0.0, 1.0))
def test_the_rule_keeps_the_levels_valid_and_ordered(d: float, u: float, full_div: float, gap_div: float,
                                                     partial_dup: float, gap_dup: float, m: float, q: float) -> None:
    shares = {"collapse_full_diversity": full_div, "collapse_partial_diversity": full_div + gap_div,
              "collapse_partial_dup_rate": partial_dup,
              "collapse_full_dup_rate": partial_dup + gap_dup * (1 - partial_dup), "quality_min_share": q}
    levels = rule_levels(shares, d, u, m)
    config = DiagnosticsConfig.model_validate(levels)  # ranges and order hold
    assert config.collapse_full_diversity <= config.collapse_partial_diversity
    assert u <= levels["collapse_partial_dup_rate"] <= levels["collapse_full_dup_rate"] <= 1.0
    assert 0.0 <= levels["quality_min_share"] <= q  # never stricter than configured
    stored = CalibratedLevels(rule="healthy-baseline-v2", variants=["baseline"], runs=1, evaluations=1,
                              lowest_diversity=d, highest_dup_rate=u, lowest_best_manifold_share=m, shares=shares,
                              levels=levels)
    assert CalibratedLevels.model_validate_json(stored.model_dump_json()) == stored


def test_a_generator_that_reads_like_real_data_keeps_the_configured_levels() -> None:
    assert rule_levels(SHARES, 1.0, 0.0, 0.8) == SHARES == rule_levels(SHARES, 1.0, 0.0, 0.97)


def _run_dir(root: Path, name: str, log: pd.DataFrame) -> str:
    run = root / "runs" / name
    run.mkdir(parents=True)
    log.to_parquet(run / METRICS_FILE)
    (run / CONFIG_YAML).write_text(yaml.safe_dump({"diagnostics": SHORT_RUN}))
    return f"runs/{name}"


@pytest.fixture
def sweep(tmp_path: Path) -> tuple[pd.DataFrame, Path, dict[str, pd.DataFrame]]:
    """Stacked-digits 300-step runs (tests/yourgan/short_logs): healthy baselines whose samples hold some
    duplicates on this data (eval_dup_rate 0.35 at every evaluation, above the default partial level 0.3),
    and no-batchnorm runs (duplicate rate 0.72-1.0)."""
    logs, rows = {}, []
    for variant, source in (("baseline", "stacked-digits-baseline"), ("no-batchnorm", "stacked-digits-no-batchnorm")):
        for seed in (0, 1, 2):
            log = pd.read_parquet(SHORT_LOGS / f"{source}-s{seed}.parquet")
            if variant == "baseline":
                log["eval_dup_rate"] = np.where(log["eval_dup_rate"].notna(), 0.35, np.nan)
            name = f"{variant}-s{seed}"
            logs[name] = log
            rows.append({"variant": variant, "seed": seed, "status": "completed", "event_kinds": "",
                         "run_dir": _run_dir(tmp_path, name, log)})
    return pd.DataFrame(rows), tmp_path, logs


def test_calibrated_levels_are_the_rule_on_the_healthy_logs(sweep) -> None:
    results, root, logs = sweep
    levels, line = calibrate(results, root, ["baseline"], DiagnosticsConfig.model_validate(SHORT_RUN))
    assert levels is not None
    expected = numpy_levels([logs[f"baseline-s{s}"] for s in (0, 1, 2)], SHARES)
    assert levels.levels.keys() == expected.keys()
    np.testing.assert_allclose([levels.levels[k] for k in expected], list(expected.values()), rtol=1e-12)
    assert (levels.runs, levels.evaluations, levels.highest_dup_rate) == (3, 9, 0.35)
    assert "3 run(s) of baseline" in line and "highest dup rate 0.35" in line
    # The short logs predate the realism gate: without eval_manifold_share its level is not calibrated.
    assert "quality_min_share" not in levels.levels and levels.lowest_best_manifold_share is None


@pytest.mark.parametrize("bests", [(0.3, 0.5, 0.9), (0.85, 0.9, 0.95), (0.02, 0.4, 0.4)])
def test_the_realism_level_follows_the_baselines_lowest_best_share(sweep, bests) -> None:
    """A baseline whose best manifold share stays below real data's 0.8 lowers quality_min_share in proportion
    (each run starts at 0 and climbs to its best: the first evaluations must not set the level)."""
    results, root, logs = sweep
    names = [f"baseline-s{s}" for s in (0, 1, 2)]
    for name, best in zip(names, bests, strict=True):
        log = logs[name]
        evals = log["eval_diversity"].notna().to_numpy()
        log["eval_manifold_share"] = np.where(evals, np.linspace(0.0, best, len(log)), np.nan)
        log.loc[np.flatnonzero(evals)[-1], "eval_manifold_share"] = best
        log.to_parquet(root / "runs" / name / METRICS_FILE)
    levels, line = calibrate(results, root, ["baseline"], DiagnosticsConfig.model_validate(SHORT_RUN))
    assert levels is not None and levels.lowest_best_manifold_share == min(bests)
    expected = numpy_levels([logs[n] for n in names], SHARES)["quality_min_share"]
    assert levels.levels["quality_min_share"] == pytest.approx(expected, rel=1e-12)
    assert levels.levels["quality_min_share"] == pytest.approx(0.1 * min(1.0, min(bests) / 0.8), rel=1e-12)
    assert f"lowest best manifold share {min(bests):.4g}" in line


def test_the_detectors_read_the_calibrated_levels(sweep) -> None:
    results, root, _ = sweep
    levels, _ = calibrate(results, root, ["baseline"], DiagnosticsConfig.model_validate(SHORT_RUN))
    assert levels is not None
    at_defaults = [{str(e.kind) for e in diagnose_path(root / d)} for d in results["run_dir"]]
    # at the default partial level 0.3 two of the healthy baselines (seeds 0, 1) read as collapsed
    assert sum("mode_collapse" in kinds for kinds in at_defaults[:3]) == 2
    assert all("mode_collapse" in kinds for kinds in at_defaults[3:])
    kinds = dict(zip(results["variant"] + results["seed"].astype(str),
                     rediagnose(results, root, levels)["event_kinds"], strict=True))
    assert kinds == {"baseline0": "", "baseline1": "", "baseline2": "", "no-batchnorm0": "mode_collapse",
                     "no-batchnorm1": "mode_collapse", "no-batchnorm2": "mode_collapse"}


def test_a_run_with_its_diagnostics_off_keeps_its_events(sweep) -> None:
    """enabled: false means no detector ran during training (events.json []); calibrated levels must not
    switch the detectors on for it."""
    results, root, _ = sweep
    levels, _ = calibrate(results, root, ["baseline"], DiagnosticsConfig.model_validate(SHORT_RUN))
    assert levels is not None
    off = root / results["run_dir"].iloc[3]  # a no-batchnorm run: collapsed
    (off / CONFIG_YAML).write_text(yaml.safe_dump({"diagnostics": {**SHORT_RUN, "enabled": False}}))
    assert "mode_collapse" in {str(e.kind) for e in diagnose_path(off, overrides=levels.overrides())}
    assert list(rediagnose(results, root, levels)["event_kinds"])[3:] == ["", "mode_collapse", "mode_collapse"]


def test_no_eval_readings_means_no_calibration(sweep) -> None:
    results, root, logs = sweep
    for name, log in logs.items():
        log.drop(columns=["eval_diversity", "eval_dup_rate"]).to_parquet(root / "runs" / name / METRICS_FILE)
    levels, line = calibrate(results, root, ["baseline"], DEFAULTS)
    assert levels is None
    assert "no eval_diversity, eval_dup_rate or eval_manifold_share reading in the 3 finished run(s)" in line


# the baseline file ---------------------------------------------------------------------------------------------


def _format_2(check_file: Path) -> dict[str, Any]:
    base = good_baseline(check_file)
    d, u, m = 0.2, 0.1, 0.5
    base.update(format=2, levels_note=None, levels={
        "rule": "healthy-baseline-v2", "variants": ["baseline"], "runs": 2, "evaluations": 4,
        "lowest_diversity": d, "highest_dup_rate": u, "lowest_best_manifold_share": m, "shares": dict(SHARES),
        "levels": rule_levels(SHARES, d, u, m)})
    return base


def test_a_format_1_baseline_still_loads_and_says_it_uses_the_configured_levels(tmp_path: Path,
                                                                                no_training: dict) -> None:
    code, out, err = run_gate(tmp_path, good_baseline(write(tmp_path / "c.yaml", GATED)))
    assert (code, err) == (0, "")
    assert ("Collapse levels: the runs' configured diagnostics levels (the baseline is format 1, which holds no "
            "calibrated levels; refresh it with --update-baseline)") in out


def test_the_shipped_example_validates() -> None:
    from ganlab.check.baseline import Baseline

    shipped = Baseline.model_validate_json((Path(__file__).parents[2] / "ablations" / "ci-baseline.json").read_text())
    # The worked example carries calibrated levels (format 2), as docs/check.md shows: each one the configured
    # share of the healthy baseline's readings (diversity: share x lowest; duplicates: highest + share x rest).
    assert shipped.format == 2 and shipped.levels is not None
    raw = json.loads((Path(__file__).parents[2] / "ablations" / "ci-baseline.json").read_text())["levels"]
    d, u, shares = raw["lowest_diversity"], raw["highest_dup_rate"], raw["shares"]
    assert 0 < d and 0 <= u < 1
    m = raw["lowest_best_manifold_share"]  # the ci runs log the realism gate's share
    assert 0 < m <= 1
    assert raw["levels"]["quality_min_share"] == pytest.approx(shares["quality_min_share"] * min(1, m / 0.8), rel=1e-12)
    for key in ("collapse_full_diversity", "collapse_partial_diversity"):
        assert raw["levels"][key] == pytest.approx(shares[key] * d, rel=1e-12)
    for key in ("collapse_partial_dup_rate", "collapse_full_dup_rate"):
        assert raw["levels"][key] == pytest.approx(u + shares[key] * (1 - u), rel=1e-12)


def _nan(base: dict) -> str:
    return json.dumps(base).replace('"collapse_partial_diversity": 0.1,', '"collapse_partial_diversity": NaN,')


@pytest.mark.parametrize(("edit", "needle"), [
    (_nan, "levels.levels.collapse_partial_diversity"),
    (lambda b: json.dumps(b).replace('"lowest_diversity": 0.2', '"lowest_diversity": Infinity'), "finite number"),
    (lambda b: b["levels"]["levels"].update(collapse_partial_dup_rate=0.2), "not what rule healthy-baseline-v2"),
    (lambda b: b["levels"]["levels"].pop("collapse_full_dup_rate"), "levels must hold exactly"),
    (lambda b: b["levels"]["shares"].update(collapse_full_diversity=0.9), "not what rule"),
    (lambda b: b["levels"].update(highest_dup_rate=1.5), "levels.highest_dup_rate"),
    (lambda b: b["levels"].update(lowest_diversity=None, highest_dup_rate=None), "levels must hold exactly"),
    (lambda b: b["levels"].update(lowest_diversity=None, highest_dup_rate=None, lowest_best_manifold_share=None),
     "no reading"),
    (lambda b: b["levels"].update(lowest_best_manifold_share=1.5), "levels.lowest_best_manifold_share"),
    (lambda b: b["levels"].update(rule="mine"), "levels.rule"),
    (lambda b: b["levels"]["levels"].update(collapse_full_diversity=True), "levels.levels.collapse_full_diversity"),
    (lambda b: b.update(levels=None), "either levels or a levels_note"),
    (lambda b: b.update(format=1), "format 1 holds no levels"),
])
def test_a_corrupt_level_fails_closed_in_one_line(tmp_path: Path, no_training: dict, edit: Any, needle: str) -> None:
    base = _format_2(write(tmp_path / "c.yaml", GATED))
    edited = copy.deepcopy(base)
    text = edit(edited)
    line = assert_one_line_error(run_gate(tmp_path, text if isinstance(text, str) else edited), "c-baseline.json",
                                 needle)
    assert "--update-baseline" in line
    assert no_training["calls"] == 0


def test_shares_out_of_order_fail_as_a_diagnostics_setting(tmp_path: Path, no_training: dict) -> None:
    base = _format_2(write(tmp_path / "c.yaml", GATED))
    shares = dict(SHARES, collapse_full_diversity=0.9)  # above the partial level
    base["levels"].update(shares=shares, levels=rule_levels(shares, 0.2, 0.1, 0.5))
    assert_one_line_error(run_gate(tmp_path, base), "c-baseline.json",
                          "collapse_full_diversity must not exceed diagnostics.collapse_partial_diversity")


@given(seed=st.integers(0, 10_000), d=st.floats(0.0, 1.0), u=st.floats(0.0, 1.0), m=st.floats(0.0, 1.0),
       collapse_from=st.integers(0, 12), short=st.booleans(), d_wins=st.booleans())
def test_levels_from_a_baseline_below_real_data_only_remove_events(seed: int, d: float, u: float, m: float,
                                                                   collapse_from: int, short: bool,
                                                                   d_wins: bool) -> None:
    """With d <= 1 and u >= 0 every calibrated level is on the collapsed side of its configured one, so the
    detectors that read them (mode_collapse, d_dominance, quality_collapse) report a subset of the kinds they
    report at the configured levels, and no other detector changes. ``d_wins``: D wins from step 200 with its
    own gradient gone, so ``d_dominance`` hangs on G's side (the levels, the realism share)."""
    from ganlab.diagnostics import detect
    from tests.diagnostics.traces import Shape, healthy, inject_dominance

    log = healthy(Shape(steps=600, seed=seed, modes_total=None))
    if d_wins:
        log = inject_dominance(log, 200, "grad_norm_d", np.random.default_rng(seed))
    evals = log["eval_diversity"].notna().to_numpy()
    rng = np.random.default_rng(seed)
    late = np.cumsum(evals) > collapse_from  # from the collapse_from-th evaluation on: readings of a collapse
    log.loc[evals & late, "eval_diversity"] = rng.uniform(0.0, 0.3, int((evals & late).sum()))
    log.loc[evals & late, "eval_dup_rate"] = rng.uniform(0.2, 1.0, int((evals & late).sum()))
    log["eval_manifold_share"] = np.where(evals, np.where(late, rng.uniform(0.0, 0.1, len(log)),
                                                          rng.uniform(0.0, 0.9, len(log))), np.nan)
    base = DiagnosticsConfig(collapse_min_steps=100, collapse_needs_duplicates=short)
    calibrated = base.model_copy(update=rule_levels(SHARES, d, u, m))
    before = {str(e.kind) for e in detect(log, base)}
    after = {str(e.kind) for e in detect(log, calibrated)}
    assert after <= before
    untouched = {"non_finite", "gradient_explosion", "oscillation"}
    assert after & untouched == before & untouched


LEVEL_ODD = (st.none() | st.booleans() | st.integers(-5, 5) | st.floats() | st.text(max_size=6)
             | st.sampled_from(["NaN", "Infinity", "1e999", "0.3", 1e308, -0.0, 1.0000001]))
LEVEL_PATHS = [("levels", k) for k in ("rule", "variants", "runs", "evaluations", "lowest_diversity",
                                       "highest_dup_rate", "lowest_best_manifold_share", "shares", "levels")] + \
              [("levels", "shares", k) for k in LEVEL_KEYS] + [("levels", "levels", k) for k in LEVEL_KEYS] + \
              [("levels",), ("levels_note",), ("format",)]


@pytest.mark.fuzz
@settings(max_examples=int(os.environ.get("GANLAB_FUZZ_EXAMPLES", 0)) or 200, deadline=None)
@given(data=st.data())
def test_fuzz_a_mutated_levels_block_loads_only_when_the_rule_holds(data: st.DataObject) -> None:
    """Random values put into (or keys deleted from) a valid levels block: read_baseline raises one
    BaselineError line, or the levels it returns are finite, a valid setting and what a float64
    recomputation of the rule from the stored readings and shares gives."""
    import tempfile

    from ganlab.check.baseline import BaselineError, read_baseline
    from ganlab.check.spec import load_check

    with tempfile.TemporaryDirectory() as tmp:
        check_file = write(Path(tmp) / "c.yaml", GATED)
        base = _format_2(check_file)
        for _ in range(data.draw(st.integers(1, 3))):
            *parents, key = data.draw(st.sampled_from(LEVEL_PATHS))
            node: Any = base
            for parent in parents:
                node = node.get(parent) if isinstance(node, dict) else None
            if isinstance(node, dict):
                if data.draw(st.booleans()):
                    node[key] = data.draw(LEVEL_ODD)
                else:
                    node.pop(key, None)
        path = write(Path(tmp) / "c-baseline.json", json.dumps(base))
        try:
            loaded = read_baseline(path, check_file, load_check(check_file).definition_hash, fail_closed.VARIANTS)
        except BaselineError as err:
            assert "\n" not in str(err) and str(path) in str(err)
            return
    stored = loaded["levels"]
    if stored is None:
        assert loaded["format"] == 1 or loaded["levels_note"]
        return
    values = np.array(list(stored["levels"].values()), np.float64)
    assert np.isfinite(values).all()
    d, u, m = stored["lowest_diversity"], stored["highest_dup_rate"], stored.get("lowest_best_manifold_share")
    shares = stored["shares"]
    expected = {}
    if d is not None:
        expected |= {k: np.float64(shares[k]) * np.float64(d) for k in LEVEL_KEYS[:2]}
    if u is not None:
        expected |= {k: np.float64(u) + np.float64(shares[k]) * (1 - np.float64(u)) for k in LEVEL_KEYS[2:4]}
    if m is not None:
        expected["quality_min_share"] = np.float64(shares["quality_min_share"]) * min(1.0, np.float64(m) / 0.8)
    assert stored["levels"].keys() == expected.keys()
    np.testing.assert_allclose([stored["levels"][k] for k in expected], list(expected.values()), rtol=1e-12)
    DiagnosticsConfig.model_validate({**shares, **stored["levels"]})
