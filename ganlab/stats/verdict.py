"""Verdict words from primary-endpoint comparisons: better, worse, equivalent or inconclusive (with why).

- ``worse`` / ``better``: some primary endpoint is significant after the plan's correction over
  variants x primary endpoints, and none points the other way.
- ``equivalent``: every primary endpoint's (1 - 2 alpha) interval lies inside +-margin (two one-sided tests).
- ``inconclusive``: neither. The reason says which: ``underpowered`` (even the most extreme outcome could
  not pass the correction at these arm sizes), ``mixed`` (significant in both directions) or
  ``interval too wide`` (the data could have decided, but the effect's interval straddles the margin).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ganlab.stats.effects import Effect
from ganlab.stats.endpoints import BETTER, WORSE, EndpointResult
from ganlab.stats.fragility import family_rule
from ganlab.stats.multiplicity import Correction, adjust, best_adjusted

EQUIVALENT, INCONCLUSIVE = "equivalent", "inconclusive"
UNDERPOWERED, MIXED, TOO_WIDE = "underpowered", "mixed", "interval too wide"
VERDICTS = (BETTER, WORSE, EQUIVALENT, INCONCLUSIVE)
_LABEL = {"failure": "failure rate", "time_to_failure": "time to failure"}


@dataclass
class Verdict:
    word: str  # one of VERDICTS
    reason: str = ""  # for inconclusive: underpowered / mixed / interval too wide
    sentences: list[str] = field(default_factory=list)  # one per primary endpoint behind the word


def decide(results: Mapping[str, list[EndpointResult]], correction: Correction,
           alpha: Mapping[str, float]) -> dict[str, Verdict]:
    """Correct every variant's primary results together, set each result's ``p_adj`` and ``status``, and
    return each variant's verdict. ``alpha[variant]`` is its level (the plan's alpha, or a sequential look's)."""
    family = [r for rs in results.values() for r in rs]
    for r, q in zip(family, adjust([r.p for r in family], correction), strict=True):
        r.p_adj = float(q)
    m = sum(1 for r in family if not math.isnan(r.p))
    raw, position = [r.p for r in family], {id(r): i for i, r in enumerate(family)}
    out = {}
    for variant, rs in results.items():
        a = alpha[variant]
        for r in rs:
            significant = r.p_adj < a and r.direction in (BETTER, WORSE)
            r.status = r.direction if significant else EQUIVALENT if r.equivalent else INCONCLUSIVE
            # Both under this same rule: family, correction, alpha.
            if significant and r.fragility_of is not None:
                r.fragility = r.fragility_of(family_rule(raw, position[id(r)], correction, a))
            elif not significant and r.to_decide_of is not None and not math.isnan(r.p):
                r.to_decide_rule = family_rule(raw, position[id(r)], correction, a)
        out[variant] = _verdict(rs, correction, m, a)
    return out


def _verdict(rs: list[EndpointResult], correction: Correction, m: int, alpha: float) -> Verdict:
    statuses = {r.status for r in rs}
    if not rs:
        return Verdict(INCONCLUSIVE, "no data", ["No primary endpoint could be compared: no finished runs."])
    decided = [r for r in rs if r.status in (BETTER, WORSE)]
    # Every primary endpoint gets its sentence, the ones behind the word first.
    said = [sentence(r, correction, m, alpha) for r in sorted(rs, key=lambda r: r.status == INCONCLUSIVE)]
    if {BETTER, WORSE} <= statuses:
        return Verdict(INCONCLUSIVE, MIXED, said)
    if decided:
        return Verdict(decided[0].status, "", said)
    if statuses == {EQUIVALENT}:
        return Verdict(EQUIVALENT, "", said)
    open_ = [r for r in rs if r.status == INCONCLUSIVE]
    weak = [r for r in open_ if math.isnan(r.p) or best_adjusted(r.floor, m, correction) >= alpha]
    return Verdict(INCONCLUSIVE, UNDERPOWERED if weak else TOO_WIDE, said)


def sentence(r: EndpointResult, correction: Correction, m: int = 0, alpha: float = math.nan) -> str:
    """One sentence naming the test, the effect and its interval, e.g.
    "modes: ratio 1.7 [1.5, 2.0] (median 299 vs 176; exact Mann-Whitney p=0.008, Holm p=0.13): inconclusive"."""
    e = r.effect
    label = _LABEL.get(r.endpoint, r.endpoint)
    effect = f"{e.kind} {_fmt(e.estimate, e.kind)} {_interval(e)}"
    mc = f" +- {r.mc_error:.1g} (Monte Carlo)" if r.mc_error else ""
    name = "BH" if correction == "bh" else "Holm"
    text = f"{label}: {effect} ({r.detail}; {r.test} {_p_is(r.p)}{mc}, {name} {_p_is(r.p_adj)}): {r.status}"
    if r.status in (BETTER, WORSE):
        text += f" ({fragility_phrase(r)})"
    if r.status == EQUIVALENT and r.margin is not None:
        eq = r.equivalence
        text += (f", its {round(100 * eq.level)}% interval {_interval(eq)} lies inside the margin "
                 f"{_interval_of(r.margin, e.kind)}")
    elif r.status == "inconclusive" and m and not math.isnan(r.p) and best_adjusted(r.floor, m, correction) >= alpha:
        text += (f", underpowered: the smallest p this test can give here is {_p(r.floor)}, "
                 f"{_p(best_adjusted(r.floor, m, correction))} after correction over {m} comparisons")
    elif r.status == "inconclusive" and r.margin is None:
        text += ", not significant and no equivalence margin declared"
    elif r.status == "inconclusive":
        text += f", not significant and its interval is not inside the margin {_interval_of(r.margin, e.kind)}"
    return text


def fragility_phrase(r: EndpointResult) -> str:
    """"fragility 2: 2 runs turned into failures undo it" or the rank-swap reading, for a decided result."""
    if math.isnan(r.fragility):
        return "fragility not defined for this test" if r.fragility_of is None else "fragility: no change undoes it"
    n = int(r.fragility)
    if r.test == "Fisher exact":
        return f"fragility {n}: {n} run{'s' if n != 1 else ''} of the arm with fewer failures turned failed undo it"
    return f"fragility {n}: {n} swap{'s' if n != 1 else ''} of neighbouring values between the arms undo it"


def _fmt(x: float, kind: str) -> str:
    if not math.isfinite(x):
        return "—" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if kind == "rate difference":
        return f"{100 * x:+.0f} points"
    return f"{x:.3g}"


def _interval(e: Effect) -> str:
    return _interval_of((e.lo, e.hi), e.kind)


def _interval_of(bounds: tuple[float, float] | None, kind: str) -> str:
    if bounds is None:
        return "[none]"
    lo, hi = bounds
    if math.isnan(lo) or math.isnan(hi):
        return "[no interval]"
    if kind == "rate difference":
        return f"[{100 * lo:+.0f}, {100 * hi:+.0f}]"
    return f"[{_fmt(lo, kind)}, {_fmt(hi, kind)}]"


def _p_is(p: float) -> str:
    """"p=0.012" or "p<0.001"."""
    text = _p(p)
    return f"p{text}" if text.startswith("<") else f"p={text}"


def _p(p: float) -> str:
    if math.isnan(p):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"
