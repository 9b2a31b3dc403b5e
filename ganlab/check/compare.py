"""Compare a check run's per-variant summary with the baseline: pure functions, no I/O.

A variant regresses when (1) it is marked ``must_be_stable`` and shows any event not allowed,
(2) its rate of runs with an event kind rises in a way a one-sided Fisher exact test supports
(Holm-corrected across all variant x kind tests, family-wise alpha; both from ``ganlab.stats``, the
module the report uses), or (3) a metric's mean across
seeds gets worse than the baseline's by more than the metric's tolerance (direction from
``ganlab.metrics.HIGHER_IS_BETTER``).
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

    for name in settings.must_be_stable:
        events = {seed: [k for k in kinds if k not in allowed]
                  for seed, kinds in current.get(name, {}).get("runs_by_seed_events", {}).items()}
        for seed, kinds in events.items():
            if kinds:
                verdicts[name].regressions.append(f"must be stable, but seed {seed} shows {', '.join(kinds)}")

    tests: list[tuple[str, float, str]] = []
    for name, now in current.items():
        before = base_variants.get(name)
        if before is None:
            verdicts[name].notes.append("not in the baseline; refresh it to compare this variant")
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
                verdicts[name].notes.append(f"{metric}: missing, not compared")
                continue
            mean, base_mean = float(np.mean(values)), float(np.mean(base_values))
            worse_by = (base_mean - mean) if directions[metric] else (mean - base_mean)
            allowed_by = tolerance_amount(tolerance, base_mean)
            text = (f"{metric} mean {mean:.4g} vs baseline {base_mean:.4g} "
                    f"({'higher' if directions[metric] else 'lower'} is better, tolerance {tolerance})")
            if worse_by > allowed_by:
                verdicts[name].regressions.append(f"{text}: worse by {worse_by:.4g}")
    return list(verdicts.values())
