"""The sweep file: a base run config, named variants, an optional grid, and seeds.

``load_sweep_spec(path)`` validates it like a run config (pydantic, unknown keys rejected) and every
problem becomes a one-line ``ConfigError`` naming the file and line, the key, and what is allowed.
The result is a ``Sweep``: the base config (``--set`` applied), and every variant's overrides,
each checked against the base.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from ganlab.config import GanlabConfig, config_to_dict
from ganlab.config.load import Lines, RepeatedKeyError, flatten, read_yaml
from ganlab.config.messages import format_validation_error, nearest, quote
from ganlab.errors import ConfigError, CrossFieldError
from ganlab.stats.plan import EVENT_ENDPOINTS, AnalysisPlan, SequentialPlan, unknown_endpoints
from ganlab.sweep.grid import grid_cells

BASELINE = "baseline"
# Runs a sweep may expand to unless its file raises `max_runs:`; counted before anything is expanded,
# so a typo (`seeds: 10000000`, a 6-axis grid) fails at once instead of hanging --dry-run.
MAX_RUNS = 10_000
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Keys a variant may not set: the sweep owns them.
_RESERVED_KEYS = {"seed": "seeds come from the sweep's `seeds:`",
                  "output.dir": "the sweep puts every run in <out>/<name>/runs/<run_id>"}


class SweepFile(BaseModel):
    """The raw sweep file. ``base`` and the overrides are checked against ``GanlabConfig`` separately."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Names the output folder <out>/<name>: letters, digits, '.', '_' and '-'.
    name: str
    description: str = ""
    # A run config mapping, or the path of a run config YAML (relative to the sweep file).
    base: dict[str, Any] | str = Field(default_factory=dict)
    # A count N (seeds 0..N-1) or an explicit list.
    seeds: StrictInt | list[StrictInt] = 3
    # name -> {dotted.key: value}; each is compared against the base ('baseline').
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # {dotted.key: [values]}: every cell of the cartesian product is one more variant.
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    # Concurrent runs per GPU on a GPU machine (small models leave a GPU mostly idle).
    runs_per_gpu: int = Field(1, ge=1, le=1024)
    # Runs at once; None = what the machine holds (CPU cores, or GPUs x runs_per_gpu). --workers wins.
    workers: int | None = Field(None, ge=1, le=4096)
    # The most runs this sweep may expand to; raise it deliberately for a bigger sweep.
    max_runs: int = Field(MAX_RUNS, ge=1, le=10_000_000)
    # How the report decides verdicts (ganlab.stats.plan; docs/report.md explains the defaults).
    analysis: AnalysisPlan = Field(default_factory=AnalysisPlan)
    # A larger baseline arm (seeds 0..N-1, or the seed list extended): the cheapest way to gain power.
    baseline_seeds: int | None = Field(None, ge=1, le=10_000_000)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not _SAFE_NAME.match(name):
            raise ValueError("the name is a folder name: use up to 100 letters, digits, '.', '_' and '-' "
                             "(not starting with '.' or '-')")
        return name

    @field_validator("seeds")
    @classmethod
    def _some_seeds(cls, seeds: int | list[int]) -> int | list[int]:
        if isinstance(seeds, int) and seeds < 1:
            raise ValueError("give a count of at least 1 or a list of seeds")
        if isinstance(seeds, list) and (not seeds or len(set(seeds)) != len(seeds)):
            raise ValueError("give a non-empty list of distinct seeds")
        if isinstance(seeds, list) and not all(0 <= seed <= 2**63 - 1 for seed in seeds):
            raise ValueError("seeds must lie in 0..2**63-1")
        return seeds

    @field_validator("grid")
    @classmethod
    def _non_empty_axes(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"grid axis {key!r} has no values; give a list like [a, b]")
        return grid


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: ``variants`` maps each name (``baseline`` first) to its dotted overrides."""

    name: str
    source: str  # the sweep file's path, or "<sweep>" when built from a dict
    sha256: str  # of the sweep file's text ("" without a file)
    base: GanlabConfig  # the base config, --set applied; its own seed is replaced by each run's seed
    seeds: tuple[int, ...]
    variants: dict[str, dict[str, Any]]
    configs: dict[str, GanlabConfig]  # variant -> base + overrides (unresolved, base seed)
    lines: dict[str, int] = field(default_factory=dict)  # variant -> line in the sweep file
    description: str = ""
    runs_per_gpu: int = 1
    workers: int | None = None
    set_overrides: dict[str, Any] = field(default_factory=dict)
    analysis: AnalysisPlan = field(default_factory=AnalysisPlan)
    baseline_seeds: tuple[int, ...] | None = None  # None: the baseline runs ``seeds`` like every variant
    variant_seeds: dict[str, tuple[int, ...]] = field(default_factory=dict)  # per-variant (sequential rounds)

    def seeds_of(self, variant: str) -> tuple[int, ...]:
        """The seeds ``variant`` runs: its own (a sequential round), the baseline's, or the sweep's."""
        if variant in self.variant_seeds:
            return self.variant_seeds[variant]
        if variant == BASELINE and self.baseline_seeds:
            return self.baseline_seeds
        return self.seeds

    @property
    def n_runs(self) -> int:
        return sum(len(self.seeds_of(v)) for v in self.variants)

    def where(self, variant: str) -> str:
        line = self.lines.get(variant)
        return f"{self.source}:{line}" if line else self.source


def load_sweep_spec(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Sweep:
    """Read and validate a sweep file; ``overrides`` (from ``--set``) change the base before variants apply."""
    data, lines = read_yaml(path, "sweep file")
    text = Path(path).read_bytes()
    return sweep_from_dict(data, str(path), lines, overrides, sha256=hashlib.sha256(text).hexdigest())


def sweep_from_dict(data: Mapping[str, Any], source: str = "<sweep>", lines: Lines | None = None,
                    overrides: Mapping[str, Any] | None = None, sha256: str = "") -> Sweep:
    lines = lines or {}
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_error(err.errors()[0], source, lines)) from None
    _check_size(spec, source, lines)
    base_data, base_source, base_lines = _base_data(spec, source, lines)
    set_overrides = dict(overrides or {})
    for key in set_overrides:
        if key in _RESERVED_KEYS or key.split(".")[0] == "seed":
            raise ConfigError(f"--set {key}: {_RESERVED_KEYS.get(key, _RESERVED_KEYS['seed'])}; edit the sweep file")
    from ganlab.train.load import validate_run  # the registries (and torch) only once a sweep is read

    base = validate_run(base_data, base_source, base_lines, set_overrides)
    base_dict = config_to_dict(base)

    variants: dict[str, dict[str, Any]] = {BASELINE: {}}
    configs: dict[str, GanlabConfig] = {BASELINE: base}
    variant_lines: dict[str, int] = {BASELINE: lines.get(("base",), 0)}
    checked: dict[tuple[str, str], None] = {}
    for name, raw in spec.variants.items():
        line = lines.get(("variants", name), 0)
        where = f"{source}:{line}" if line else source
        if name == BASELINE:
            raise ConfigError(f"{where}: variant name '{BASELINE}' is reserved for the base config; rename it")
        if not name.strip() or not name.isprintable():
            raise ConfigError(f"{where}: variant name {quote(name)} must be non-empty printable text "
                              "(no newlines or control characters)")
        try:
            flat = flatten(raw)
        except RepeatedKeyError as err:
            raise ConfigError(f"{where}: variant {quote(name)}: {err}") from None
        for key, value in flat.items():
            if isinstance(value, Mapping):
                key_line = lines.get(("variants", name, *key.split(".")), line)
                raise ConfigError(f"{source}:{key_line}: variant {quote(name)} sets {quote(key)} to an empty "
                                  "mapping, which would reset every key under it to its default; set the keys you "
                                  "mean, or remove it")
        if not flat:
            raise ConfigError(f"{where}: variant '{name}' overrides nothing; give {{dotted.key: value}} pairs "
                              "(the base itself is the variant 'baseline')")
        for key, value in flat.items():
            key_line = lines.get(("variants", name, *key.split(".")), 0) or lines.get(("variants", name, key), line)
            _check_override(base_dict, source, key_line, f"variant '{name}'", key, value, checked)
        variants[name], variant_lines[name] = flat, line
    grid_where = f"{source}:{lines.get(('grid',), 0)}" if lines.get(("grid",)) else source
    for cell_name, cell in grid_cells(spec.grid, source, lines).items():
        for key, value in cell.items():
            _check_override(base_dict, source, lines.get(("grid", key), 0), f"grid cell {quote(cell_name)}", key,
                            value, checked)
        if cell_name in variants:
            raise ConfigError(f"{grid_where}: grid cell {quote(cell_name)} has the same name as a variant; "
                              "rename the variant")
        variants[cell_name], variant_lines[cell_name] = cell, lines.get(("grid",), 0)
    for name, flat in variants.items():
        if name != BASELINE:
            where = f"{source}:{variant_lines[name]}" if variant_lines[name] else source
            configs[name] = validate_run(base_dict, source, None, flat,
                                         override_origin=f"{where}: variant '{name}' sets")
    seeds = tuple(range(spec.seeds)) if isinstance(spec.seeds, int) else tuple(spec.seeds)
    _check_analysis(spec, source, lines)
    sweep = Sweep(name=spec.name, source=source, sha256=sha256, base=base, seeds=seeds,
                  analysis=spec.analysis, baseline_seeds=_baseline_seeds(spec, seeds, source, lines),
                  variants=variants, configs=configs, lines=variant_lines, description=spec.description,
                  runs_per_gpu=spec.runs_per_gpu, workers=spec.workers, set_overrides=set_overrides)
    check_duplicates(sweep, {name: _comparable(cfg) for name, cfg in configs.items()})
    return sweep


def _check_analysis(spec: SweepFile, source: str, lines: Lines) -> None:
    """Endpoint names in ``analysis`` must be failure, time_to_failure or a final metric."""
    from ganlab.schema import HIGHER_IS_BETTER  # torch-free: validating a file needs no metrics

    for where, name in unknown_endpoints(spec.analysis, HIGHER_IS_BETTER):
        line = lines.get(("analysis", where), 0)
        at = f"{source}:{line}" if line else source
        close = nearest(name, [*EVENT_ENDPOINTS, *HIGHER_IS_BETTER])
        hint = f"; did you mean {quote(close)}?" if close else ""
        raise ConfigError(f"{at}: analysis.{where}: unknown endpoint {quote(name)}{hint} (valid: "
                          f"{', '.join([*EVENT_ENDPOINTS, *HIGHER_IS_BETTER])})")


def _baseline_seeds(spec: SweepFile, seeds: tuple[int, ...], source: str, lines: Lines) -> tuple[int, ...] | None:
    """``baseline_seeds: N``: the sweep's seeds, extended by the next unused integers up to N."""
    n = spec.baseline_seeds
    if n is None:
        return None
    if n < len(seeds):
        line = lines.get(("baseline_seeds",), 0)
        raise ConfigError(f"{source}:{line or '?'}: baseline_seeds = {n}: give at least the {len(seeds)} seeds every "
                          "variant runs (a larger baseline arm), or leave it out")
    extra = itertools.count(max(seeds) + 1)
    return (*seeds, *(next(extra) for _ in range(n - len(seeds))))


