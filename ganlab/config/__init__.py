"""One typed, frozen config: ``GanlabConfig`` and the YAML loader that validates it."""

from ganlab.config.load import (
    apply_overrides,
    config_to_dict,
    dump_config,
    load_config,
    parse_set_args,
    read_yaml,
    validate,
    write_run_config,
)
from ganlab.config.schema import (
    DataConfig,
    DiagnosticsConfig,
    GanlabConfig,
    ModelConfig,
    OutputConfig,
    TrainConfig,
)

__all__ = [
    "DataConfig",
    "DiagnosticsConfig",
    "GanlabConfig",
    "ModelConfig",
    "OutputConfig",
    "TrainConfig",
    "apply_overrides",
    "config_to_dict",
    "dump_config",
    "load_config",
    "parse_set_args",
    "read_yaml",
    "validate",
    "write_run_config",
]
