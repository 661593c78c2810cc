"""Small arrays built on the host, then placed on the device, instead of by JAX ops.

Why
    Outside ``jit`` every ``jnp`` call (``zeros_like``, ``broadcast_to``, ``stack``, an
    ``asarray`` that converts) runs as a one-op program of its own, compiled once per
    shape (about 12 ms each) or, with the persistent cache warm, still traced, lowered and
    looked up (about 20 ms each). Building a model, its events and its policy mixes made
    about 15 of them on every ``simcore run`` (issue 19 item 1: a warm run should start
    computing within a second). NumPy builds the same float32 values on the host, and
    ``jax.device_put`` moves them without compiling anything.

Under a transformation (the arguments are tracers, or JAX is tracing) the helpers use
the ``jnp`` op as before, so a caller inside ``jit``, ``vmap`` or ``grad`` is unchanged.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def under_trace(*trees) -> bool:
    """True when any leaf of ``trees`` is a tracer (the call is inside jit, vmap, grad,
    ...), or when JAX is tracing anyway (values closed over inside an outer ``jit``)."""
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(trees)):
        return True
    return _trace_state_clean is not None and not _trace_state_clean()


try:  # JAX's own test of "no transformation is tracing" (private; without it, tracers only)
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover - depends on the JAX version
    _trace_state_clean = None


def host_array(value, dtype, shape: tuple[int, ...] | None = None) -> jax.Array:
    """``value`` (array-like) as a JAX array of ``dtype``, broadcast to ``shape`` when
    given: built with NumPy and put on the default device when concrete (no program
    compiled), with ``jnp`` under a transformation. Not weakly typed, as
    ``jnp.asarray(value, dtype)`` is not; floats round as there (to nearest, ties to
    even; beyond the type's range to inf, silently)."""
    if under_trace(value):
        out = jnp.asarray(value, dtype=dtype)
        return out if shape is None else jnp.broadcast_to(out, shape)
    with np.errstate(over="ignore"):
        out = np.asarray(value, dtype=dtype)
    if shape is not None:
        out = np.broadcast_to(out, shape)
    return jax.device_put(np.array(out, order="C"))  # a copy (a broadcast is a view); 0-d stays 0-d


def float32(value, shape: tuple[int, ...] | None = None) -> jax.Array:
    """:func:`host_array` of ``value`` as float32."""
    return host_array(value, np.float32, shape)


def on_device(value: np.ndarray) -> jax.Array:
    """A concrete NumPy array on the default device, its dtype kept (no program compiled)."""
    return jax.device_put(np.array(value, order="C"))
