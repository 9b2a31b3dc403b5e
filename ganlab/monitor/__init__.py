"""``ganlab.Monitor``: ganlab's diagnostics for a training loop of your own (docs/monitor.md)."""

from ganlab.monitor.data import real_dataset
from ganlab.monitor.monitor import Monitor

__all__ = ["Monitor", "real_dataset"]
