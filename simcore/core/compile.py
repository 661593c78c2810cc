"""How the engine's entry points are compiled: ``jax.jit`` with simcore's XLA options.

Why
    jaxlib 0.10 on CPU hands reductions (``sum``, ``min``, ``max`` over a trailing axis)
    to YNNPACK library fusions. The engine's reductions run over short axes (origins,
    sectors, products: 5 to 200 entries) for thousands of scenarios at once, and there
    those library calls cost more than XLA's own loops: with them a chunk ran 2.3-2.8x
    slower (quickstart and Japan outlook, ``results/benchmarks/xla-options-cpu-*.json``).
    So the engine's outer ``jit`` calls compile with YNNPACK fusions off
    (``xla_cpu_experimental_ynn_fusion_type`` empty), per function: the caller's other JAX
    code and the global ``XLA_FLAGS`` are left alone. The option is a CPU one, passed on
    the CPU backend only.

``SIMCORE_XLA_LIBRARY_FUSIONS=default`` (read at import) keeps XLA's YNNPACK fusions, for
comparisons. ``SIMCORE_XLA_OPT_LEVEL`` (``0`` to ``3``; ``default``, the default, leaves
XLA's level, 3) sets LLVM's optimisation level of the engine's CPU programs
(``xla_backend_optimization_level``; other backends keep theirs). Level 1 compiled the
quickstart's and the Japan outlook's programs in 0.66-0.75x the time and ran a chunk in
1.12-1.21x, and a few values in ten thousand came out apart in their last bits (at most
2e-6 relative); on the test suite's small models it saved 0-4 % of a test file's time.
So the default stays XLA's level: programs run faster once compiled, and come back from
the persistent cache. ``benchmarks/xla_options.py`` measures every choice.

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
OPT_LEVEL_ENV = "SIMCORE_XLA_OPT_LEVEL"
_FUSIONS = {"off": {"xla_cpu_experimental_ynn_fusion_type": ""}, "default": {}}
_OPT_LEVELS = {"default": {}, **{level: {"xla_backend_optimization_level": int(level)} for level in "0123"}}
_DEFAULTS = {LIBRARY_FUSIONS_ENV: "off", OPT_LEVEL_ENV: "default"}


def engine_compiler_options(environ=None) -> dict[str, object]:
    """The XLA:CPU compiler options of the engine's jitted functions (see the module doc).
    Raises ``ValueError`` naming every unknown choice in ``SIMCORE_XLA_LIBRARY_FUSIONS``
    and ``SIMCORE_XLA_OPT_LEVEL``."""
    environ = os.environ if environ is None else environ
    options, errors = {}, []
    for name, table in ((LIBRARY_FUSIONS_ENV, _FUSIONS), (OPT_LEVEL_ENV, _OPT_LEVELS)):
        choice = environ.get(name, _DEFAULTS[name]).strip().lower() or _DEFAULTS[name]
        if choice not in table:
            errors.append(f"{name} must be one of {', '.join(sorted(table))}, got {choice!r}")
        else:
            options.update(table[choice])
    if errors:
        raise ValueError("; ".join(errors))
    return options


ENGINE_COMPILER_OPTIONS = engine_compiler_options()  # read once, at import


@functools.cache
def _backend_options() -> tuple[tuple[str, object], ...]:
    """:data:`ENGINE_COMPILER_OPTIONS`, sorted, on the CPU backend; none on another (the
    level would change a GPU's code too). Looked up at the first top-level compile, once
    the backend has started."""
    return tuple(sorted(ENGINE_COMPILER_OPTIONS.items())) if jax.default_backend() == "cpu" else ()


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
        self._fun, self._jit_kwargs = fun, jit_kwargs
        names = jit_kwargs.get("static_argnames") or ()
        self._static_names = (names,) if isinstance(names, str) else tuple(names)
        # static positions would need their values split from the call: no disk cache there
        self._program = None if jit_kwargs.get("static_argnums") is not None else program
        self._static = static

    @functools.cached_property
    def _tuned(self):
        """``jax.jit`` with the default backend's options (none: the plain one)."""
        options = dict(_backend_options())
        return jax.jit(self._fun, compiler_options=options, **self._jit_kwargs) if options else self._plain

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
        options = list(_backend_options())  # the program's XLA options: part of its key
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
