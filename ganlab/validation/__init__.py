"""Validation of the label-free measurement on data ganlab was never tuned on (issue 17).

``datasets`` builds the validation datasets, ``export`` writes each as an unlabelled image folder;
``python -m ganlab.validation export OUT`` writes them all (docs/diagnostics.md, "Validation").
"""
