"""``run_check``: run CHECK.yaml as a sweep, compare it with the baseline, decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ganlab.check.baseline import (
    BaselineError,
    default_baseline_path,
    make_baseline,
    read_baseline,
    summarize,
    write_baseline,
)
from ganlab.check.compare import VariantVerdict, compare, note_realism_ungated, stability_breaks
from ganlab.check.levels import CalibratedLevels, calibrate, describe, rediagnose
from ganlab.check.output import junit_xml, markdown, write_junit, write_markdown
from ganlab.check.spec import CheckSettings, CheckSpec, load_check
from ganlab.io import check_output_file

PASS, REGRESSION, USAGE, RUNS_ERRORED = 0, 1, 2, 3


@dataclass
class CheckOutcome:
    exit_code: int
    verdicts: list[VariantVerdict]
    markdown: str
    baseline_path: Path
    sweep_dir: Path
    refused: str | None = None  # why --update-baseline wrote no baseline (one line for stderr)


def _unfit_for_baseline(summary: dict[str, dict[str, Any]], settings: CheckSettings) -> str | None:
    """Why these results must not become the baseline, or None: a ``must_be_stable`` variant whose runs
    show events (every later check would fail on them or, edited away, pass them), or a gated metric with
    no finite value (no later check could compare it)."""
    problems = [f"must_be_stable variant {name!r} shows events in "
                + ", ".join(f"seed {seed} ({', '.join(kinds)})" for seed, kinds in seeds.items())
                for name, seeds in stability_breaks(summary, settings).items()]
    problems += [f"variant {name!r} has no finite {metric}, which check.tolerances gates"
                 for name, s in summary.items() for metric in settings.tolerances if not s["metrics"].get(metric)]
    return "; ".join(problems) or None


def _levels(results: pd.DataFrame, sweep_dir: Path, spec: CheckSpec, reference: dict[str, Any] | None,
            update_baseline: bool, overrides: dict[str, Any]) -> tuple[CalibratedLevels | None, str]:
    """The collapse levels this check diagnoses with (None: the runs' own) and one line saying which and from
    where: measured now on ``must_be_stable``'s runs (``--update-baseline``), or read from the baseline."""
    if update_baseline:
        if not spec.settings.calibrate_levels:
            return None, "check.calibrate_levels is false"
        healthy = list(spec.settings.must_be_stable)
        if not healthy:
            return None, "no must_be_stable variant to calibrate on"
        configured = {name: spec.sweep.configs[name].diagnostics for name in healthy}
        if any(c != configured[healthy[0]] for c in configured.values()):
            return None, f"must_be_stable variants {', '.join(healthy)} differ in their diagnostics settings"
        levels, line = calibrate(results, sweep_dir, healthy, configured[healthy[0]])
        return levels, f"{line}, measured now and written to the baseline" if levels else line
    assert reference is not None
    if reference["format"] == 1:
        return None, "the baseline is format 1, which holds no calibrated levels; refresh it with --update-baseline"
    if reference["levels"] is None:
        return None, f"the baseline holds no calibrated levels: {reference['levels_note']}"
    levels = CalibratedLevels.model_validate(reference["levels"])
    replaced = [f"--set {k}" for k in overrides if str(k).removeprefix("diagnostics.") in levels.levels]
    replacing = f"; they replace {', '.join(replaced)}" if replaced else ""
    return levels, f"{describe(levels)}, from the baseline{replacing}"


def run_check(check_file: str | Path, baseline: str | Path | None = None, *, update_baseline: bool = False,
              overrides: dict[str, Any] | None = None, out: str | Path = "runs", workers: int | None = None,
              junit: str | Path | None = None, markdown_path: str | Path | None = None,
              progress: bool | None = None) -> CheckOutcome:
    """Run the check and compare; raises ``GanlabError`` (exit 2) for a bad file or baseline.

    The baseline is read before any training, so a missing or stale one fails fast.
    """
    from ganlab.schema.log import HIGHER_IS_BETTER
    from ganlab.sweep.runner import run_sweep

    spec = load_check(check_file, overrides)
    baseline_path = Path(baseline) if baseline else default_baseline_path(check_file)
    if update_baseline:
        if overrides:
            raise BaselineError("--update-baseline records the check file as written; drop --set to refresh it")
        check_output_file(baseline_path, "--baseline")  # before any training, which it would otherwise waste
        reference = None
    else:
        reference = read_baseline(baseline_path, check_file, spec.definition_hash, spec.sweep.variants,
                                  spec.settings.tolerances)

    result = run_sweep(spec.sweep, out, workers=workers, progress=progress)
    levels, levels_text = _levels(result.results, result.sweep_dir, spec, reference, update_baseline, overrides or {})
    results = result.results if levels is None else rediagnose(result.results, result.sweep_dir, levels)
    summary = summarize(results)
    errored = any(s["n_errors"] for s in summary.values())
    refused = None
    if update_baseline:
        verdicts = [VariantVerdict(name, errors=s["n_errors"]) for name, s in summary.items()]
        refused = None if errored else _unfit_for_baseline(summary, spec.settings)
        if refused:
            refused = f"{baseline_path}: baseline not written: {refused}"
            by_name = {v.variant: v for v in verdicts}
            for name, seeds in stability_breaks(summary, spec.settings).items():
                by_name[name].regressions += [f"must be stable, but seed {seed} shows {', '.join(kinds)}"
                                              for seed, kinds in seeds.items()]
            for name, s in summary.items():
                by_name[name].regressions += [f"{metric}: no finite value, which check.tolerances gates"
                                              for metric in spec.settings.tolerances if not s["metrics"].get(metric)]
        elif not errored:
            write_baseline(baseline_path, make_baseline(summary, spec.definition_hash, spec.sweep.name,
                                                        levels, levels_text))
        for v in verdicts:
            v.notes.append("baseline not written: runs errored" if errored else
                           "baseline not written" if refused else f"recorded in {baseline_path}")
        note_realism_ungated(verdicts, summary, spec.settings)
        code = RUNS_ERRORED if errored else (REGRESSION if refused else PASS)
    else:
        assert reference is not None
        verdicts = compare(summary, reference, spec.settings, dict(HIGHER_IS_BETTER))
        code = RUNS_ERRORED if errored else (REGRESSION if any(v.regressions for v in verdicts) else PASS)

    text = markdown(spec.sweep.name, verdicts, code, str(baseline_path), str(result.sweep_dir),
                    f"Collapse levels: {levels_text}" if levels else f"Collapse levels: the runs' configured "
                    f"diagnostics levels ({levels_text})")
    if markdown_path:
        write_markdown(markdown_path, text)
    if junit:
        write_junit(junit, junit_xml(spec.sweep.name, verdicts))
    return CheckOutcome(code, verdicts, text, baseline_path, result.sweep_dir, refused)
