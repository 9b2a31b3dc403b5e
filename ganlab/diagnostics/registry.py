"""The detector registry and ``detect``, the one entry point the trainer and ``ganlab diagnose`` share.

Adding a detector means adding one entry to ``DETECTORS`` (and its kind to ``ganlab.schema.EventKind``,
which the config validates against and ``results.parquet`` has a column for).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.collapse import mode_collapse
from ganlab.diagnostics.dominance import d_dominance
from ganlab.diagnostics.explosion import gradient_explosion
from ganlab.diagnostics.log import prepare
from ganlab.diagnostics.nonfinite import non_finite, with_tensor
from ganlab.diagnostics.oscillation import oscillation
from ganlab.diagnostics.quality import quality_collapse
from ganlab.schema import EVENT_KINDS, Event, EventKind

Detector = Callable[[pd.DataFrame, DiagnosticsConfig], list[Event]]

DETECTORS: dict[EventKind, Detector] = {
    EventKind.NON_FINITE: non_finite,
    EventKind.D_DOMINANCE: d_dominance,
    EventKind.MODE_COLLAPSE: mode_collapse,
    EventKind.GRADIENT_EXPLOSION: gradient_explosion,
    EventKind.OSCILLATION: oscillation,
    EventKind.QUALITY_COLLAPSE: quality_collapse,
}
assert tuple(DETECTORS) == EVENT_KINDS, "one detector per EventKind, in its order"


def detect(
    log: pd.DataFrame, config: DiagnosticsConfig | None = None, context: Mapping[str, Any] | None = None
) -> list[Event]:
    """Run the configured detectors on a metrics log; events sorted by onset step.

    ``log`` follows docs/metrics-schema.md (extra columns ignored, missing optional columns switch
    off the detectors that need them). ``context`` may carry ``non_finite_tensor`` (a name such as
    "grad of D.main.3.weight") and ``non_finite_step`` (the step the run stopped at), which the trainer
    and ``diagnose`` pass from run.json; without the step, the last logged step is used.
    ``config.enabled`` is not consulted here: it switches the trainer's diagnostics, not this pure function.
    """
    config = config or DiagnosticsConfig()
    frame = prepare(log)
    events: list[Event] = []
    if not frame.empty:
        for kind in config.detectors:
            events.extend(DETECTORS[kind](frame, config))
    context = context or {}
    if EventKind.NON_FINITE in config.detectors:
        last = int(frame["step"].iloc[-1]) if not frame.empty else None
        step = context.get("non_finite_step")
        events = with_tensor(events, context.get("non_finite_tensor"), None if step is None else int(step), last)
    return sorted(events, key=lambda e: (e.step, config.detectors.index(e.kind)))
