"""Run ids: the name of a run directory. The directory's files are ``ganlab.schema.run``'s contract."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import ganlab
from ganlab.config import GanlabConfig, config_to_dict
from ganlab.sampling import STREAMS_VERSION

GANLAB_KEY = "ganlab"  # the code identity's entry for ganlab's own version


def code_identity(config: GanlabConfig) -> dict[str, str]:
    """What code a run trains, beside its config: ``{"ganlab": version, "<module>": digest, ...}`` for each
    module ``model.generator``/``model.discriminator`` import (``ganlab.models.source``), unless the config
    declares ``model.code_version`` (which the config's own hash then covers)."""
    identity = {GANLAB_KEY: ganlab.__version__}
    if config.model.code_version is None:
        from ganlab.models.source import code_digest
        from ganlab.models.target import model_targets

        for target in model_targets(config):
            identity[target.module] = code_digest(target.module, target.key)
    return identity


def _config_data(config: GanlabConfig) -> dict[str, Any]:
    data = config_to_dict(config)
    data.pop("output", None)
    return data


def run_id(config: GanlabConfig) -> str:
    """Stable 12-hex-digit hash of the resolved config (seed included, ``output`` excluded), of the version
    of the random streams (``sampling.STREAMS_VERSION``) and of the code it trains (``code_identity``).

    ``output`` only says where results go, so moving a sweep's output keeps its run ids. The streams
    version makes runs drawn the old way get new ids, so a sweep retrains them instead of reusing them;
    the code identity does the same for a changed model module or another ganlab version.
    """
    data = _config_data(config)
    data["random_streams"] = STREAMS_VERSION
    data["code"] = code_identity(config)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def retrain_reasons(configs: dict[str, GanlabConfig], runs_dir: str | Path) -> dict[str, str]:
    """Why each run (``run id -> resolved config``, runs not finished under ``runs_dir``) trains although a
    finished run of the same config sits beside it: ``run id -> "code of mygan.models changed"`` (or
    ganlab's version, or how runs are identified). Runs with no such twin are left out."""
    from ganlab.config import load_config
    from ganlab.errors import GanlabError
    from ganlab.schema import CONFIG_YAML, read_run

    wanted = {json.dumps(_config_data(cfg), sort_keys=True): rid for rid, cfg in configs.items()}
    reasons: dict[str, str] = {}
    for config_file in sorted(Path(runs_dir).glob(f"*/{CONFIG_YAML}")):
        record = read_run(config_file.parent)
        if record is None or not record.finished:
            continue
        try:
            key = json.dumps(_config_data(load_config(config_file)), sort_keys=True)
        except GanlabError:
            continue
        rid = wanted.get(key)
        if rid is None or rid == record.run_id or rid in reasons:
            continue
        now, then = code_identity(configs[rid]), record.code or {}
        changed = [f"code of {m} changed" for m in now if m != GANLAB_KEY and m in then and now[m] != then[m]]
        if then.get(GANLAB_KEY, now[GANLAB_KEY]) != now[GANLAB_KEY]:
            changed.append(f"ganlab {then[GANLAB_KEY]} -> {now[GANLAB_KEY]}")
        if not changed:
            changed = ["made before run ids held the code" if record.code is None else
                       "ganlab identifies runs differently now (random streams)"]
        reasons[rid] = f"{', '.join(changed)} (finished run {record.run_id} is not reused)"
    return reasons