def check_duplicates(sweep: Sweep, keys: Mapping[str, Any]) -> None:
    """Raise when two variants have the same key (a comparable config, or a run id)."""
    seen: dict[str, str] = {}
    for name, key in keys.items():
        blob = key if isinstance(key, str) else json.dumps(key, sort_keys=True, default=str)
        if blob in seen:
            first = seen[blob]
            raise ConfigError(f"{sweep.where(name)}: variants '{first}' and '{name}' resolve to the same config, "
                              "so their runs would be the same; change or remove one of them")
        seen[blob] = name


def _comparable(config: GanlabConfig) -> dict[str, Any]:
    """What makes a run: the config without ``output``, with the default width filled in."""
    data = config_to_dict(config)
    data.pop("output", None)
    data["model"]["width"] = config.width
    return data


def _base_data(spec: SweepFile, source: str, lines: Lines) -> tuple[dict[str, Any], str, Lines]:
    if isinstance(spec.base, str):
        path = Path(spec.base)
        if not path.is_absolute() and source != "<sweep>":
            path = Path(source).parent / path
        data, base_lines = read_yaml(path, "base config (the sweep's `base:`)")
        return data, str(path), base_lines
    return spec.base, source, {key[1:]: line for key, line in lines.items() if key[:1] == ("base",) and len(key) > 1}


