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
from ganlab.check.compare import VariantVerdict, compare
from ganlab.check.output import junit_xml, markdown, write_junit, write_markdown
from ganlab.check.spec import load_check

PASS, REGRESSION, USAGE, RUNS_ERRORED = 0, 1, 2, 3


@dataclass
class CheckOutcome:
    exit_code: int
    verdicts: list[VariantVerdict]
    markdown: str
    baseline_path: Path
    sweep_dir: Path


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
    reference = None if update_baseline else read_baseline(baseline_path, check_file, spec.definition_hash)
    if update_baseline and overrides:
        raise BaselineError("--update-baseline records the check file as written; drop --set to refresh it")

    result = run_sweep(spec.sweep, out, workers=workers, progress=progress)
    summary = summarize(result.results)
    errored = any(s["n_errors"] for s in summary.values())
    if update_baseline:
        verdicts = [VariantVerdict(name, errors=s["n_errors"]) for name, s in summary.items()]
        if not errored:
            write_baseline(baseline_path, make_baseline(summary, spec.definition_hash, spec.sweep.name))
        for v in verdicts:
            v.notes.append("baseline not written: runs errored" if errored else f"recorded in {baseline_path}")
        code = RUNS_ERRORED if errored else PASS
    else:
        assert reference is not None
        verdicts = compare(summary, reference, spec.settings, dict(HIGHER_IS_BETTER))
        code = RUNS_ERRORED if errored else (REGRESSION if any(v.regressions for v in verdicts) else PASS)

    text = markdown(spec.sweep.name, verdicts, code, str(baseline_path), str(result.sweep_dir))
    if markdown_path:
        write_markdown(markdown_path, text)
    if junit:
        write_junit(junit, junit_xml(spec.sweep.name, verdicts))
    return CheckOutcome(code, verdicts, text, baseline_path, result.sweep_dir)
