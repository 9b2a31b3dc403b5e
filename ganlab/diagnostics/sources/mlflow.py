"""An MLflow file-store run (``mlruns/<experiment>/<run>``) as a wide log, read with MLflow's own client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ganlab.diagnostics.sources.tensorboard import wide
from ganlab.errors import DataError

EXTRA = "pip install 'ganlab[mlflow]'"
ALLOW = "MLFLOW_ALLOW_FILE_STORE"


@contextmanager
def _file_store_allowed() -> Iterator[None]:
    """MLflow 3 reads a file store (``mlruns/``) only with MLFLOW_ALLOW_FILE_STORE=true (the backend is in
    maintenance mode); reading one is what the user asked for, so it is allowed for this read only."""
    before = os.environ.get(ALLOW)
    os.environ[ALLOW] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ALLOW, None)
        else:
            os.environ[ALLOW] = before


def read_mlflow(path: Path) -> pd.DataFrame:
    """Every metric's full history in the run at ``path``, one column per metric key."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise DataError(f"{path}: reading MLflow runs needs mlflow-skinny; {EXTRA}") from None
    path = path.resolve()
    try:
        with _file_store_allowed():
            client = MlflowClient(tracking_uri=path.parents[1].as_uri())
            run = client.get_run(path.name)
            rows = [{"step": m.step, "key": m.key, "value": m.value}
                    for key in sorted(run.data.metrics) for m in client.get_metric_history(path.name, key)]
    except Exception as err:  # MLflow raises its own exception types for a broken store
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read this MLflow run: {first[:300]}") from None
    return wide(pd.DataFrame(rows, columns=["step", "key", "value"]), path, key="key")
