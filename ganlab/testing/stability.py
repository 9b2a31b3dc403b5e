"""``assert_stable``: train a config over seeds and fail with the events table if any run is unstable."""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.config.short_run import short_run_notes
from ganlab.schema import EVENTS_JSON, HIGHER_IS_BETTER, RunRecord
from ganlab.testing.profiles import active_profile
from ganlab.train import train
from ganlab.train.load import load_run_config

SHORT_RUN_NOTES: set[str] = set()  # the detectors that could not fire in this session's runs (pytest summary)
CALLS: list[int] = []  # one entry per assert_stable call (the pytest summary is written only after one)


@dataclass(frozen=True)
class StableRun:
    """One seed's outcome, as data: it stays valid after a temporary run folder is deleted."""

    seed: int
    record: RunRecord  # the run's final run.json
    events: list[dict[str, Any]]  # events.json: {kind, step, severity, evidence, message}
    run_dir: Path | None  # the run directory when ``out_dir`` was given; None when it was temporary

    @property
    def status(self) -> str:
        return self.record.status


def _events_table(rows: Sequence[tuple[int, str, dict[str, Any]]]) -> str:
    header = f"{'seed':>4}  {'status':<9}  {'kind':<18}  {'onset':>6}  {'severity':<8}  message"
    lines = [header, "-" * len(header)]
    for seed, status, event in rows:
        lines.append(f"{seed:>4}  {status:<9}  {event.get('kind', '-'):<18}  {event.get('step', '-'):>6}  "
                     f"{event.get('severity', '-'):<8}  {event.get('message', '')}")
    return "\n".join(lines)


def assert_stable(
    config_or_path: GanlabConfig | str | Path,
    seeds: int | Iterable[int] | None = None,
    steps: int | None = None,
    allow: Iterable[str] = (),
    out_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    limits: Mapping[str, float] | None = None,
) -> list[StableRun]:
    """Train ``config_or_path`` for each seed; raise ``AssertionError`` listing every unexpected event.

    ``seeds`` is a count (seeds 0..n-1) or explicit seeds, ``steps`` overrides ``train.steps``; both
    default to the active profile (``--ganlab-profile``). ``allow`` names event kinds that do not fail
    the check. A run that crashes raises its exception. Runs go into ``out_dir`` (kept) or, by default,
    a temporary folder deleted before returning; either way the returned ``StableRun``s hold each
    seed's run.json and events, and ``run_dir`` only when the folder was kept.

    ``limits`` gates the final metrics (``run.json``'s ``final_metrics``): each metric's mean across seeds
    must be no worse than its limit, "worse" in the metric's direction (``HIGHER_IS_BETTER``), e.g.
    ``{"modes": 8, "kl": 0.5}``. A detector that cannot fire in a run this short is a ``UserWarning``.
    """
    CALLS.append(1)
    profile = active_profile()
    config = config_or_path if isinstance(config_or_path, GanlabConfig) else load_run_config(config_or_path)
    seeds = profile.seeds if seeds is None else seeds
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    steps = steps if steps is not None else profile.steps
    base = dict(overrides or {})
    if steps is not None:
        base["train.steps"] = steps
        base["train.checkpoint_every"] = min(config.train.checkpoint_every, steps)
    allowed = set(allow)
    unknown = sorted(set(limits or {}) - set(HIGHER_IS_BETTER))
    if unknown:
        raise ValueError(f"limits: unknown metric(s) {', '.join(unknown)}; valid: {', '.join(HIGHER_IS_BETTER)}")
    for note in short_run_notes(apply_overrides(config, base)) if base else short_run_notes(config):
        if "cannot fire" in note:
            SHORT_RUN_NOTES.add(note)
            warnings.warn(f"ganlab: {note}", UserWarning, stacklevel=2)

    with tempfile.TemporaryDirectory(prefix="ganlab-stable-") as tmp:
        root = Path(out_dir) if out_dir is not None else Path(tmp)
        runs = []
        for seed in seed_list:
            result = train(apply_overrides(config, {**base, "seed": seed, "output.dir": str(root)}), progress=False)
            events = json.loads((result.run_dir / EVENTS_JSON).read_text())
            runs.append(StableRun(seed, result.record, events, result.run_dir if out_dir is not None else None))
    bad = [(run.seed, run.status, e) for run in runs for e in run.events if e["kind"] not in allowed]
    failures = [f for name, limit in (limits or {}).items() if (f := _metric_failure(name, limit, runs))]
    if bad:
        failures.insert(0, f"{len({s for s, _, _ in bad})} of {len(seed_list)} seed(s) unstable "
                           f"(allowed: {', '.join(sorted(allowed)) or 'none'}):\n{_events_table(bad)}")
    if failures:
        raise AssertionError("\n".join(failures))
    return runs


def _metric_failure(name: str, limit: float, runs: Sequence[StableRun]) -> str | None:
    """A line when the mean of ``name`` over the seeds' final metrics is worse than ``limit`` (or missing)."""
    values = [(run.record.final_metrics or {}).get(name) for run in runs]
    finite = [v for v in values if v is not None and math.isfinite(v)]
    higher = HIGHER_IS_BETTER[name]
    if len(finite) < len(values):
        return f"metric {name}: not measured in every run ({values}); it cannot be gated"
    mean = sum(finite) / len(finite)
    if (mean < limit) if higher else (mean > limit):
        return (f"metric {name}: mean {mean:.4g} over {len(finite)} seed(s) {[round(v, 4) for v in finite]} is worse "
                f"than its limit {limit:g} ({'higher' if higher else 'lower'} is better)")
    return None
