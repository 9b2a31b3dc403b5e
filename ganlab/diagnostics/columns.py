"""Which metrics-log columns each detector needs, the names other code logs them under, and the one-line
error for a log that lacks one.

A log is read for the detectors that are enabled (``diagnostics.detectors``): a column no enabled
detector reads (``lr_d``, ``lr_g``, ``time_s``, the evaluation columns) is never required. Known other
spellings (``lossD``, pytorch/examples' ``Loss_D`` and ``D(x)``, ``loss/d``...) are renamed to the
schema's names; a near miss that is no known alias gets a "did you mean".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence

from ganlab.schema import EventKind

# The columns each detector cannot run without. mode_collapse and quality_collapse read the optional eval_* columns and
# simply finds nothing in a log without them (so does oscillation's G-side test).
NEEDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.NON_FINITE: ("loss_d", "loss_g"),
    EventKind.D_DOMINANCE: ("loss_d", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"),
    EventKind.MODE_COLLAPSE: (),
    EventKind.GRADIENT_EXPLOSION: ("grad_norm_d", "grad_norm_g"),
    EventKind.OSCILLATION: ("loss_d", "loss_g"),
    EventKind.QUALITY_COLLAPSE: (),  # reads eval_manifold_share, which only a gated evaluation logs
}

# Other spellings of the schema's columns, compared after ``squash`` (lower case, no separators), so
# ``lossD``, ``loss_D``, ``Loss/D`` and ``loss-d`` are one entry. pytorch/examples/dcgan logs Loss_D,
# Loss_G, D(x) and D(G(z)); TensorBoard users write loss/d, loss/discriminator, train/d_loss...
_ALIASES: dict[str, tuple[str, ...]] = {
    "step": ("step", "steps", "iteration", "iter", "globalstep", "it", "_step"),
    "loss_d": ("lossd", "dloss", "errd", "lossdisc", "discloss", "lossdiscriminator", "discriminatorloss",
               "trainlossd", "traindloss", "lossesd", "lossdtotal"),
    "loss_g": ("lossg", "gloss", "errg", "lossgen", "genloss", "lossgenerator", "generatorloss",
               "trainlossg", "traingloss", "lossesg", "lossgtotal"),
    "d_real": ("dreal", "dx", "doutreal", "realscore", "dxreal", "scorereal", "dofx", "preal"),
    "d_fake": ("dfake", "dgz", "doutfake", "fakescore", "dgzfake", "scorefake", "dgz1", "pfake"),
    "grad_norm_d": ("gradnormd", "dgradnorm", "gradientnormd", "gradnormdisc", "normd"),
    "grad_norm_g": ("gradnormg", "ggradnorm", "gradientnormg", "gradnormgen", "normg"),
}


def squash(name: str) -> str:
    """``'Loss_D'``, ``'loss/d'``, ``'D(G(z))'`` -> ``'lossd'``, ``'lossd'``, ``'dgz'``: case and separators dropped."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


ALIASES: dict[str, str] = {alias: column for column, names in _ALIASES.items() for alias in names}


def required_columns(detectors: Iterable[EventKind]) -> dict[str, EventKind]:
    """Each column some enabled detector needs -> the first such detector, ``step`` first."""
    out: dict[str, EventKind] = {}
    for kind in detectors:
        for column in NEEDS[kind]:
            out.setdefault(column, kind)
    return out


def canonical_names(names: Sequence[str], known: Sequence[str],
                    mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{name in the log: schema column}`` for the names that are an alias of a schema column the log
    lacks under its own name; ``mapping`` (schema column -> the log's name, e.g. ``--map``) first.

    A suffix after the last ``/`` counts too (``train/Loss_D``), when the whole name is not known.
    """
    present = set(names)
    renames: dict[str, str] = {}
    taken = set()
    for column, name in (mapping or {}).items():
        if name in present:
            renames[name] = column
            taken.add(column)
    for name in names:
        if name in renames or name in known:
            continue
        for candidate in (name, name.rsplit("/", 1)[-1]):
            found = ALIASES.get(squash(candidate))
            if found is not None and found in known and found not in present and found not in taken:
                renames[name] = found
                taken.add(found)
                break
    return renames


def closest(column: str, names: Iterable[str]) -> str | None:
    """The log's name nearest to ``column`` (difflib on the squashed names), or None when none is near."""
    by_squash = {squash(n): n for n in names}
    keys = [squash(column), *(a for a, c in ALIASES.items() if c == column)]
    best: tuple[float, str] | None = None
    for key in keys:
        for match in difflib.get_close_matches(key, list(by_squash), n=1, cutoff=0.6):
            score = difflib.SequenceMatcher(None, key, match).ratio()
            if best is None or score > best[0]:
                best = (score, by_squash[match])
    return best[1] if best else None


def missing_message(source: str, missing: Mapping[str, EventKind | None], names: Sequence[str],
                    schema_doc: str) -> str:
    """One line: the first missing column, the detector that needs it (None: every one, ``step``), the
    nearest name found, and how to go on."""
    column, kind = next(iter(missing.items()))
    others = [c for c in missing if c != column]
    near = closest(column, names)
    hint = f"; did you mean {near!r} (rename it, or --map {column}={near})" if near else ""
    more = f" (also missing: {', '.join(others)})" if others else ""
    shown = ", ".join(map(repr, names[:12])) + (" ..." if len(names) > 12 else "")
    who = f"detector {kind}" if kind else "every detector (to name an onset)"
    drop = f"; drop {kind} from diagnostics.detectors to run without it" if kind else ""
    return (f"{source}: no column {column!r}, which {who} needs{more}{hint}; the log has {shown}{drop} "
            f"(see {schema_doc})")
