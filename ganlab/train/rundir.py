"""Run ids: the name of a run directory. The directory's files are ``ganlab.schema.run``'s contract."""

from __future__ import annotations

import hashlib
import json

from ganlab.config import GanlabConfig, config_to_dict
from ganlab.sampling import STREAMS_VERSION


def run_id(config: GanlabConfig) -> str:
    """Stable 12-hex-digit hash of the resolved config (seed included, ``output`` excluded) and of the
    version of the random streams (``sampling.STREAMS_VERSION``).

    ``output`` only says where results go, so moving a sweep's output keeps its run ids. The streams
    version makes runs drawn the old way get new ids, so a sweep retrains them instead of reusing them.
    """
    data = config_to_dict(config)
    data.pop("output", None)
    data["random_streams"] = STREAMS_VERSION
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
