"""``ganlab collect``: a comparison folder the report reads, from runs that no sweep trained (docs/monitor.md)."""

from ganlab.collect.collect import collect_runs, group_of

__all__ = ["collect_runs", "group_of"]