def _check_override(base: dict[str, Any], source: str, line: int, who: str, key: str, value: Any,
                    checked: dict[tuple[str, str], None]) -> None:
    """One override on its own against the base, so an error names its own line."""
    where = f"{source}:{line}" if line else source
    if key in _RESERVED_KEYS or key.split(".")[0] == "seed":
        raise ConfigError(f"{where}: {who} sets {key}: {_RESERVED_KEYS.get(key, _RESERVED_KEYS['seed'])}")
    memo = (key, json.dumps(value, sort_keys=True, default=str))
    if memo in checked:
        return
    from ganlab.train.load import validate_run

    try:
        validate_run(base, source, None, {key: value}, override_origin=f"{where}: {who} sets")
    except CrossFieldError:
        return  # e.g. a sigmoid output needs data.range [0, 1]: the whole variant is validated next
    checked[memo] = None


def _check_size(spec: SweepFile, source: str, lines: Lines) -> None:
    """Refuse a sweep of more than ``max_runs`` runs, counted without expanding the grid or the seeds."""
    n_seeds = spec.seeds if isinstance(spec.seeds, int) else len(spec.seeds)
    cells = math.prod(len(values) for values in spec.grid.values()) if spec.grid else 0
    # The baseline arm may be larger (`baseline_seeds`); it is never smaller than the others.
    n_runs = (len(spec.variants) + cells) * n_seeds + max(n_seeds, spec.baseline_seeds or 0)
    if n_runs > spec.max_runs:
        line = lines.get(("max_runs",)) or lines.get(("seeds",)) or lines.get(("grid",))
        where = f"{source}:{line}" if line else source
        count = f"{n_runs:,}" if n_runs < 10**15 else f"about 10^{len(str(n_runs)) - 1}"
        raise ConfigError(f"{where}: the sweep has {count} runs (({len(spec.variants)} variants + "
                          f"{cells if cells < 10**15 else 'too many'} grid cells) x "
                          f"{n_seeds if n_seeds < 10**15 else 'too many'} seeds, plus the baseline's), "
                          f"more than max_runs = "
                          f"{spec.max_runs:,}; shrink it, or raise `max_runs:` in the sweep file if you mean it")


def _format_error(err: Mapping[str, Any], source: str, lines: Lines) -> str:
    if err["type"] == "missing":
        loc = ".".join(str(p) for p in err["loc"])
        return f"{source}: the sweep file needs {quote(loc)}"
    if err["loc"][:1] == ("seeds",) and err["type"] != "value_error":
        err = {**err, "type": "seeds", "msg": "give a count N (seeds 0..N-1) or a list of distinct integer seeds"}
    return format_validation_error(err, source, lines, _valid_keys, what="sweep key")


def _valid_keys(path: tuple[str, ...]) -> list[str]:
    models: dict[tuple[str, ...], type[BaseModel]] = {(): SweepFile, ("analysis",): AnalysisPlan,
                                                      ("analysis", "sequential"): SequentialPlan}
    model = models.get(path)
    return list(model.model_fields) if model is not None else []
