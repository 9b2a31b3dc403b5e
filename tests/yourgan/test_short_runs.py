"""Item 4 of issue 18: mode_collapse's window fits a CI-length run; a run says which detector cannot fire."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ganlab.config import load_config, validate
from ganlab.config.short_run import fitted_collapse_min_steps, short_run_notes
from ganlab.diagnostics import detect
from ganlab.sweep.spec import load_sweep_spec
from tests.badinput.helpers import cli
from tests.diagnostics.traces import Shape, healthy

ABLATIONS = Path(__file__).parents[2] / "ablations"


def _config(steps: int, eval_every: int, **diagnostics: object):
    return validate({"train": {"steps": steps}, "diagnostics": {"eval_every": eval_every, **diagnostics}})


def test_the_main_job_keeps_its_settings() -> None:
    """ablations/guidelines.yaml (1,500 steps, eval_every 250), its 64px twin and dcgan.yaml: every variant
    keeps collapse_min_steps 500 and nothing is noted, so their events cannot change."""
    configs = [cfg for name in ("guidelines.yaml", "guidelines-64.yaml")
               for cfg in load_sweep_spec(ABLATIONS / name).configs.values()]
    for cfg in [*configs, load_config(ABLATIONS / "dcgan.yaml")]:
        assert fitted_collapse_min_steps(cfg) == cfg.diagnostics.collapse_min_steps == 500
        assert short_run_notes(cfg) == []
    main = load_sweep_spec(ABLATIONS / "guidelines.yaml").configs["baseline"]
    assert (main.train.steps, main.diagnostics.eval_every) == (1500, 250)


@given(steps=st.integers(1, 5000), eval_every=st.integers(1, 1000), persist=st.integers(1, 6),
       min_steps=st.integers(0, 2000))
def test_the_fitted_span_fits_the_run(steps: int, eval_every: int, persist: int, min_steps: int) -> None:
    cfg = _config(steps, eval_every, collapse_persist=persist, collapse_min_steps=min_steps)
    fitted = fitted_collapse_min_steps(cfg)
    assert fitted <= min_steps
    if steps >= 2 * min_steps:
        assert fitted == min_steps
    elif steps // eval_every >= persist:
        # a collapse present from the first evaluation is confirmed by the last one, on >= persist rows
        assert eval_every + fitted <= steps // eval_every * eval_every  # first eval + span <= last eval
        assert fitted >= min(min_steps, (persist - 1) * eval_every)


def _collapsed_log(steps: int, eval_every: int):
    """A 300-step log whose G covers 1 of 10 modes at every evaluation (diversity 0, all duplicates)."""
    log = healthy(Shape(steps=steps, seed=3, modes_total=None, features=False))
    evals = log.step % eval_every == 0
    log["eval_modes"] = np.where(evals, 1.0, np.nan)
    log["eval_modes_total"] = np.where(evals, 10.0, np.nan)
    return log


def test_a_collapse_in_a_300_step_run_is_reported() -> None:
    cfg = _config(300, 100)
    assert fitted_collapse_min_steps(cfg) == 200
    fitted = cfg.diagnostics.model_copy(update={"collapse_min_steps": 200})  # the span alone, no dup_rate column
    events = detect(_collapsed_log(300, 100), fitted)
    assert [(e.kind, e.step) for e in events] == [("mode_collapse", 100)]
    assert detect(_collapsed_log(300, 100), cfg.diagnostics) == []  # the unfitted 500 steps never fit


def test_notes_name_the_detectors_that_cannot_fire() -> None:
    note, quality = short_run_notes(_config(300, 250))  # both collapse detectors need collapse_persist evals
    assert note.startswith("mode_collapse cannot fire: 1 evaluation(s) in 300 steps") and "at most 100" in note
    assert quality == note.replace("mode_collapse", "quality_collapse")
    notes = short_run_notes(_config(150, 50))
    assert any(n.startswith("gradient_explosion cannot fire") and "needs 240 steps" in n for n in notes)
    assert any(n.startswith("mode_collapse and quality_collapse: diagnostics.collapse_min_steps 500 fitted to 100")
               for n in notes)
    assert short_run_notes(_config(80, 0))[0].startswith("mode_collapse cannot fire: no periodic evaluation")
    assert any(n.startswith("d_dominance cannot fire") for n in short_run_notes(_config(80, 0)))


def test_dry_run_says_it_and_the_run_is_fitted(tmp_path: Path) -> None:
    path = tmp_path / "gan.yaml"
    path.write_text("data: {dataset: digits, resolution: 16}\nmodel: {width: 8, nz: 8}\n"
                    "train: {steps: 300, batch_size: 8}\ndiagnostics: {eval_every: 100}\n")
    code, out, err = cli("train", str(path), "--dry-run")
    assert code == 0, err
    assert ("# mode_collapse and quality_collapse: diagnostics.collapse_min_steps 500 fitted to 200 for a 300-step "
            "run") in out
    assert "collapse_min_steps: 200" in out  # the resolved config the run writes (and diagnose reads)


LOGS = Path(__file__).parent / "short_logs"


def test_real_300_step_runs_on_two_datasets() -> None:
    """The validation runs of docs/diagnostics.md ("Short runs"): at the resolved (fitted) settings every
    no-batchnorm run is a collapse from step 100 and no healthy baseline has any event, on digits and on
    stacked-digits; at the unfitted settings the collapses were never reported."""
    import pandas as pd

    from ganlab.train import resolve_config

    for dataset in ("digits", "stacked-digits"):
        base = load_sweep_spec(LOGS / f"{dataset}.yaml").configs["baseline"]
        fitted = resolve_config(base).diagnostics
        assert (fitted.collapse_min_steps, fitted.collapse_needs_duplicates) == (200, True)
        for seed in range(3):
            healthy_log = pd.read_parquet(LOGS / f"{dataset}-baseline-s{seed}.parquet")
            broken = pd.read_parquet(LOGS / f"{dataset}-no-batchnorm-s{seed}.parquet")
            assert detect(healthy_log, fitted) == [], (dataset, seed)
            assert [(e.kind, e.step) for e in detect(broken, fitted)] == [("mode_collapse", 100)], (dataset, seed)
            assert detect(broken, base.diagnostics) == [], (dataset, seed)
    # the span alone (without asking for duplicates) false-alarms on 2 of the 3 stacked-digits baselines
    span_only = fitted.model_copy(update={"collapse_needs_duplicates": False})
    alarms = [s for s in range(3)
              if detect(pd.read_parquet(LOGS / f"stacked-digits-baseline-s{s}.parquet"), span_only)]
    assert len(alarms) == 2


def test_duplicates_decide_a_short_run_collapse() -> None:
    log = _collapsed_log(300, 100)
    evals = log.step % 100 == 0
    cfg = _config(300, 100, collapse_min_steps=200, collapse_needs_duplicates=True).diagnostics
    log["eval_dup_rate"] = np.where(evals, 0.0, np.nan)  # one mode by the classifier, yet no duplicates
    assert detect(log, cfg) == []
    log["eval_dup_rate"] = np.where(evals, 0.9, np.nan)
    assert [(e.kind, e.step) for e in detect(log, cfg)] == [("mode_collapse", 100)]


def test_sweep_and_check_say_which_detector_cannot_fire() -> None:
    from ganlab.config import config_to_dict
    from ganlab.sweep.runner import _short_run_notes
    from ganlab.sweep.task import RunTask

    def task(variant: str, steps: int) -> RunTask:
        cfg = config_to_dict(_config(steps, 50))
        return RunTask(variant, 0, variant, {}, cfg, "/nowhere")

    notes = _short_run_notes([task("baseline", 80), task("long", 80), task("baseline", 80)])
    assert ("every variant", short_run_notes(_config(80, 50))[0]) in notes
    # mode and quality collapse, explosion, dominance
    assert all(v == "every variant" for v, _ in notes) and len(notes) == 4
    notes = _short_run_notes([task("baseline", 80), task("long", 1500)])
    assert {v for v, _ in notes} == {"baseline"}
    assert _short_run_notes([task("long", 1500)]) == []


def test_the_report_says_which_detector_could_not_fire(tmp_path: Path) -> None:
    from ganlab.report.build import _short_run_notes, build_report
    from ganlab.report.load import load_sweep
    from ganlab.testing.synthetic import make_sweep

    root = make_sweep(tmp_path / "sweep", variants={"baseline": {}, "dense": {"diagnostics.eval_every": 100}},
                      seeds=2, steps=400)
    notes = _short_run_notes(load_sweep(root))
    cfg = _config(400, load_config(next((root / "runs").glob("*/config.yaml"))).diagnostics.eval_every)
    expected = [n for n in short_run_notes(cfg) if "cannot fire" in n]
    # 'dense' evaluates 4 times: both collapse detectors can fire
    assert len(expected) == 2 and notes == [f"baseline: {n}." for n in expected]
    html = build_report(root, tmp_path / "report.html").read_text()
    assert "mode_collapse cannot fire" in html
