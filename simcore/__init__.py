"""simcore: stochastic supply-disruption simulator (JAX input-output + inventory model).

The pure engine lives in :mod:`simcore.core`; this package adds model files, run
configs, chunked runs returning ``xarray`` datasets, a zarr store and the CLI.

The names below load on first use (PEP 562): ``import simcore`` and ``import
simcore.core`` load no shell library (xarray, pydantic, zarr, dask, FastAPI,
matplotlib); ``simcore.simulate`` or ``from simcore import simulate`` loads the run
layer then (``tests/test_import_surface.py``).
"""

import importlib as _importlib
import typing as _typing

# public name -> the module that defines it
_EXPORTS = {
    "BASELINE_POLICY": "simcore.schema.config",
    "RunConfig": "simcore.schema.config",
    "load_config": "simcore.schema.config",
    "parse_config": "simcore.schema.config",
    "InputError": "simcore.schema.errors",
    "LoadedModel": "simcore.schema.modelfile",
    "load_model": "simcore.schema.modelfile",
    "parse_model": "simcore.schema.modelfile",
    "Simulation": "simcore.run.runner",
    "daily_trajectories": "simcore.run.runner",
    "iter_chunks": "simcore.run.runner",
    "normal_times": "simcore.run.runner",
    "sample_scenarios": "simcore.run.runner",
    "simulate": "simcore.run.runner",
    "pillar_effects": "simcore.run.summary",
    "summarize": "simcore.run.summary",
}
# subpackages that ``simcore.<name>`` gave after a plain ``import simcore`` when the
# names above were imported eagerly
_SUBPACKAGES = ("core", "run", "schema")

__all__ = sorted(_EXPORTS)

if _typing.TYPE_CHECKING:  # for type checkers and editors; never executed
    from simcore.run.runner import (
        Simulation,
        daily_trajectories,
        iter_chunks,
        normal_times,
        sample_scenarios,
        simulate,
    )
    from simcore.run.summary import pillar_effects, summarize
    from simcore.schema.config import BASELINE_POLICY, RunConfig, load_config, parse_config
    from simcore.schema.errors import InputError
    from simcore.schema.modelfile import LoadedModel, load_model, parse_model


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBPACKAGES))
