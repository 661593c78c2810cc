"""The chunk reduction on the device: per-scenario metrics in, a fixed-size state out.

:func:`device_program` is one jitted JAX function (traced with 64-bit types on, inside
``jax.enable_x64`` only: the engine's own programs are not affected) that reduces every
metric of a chunk ``[policy, scenario, *dims]`` where it lies, so only the reduced state
comes back to the host, O(cells x bins) and nothing per scenario.
:mod:`simcore.run.stats.device_finish` turns that state into the same
:class:`~simcore.run.stats.ChunkStats` as :func:`simcore.run.stats.reduce_chunk`, bit for bit.

Metrics are reduced in groups (:func:`group_of`: float32 amounts with the paired
differences, integer days, float32 days, boolean flags), laid side by side along the
element axis, so the program stays small (it compiles in about a second on a CPU)
whatever the number of metrics. Per group (C = policy x columns cells; ``present``: the
first ``count`` scenarios; ``needs_host`` per cell):

* day kinds (``count`` / ``survival`` / ``duration``): dense counts ``[C, day_bins]``
  int32 of whole days (left on the device; the host fetches only the window of days seen,
  ``lo .. hi`` per cell), and ``needs_host`` where a value is not a whole day below
  ``day_bins``, a count is NaN or a value is subnormal (then the host reduces that metric
  and reports it);
* ``flag`` (booleans): the number true ``[C]`` int64;
* float32 ``amount``: the number finite and non-zero, min and max over the finite values
  ``[C]``, the exact sums of x and x^2 as unnormalised 32-bit limbs ``[2, C, 70]`` int64
  (the float32 significand ``s`` (24 bits) at its power of two, split into two int64
  digits per limb pair, so every addition is exact), and the log-bin sketch: per (cell,
  sign) the lowest kept key and the bins used, and counts ``[C, 2, 2048]`` int32 from the lowest kept
  key ``max(kmin, kmax - 2047)`` (lower keys folded into it, as
  :meth:`~simcore.run.stats.Histogram.from_keys` folds them); keys from the same
  bit-pattern tables as the host's float32 route (:mod:`simcore.run.stats.float32`).
  Subnormal values set ``needs_host`` (the host takes its general route for them), and
  so does a paired difference that XLA may have flushed to zero (``flushed``).

Also ``finite`` (whether each metric named in ``finite_names`` is finite where present:
the run's non-finite check) and, with ``shortage_days``, the number of scenarios with any
(material) shortage per policy.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from simcore.run.stats.device_paired import paired_on_device
from simcore.run.stats.exact_sum import _EXPONENT_BIAS, _N_LIMBS
from simcore.run.stats.float32 import _F32_LOW_BITS, _F32_LOW_MASK, _float32_intervals
from simcore.run.stats.sketch import SKETCH_MAX_BINS

_EXPONENT_MASK = 0x7F800000
_TABLE_SHIFT = 18  # key table entry: first key x 2^18 + step (step <= 2^17)
_TABLE_STEP_MASK = (1 << _TABLE_SHIFT) - 1


@functools.cache
def _key_table() -> np.ndarray:
    """Per float32 magnitude interval [2^14] (int64): its first sketch key x 2^18 plus its
    step, the low bits from which the key is one more (:func:`_float32_intervals`, the
    host's own tables), so one gather gives both."""
    first_key, step = _float32_intervals()
    table = (first_key << _TABLE_SHIFT) + step
    table.flags.writeable = False
    return table
_SIGNIFICAND_MASK = 0x007FFFFF


def _columns(x):
    """``x`` [P, S, *dims] -> [P, S, E]."""
    return x.reshape(x.shape[0], x.shape[1], -1)


def _cell_index(x):
    """The cell ``p E + e`` of each value of ``x`` [P, S, E] and the number of cells C."""
    n_policies, _, n_elements = x.shape
    cell = jnp.arange(n_policies)[:, None, None] * n_elements + jnp.arange(n_elements)[None, None, :]
    return jnp.broadcast_to(cell, x.shape), n_policies * n_elements


def _per_cell(mask):
    """Any over the scenario axis of ``mask`` [P, S, E] -> [C]."""
    return jnp.any(mask, axis=1).reshape(-1)


def _subnormal(x):
    """float32 ``x``: where it is subnormal (from its bits: XLA may treat them as zero)."""
    bits = jax.lax.bitcast_convert_type(x, jnp.uint32)
    return ((bits & _EXPONENT_MASK) == 0) & ((bits & _SIGNIFICAND_MASK) != 0)


def _scatter_count(index, valid, size: int, dtype=jnp.int32):
    """Counts ``[size]`` of ``index`` where ``valid`` (others go to a dropped slot)."""
    index = jnp.where(valid, index, size).ravel()
    return jnp.zeros(size + 1, dtype).at[index].add(jnp.ones_like(index, dtype))[:size]


def _day_state(x, present, nan_is_bad, day_bins: int) -> dict:
    """Days ``x`` [P, S, E] (float32 with NaN = not applicable, or integers); ``nan_is_bad``
    [E] bool: columns of kind ``count``, where NaN is an error."""
    cell, n_cells = _cell_index(x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        undefined = jnp.isnan(x)
        valid = present & ~undefined
        whole = (x >= 0) & (x < 2.0 ** 31) & (x == jnp.floor(x))
        bad = valid & ~whole
        day = jnp.where(valid & whole, x, 0).astype(jnp.int64)
        odd = bad | (_subnormal(x) & present) | (undefined & present & nan_is_bad[None, None, :])
    else:
        day = x.astype(jnp.int64)
        valid = jnp.broadcast_to(present, x.shape)
        bad = odd = valid & (day < 0)
    counted = valid & ~bad & (day < day_bins)
    counts = _scatter_count(cell * day_bins + day, counted, n_cells * day_bins).reshape(n_cells, day_bins)
    return {"needs_host": _per_cell(odd | (valid & ~bad & (day >= day_bins))), "counts": counts,
            "lo": jnp.min(jnp.where(counted, day, day_bins), axis=1).reshape(n_cells),
            "hi": jnp.max(jnp.where(counted, day, -1), axis=1).reshape(n_cells)}


_EXPONENTS = 256  # float32 exponent fields; 0 (zero, subnormal) and 255 (inf, NaN) never summed
_PIECE_BITS = 24


def _limbs(sums, first_bit: np.ndarray):
    """Unnormalised limbs ``[C, 70]`` of ``sum_k sums[:, k] x 2^(first_bit[k] - 1126)``
    for int64 ``sums`` [C, K] (``|sums| < 2^53``: 24-bit terms of fewer than 2^29
    scenarios) and static bits ``first_bit`` [K] >= 0.

    Each sum is cut into three 24-bit pieces (arithmetic shifts: the top one signed),
    each piece shifted to its place within a limb (< 2^55) and split into two digits, so
    every digit is below 2^32 and the few hundred added per limb stay far inside int64."""
    n_cells = sums.shape[0]
    limbs = jnp.zeros((n_cells, _N_LIMBS), jnp.int64)
    columns, digits = [], []
    for piece in range(3):
        part = sums >> (_PIECE_BITS * piece)
        if piece < 2:
            part = part & ((1 << _PIECE_BITS) - 1)
        bit = first_bit + _PIECE_BITS * piece
        shifted = part << jnp.asarray(bit & 31)[None, :]
        columns += [bit >> 5, (bit >> 5) + 1]
        digits += [shifted & 0xFFFFFFFF, shifted >> 32]
    index = np.concatenate(columns)  # static limb of each digit column
    # add the columns of each limb: sorted by limb (statically), a running sum, and its
    # differences at the ends of the limbs (a scatter of [C, K] is slow on XLA's CPU)
    order = np.argsort(index, kind="stable")
    limb_of = index[order]
    ends = np.flatnonzero(np.append(limb_of[1:] != limb_of[:-1], True))
    running = jnp.cumsum(jnp.concatenate(digits, axis=1)[:, order], axis=1)[:, ends]
    per_limb = running - jnp.concatenate([jnp.zeros((n_cells, 1), jnp.int64), running[:, :-1]], axis=1)
    return limbs.at[:, limb_of[ends]].set(per_limb)


def _amount_state(x, present, table) -> dict:
    """Float32 amounts ``x`` [P, S, E]: the per-cell state of the module docstring."""
    cell, n_cells = _cell_index(x)
    bits = jax.lax.bitcast_convert_type(x, jnp.uint32).astype(jnp.int64)
    negative = bits >> 31
    magnitude = bits & 0x7FFFFFFF
    finite = present & (magnitude < _EXPONENT_MASK)
    used = finite & (magnitude != 0)  # zeros are only counted
    # sums of x and x^2: |x| = s 2^(e - 150), s = 2^23 + the 23 stored bits. Scatters
    # sum per (cell, exponent) the signed s and the two 24-bit halves of s^2 (exact int64
    # below 2^29 scenarios); the few (cell, exponent) sums then go into the limbs.
    exponent = magnitude >> 23
    significand = (magnitude & _SIGNIFICAND_MASK) | (1 << 23)
    square = significand * significand  # < 2^48
    at = (cell * _EXPONENTS + exponent).ravel()
    terms = (jnp.where(used, (1 - 2 * negative) * significand, 0), jnp.where(used, square & 0xFFFFFF, 0),
             jnp.where(used, square >> 24, 0))
    # three plain scatters: XLA's CPU scatter of 3-wide rows is several times slower
    by_exponent = jnp.stack([jnp.zeros(n_cells * _EXPONENTS, jnp.int64).at[at].add(term.ravel())
                             for term in terms], axis=-1).reshape(n_cells, _EXPONENTS, 3)
    e = np.arange(_EXPONENTS)
    limbs = jnp.stack([_limbs(by_exponent[:, :, 0], _EXPONENT_BIAS + e - 150),
                       _limbs(jnp.concatenate([by_exponent[:, :, 1], by_exponent[:, :, 2]], axis=1),
                              np.concatenate([_EXPONENT_BIAS + 2 * e - 300, _EXPONENT_BIAS + 2 * e - 276]))])
    # the sketch: key of a value from its interval (top bits) and its low bits
    entry = table[magnitude >> _F32_LOW_BITS]  # one gather: first key x 2^18 + step
    key = (entry >> _TABLE_SHIFT) + ((magnitude & _F32_LOW_MASK) >= (entry & _TABLE_STEP_MASK))
    big = jnp.iinfo(jnp.int64).max
    # per (cell, sign) [P, E, 2]: reductions over the scenario axis, no scatter
    ends = []
    for side in (negative == 0, negative == 1):
        kept = used & side
        ends.append((jnp.max(jnp.where(kept, key, -big), axis=1), jnp.min(jnp.where(kept, key, big), axis=1)))
    kmax = jnp.stack([ends[0][0], ends[1][0]], axis=-1)
    kmin = jnp.stack([ends[0][1], ends[1][1]], axis=-1)
    has = kmax > -big
    lo = jnp.where(has, jnp.maximum(kmin, kmax - (SKETCH_MAX_BINS - 1)), 0)
    size = jnp.where(has, kmax - lo + 1, 0)
    own_lo = jnp.where(negative == 1, lo[:, None, :, 1], lo[:, None, :, 0])  # [P, S, E], broadcast
    position = jnp.maximum(key, own_lo) - own_lo
    sketch_cell = cell * 2 + negative
    sketch = _scatter_count(sketch_cell * SKETCH_MAX_BINS + position, used, 2 * n_cells * SKETCH_MAX_BINS)
    return {
        "needs_host": _per_cell(used & (magnitude <= _SIGNIFICAND_MASK)),  # subnormal: the host's general route
        "n": jnp.sum(finite, axis=1, dtype=jnp.int64).reshape(n_cells),
        "nonzero": jnp.sum(used, axis=1, dtype=jnp.int64).reshape(n_cells),
        "min": jnp.min(jnp.where(finite, x, jnp.inf), axis=1).reshape(n_cells),
        "max": jnp.max(jnp.where(finite, x, -jnp.inf), axis=1).reshape(n_cells),
        "limbs": limbs,
        "sketch_lo": lo.reshape(n_cells, 2), "sketch_size": size.reshape(n_cells, 2),
        "sketch": sketch.reshape(n_cells, 2, SKETCH_MAX_BINS),
    }


def _scenarios_short(days, present, mask):
    short = (days > 0) & present & mask[None, None, :]
    return jnp.sum(jnp.any(short, axis=2), axis=1, dtype=jnp.int64)


def group_of(route: str, dtype) -> str | None:
    """The group a metric of ``route`` and ``dtype`` is reduced in: metrics of one group
    are laid side by side along the element axis and reduced as one array (one small
    program whatever the number of metrics)."""
    if route in ("amount", "paired"):
        return "amount"
    if route == "days":
        return "days_float" if np.dtype(dtype).kind == "f" else "days_int"
    return "flag" if route == "flag" else None


@functools.partial(jax.jit, static_argnames=("plan", "day_bins", "finite_names", "keep_paired"))
def _program(arrays: dict, count, storable, table, *, plan: tuple, day_bins: int,
             finite_names: tuple, keep_paired: bool) -> dict:
    n_scenarios = next(iter(arrays.values())).shape[1]
    present = (jnp.arange(n_scenarios) < count)[None, :, None]
    groups: dict[str, list] = {"amount": [], "days_int": [], "days_float": [], "flag": []}
    nan_is_bad = []
    out = {"flushed": {}, "values": {}}
    for name, route, kind in plan:
        if route == "paired":
            values, maybe_flushed = paired_on_device(arrays, name, storable)
            out["flushed"][name] = jnp.any(_columns(maybe_flushed) & present)
            if keep_paired:  # small runs keep the values themselves
                out["values"][name] = values
            groups["amount"].append(_columns(values))
            continue
        x = _columns(arrays[name])
        group = group_of(route, x.dtype)
        if group == "days_int":
            x = x.astype(jnp.int32)
        elif group == "days_float":
            nan_is_bad.append(jnp.full(x.shape[2], kind == "count"))
        groups[group].append(x)
    if groups["amount"]:
        out["amount"] = _amount_state(jnp.concatenate(groups["amount"], axis=2), present, table)
    for group in ("days_int", "days_float"):
        if groups[group]:
            columns = jnp.concatenate(nan_is_bad) if group == "days_float" else None
            out[group] = _day_state(jnp.concatenate(groups[group], axis=2), present, columns, day_bins)
    if groups["flag"]:
        x = jnp.concatenate(groups["flag"], axis=2)
        out["flag"] = {"n_true": jnp.sum(x & present, axis=1, dtype=jnp.int64).reshape(-1)}
    out["finite"] = {name: jnp.all(jnp.isfinite(_columns(arrays[name])) | ~present) for name in finite_names}
    if "shortage_days" in arrays and arrays["shortage_days"].ndim == 3:
        days = arrays["shortage_days"]
        out["any_shortage"] = _scenarios_short(days, present, jnp.ones(days.shape[2], bool))
        if storable is not None:
            out["any_material_shortage"] = _scenarios_short(days, present, storable)
    return out


def device_program(arrays: dict, count: int, storable, plan: tuple, day_bins: int, finite_names: tuple,
                   keep_paired: bool) -> dict:
    """Run the device reduction: ``arrays`` ``{name: [policy, scenario, *dims]}`` (device
    or NumPy arrays; the metrics ``plan`` reduces and the sources of its paired
    differences), the first ``count`` scenarios kept; ``plan``: ``(name, route, kind)``
    per metric with route ``days`` / ``flag`` (booleans) / ``amount`` (float32) /
    ``paired``; ``storable`` ``[product]`` bool or None. Metrics are reduced in groups
    (:func:`group_of`), laid side by side in ``plan`` order: the state of group ``g`` has
    one row per cell ``policy x E_g + column``. Returns device arrays; the caller fetches
    what it needs."""
    with jax.enable_x64(True):  # int64 limbs and keys, float64 pairwise sums; this program only
        return _program(arrays, np.int32(count), None if storable is None else np.asarray(storable, bool),
                        _key_table(), plan=plan, day_bins=day_bins, finite_names=finite_names,
                        keep_paired=keep_paired)


@functools.partial(jax.jit, static_argnames=("size",))
def _window(counts, start, *, size: int):
    return jax.lax.dynamic_slice_in_dim(counts, start, size, axis=counts.ndim - 1)


def fetch_window(counts, start: int, size: int) -> tuple[object, int]:
    """Columns ``start .. start + size - 1`` of device ``counts`` ``[..., bins]`` (``size``
    rounded up to a power of two so few shapes compile; the start moves left where the
    window would pass the end). Returns (device array, actual start)."""
    bins = counts.shape[-1]
    size = min(bins, 1 << max(3, (size - 1).bit_length()))
    start = min(start, bins - size)
    return _window(counts, np.int32(start), size=size), start
