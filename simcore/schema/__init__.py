"""Files and schemas: model files, run configs, and the errors that name every bad field.

Nothing here runs a simulation; it turns text (TOML files, later API requests) into the
pytrees of :mod:`simcore.core`. The declarative schema (pydantic v2) is in
:mod:`simcore.schema.spec`, a face over one module per idea: leaf field types
(``fields``), model-file and run-config specs (``model_spec``, ``config_spec``), schema
problems and their messages (``problems``); :func:`json_schema` (``export``) exports
it for editors.
"""

from simcore.schema.config import BASELINE_POLICY, NamedPolicy, RunConfig, load_config, parse_config
from simcore.schema.config_spec import ConfigSpec
from simcore.schema.errors import InputError, Problems
from simcore.schema.export import json_schema, write_json_schema, write_json_schemas
from simcore.schema.model_spec import ModelFileSpec
from simcore.schema.modelfile import LoadedModel, load_model, parse_model

__all__ = ["BASELINE_POLICY", "ConfigSpec", "InputError", "LoadedModel", "ModelFileSpec", "NamedPolicy", "Problems",
           "RunConfig", "json_schema", "load_config", "load_model", "parse_config", "parse_model", "write_json_schema",
           "write_json_schemas"]
