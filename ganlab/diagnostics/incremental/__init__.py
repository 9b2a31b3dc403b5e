"""Incremental detection: the detectors' state carried from one check to the next, so a check costs the
new rows (and the few rows whose windows they move), not a re-run over the whole log.

``IncrementalDetector(config).extend(rows)`` takes the rows logged since the last call; ``events()``
equals ``detect`` on the whole log so far (``tests/diagnostics/test_incremental.py`` holds the two
equal on random logs checked at random points), and ``stop(step)`` is ``should_stop`` on them. The
trainer's ``OnlineMonitor`` and ``ganlab.Monitor`` run on it; ``ganlab diagnose`` runs ``detect``.

A detector without an incremental form here (``STREAMS``) is run as a batch on the whole log at each
check: correct, but not incremental.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.collapse import g_side_config
from ganlab.diagnostics.incremental.buffer import LogBuffer
from ganlab.diagnostics.incremental.collapse import CollapseStream, EvalCore
from ganlab.diagnostics.incremental.dominance import DominanceStream
from ganlab.diagnostics.incremental.episode import Episode
from ganlab.diagnostics.incremental.explosion import ExplosionStream
from ganlab.diagnostics.incremental.nonfinite import NonFiniteStream
from ganlab.diagnostics.incremental.oscillation import OscillationStream
from ganlab.diagnostics.incremental.quality import QualityStream
from ganlab.diagnostics.nonfinite import with_tensor
from ganlab.schema import Event, EventKind


class Stream(Protocol):
    def update(self, log: LogBuffer, start: int) -> None: ...

    def episodes(self, log: LogBuffer) -> list[Episode]: ...


Factory = Callable[[DiagnosticsConfig, float, LogBuffer, "EvalCore | None"], Stream]

STREAMS: dict[EventKind, Factory] = {
    EventKind.NON_FINITE: lambda config, st, log, core: NonFiniteStream(log),
    EventKind.D_DOMINANCE: lambda config, st, log, core: DominanceStream(config, st, core),  # type: ignore[arg-type]
    EventKind.MODE_COLLAPSE: lambda config, st, log, core: CollapseStream(core),  # type: ignore[arg-type]
    EventKind.GRADIENT_EXPLOSION: lambda config, st, log, core: ExplosionStream(config, st),
    EventKind.OSCILLATION: lambda config, st, log, core: OscillationStream(config, st, log),
    EventKind.QUALITY_COLLAPSE: lambda config, st, log, core: QualityStream(config),
}
NEEDS_EVAL_CORE = (EventKind.D_DOMINANCE, EventKind.MODE_COLLAPSE)


class BatchStream:
    """A detector without an incremental form: the batch function on the whole log, at every check."""

    def __init__(self, kind: EventKind, config: DiagnosticsConfig):
        self.kind, self.config = kind, config

    def update(self, log: LogBuffer, start: int) -> None:
        pass

    def episodes(self, log: LogBuffer) -> list[Episode]:
        from ganlab.diagnostics.registry import DETECTORS

        events = DETECTORS[self.kind](log.frame(), self.config) if log.n else []
        return [Episode(e.kind, e.step, e.until, e.severity, functools.partial(_same, e)) for e in events]


def _same(event: Event) -> Event:
    return event


class IncrementalDetector:
    """``detect`` on a growing log, carrying each detector's state between calls.

    ``kinds`` (default: ``config.detectors``) are the detectors that run; ``context`` is ``detect``'s
    (``non_finite_tensor``, ``non_finite_step``).
    """

    def __init__(self, config: DiagnosticsConfig, kinds: Sequence[str] | None = None,
                 context: Mapping[str, Any] | None = None):
        wanted = set(config.detectors if kinds is None else kinds)
        self.config = config
        self.kinds = tuple(k for k in config.detectors if k in wanted)  # detect's order breaks ties
        self.context: dict[str, Any] = dict(context or {})
        self.log = LogBuffer()
        self.rebuilds = 0  # times the whole log was read again (a column appeared, the stride changed...)
        self._build()

    def _build(self) -> None:
        self.stride = self.log.stride()
        self.core = EvalCore(self.config, self.log) if set(NEEDS_EVAL_CORE) & set(self.kinds) else None
        # G's side (d_dominance's "G's output is low", and whether G recovered) ignores a short run's
        # duplicates rule (collapse.g_side_config)
        g_side = g_side_config(self.config)
        self.g_core = EvalCore(g_side, self.log) if g_side is not self.config and self.core is not None else self.core
        self.streams: dict[str, Stream] = {
            kind: STREAMS[kind](self.config, self.stride, self.log, self.core) if kind in STREAMS
            else BatchStream(kind, self.config) for kind in self.kinds}
        for kind in NEEDS_EVAL_CORE:
            stream = self.streams.get(kind)
            if isinstance(stream, DominanceStream | CollapseStream) and self.g_core is not None:
                stream.g_core = self.g_core

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Take the rows logged since the last call (mappings with at least ``step``)."""
        start = self.log.n
        if self.log.add(rows) or self.log.stride() != self.stride:
            self._build()
            self.rebuilds += 1
            start = 0
        for core in {id(c): c for c in (self.core, self.g_core) if c is not None}.values():
            core.update(self.log, start)
        for stream in self.streams.values():
            stream.update(self.log, start)

    def episodes(self) -> list[Episode]:
        """Every event-to-be, in ``detect``'s order (onset, then detector order), without its evidence."""
        found = [e for stream in self.streams.values() for e in stream.episodes(self.log)]
        return sorted(found, key=lambda e: (e.step, self.kinds.index(e.kind)))

    def events(self) -> list[Event]:
        """``detect(log so far, config, context)`` restricted to ``kinds``."""
        events = [e.build() for e in self.episodes()]
        if EventKind.NON_FINITE in self.kinds:
            last = int(self.log.steps.view[-1]) if self.log.n else None
            step = self.context.get("non_finite_step")
            tensor = self.context.get("non_finite_tensor")
            events = with_tensor(events, tensor, None if step is None else int(step), last)
        return sorted(events, key=lambda e: (e.step, self.kinds.index(e.kind)))

    def stop(self, step: int, should_stop: Callable[..., Any]) -> Event | None:
        """The event that should end the run now (``should_stop`` on the episodes), built, or None."""
        if self.context.get("non_finite_tensor"):
            return should_stop(self.events(), step, self.config)
        found = should_stop(self.episodes(), step, self.config)
        return None if found is None else found.build()
