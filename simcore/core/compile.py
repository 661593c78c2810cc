"""How the engine's entry points are compiled: ``jax.jit`` with simcore's XLA options.

Why
    jaxlib 0.10 on CPU hands reductions (``sum``, ``min``, ``max`` over a trailing axis)
    to YNNPACK library fusions. The engine's reductions run over short axes (origins,
    sectors, products: 5 to 200 entries) for thousands of scenarios at once, and there
    those library calls cost about 20 ns per element, several times XLA's own loops:
    on the Japan model one day step spent over 80 % of its time in them
    (``results/benchmarks/xla-options-*.json``: 4-5x the throughput without them, the
    same results bit for bit). So the engine's outer ``jit`` calls compile with YNNPACK
    fusions off (``xla_cpu_experimental_ynn_fusion_type`` empty), per function: the
    caller's other JAX code and the global ``XLA_FLAGS`` are left alone. The option
    is a CPU one; other backends ignore it.

``SIMCORE_XLA_LIBRARY_FUSIONS=default`` (read at import) keeps XLA's defaults, for
comparisons (``benchmarks/xla_options.py``).

The first top-level call (or ``lower``/``trace``) of an engine function enables the
persistent compilation cache (:mod:`simcore.core.compile_cache`) unless the process
decided already: the Python API gets the cache the CLI and the service use, and
compiled programs (with these options in their key) come back from disk.
"""

from __future__ import annotations

import functools
import os

import jax

from simcore.core.compile_cache import ensure_compilation_cache
from simcore.core.executable_cache import executable, preload
from simcore.core.host_arrays import under_trace

LIBRARY_FUSIONS_ENV = "SIMCORE_XLA_LIBRARY_FUSIONS"
_CHOICES = {"off": {"xla_cpu_experimental_ynn_fusion_type": ""}, "default": {}}


def engine_compiler_options(environ=None) -> dict[str, str]:
    """The XLA compiler options of the engine's jitted functions (see the module doc).
    Raises ``ValueError`` for an unknown ``SIMCORE_XLA_LIBRARY_FUSIONS``."""
    environ = os.environ if environ is None else environ
    choice = environ.get(LIBRARY_FUSIONS_ENV, "off").strip().lower() or "off"
    if choice not in _CHOICES:
        raise ValueError(f"{LIBRARY_FUSIONS_ENV} must be one of {', '.join(_CHOICES)}, got {choice!r}")
    return dict(_CHOICES[choice])


ENGINE_COMPILER_OPTIONS = engine_compiler_options()


class EngineFunction:
    """A jitted function compiled with :data:`ENGINE_COMPILER_OPTIONS` when called at the
    top level, and as a plain ``jax.jit`` when traced inside another transformation
    (JAX accepts compiler options on the outermost ``jit`` only; there the caller's
    ``jit`` decides). ``lower``, ``eval_shape`` and ``trace`` follow the top-level one.

    ``program``: a stable name under which top-level calls keep their compiled program
    on disk (:mod:`simcore.core.executable_cache`: a warm process neither traces nor
    compiles it); ``static``: the values a closure binds that decide the program (its
    horizon, mesh, ...), part of the key with the ``static_argnames`` values given. Without
    ``program``, JAX's own caches only."""

    def __init__(self, fun, program: str | None = None, static=(), **jit_kwargs):
        functools.update_wrapper(self, fun)
        self._plain = jax.jit(fun, **jit_kwargs)
        self._tuned = jax.jit(fun, compiler_options=ENGINE_COMPILER_OPTIONS, **jit_kwargs) \
            if ENGINE_COMPILER_OPTIONS else self._plain
        names = jit_kwargs.get("static_argnames") or ()
        self._static_names = (names,) if isinstance(names, str) else tuple(names)
        # static positions would need their values split from the call: no disk cache there
        self._program = None if jit_kwargs.get("static_argnums") is not None else program
        self._static = static

    def __call__(self, *args, **kwargs):
        if under_trace(args, kwargs):
            return self._plain(*args, **kwargs)  # the outer jit compiles (and caches) the program
        ensure_compilation_cache()
        if self._program is not None:
            static, dynamic = self._split(kwargs)
            compiled = executable(self._program, static, lambda: self._tuned.lower(*args, **kwargs), args, dynamic)
            if compiled is not None:
                return compiled(*args, **dynamic)
        return self._tuned(*args, **kwargs)

    def preload(self, *args, **kwargs) -> bool:
        """Read the program a call with these arguments would run back from the disk
        cache, without calling it (:func:`simcore.core.executable_cache.preload`: for a
        background thread); True when it is loaded. Nothing is traced or compiled."""
        if self._program is None or under_trace(args, kwargs):
            return False
        ensure_compilation_cache()
        static, dynamic = self._split(kwargs)
        return preload(self._program, static, args, dynamic)

    def _split(self, kwargs: dict) -> tuple[tuple, dict]:
        """The program's static part of its disk key (closure values, static keyword
        values, XLA options) and the dynamic keyword arguments."""
        static = {k: kwargs[k] for k in self._static_names if k in kwargs}
        dynamic = {k: v for k, v in kwargs.items() if k not in static}
        options = sorted(ENGINE_COMPILER_OPTIONS.items())  # the program's XLA options: part of its key
        return (self._static, sorted(static.items()), options), dynamic

    def lower(self, *args, **kwargs):
        ensure_compilation_cache()
        return self._tuned.lower(*args, **kwargs)

    def trace(self, *args, **kwargs):
        ensure_compilation_cache()
        return self._tuned.trace(*args, **kwargs)

    def eval_shape(self, *args, **kwargs):
        return self._plain.eval_shape(*args, **kwargs)


def engine_jit(fun=None, **jit_kwargs):
    """:class:`EngineFunction` of ``fun``: ``jax.jit`` with :data:`ENGINE_COMPILER_OPTIONS`
    at the top level; usable as ``engine_jit(f)``, ``@engine_jit`` or
    ``functools.partial(engine_jit, static_argnames=...)``; ``program=`` and ``static=``
    keep the compiled program on disk (:class:`EngineFunction`)."""
    if fun is None:
        return lambda f: EngineFunction(f, **jit_kwargs)
    return EngineFunction(fun, **jit_kwargs)
