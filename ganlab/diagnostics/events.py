"""Events: what a detector reports. ``step`` is the onset, the first step of the condition."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Two severities only, so a person can sort by them: "warning" means training is degraded but may
# still be useful (partial mode collapse, a transient gradient spike); "failure" means the run is
# not producing a working generator (NaN, D won outright, full collapse, sustained explosion).
WARNING = "warning"
FAILURE = "failure"
SEVERITIES = (WARNING, FAILURE)

Evidence = dict[str, float | int | str]


def _plain(value: Any) -> float | int | str:
    """A JSON-safe evidence value: numpy scalars become Python ones; NaN/Inf become strings."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    return str(value)


@dataclass(frozen=True)
class Event:
    """One detected condition.

    ``kind`` is a detector name (a key of ``DETECTORS``), ``step`` the onset, ``severity`` one of
    ``SEVERITIES``, ``evidence`` the numbers behind the call (always with ``until``, the last step
    at which the condition held), ``message`` one line a person can act on.
    """

    kind: str
    step: int
    severity: str
    evidence: Evidence = field(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        # Normalise here so events compare equal however they were built (numpy vs Python scalars).
        object.__setattr__(self, "step", int(self.step))
        object.__setattr__(self, "evidence", {str(k): _plain(v) for k, v in self.evidence.items()})

    @property
    def until(self) -> int:
        """Last step at which the condition held (the onset when the detector did not say)."""
        until = self.evidence.get("until", self.step)
        return int(until) if isinstance(until, int | float) else self.step

    def to_dict(self) -> dict[str, Any]:
        """``{kind, step, severity, evidence, message}``, JSON-safe."""
        return {
            "kind": self.kind,
            "step": self.step,
            "severity": self.severity,
            "evidence": dict(self.evidence),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            kind=str(data["kind"]),
            step=int(data["step"]),
            severity=str(data["severity"]),
            evidence=dict(data.get("evidence") or {}),
            message=str(data.get("message", "")),
        )


def earliest_per_episode(events: list[Event]) -> list[Event]:
    """One event per overlapping episode (onset..until), the earliest; for detectors that watch
    several columns which fail together (loss_d and loss_g, grad_norm_d and grad_norm_g)."""
    kept: list[Event] = []
    for e in sorted(events, key=lambda e: e.step):
        if kept and e.step <= kept[-1].until:
            continue
        kept.append(e)
    return kept
