"""Files and schemas: model files, run configs, and the errors that name every bad field.

Nothing here runs a simulation; it turns text (TOML files, later API requests) into the
pytrees of :mod:`simcore.core`. The declarative schema (pydantic v2) is in
:mod:`simcore.schema.spec`, a face over one module per idea: leaf field types
(``fields``), model-file and run-config specs (``model_spec``, ``config_spec``), schema
problems and their messages (``problems``); :func:`json_schema` (``export``) exports
it for editors.
"""

import importlib as _importlib
import typing as _typing

# Names resolved on first use (PEP 562): ``import simcore.schema.errors`` (the CLI's
# parser and messages) must not load pydantic, JAX and the model loaders (issue 18 item 3).
_EXPORTS = {
    "BASELINE_POLICY": "simcore.schema.config", "NamedPolicy": "simcore.schema.config",
    "RunConfig": "simcore.schema.config", "load_config": "simcore.schema.config",
    "parse_config": "simcore.schema.config", "ConfigSpec": "simcore.schema.config_spec",
    "InputError": "simcore.schema.errors", "Problems": "simcore.schema.errors",
    "json_schema": "simcore.schema.export", "write_json_schema": "simcore.schema.export",
    "write_json_schemas": "simcore.schema.export", "ModelFileSpec": "simcore.schema.model_spec",
    "LoadedModel": "simcore.schema.modelfile", "load_model": "simcore.schema.modelfile",
    "parse_model": "simcore.schema.modelfile",
}

__all__ = sorted(_EXPORTS)

if _typing.TYPE_CHECKING:  # for type checkers and editors; never executed
    from simcore.schema.config import BASELINE_POLICY, NamedPolicy, RunConfig, load_config, parse_config
    from simcore.schema.config_spec import ConfigSpec
    from simcore.schema.errors import InputError, Problems
    from simcore.schema.export import json_schema, write_json_schema, write_json_schemas
    from simcore.schema.model_spec import ModelFileSpec
    from simcore.schema.modelfile import LoadedModel, load_model, parse_model


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
