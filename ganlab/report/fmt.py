"""Number formatting shared by the HTML, summary.md and the guideline text (plain strings, never markup)."""

from __future__ import annotations

import math
from typing import Any

DASH = "—"


def num(x: Any, digits: int = 3) -> str:
    """3 significant digits; integers stay whole; NaN/None -> an em dash."""
    if x is None:
        return DASH
    x = float(x)
    if not math.isfinite(x):
        return DASH if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def pct(x: Any) -> str:
    if x is None or not math.isfinite(float(x)):
        return DASH
    return f"{100 * float(x):.0f}%"


def pval(p: Any) -> str:
    if p is None or not math.isfinite(float(p)):
        return DASH
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_is(p: Any) -> str:
    """"p=0.012" or "p<0.001"."""
    text = pval(p)
    return f"p{text}" if text.startswith("<") else f"p={text}"


def interval(lo: Any, hi: Any, as_pct: bool = False) -> str:
    f = pct if as_pct else num
    if lo is None or hi is None or not (math.isfinite(float(lo)) and math.isfinite(float(hi))):
        return ""
    return f"[{f(lo)}, {f(hi)}]"


def steps(x: Any) -> str:
    """A step count, or "not reached" for a median the survival curve never gets to."""
    if x is None or not math.isfinite(float(x)):
        return "not reached"
    return str(int(round(float(x))))


def seconds(s: Any) -> str:
    if s is None or not math.isfinite(float(s)):
        return DASH
    s = float(s)
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"
