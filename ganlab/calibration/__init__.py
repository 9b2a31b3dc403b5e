"""Calibration of the detectors on a labelled corpus of real runs (docs/diagnostics.md, "Calibration").

- ``corpus``: the corpus file, training it on a sweep backend, labelling it, the table and the test fixtures
- ``truth``: each run's ground truth, decided without the detectors (final samples, log levels)
- ``table``: the pure scoring of detectors' events against the truth (false alarms, misses, onset errors)

Above the sweep layer: it trains through the sweep's backends, reads samples through ``ganlab.sampling``
and runs the detectors of ``ganlab.diagnostics``; nothing below imports it.
"""
