"""The sweep report: statistics, figures, one self-contained HTML file, summary.md and summary.csv.

``build_report(sweep_dir)`` reads only what a sweep wrote to disk (see docs/report.md).
"""

from ganlab.report.build import build_report, companions, default_output
from ganlab.report.load import LoadedSweep, load_sweep

__all__ = ["LoadedSweep", "build_report", "companions", "default_output", "load_sweep"]
