"""CHECK.yaml: a sweep file sized for CI plus a ``check:`` section that says what counts as a regression.

```yaml
name: ci
base: {...}            # a run config, as in any sweep file
seeds: 3
variants: {...}
check:
  must_be_stable: [baseline]     # any event in these variants fails the check
  allow: [oscillation]           # event kinds that never fail it
  alpha: 0.05                    # family-wise error rate of the failure-rate tests (Holm)
  tolerances: {modes: 50, kl: "20%"}   # how much worse a metric's mean may get: absolute, or "N%" of baseline
  calibrate_levels: true         # --update-baseline calibrates the collapse levels on must_be_stable's runs
```
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from ganlab.config import config_to_dict
from ganlab.config.load import read_yaml
from ganlab.config.messages import format_validation_error, quote
from ganlab.config.types import Number
from ganlab.errors import ConfigError
from ganlab.schema import EVENT_KINDS, EventKind
from ganlab.sweep.spec import Sweep, sweep_from_dict

_PERCENT = re.compile(r"^\s*(\d+(\.\d+)?)\s*%\s*$")


def _metric_directions() -> dict[str, bool]:
    from ganlab.schema import HIGHER_IS_BETTER  # torch-free: validating a file needs no metrics

    return dict(HIGHER_IS_BETTER)


class CheckSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    must_be_stable: tuple[str, ...] = ("baseline",)
    allow: tuple[EventKind, ...] = ()
    alpha: Number = Field(0.05, gt=0.0, lt=1.0)
    tolerances: dict[str, float | str] = Field(default_factory=dict)
    # Diversity and duplicate-rate levels measured on the baseline's healthy seeds (ganlab.check.levels)
    calibrate_levels: StrictBool = True

    @field_validator("tolerances", mode="before")
    @classmethod
    def _finite_tolerances(cls, tolerances: Any) -> Any:
        # Before pydantic's lax float: it reads `true` as 1.0 and takes `.nan`, and a NaN tolerance makes
        # every comparison pass.
        if not isinstance(tolerances, Mapping):
            return tolerances  # pydantic says what type it expected
        for metric, tol in tolerances.items():
            amount = _percent(tol) if isinstance(tol, str) else tol
            if isinstance(tol, bool) or not isinstance(amount, int | float) or not math.isfinite(amount) \
                    or amount < 0:
                raise ValueError(f"tolerance of {metric} must be a finite number >= 0 or a percentage like "
                                 f"'10%', got {quote(tol)}")
        return tolerances

    @field_validator("allow", mode="before")
    @classmethod
    def _known_kinds(cls, kinds: Any) -> Any:
        if not isinstance(kinds, list | tuple):
            return kinds  # pydantic says what type it expected
        unknown = [k for k in kinds if k not in EVENT_KINDS]
        if unknown:
            raise ValueError(f"unknown event kind(s) {', '.join(map(quote, unknown))}; "
                             f"valid: {', '.join(EVENT_KINDS)}")
        return tuple(EventKind(k) for k in kinds)

    @field_validator("tolerances")
    @classmethod
    def _known_metrics(cls, tolerances: dict[str, float | str]) -> dict[str, float | str]:
        directions = _metric_directions()
        for metric in tolerances:
            if metric not in directions:
                raise ValueError(f"unknown metric {quote(metric)}; valid: {', '.join(sorted(directions))}")
        return tolerances


def _percent(text: str) -> float | None:
    """``'10%'`` -> 10.0; None when ``text`` is not a percentage."""
    match = _PERCENT.match(text)
    return float(match.group(1)) if match else None


def tolerance_amount(tolerance: float | str, baseline_value: float) -> float:
    """The allowed worsening: an absolute number, or a percentage of the baseline's value."""
    if isinstance(tolerance, str):
        percent = _percent(tolerance)
        assert percent is not None  # validated on load
        return abs(baseline_value) * percent / 100.0
    return float(tolerance)


@dataclass(frozen=True)
class CheckSpec:
    sweep: Sweep  # with --set applied
    settings: CheckSettings
    definition_hash: str  # of the check file's resolved runs, before --set


def definition_hash(sweep: Sweep) -> str:
    """Hash of what the check file asks for: every variant's full config and the seeds (``output`` aside)."""
    configs = {}
    for name, cfg in sweep.configs.items():
        data = config_to_dict(cfg)
        data.pop("output", None)
        configs[name] = data
    blob = json.dumps({"seeds": list(sweep.seeds), "configs": configs}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_check(path: str | Path, overrides: Mapping[str, Any] | None = None) -> CheckSpec:
    """Read CHECK.yaml: the sweep part is validated as a sweep file, ``check:`` as ``CheckSettings``."""
    data, lines = read_yaml(path, "check file")
    # No `check:` key means the defaults; a `check:` that holds no mapping (0, false, '', [], null) is a
    # mistake, never "no gate".
    raw_settings = data.pop("check", {})
    sweep_lines = {k: v for k, v in lines.items() if k[:1] != ("check",)}
    if not isinstance(raw_settings, Mapping):
        raise ConfigError(f"{path}:{lines.get(('check',), 0)}: check: must be a mapping of settings, "
                          f"got {quote(raw_settings)} (valid keys: {', '.join(CheckSettings.model_fields)})")
    try:
        settings = CheckSettings.model_validate(raw_settings)
    except ValidationError as err:
        raise ConfigError(format_validation_error(
            err.errors()[0], str(path), lines, lambda p: [] if p else list(CheckSettings.model_fields),
            prefix=("check",))) from None
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    as_written = sweep_from_dict(data, str(path), sweep_lines, None, sha256=sha)
    sweep = sweep_from_dict(data, str(path), sweep_lines, overrides, sha256=sha) if overrides else as_written
    missing = [v for v in settings.must_be_stable if v not in sweep.variants]
    if missing:
        line = lines.get(("check", "must_be_stable"))
        raise ConfigError(f"{path}:{line}: check.must_be_stable names unknown variant(s) "
                          f"{', '.join(map(quote, missing))}; valid: {', '.join(map(quote, sweep.variants))}")
    return CheckSpec(sweep=sweep, settings=settings, definition_hash=definition_hash(as_written))
