"""Helpers on detectors' events (``ganlab.schema.events`` defines ``Event``, its kinds and severities).

They take anything with a kind, an onset and an end (``Spell``): an ``Event``, or an incremental
detector's cheaper ``Episode``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from ganlab.schema.events import EventKind

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig


class Spell(Protocol):
    """Anything with a kind, an onset and an end, as an ``Event`` has (and the incremental detectors' episodes)."""

    @property
    def kind(self) -> EventKind: ...

    @property
    def step(self) -> int: ...

    @property
    def until(self) -> int: ...


S = TypeVar("S", bound=Spell)


def earliest_per_episode(events: list[S]) -> list[S]:
    """One event per overlapping episode (onset..until), the earliest; for detectors that watch
    several columns which fail together (loss_d and loss_g, grad_norm_d and grad_norm_g)."""
    kept: list[S] = []
    for e in sorted(events, key=lambda e: e.step):
        if kept and e.step <= kept[-1].until:
            continue
        kept.append(e)
    return kept


def should_stop(events: Sequence[S], last_step: int, config: DiagnosticsConfig) -> S | None:
    """The earliest event that should end the run now, or None.

    An event stops the run when its kind is in ``config.stop_on`` and its condition has held for
    ``config.patience`` steps past its onset (``until - step``, ``until`` capped at ``last_step``).
    ``non_finite`` stops at once whatever the config says: nothing useful can follow a NaN.
    """
    for event in sorted(events, key=lambda e: e.step):
        if event.kind == EventKind.NON_FINITE:
            return event
        if event.kind in config.stop_on and min(event.until, last_step) - event.step >= config.patience:
            return event
    return None
