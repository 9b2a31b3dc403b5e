"""``assert_stable``: train a config over seeds and fail with the events table if any run is unstable."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.schema import EVENTS_JSON, RunRecord
from ganlab.testing.profiles import active_profile
from ganlab.train import train
from ganlab.train.load import load_run_config


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
) -> list[StableRun]:
    """Train ``config_or_path`` for each seed; raise ``AssertionError`` listing every unexpected event.

    ``seeds`` is a count (seeds 0..n-1) or explicit seeds, ``steps`` overrides ``train.steps``; both
    default to the active profile (``--ganlab-profile``). ``allow`` names event kinds that do not fail
    the check. A run that crashes raises its exception. Runs go into ``out_dir`` (kept) or, by default,
    a temporary folder deleted before returning; either way the returned ``StableRun``s hold each
    seed's run.json and events, and ``run_dir`` only when the folder was kept.
    """
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

    with tempfile.TemporaryDirectory(prefix="ganlab-stable-") as tmp:
        root = Path(out_dir) if out_dir is not None else Path(tmp)
        runs = []
        for seed in seed_list:
            result = train(apply_overrides(config, {**base, "seed": seed, "output.dir": str(root)}), progress=False)
            events = json.loads((result.run_dir / EVENTS_JSON).read_text())
            runs.append(StableRun(seed, result.record, events, result.run_dir if out_dir is not None else None))
    bad = [(run.seed, run.status, e) for run in runs for e in run.events if e["kind"] not in allowed]
    if bad:
        raise AssertionError(
            f"{len({s for s, _, _ in bad})} of {len(seed_list)} seed(s) unstable "
            f"(allowed: {', '.join(sorted(allowed)) or 'none'}):\n{_events_table(bad)}"
        )
    return runs
