"""The calibration table: each detector's false-alarm rate, miss rate and onset error on a labelled corpus.

Pure functions of the ground truth (``ganlab.calibration.truth``) and the detectors' events, so the
regression tests and ``python -m ganlab.calibration table`` share them.

* a *false alarm* is any event (warning or failure) of a detector on a run labelled healthy;
* a *miss* is a run labelled with a detector's kind on which that detector reported nothing;
* the *onset error* is the event's step minus the ground-truth onset, in steps (positive = late).

Events of other kinds on a broken run are listed but not scored: a collapsed run may well show D
winning too, and either report sends the user to the right place. A run broken in a way no detector
names (``quality_lost``: its samples left the data manifold while its modes held) is scored apart:
flagged when any event fired on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganlab.schema import EVENT_KINDS, Event, EventKind, Severity

# The ground truth's labels that are not an EventKind, and a mode collapse's two severities there
# (the detector's are failure and warning).
HEALTHY, QUALITY_LOST = "healthy", "quality_lost"
FULL, PARTIAL = "full", "partial"


@dataclass
class DetectorScore:
    kind: str
    healthy: int = 0
    positives: int = 0
    false_alarms: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    onset_errors: list[int] = field(default_factory=list)


def verdict(label: str, events: Sequence[Event], severity: str = "") -> str:
    """ok (healthy, silent), false alarm, detected (its kind fired) or missed. For a collapse whose
    ``severity`` (full/partial) is given, a detection with the other severity says so."""
    kinds = {e.kind for e in events}
    if label == HEALTHY:
        return "ok" if not kinds else "false alarm"
    if label not in EVENT_KINDS:
        return f"flagged ({', '.join(sorted(kinds))})" if kinds else "missed (no event)"
    if label not in kinds:
        return "missed"
    first = min((e for e in events if e.kind == label), key=lambda e: e.step)
    expected = {FULL: Severity.FAILURE, PARTIAL: Severity.WARNING}.get(severity)
    return "detected" if expected in (None, first.severity) else f"detected as {first.severity}, not {expected}"


def score(labels: Mapping[str, tuple[str, int | None]], events: Mapping[str, Sequence[Event]],
          kinds: Sequence[str] = EVENT_KINDS) -> dict[str, DetectorScore]:
    """Per detector kind, its counts over the runs in ``labels`` (run -> (label, truth onset step))."""
    out = {k: DetectorScore(k) for k in kinds}
    for run, (label, onset) in labels.items():
        found: dict[str, Event] = {}
        for e in sorted(events.get(run, ()), key=lambda e: e.step):
            found.setdefault(e.kind, e)
        for kind, row in out.items():
            if label == HEALTHY:
                row.healthy += 1
                if kind in found:
                    row.false_alarms.append(run)
            elif label == kind:
                row.positives += 1
                if kind not in found:
                    row.misses.append(run)
                elif onset is not None:
                    row.onset_errors.append(found[kind].step - onset)
    return out


def _rate(bad: list[str], n: int) -> str:
    return "n/a (0 runs)" if n == 0 else f"{len(bad)}/{n}" + (f" ({', '.join(bad)})" if bad else "")


def _onset(errors: list[int]) -> str:
    if not errors:
        return "n/a"
    ordered = sorted(errors)
    median = float(np.median(ordered))
    return f"median {median:+g}, range {ordered[0]:+d} to {ordered[-1]:+d}"


def _fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def markdown(runs: Sequence[Any], truths: Mapping[str, Any], events: Mapping[str, Sequence[Event]]) -> str:
    """The per-detector table, then one row per run (``runs``: CorpusRun; ``truths``: Truth by run name)."""
    labels = {r.name: (truths[r.name].label, truths[r.name].onset) for r in runs}
    scores = score(labels, events)
    lines = ["| detector | false alarms (healthy runs) | misses (runs of its kind) | onset error (steps) |",
             "|---|---|---|---|"]
    for s in scores.values():
        lines.append(f"| `{s.kind}` | {_rate(s.false_alarms, s.healthy)} | {_rate(s.misses, s.positives)} "
                     f"| {_onset(s.onset_errors)} |")
    other = {name: label for name, (label, _) in labels.items() if label != HEALTHY and label not in EVENT_KINDS}
    flagged = [name for name in other if events.get(name)]
    lines += ["", f"Runs broken in a way no detector names (`quality_lost`), flagged by some event: "
              f"{_rate(flagged, len(other))}.",
              "", "Onset errors are scored only where the ground truth has an onset: a run that was never "
              "healthy (collapsed from its first evaluation) has none.", "",
              "| run | intended | ground truth | modes (10k) | coverage | KL | effective | precision "
              "| D(x), D(G(z)) at end | G grad end/peak | events | verdict |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        t = truths[r.name]
        label = t.label + (f" ({t.severity})" if t.severity and t.label == EventKind.MODE_COLLAPSE else "")
        label += f" @{labels[r.name][1]}" if labels[r.name][1] is not None else ""
        shown = ", ".join(f"{e.kind}@{e.step} {e.severity}" for e in events.get(r.name, ())) or "none"
        lines.append(f"| {r.name} | {r.intended} | {label} | {_fmt(t.modes, 'd')} | {_fmt(t.coverage, '.2f')} "
                     f"| {_fmt(t.kl, '.2f')} | {_fmt(t.effective, '.2f')} | {_fmt(t.precision, '.2f')} "
                     f"| {t.d_real_end:.2f}, {t.d_fake_end:.2f} "
                     f"| {t.g_grad_end_ratio:.2f} "
                     f"| {shown} | {verdict(t.label, events.get(r.name, ()), t.severity)} |")
    return "\n".join(lines) + "\n"
