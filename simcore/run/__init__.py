"""Running, storing and (later) distributing simulations: chunked runs over the core,
statistics across scenarios, and the zarr results store. Imports ``simcore.core`` and
``simcore.schema``; never the CLI or the service.

The layers above (the service) reach the core only through here: the names below are
the core's that they need, re-exported and loaded on first use (PEP 562), so
``import simcore.run.stats`` still loads no JAX.
"""

import importlib as _importlib
import typing as _typing

# public name -> the module that defines it
_EXPORTS = {
    "enable_compilation_cache": "simcore.core.compile_cache",
    "cache_dir": "simcore.core.compile_cache",
    "cache_disabled": "simcore.core.compile_cache",
    "clear_loaded": "simcore.core.executable_cache",
    "Daily": "simcore.core.step",
    "pad_events": "simcore.run.padding",
    "padded_simulation": "simcore.run.padding",
}

__all__ = sorted(_EXPORTS)

if _typing.TYPE_CHECKING:  # for type checkers and editors; never executed
    from simcore.core.compile_cache import cache_dir, cache_disabled, enable_compilation_cache
    from simcore.core.executable_cache import clear_loaded
    from simcore.core.step import Daily
    from simcore.run.padding import pad_events, padded_simulation


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:  # a submodule not imported yet: the import system loads it
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value
