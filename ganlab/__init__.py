"""ganlab: stability diagnostics and ablation harness for DCGANs.

``ganlab.Monitor`` (docs/monitor.md) is the public API for training loops of one's own; it is loaded on
first use (PEP 562), so ``import ganlab`` stays light and no lower layer depends on it.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["Monitor", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Monitor":
        from ganlab.monitor import Monitor

        return Monitor
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")
