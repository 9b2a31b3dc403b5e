"""The analysis plan a sweep file declares (``analysis:``): what decides a verdict, at what level.

Defaults, and why (docs/report.md says the same):
- ``primary: [failure, modes]``: a guideline study asks "does it break training?" (the rate of runs with a
  failure-severity event) and "does it still learn every mode?" (modes covered). Everything else is
  exploratory: shown with an effect and an interval, never turned into a verdict.
- ``correction: holm``: family-wise control over variants x primary endpoints, valid under any dependence
  (the endpoints of one run are correlated). ``bh`` controls the false discovery rate instead.
- ``alpha: 0.05``.
- ``margins: {failure: 0.2, modes: 0.1}``: "equivalent" needs the (1 - 2 alpha) interval inside
  +-margin. failure: absolute difference in failure rate (20 points); a metric: relative, a ratio within
  [1/1.1, 1.1] for modes (a count, compared as a ratio) or +-10% of the baseline's median otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ganlab.stats.multiplicity import Correction

FAILURE, TIME_TO_FAILURE = "failure", "time_to_failure"
# Endpoints that are not final metrics; every other endpoint names a metric (metric_<name> in results).
EVENT_ENDPOINTS = (FAILURE, TIME_TO_FAILURE)
# What stands in for ``modes`` on data without known modes (a folder of the user's images): the share of
# samples on the real data's manifold (``ganlab.metrics.gate``). ``ganlab.report.analysis.label_free_plan``.
LABEL_FREE_ENDPOINT = "manifold_share"
# Count metrics compared as a ratio (Hodges-Lehmann on log(1 + x)) rather than a shift.
RATIO_METRICS = ("modes",)


class SequentialPlan(BaseModel):
    """Sequential seeds: rounds of ``step`` more seeds for undecided variants, up to ``max_seeds``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_seeds: int = Field(ge=2)
    # Seeds added per round to each undecided variant; None = the sweep's own seed count.
    step: int | None = Field(None, ge=1)
    # Lan-DeMets alpha-spending function: obrien-fleming spends little early, so the last look keeps
    # almost all of alpha; pocock spends evenly (earlier stops, a weaker last look).
    spending: Literal["obrien-fleming", "pocock"] = "obrien-fleming"


class AnalysisPlan(BaseModel):
    """``analysis:`` in a sweep file. Frozen; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: tuple[str, ...] = (FAILURE, "modes")
    correction: Correction = "holm"
    alpha: float = Field(0.05, gt=0, lt=0.5)
    margins: dict[str, float] = Field(default_factory=lambda: {FAILURE: 0.2, "modes": 0.1})
    sequential: SequentialPlan | None = None

    @field_validator("primary")
    @classmethod
    def _some_primary(cls, primary: tuple[str, ...]) -> tuple[str, ...]:
        if not primary or len(set(primary)) != len(primary):
            raise ValueError("give a non-empty list of distinct endpoints, e.g. [failure, modes]")
        return primary

    @field_validator("margins")
    @classmethod
    def _positive_margins(cls, margins: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in margins.items() if not v > 0}
        if bad:
            raise ValueError(f"margins must be > 0, got {bad}")
        return margins


def unknown_endpoints(plan: AnalysisPlan, metrics: Iterable[str]) -> list[tuple[str, str]]:
    """(where, name) of each endpoint in ``primary`` or ``margins`` that is neither an event endpoint nor
    one of ``metrics``; the caller turns them into a one-line error naming the valid ones."""
    valid = set(EVENT_ENDPOINTS) | set(metrics)
    return ([("primary", e) for e in plan.primary if e not in valid]
            + [("margins", e) for e in plan.margins if e not in valid])
