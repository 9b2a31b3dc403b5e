"""``run_check``: run CHECK.yaml as a sweep, compare it with the baseline, decide the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlab.check.baseline import (
    BaselineError,
    default_baseline_path,
    make_baseline,
    read_baseline,
    summarize,
    write_baseline,
)
from ganlab.check.compare import VariantVerdict, compare, stability_breaks
from ganlab.check.output import junit_xml, markdown, write_junit, write_markdown
from ganlab.check.spec import CheckSettings, load_check
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
    summary = summarize(result.results)
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
            write_baseline(baseline_path, make_baseline(summary, spec.definition_hash, spec.sweep.name))
        for v in verdicts:
            v.notes.append("baseline not written: runs errored" if errored else
                           "baseline not written" if refused else f"recorded in {baseline_path}")
        code = RUNS_ERRORED if errored else (REGRESSION if refused else PASS)
    else:
        assert reference is not None
        verdicts = compare(summary, reference, spec.settings, dict(HIGHER_IS_BETTER))
        code = RUNS_ERRORED if errored else (REGRESSION if any(v.regressions for v in verdicts) else PASS)

    text = markdown(spec.sweep.name, verdicts, code, str(baseline_path), str(result.sweep_dir))
    if markdown_path:
        write_markdown(markdown_path, text)
    if junit:
        write_junit(junit, junit_xml(spec.sweep.name, verdicts))
    return CheckOutcome(code, verdicts, text, baseline_path, result.sweep_dir, refused)
