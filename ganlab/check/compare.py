"""Compare a check run's per-variant summary with the baseline: pure functions, no I/O.

A variant regresses when (1) it is marked ``must_be_stable`` and shows any event not allowed,
(2) its rate of runs with an event kind rises in a way a one-sided Fisher exact test supports
(Holm-corrected across all variant x kind tests, family-wise alpha; both from ``ganlab.stats``, the
module the report uses), or (3) a metric's mean across
seeds gets worse than the baseline's by more than the metric's tolerance (direction from
``ganlab.metrics.HIGHER_IS_BETTER``).

The gate fails closed: whatever cannot be compared (a variant on one side only, a variant with no
finished runs, a gated metric with no values, a comparison that is not a number) is a regression, never
a note that lets the check pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganlab.check.spec import CheckSettings, tolerance_amount
from ganlab.stats.basic import fisher_p
from ganlab.stats.multiplicity import holm


@dataclass
class VariantVerdict:
    variant: str
    regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: int = 0

    @property
    def passed(self) -> bool:
        return not self.regressions and not self.errors


def compare(current: dict[str, dict[str, Any]], baseline: dict[str, Any], settings: CheckSettings,
            directions: dict[str, bool]) -> list[VariantVerdict]:
    verdicts = {name: VariantVerdict(name, errors=s["n_errors"]) for name, s in current.items()}
    allowed = set(settings.allow)
    base_variants = baseline["variants"]

    for name in base_variants:
        if name not in current:
            verdicts[name] = VariantVerdict(name, regressions=["in the baseline, but no run of it finished now"])
    for name, now in current.items():
        if now["n_runs"] == 0 and not now["n_errors"]:
            verdicts[name].regressions.append("no run finished, nothing to compare")
    for name, seeds in stability_breaks(current, settings).items():
        verdicts[name].regressions += [f"must be stable, but seed {seed} shows {', '.join(kinds)}"
                                       for seed, kinds in seeds.items()]

    tests: list[tuple[str, float, str]] = []
    for name, now in current.items():
        before = base_variants.get(name)
        if before is None:
            verdicts[name].regressions.append("not in the baseline, so not compared; refresh the baseline")
            continue
        for kind in sorted(set(now["runs_with_event"]) | set(before["runs_with_event"])):
            if kind in allowed:
                continue
            a, n_a = now["runs_with_event"].get(kind, 0), now["n_runs"]
            b, n_b = before["runs_with_event"].get(kind, 0), before["n_runs"]
            if n_a == 0 or n_b == 0 or a / n_a <= b / n_b:
                continue
            p = fisher_p(a, n_a, b, n_b, alternative="greater")
            tests.append((name, float(p), f"{kind} in {a}/{n_a} runs (baseline {b}/{n_b})"))
    for (name, p, text), p_adj in zip(tests, holm([t[1] for t in tests]), strict=True):
        stats = f"one-sided Fisher exact p={p:.3g}, Holm-adjusted p={p_adj:.3g}"
        if p_adj < settings.alpha:
            verdicts[name].regressions.append(f"failure rate rose: {text}; {stats} < alpha={settings.alpha}")
        else:
            verdicts[name].notes.append(f"{text}: not significant ({stats})")

    for name, now in current.items():
        before = base_variants.get(name)
        if before is None:
            continue
        for metric, tolerance in settings.tolerances.items():
            values, base_values = now["metrics"].get(metric), before["metrics"].get(metric)
            if not values or not base_values:
                side = "this run" if not values else "the baseline"
                verdicts[name].regressions.append(f"{metric}: no finite value in {side}, cannot be compared "
                                                  f"(tolerance {tolerance})")
                continue
            if len(values) < now["n_runs"]:
                verdicts[name].notes.append(f"{metric}: mean over the {len(values)} of {now['n_runs']} finished "
                                            "runs that have a finite value")
            with np.errstate(over="ignore"):  # an overflowing mean is inf, then a regression below
                mean, base_mean = float(np.mean(values)), float(np.mean(base_values))
            worse_by = (base_mean - mean) if directions[metric] else (mean - base_mean)
            allowed_by = tolerance_amount(tolerance, base_mean)
            text = (f"{metric} mean {mean:.4g} vs baseline {base_mean:.4g} "
                    f"({'higher' if directions[metric] else 'lower'} is better, tolerance {tolerance})")
            if not worse_by <= allowed_by:  # a NaN (an overflowing mean) fails too
                verdicts[name].regressions.append(f"{text}: worse by {worse_by:.4g}")
    out = list(verdicts.values())
    note_realism_ungated(out, current, settings)
    return out


# On data without known modes (a folder, an array) no event caught a G without batchnorm at CI lengths on
# two of the three validation folders; the realism share, compared with the baseline's, caught it on all
# three (docs/diagnostics.md, "The events on the validation cells"). Said, not enforced: the tolerance is
# the user's to choose.
REALISM_UNGATED = ("no known modes in this data and no tolerance on manifold_share: a collapse can pass this "
                   "check; gate it with check.tolerances.manifold_share (docs/check.md)")


def realism_ungated(summary: dict[str, dict[str, Any]], settings: CheckSettings) -> list[str]:
    """Variants whose runs log the realism share but no mode count, in a check that gates neither."""
    if "manifold_share" in settings.tolerances:
        return []
    return [name for name, s in summary.items() if s["metrics"].get("manifold_share") and not s["metrics"].get("modes")]


def note_realism_ungated(verdicts: list[VariantVerdict], summary: dict[str, dict[str, Any]],
                         settings: CheckSettings) -> None:
    """``REALISM_UNGATED`` on each verdict of a ``realism_ungated`` variant (compare and update alike)."""
    ungated = set(realism_ungated(summary, settings))
    for v in verdicts:
        if v.variant in ungated:
            v.notes.append(REALISM_UNGATED)


def stability_breaks(current: dict[str, dict[str, Any]], settings: CheckSettings) -> dict[str, dict[int, list[str]]]:
    """``must_be_stable`` variant -> {seed: event kinds not in ``allow``} for each of its runs that shows one."""
    allowed = set(settings.allow)
    breaks: dict[str, dict[int, list[str]]] = {}
    for name in settings.must_be_stable:
        seeds = {seed: [k for k in kinds if k not in allowed]
                 for seed, kinds in current.get(name, {}).get("runs_by_seed_events", {}).items()}
        if any(seeds.values()):
            breaks[name] = {seed: kinds for seed, kinds in seeds.items() if kinds}
    return breaks
