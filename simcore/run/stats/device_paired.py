"""The paired differences against the baseline, computed on the device bit for bit as
:func:`simcore.run.paired.paired_differences` computes them on the host.

Run inside the device reduction (:mod:`simcore.run.stats.device_reduce`, traced with
64-bit types on), so the differences never leave the device. Two things make the host's
bits hard to reproduce, and both are handled here:

* the host sums ``value_added_loss`` over sectors in float64 with NumPy's pairwise
  summation; :func:`numpy_pairwise_sum` repeats its exact order of additions (a test
  holds it to ``np.sum``);
* XLA may flush subnormal numbers to zero (it does on CPU); :func:`flushed` says where a
  difference may have been flushed, and the caller sends that metric to the host.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

_PAIRWISE_BLOCK = 128  # NumPy's PW_BLOCKSIZE
_UNROLL = 8  # NumPy's eight partial sums


def _plus_zero(x):
    """``0.0 + x`` as IEEE adds it (-0.0 becomes +0.0): XLA may simplify a literal ``0 + x`` to ``x``."""
    return jnp.where(x == 0, jnp.zeros((), x.dtype), x)


def _pairwise(a, first: int, n: int):
    """NumPy's ``pairwise_sum`` of ``a[..., first:first + n]`` (float64), addition by addition."""
    if n < _UNROLL:
        total = jnp.zeros(a.shape[:-1], a.dtype)
        for i in range(n):
            total = _plus_zero(a[..., first]) if i == 0 else total + a[..., first + i]
        return total
    if n <= _PAIRWISE_BLOCK:
        r = [a[..., first + j] for j in range(_UNROLL)]
        end = n - n % _UNROLL
        for i in range(_UNROLL, end, _UNROLL):
            r = [r[j] + a[..., first + i + j] for j in range(_UNROLL)]
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(end, n):
            total = total + a[..., first + i]
        return total
    half = n // 2
    half -= half % _UNROLL
    return _pairwise(a, first, half) + _pairwise(a, first + half, n - half)


def numpy_pairwise_sum(a):
    """``a.sum(axis=-1)`` of a contiguous float64 ``a [..., n]`` as NumPy computes it:
    0 plus NumPy's pairwise sum (8 partial sums per block of 128, halves above)."""
    return _plus_zero(_pairwise(a, 0, a.shape[-1]))


def against_baseline(x):
    """``x[0] - x`` in float32 ``[policy, scenario]`` or ``[policy, scenario, element]``."""
    x = x.astype(jnp.float32)
    return x[:1] - x


def subnormal(x):
    """Where float32 ``x`` is subnormal, from its bits (XLA may read them as zero)."""
    bits = jax.lax.bitcast_convert_type(x, jnp.uint32)
    return ((bits & 0x7F800000) == 0) & ((bits & 0x007FFFFF) != 0)


def flushed(baseline_minus, x):
    """Where ``x[0] - x`` (float32) may have been flushed to zero: a zero difference of
    two different numbers (in IEEE arithmetic a - b == 0 only when a == b), or a
    subnormal operand."""
    x = x.astype(jnp.float32)
    odd = subnormal(x)
    return ((baseline_minus == 0) & (x[:1] != x)) | odd | odd[:1]


def paired_on_device(arrays: dict, name: str, storable):
    """The paired difference ``name`` (of :data:`simcore.run.paired.PAIRED_INFO`) from the
    chunk's device ``arrays`` ``{metric: [policy, scenario, ...]}`` and the ``storable``
    mask ``[product]`` (bool array or None): ``(values [policy, scenario(, product)]
    float32, maybe_flushed bool [same])``. ``shortage_days`` must hold integers or
    booleans and ``value_added_loss`` float32 (the caller checks; other dtypes go to the host)."""
    if name in ("paired_shortage_days", "paired_shortage_days_total", "paired_any_shortage",
                "paired_any_material_shortage"):
        days = arrays["shortage_days"]
        short = days > 0
        if name == "paired_shortage_days":
            source = days
        elif name == "paired_shortage_days_total":
            source = days.astype(jnp.int64).sum(axis=2)  # exact integers, as the host's int64 sum
        elif name == "paired_any_shortage":
            source = short.any(axis=2)
        else:
            source = (short & storable[None, None, :]).any(axis=2)
    elif name == "paired_value_added_loss_total":
        losses = arrays["value_added_loss"]
        source = numpy_pairwise_sum(losses.astype(jnp.float64))
        rounded = source.astype(jnp.float32)
        difference = rounded[:1] - rounded
        # a subnormal loss may have been read as zero, and a float64 sum that rounds to a
        # float32 subnormal may have been flushed
        odd = jnp.any(subnormal(losses), axis=2)
        return difference, flushed(difference, rounded) | ((rounded == 0) & (source != 0)) | odd | odd[:1]
    elif name == "paired_mean_price_index_change":
        source = arrays["mean_price_index_change"]
    else:
        raise KeyError(name)
    difference = against_baseline(source)
    return difference, flushed(difference, source)
