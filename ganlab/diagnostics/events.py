"""Helpers on detectors' events (``ganlab.schema.events`` defines ``Event``, its kinds and severities)."""

from __future__ import annotations

from ganlab.schema.events import Event


def earliest_per_episode(events: list[Event]) -> list[Event]:
    """One event per overlapping episode (onset..until), the earliest; for detectors that watch
    several columns which fail together (loss_d and loss_g, grad_norm_d and grad_norm_g)."""
    kept: list[Event] = []
    for e in sorted(events, key=lambda e: e.step):
        if kept and e.step <= kept[-1].until:
            continue
        kept.append(e)
    return kept
