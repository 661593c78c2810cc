"""Files and schemas: model files, run configs, and the errors that name every bad field.

Nothing here runs a simulation; it turns text (TOML files, later API requests) into the
pytrees of :mod:`simcore.core`.
"""

from simcore.schema.config import BASELINE_POLICY, NamedPolicy, RunConfig, load_config, parse_config
from simcore.schema.errors import InputError, Problems
from simcore.schema.modelfile import LoadedModel, load_model, parse_model

__all__ = ["BASELINE_POLICY", "InputError", "LoadedModel", "NamedPolicy", "Problems", "RunConfig", "load_config",
           "load_model", "parse_config", "parse_model"]
