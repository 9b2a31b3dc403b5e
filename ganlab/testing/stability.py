"""``assert_stable``: train a config over seeds and fail with the events table if any run is unstable."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ganlab.config import GanlabConfig, apply_overrides, load_config
from ganlab.testing.profiles import active_profile
from ganlab.train import RunResult, train


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
) -> list[RunResult]:
    """Train ``config_or_path`` for each seed; raise ``AssertionError`` listing every unexpected event.

    ``seeds`` is a count (seeds 0..n-1) or explicit seeds, ``steps`` overrides ``train.steps``; both
    default to the active profile (``--ganlab-profile``). ``allow`` names event kinds that do not fail
    the check. A run that stops with an error also fails it. Returns the runs' results.
    """
    profile = active_profile()
    config = config_or_path if isinstance(config_or_path, GanlabConfig) else load_config(config_or_path)
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
        results, bad = [], []
        for seed in seed_list:
            run_cfg = apply_overrides(config, {**base, "seed": seed, "output.dir": str(root)})
            result = train(run_cfg, progress=False)
            results.append(result)
            if result.status == "error":
                bad.append((seed, "error", {"message": result.info.get("error", "")}))
            events = [e for e in _read_events(result) if e["kind"] not in allowed]
            bad += [(seed, result.status, e) for e in events]
    if bad:
        raise AssertionError(
            f"{len({s for s, _, _ in bad})} of {len(seed_list)} seed(s) unstable "
            f"(allowed: {', '.join(sorted(allowed)) or 'none'}):\n{_events_table(bad)}"
        )
    return results


def _read_events(result: RunResult) -> list[dict[str, Any]]:
    import json

    path = result.run_dir / "events.json"
    return json.loads(path.read_text()) if path.is_file() else list(result.events)
