"""The false-alarm / miss sweep behind the tables in docs/diagnostics.md (not part of the test run).

    python -m tests.diagnostics.sweep 3000 300    # healthy traces, traces per failure kind

Prints the events found on healthy traces, and per failure kind how many were found, with the
onset within 5% of the run length, with the expected severity and with no other event.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

import numpy as np

from ganlab.diagnostics import detect

from . import traces as t


def _shape(rng: np.random.Generator, seed: int, min_steps: int = 300) -> t.Shape:
    return t.Shape(
        steps=int(rng.integers(min_steps, 3001)),
        log_every=int(rng.choice([1, 1, 2, 5])),
        modes_total=[None, 10, 25, 1000][int(rng.integers(4))],
        features=bool(rng.integers(2)),
        seed=seed,
    )


def _inject(kind: str, rng: np.random.Generator, seed: int):
    """(log, onset, expected severity), or None when the drawn run is too short for this failure."""
    shape = _shape(rng, seed, 900 if kind == "mode_collapse" else 300)
    if kind == "mode_collapse" and shape.modes_total is None:
        shape = t.Shape(shape.steps, shape.log_every, None, True, seed)
    log, n = t.healthy(shape), shape.steps
    steps = log["step"].to_numpy()

    def pick(low: float, high: float) -> int | None:
        options = steps[(steps >= low) & (steps <= high)]
        return int(rng.choice(options)) if len(options) else None

    if kind == "non_finite":
        k = pick(1, n)
        column = str(rng.choice(["loss_d", "loss_g", "grad_norm_d", "grad_norm_g", "d_real"]))
        return t.inject_nan(log, k, column, float(rng.choice([np.nan, np.inf, -np.inf]))), k, "failure"
    if kind == "d_dominance":
        k = pick(0.1 * n, n - max(150, 0.1 * n))
        vanishing = str(rng.choice(["grad_norm_d", "grad_norm_g"]))
        if k is None:
            return None
        log = t.inject_dominance(log, k, vanishing, rng)
        if vanishing == "grad_norm_d":  # only D's gradient gone: dominance needs G's samples to stall too
            log = t.inject_collapse(log, k, False, rng)
        return log, k, "failure"
    if kind == "mode_collapse":
        full = bool(rng.integers(2))
        k = pick(0.1 * n, n - 500 - 2 * shape.eval_every)
        return None if k is None else (t.inject_collapse(log, k, full, rng), k, "failure" if full else "warning")
    if kind == "gradient_explosion":
        columns = [("grad_norm_d",), ("grad_norm_g",), ("grad_norm_d", "grad_norm_g")][int(rng.integers(3))]
        k = pick(max(0.1 * n, 250), n - 60)  # after explosion_burn_in (200) and its reference
        rate, cap = rng.uniform(1.2, 3.0), 10 ** rng.uniform(1.5, 4)
        return t.inject_explosion(log, k, columns, rate, cap), k, "failure"
    period = rng.uniform(60, 300)
    k = pick(0.1 * n, n - 3 * period)
    return None if k is None else (t.inject_oscillation(log, k, period, rng.uniform(0.6, 1.0)), k, "warning")


def main(healthy_runs: int, failing_runs: int) -> None:
    alarms: Counter[tuple[str, str]] = Counter()
    for seed in range(healthy_runs):
        for e in detect(t.healthy(_shape(np.random.default_rng(seed + 10_000), seed))):
            alarms[(e.kind, e.severity)] += 1
    print(f"{healthy_runs} healthy traces: {dict(alarms) or 'no events'}")
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    for seed in range(failing_runs):
        rng = np.random.default_rng(seed + 50_000)
        for kind in ("non_finite", "d_dominance", "mode_collapse", "gradient_explosion", "oscillation"):
            drawn = _inject(kind, rng, seed)
            if drawn is None:
                continue
            log, k, severity = drawn
            events = detect(log)
            hit = [e for e in events if e.kind == kind]
            stats[kind]["runs"] += 1
            stats[kind]["found"] += bool(hit)
            stats[kind]["onset within 5%"] += bool(hit) and bool(abs(hit[0].step - k) <= 0.05 * log["step"].iloc[-1])
            stats[kind]["severity right"] += bool(hit) and hit[0].severity == severity
            stats[kind]["no other event"] += all(e.kind == kind for e in events)
    for kind, counts in stats.items():
        print(f"{kind}: {dict(counts)}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
