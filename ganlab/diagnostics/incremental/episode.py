"""What an incremental detector reports after each update: episodes, cheap to list, built into events on demand.

A check needs only an episode's kind, onset, end and severity (``should_stop``); its evidence (medians
over the episode, messages) is computed when someone asks for the events, and kept once the episode
can no longer change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ganlab.schema import Event, EventKind, Severity


@dataclass(frozen=True)
class Episode:
    """One event-to-be: ``step`` (onset) and ``until`` as the event will have them; ``build`` makes it."""

    kind: EventKind
    step: int
    until: int
    severity: Severity
    build: Callable[[], Event] = field(compare=False, repr=False)


class EventCache:
    """Events built once per key (the rows an episode covers, with everything that decides its numbers)."""

    def __init__(self) -> None:
        self._built: dict[tuple, Event] = {}

    def get(self, key: tuple, final: bool, build: Callable[[], Event]) -> Event:
        if key in self._built:
            return self._built[key]
        event = build()
        if final:
            self._built[key] = event
        return event
