"""From a ``Sweep`` to its runs: resolve each variant's config, add each seed, hash it into a run id."""

from __future__ import annotations

import json
from pathlib import Path

from ganlab.config import GanlabConfig, config_to_dict
from ganlab.schema import run_log, run_path
from ganlab.sweep.spec import Sweep, check_duplicates
from ganlab.sweep.task import RunTask


def resolve_variants(sweep: Sweep) -> dict[str, GanlabConfig]:
    """Each variant's config resolved against its dataset (channels, width); one dataset per data config."""
    from ganlab.data import build_dataset
    from ganlab.train import resolve_config

    datasets: dict[str, object] = {}
    resolved: dict[str, GanlabConfig] = {}
    for name, config in sweep.configs.items():
        key = json.dumps(config_to_dict(config)["data"], sort_keys=True)
        if key not in datasets:
            datasets[key] = build_dataset(config.data)
        resolved[name] = resolve_config(config, datasets[key])  # type: ignore[arg-type]
    return resolved


def plan_runs(sweep: Sweep, sweep_dir: str | Path) -> list[RunTask]:
    """Every run of the sweep, variant by variant (``baseline`` first), seeds in order.

    A run's config is base + the variant's overrides + ``seed``; its run id is
    ``ganlab.train.run_id`` of that config resolved, so ``ganlab train`` of the same config gives the
    same id. Raises ``ConfigError`` when two variants resolve to the same runs.
    """
    from ganlab.train import run_id

    sweep_dir = Path(sweep_dir).absolute()
    resolved = resolve_variants(sweep)
    check_duplicates(sweep, {name: run_id(cfg) for name, cfg in resolved.items()})
    tasks = []
    for name, config in resolved.items():
        for seed in sweep.seeds_of(name):
            seeded = config.model_copy(update={"seed": seed})
            rid = run_id(seeded)
            tasks.append(RunTask(variant=name, seed=seed, run_id=rid, overrides=dict(sweep.variants[name]),
                                 config=config_to_dict(seeded), run_dir=str(run_path(sweep_dir, rid)),
                                 log_path=str(run_log(sweep_dir, rid))))
    return tasks


def dispatch_order(tasks: list[RunTask]) -> list[RunTask]:
    """Seed-major order (every variant's first seed, then the second...): partial results compare early."""
    seeds = {seed: i for i, seed in enumerate(dict.fromkeys(t.seed for t in tasks))}
    order = {variant: i for i, variant in enumerate(dict.fromkeys(t.variant for t in tasks))}
    return sorted(tasks, key=lambda t: (seeds[t.seed], order[t.variant]))
