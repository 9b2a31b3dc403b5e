"""ganlab: stability diagnostics and ablation harness for DCGANs."""

__version__ = "0.1.0"
