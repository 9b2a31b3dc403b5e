"""``should_stop`` and ``OnlineMonitor``: online detection ends with the same events as offline."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.config import DiagnosticsConfig
from ganlab.diagnostics import Event, OnlineMonitor, detect, should_stop

from .traces import Shape, healthy, inject_collapse, inject_dominance, inject_nan


def _event(kind: str, step: int, until: int) -> Event:
    return Event(kind, step, "failure", {"until": until}, "m")


@pytest.mark.parametrize(
    ("until", "last_step", "stops"),
    [(399, 400, False), (400, 400, True), (600, 400, True), (350, 1000, False)],
)
def test_should_stop_respects_patience(until: int, last_step: int, stops: bool) -> None:
    config = DiagnosticsConfig(stop_on=("d_dominance",), patience=200)
    event = _event("d_dominance", 200, until)
    assert should_stop([event], last_step, config) == (event if stops else None)


def test_should_stop_ignores_kinds_not_in_stop_on_but_always_stops_on_non_finite() -> None:
    config = DiagnosticsConfig(stop_on=("mode_collapse",), patience=0)
    assert should_stop([_event("d_dominance", 10, 900)], 1000, config) is None
    nan = _event("non_finite", 990, 990)
    assert should_stop([_event("d_dominance", 10, 900), nan], 990, DiagnosticsConfig()) == nan


def test_should_stop_returns_the_earliest_qualifying_event() -> None:
    config = DiagnosticsConfig(stop_on=("d_dominance", "mode_collapse"), patience=100)
    early, late = _event("mode_collapse", 100, 500), _event("d_dominance", 300, 500)
    assert should_stop([late, early], 500, config) == early


def _rows(log):
    """The trainer's rows: dicts, with eval keys only on eval rows."""
    rows = []
    for record in log.to_dict("records"):
        rows.append({k: v for k, v in record.items() if not (k.startswith("eval_") and np.isnan(v))})
    return rows


@pytest.mark.parametrize("seed", [0, 1])
def test_monitor_fed_incrementally_ends_with_offline_events(seed: int) -> None:
    shape = Shape(steps=1500, seed=seed)
    log = inject_dominance(healthy(shape), 700, "grad_norm_g", np.random.default_rng(seed))
    log = inject_collapse(log, 400, False, np.random.default_rng(seed))
    rows = _rows(log)
    config = DiagnosticsConfig(check_every=50)
    monitor = OnlineMonitor(config)
    for step in range(config.check_every, len(rows) + 1, config.check_every):
        monitor.check(rows[:step], step)
    offline = detect(log, config)
    assert {e.kind for e in offline} == {"d_dominance", "mode_collapse"}
    assert monitor.events == offline


def test_monitor_runs_only_the_stopping_detectors_and_agrees_with_offline() -> None:
    shape = Shape(steps=1500, seed=3)
    log = inject_dominance(healthy(shape), 700, "grad_norm_g", np.random.default_rng(3))
    log = inject_collapse(log, 400, False, np.random.default_rng(3))
    rows = _rows(log)
    config = DiagnosticsConfig(stop_on=("mode_collapse",), patience=10_000)
    monitor = OnlineMonitor(config)
    for step in range(50, len(rows) + 1, 50):
        assert monitor.check(rows[:step], step) is None
    assert monitor.kinds == ("mode_collapse",)
    assert monitor.events == [e for e in detect(log, config) if e.kind == "mode_collapse"] != []


def test_monitor_stops_after_patience_and_not_before() -> None:
    shape = Shape(steps=1500, seed=2)
    log = inject_dominance(healthy(shape), 500, "grad_norm_g", np.random.default_rng(2))
    rows = _rows(log)
    config = DiagnosticsConfig(stop_on=("d_dominance",), patience=200, check_every=50)
    monitor = OnlineMonitor(config)
    stopped = None
    for step in range(50, len(rows) + 1, 50):
        stopped = monitor.check(rows[:step], step)
        if stopped:
            break
    assert stopped is not None and stopped.kind == "d_dominance"
    assert step - stopped.step >= config.patience and step - stopped.step < config.patience + 2 * 50


def test_monitor_is_silent_when_disabled_and_passes_context() -> None:
    rows = _rows(inject_nan(healthy(Shape(steps=400, seed=3)), 300, "loss_d"))
    assert OnlineMonitor(DiagnosticsConfig(enabled=False)).check(rows, 400) is None
    monitor = OnlineMonitor(DiagnosticsConfig(), {"non_finite_tensor": "D.main.0.weight"})
    event = monitor.check(rows, 400)
    assert event is not None and event.step == 300 and event.evidence["tensor"] == "D.main.0.weight"


def test_monitor_restarts_when_the_row_list_shrinks() -> None:
    rows = _rows(healthy(Shape(steps=300, seed=4)))
    monitor = OnlineMonitor(DiagnosticsConfig())
    monitor.check(rows, 300)
    monitor.check(rows[:100], 100)
    assert len(monitor.frame()) == 100
