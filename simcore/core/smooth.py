"""Relaxations of the engine's kinks and thresholds, controlled by a temperature.

The exact engine (:mod:`simcore.core.engine`) is piecewise linear in stocks and flows
(``max``, ``min``) and counts threshold crossings (shortage days, release triggers,
refill once supply is normal). Counts have zero derivative almost everywhere and the
trigger switches make the per-scenario outcome jump, so pathwise gradients of expected
metrics with respect to lever levels or model parameters are useless or biased there.
The smoothed engine replaces them by the relaxations below; ``temperature`` ``tau``
(dimensionless) sets their width relative to a ``scale`` (daily baseline demand for
quantities, 1 for price multiples), so one ``tau`` fits every product.

* ``relu(x)`` -> ``x sigmoid(x / (tau scale))`` (SiLU / swish, Elfwing et al. 2018;
  Ramachandran et al. 2017). Unlike softplus it is *exact at 0* and, in float32, exact
  once ``|x| > ~100 tau scale``: a product without inventory (a service) or a stock
  far above zero stays at its exact normal-time value, and
  ``relu(x) - relu(-x) = x`` exactly, so stock balances are conserved. It may dip to
  ``-0.28 tau scale`` just below 0. ``|relu_tau - relu| <= 0.28 tau scale``: uniform
  convergence, linear in ``tau``.
* ``max(a, b) = b + relu(a - b)``, ``min(a, b) = a - relu(a - b)``.
* ``[a > b]`` -> ``smoothstep((a - b) / (tau scale))``: the cubic Hermite step
  ``3u^2 - 2u^3`` on ``[0, 1]``, 0 below, 1 above (C1). It is exactly 0 at and below
  the threshold, so a day without unmet demand never counts as a fraction of a
  shortage day, and it differs from the exact step only for ``a - b`` in
  ``(0, tau scale)``: pointwise convergence everywhere as ``tau -> 0``.

With ``temperature`` the Python float ``0.0`` (a static argument) every helper returns
the exact operation, written as the engine always wrote it, so the compiled exact
engine is unchanged (bit for bit). A non-zero temperature may be a traced array
(annealing without recompiling).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def is_exact(temperature) -> bool:
    """True when ``temperature`` is the static zero of the exact engine."""
    return isinstance(temperature, (int, float)) and float(temperature) == 0.0


def relu(x, temperature, scale=1.0):
    """``max(x, 0)``, relaxed as ``x sigmoid(x / (temperature scale))`` (SiLU)."""
    if is_exact(temperature):
        return jnp.maximum(x, 0.0)
    width = jnp.maximum(temperature * scale, 1e-30)
    return x * jax.nn.sigmoid(x / width)


def smooth_max(a, b, temperature, scale=1.0):
    """``max(a, b)`` (exact at temperature 0.0), relaxed as ``b + relu(a - b)``."""
    if is_exact(temperature):
        return jnp.maximum(a, b)
    return b + relu(a - b, temperature, scale)


def smooth_min(a, b, temperature, scale=1.0):
    """``min(a, b)`` (exact at temperature 0.0), relaxed as ``a - relu(a - b)``."""
    if is_exact(temperature):
        return jnp.minimum(a, b)
    return a - relu(a - b, temperature, scale)


def smooth_clip(x, low, high, temperature, scale=1.0):
    """``clip(x, low, high)`` (exact at temperature 0.0), relaxed as ``min(max(x, low), high)``."""
    if is_exact(temperature):
        return jnp.clip(x, low, high)
    return smooth_min(smooth_max(x, low, temperature, scale), high, temperature, scale)


def greater(a, b, temperature, scale=1.0):
    """``a > b`` as a boolean (temperature 0.0), else a float in ``[0, 1]``: the cubic
    smoothstep of ``a - b`` over ``(0, temperature scale)``."""
    if is_exact(temperature):
        return a > b
    width = jnp.maximum(temperature * scale, 1e-30)
    u = jnp.clip((a - b) / width, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def at_most(a, b, temperature, scale=1.0):
    """``a <= b`` as a boolean (temperature 0.0), else ``1 - greater(a, b)``."""
    if is_exact(temperature):
        return a <= b
    return 1.0 - greater(a, b, temperature, scale)


def both(*levels):
    """Logical and of levels: ``&`` when all are booleans, else their product (booleans
    count as 0 or 1)."""
    if all(level.dtype == bool for level in levels):
        out = levels[0]
        for level in levels[1:]:
            out = out & level
        return out
    out = levels[0]
    for level in levels[1:]:
        out = out * level
    return out


def either(*levels):
    """Logical or of :func:`greater` results: ``|`` for booleans, ``max`` for relaxed levels."""
    out = levels[0]
    for level in levels[1:]:
        out = (out | level) if out.dtype == bool and level.dtype == bool else jnp.maximum(out, level)
    return out


def select(level, value, otherwise=0.0):
    """``where(level, value, otherwise)`` for a boolean level, ``otherwise + level x (value
    - otherwise)`` for a relaxed one."""
    if level.dtype == bool:
        return jnp.where(level, value, otherwise)
    return otherwise + level * (value - otherwise)
