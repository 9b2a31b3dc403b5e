"""Events (``events.json``, ``run.json``'s ``events``): their kinds, severities, the ``Event`` record and its file.

``EventKind`` and ``Severity`` are closed vocabularies: code compares members, never string literals, so
a misspelt kind fails at import. A member is a ``str`` (``EventKind.MODE_COLLAPSE == "mode_collapse"``),
so files and DataFrames hold the plain value.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.io import atomic_write_json


class EventKind(StrEnum):
    """What a detector reports, one kind per detector (``ganlab.diagnostics.DETECTORS``), in report order."""

    NON_FINITE = "non_finite"
    D_DOMINANCE = "d_dominance"
    MODE_COLLAPSE = "mode_collapse"
    GRADIENT_EXPLOSION = "gradient_explosion"
    OSCILLATION = "oscillation"
    QUALITY_COLLAPSE = "quality_collapse"


class Severity(StrEnum):
    """Two only, so a person can sort by them: ``warning`` means training is degraded but may still be useful
    (partial mode collapse, a transient gradient spike); ``failure`` means the run is not producing a working
    generator (NaN, D won outright, full collapse, sustained explosion)."""

    WARNING = "warning"
    FAILURE = "failure"


EVENT_KINDS: tuple[EventKind, ...] = tuple(EventKind)
SEVERITIES: tuple[Severity, ...] = tuple(Severity)

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


def _member(enum: type[StrEnum], value: Any, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"{what} must be one of {tuple(m.value for m in enum)}, got {value!r}") from None


@dataclass(frozen=True)
class Event:
    """One detected condition.

    ``kind`` names the detector, ``step`` is the onset (the first step of the condition), ``evidence``
    the numbers behind the call (always with ``until``, the last step at which the condition held),
    ``message`` one line a person can act on. Plain strings for ``kind`` and ``severity`` become members.
    """

    kind: EventKind
    step: int
    severity: Severity
    evidence: Evidence = field(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        # Normalise here so events compare equal however they were built (strings vs members, numpy vs Python).
        object.__setattr__(self, "kind", _member(EventKind, self.kind, "kind"))
        object.__setattr__(self, "severity", _member(Severity, self.severity, "severity"))
        object.__setattr__(self, "step", int(self.step))
        object.__setattr__(self, "evidence", {str(k): _plain(v) for k, v in self.evidence.items()})

    @property
    def until(self) -> int:
        """Last step at which the condition held (the onset when the detector did not say)."""
        until = self.evidence.get("until", self.step)
        return int(until) if isinstance(until, int | float) else self.step

    def to_dict(self) -> dict[str, Any]:
        """``{kind, step, severity, evidence, message}``, JSON-safe: the ``events.json`` entry."""
        return {
            "kind": self.kind.value,
            "step": self.step,
            "severity": self.severity.value,
            "evidence": dict(self.evidence),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            kind=data["kind"],
            step=int(data["step"]),
            severity=data["severity"],
            evidence=dict(data.get("evidence") or {}),
            message=str(data.get("message", "")),
        )


def write_events(path: str | Path, events: list[Event]) -> None:
    """``events.json``: the list of ``Event.to_dict()``, written atomically."""
    atomic_write_json(path, [e.to_dict() for e in events])


def read_events(path: str | Path) -> list[Event]:
    """The events of an ``events.json``; raises ``OSError``/``ValueError`` for a missing or malformed file."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of events")
    return [Event.from_dict(e) for e in data]
