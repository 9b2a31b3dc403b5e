"""Sequential seeds (``analysis.sequential``): run the sweep in rounds, adding seeds only where a verdict is open.

Round k runs every variant still undecided up to the k-th look's seed count (``ganlab.stats.sequential.looks``)
through the ordinary ``run_sweep``, so each round is resumable and crash-isolated like any sweep: runs already
finished are skipped, so rerunning the command replays the same decisions and carries on. After a round the
report's own analysis decides which variants are settled (better, worse or equivalent at that look's share of
alpha); those keep their seeds, the rest get more. The baseline grows with the undecided variants.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganlab.stats.sequential import looks
from ganlab.sweep.runner import SweepResult, run_sweep
from ganlab.sweep.spec import BASELINE, Sweep

DECIDED = ("better", "worse", "equivalent")


def seed_sequence(sweep: Sweep, n: int) -> tuple[int, ...]:
    """The first n seeds: the sweep's own, then the next unused integers."""
    extra = itertools.count(max(sweep.seeds) + 1)
    return (*sweep.seeds, *(next(extra) for _ in range(max(n - len(sweep.seeds), 0))))[:n]


def decided_variants(sweep_dir: str | Path, sweep: Sweep) -> set[str]:
    """Variants whose primary verdict is settled at their current look (the report's analysis, read from disk)."""
    from ganlab.report.analysis import analyze
    from ganlab.report.load import load_sweep

    overview = analyze(load_sweep(sweep_dir), BASELINE, sweep.analysis)
    return {r.variant for r in overview.rows if r.variant != BASELINE and r.verdict in DECIDED}


def run_sequential(sweep: Sweep, out: str | Path = "runs", *, echo: Callable[[str], Any] | None = None,
                   **kwargs: Any) -> SweepResult:
    """Run ``sweep`` in rounds per its ``analysis.sequential``; returns the last round's result."""
    plan = sweep.analysis.sequential
    if plan is None:
        return run_sweep(sweep, out, **kwargs)
    schedule = looks(len(sweep.seeds), plan)
    base_n = len(sweep.seeds_of(BASELINE))
    open_ = [v for v in sweep.variants if v != BASELINE]
    seeds = {v: seed_sequence(sweep, schedule[0]) for v in open_}
    result = None
    for k, n in enumerate(schedule):
        for v in open_:
            seeds[v] = seed_sequence(sweep, n)
        seeds[BASELINE] = seed_sequence(sweep, max(base_n, n if open_ else schedule[0]))
        result = run_sweep(dataclasses.replace(sweep, variant_seeds=dict(seeds)), out, **kwargs)
        if k == len(schedule) - 1:
            break
        settled = decided_variants(result.sweep_dir, sweep)
        open_ = [v for v in open_ if v not in settled]
        if echo is not None:
            echo(f"sequential look {k + 1}/{len(schedule)} at {n} seeds: {len(settled)} variant(s) decided, "
                 f"{len(open_)} open" + (f" (next look: {schedule[k + 1]} seeds)" if open_ else ""))
        if not open_:
            break
    assert result is not None
    return result
