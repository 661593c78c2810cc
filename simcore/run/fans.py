"""Fan-chart quantiles over every scenario of a run, streamed chunk by chunk.

For the fan charts of ``simcore report``, a run with ``run.fan_quantiles = true`` keeps,
per policy, kept day and element, a fixed-bin histogram of three daily quantities over
**all** its scenarios:

* ``price_change`` ``[product]``: the user price relative to baseline, minus 1;
* ``stock`` ``[product]``: private + government stock, product units;
* ``sector_output_share`` ``[sector]``: output as a share of baseline output.

The histograms are filled on the device inside the day loop (:func:`simulate_fans`: the
engine's day step in blocks of ``stride`` days, each block's first day counted into one
histogram row per element, so no ``[scenario, day, ...]`` array exists), sharded like
the metrics (:func:`simcore.run.devices.sharded_fan_batch`), merged exactly (integer
counts, exact minima and maxima) across devices and chunks
(:class:`FanStats`), stored with each chunk's statistics in the ``chunk_stats`` blob
(keys ``fans_*``, so a resume keeps them), and read out once at the end
(:func:`fan_dataset`) into the store's ``daily_quantiles`` group. Every merge is
associative and commutative bit for bit: the group is the same for any chunk size,
device count or resume.

Kept days
---------
Every ``stride``-th day from day 0, ``stride = ceil(horizon / FAN_MAX_DAYS)`` (a
one-year run keeps every day; the three-year Japan outlook every third), so a chunk's
histograms stay bounded whatever the horizon.

Bin layout
----------
Per element, ``FAN_BINS`` equal bins of width ``w`` over ``[lo, hi)`` in a binning
coordinate ``t``, plus an underflow bin ``(-inf, lo)`` and an overflow bin
``[hi, inf)``:

* prices: ``t = log(1 + price_change)`` (the log of the price multiple) over
  ``[log 0.1, log(3 x price_cap))`` of the product;
* stocks: ``t = stock`` over ``[0, 1.25 x the largest initial stock)``, the largest of
  any policy in the pilot scenarios 0 .. 255 (their drawn parameters: fixed by the
  seed, whatever the chunks; ``[0, 1)`` for services);
* sector output: ``t = share`` over ``[0, 1.05)``.

With each bin's counts, each cell keeps its exact minimum and maximum and how many
scenarios sit exactly at each (the normal-times plateaus: all stocks full, output at 1).

Quantile readout and error bound
--------------------------------
Quantiles follow NumPy's default ``linear`` rule: ``q = (1 - f) x_(j) + f x_(j+1)``
with ``j + f = p (n - 1)``. Each order statistic ``x_(k)`` is estimated as the exact
minimum for ``k <`` (count at the minimum), the exact maximum for the top (count at
the maximum) ranks, and otherwise by spreading the ``m`` values of its bin evenly over
the bin's span clipped to ``[min, max]`` (position ``(k - before + 1/2) / m``). The
estimate and ``x_(k)`` lie in the same clipped span, so

* ``|t^_(k) - t_(k)| <= w`` (one bin width in the binning coordinate), hence for
  stocks and output ``|q^ - q| <= w``, and for prices the estimated price multiple
  ``1 + q^`` is within a factor ``exp(+-w)`` of ``1 + q`` (the bound of each order
  statistic, ``|x^ - x| <= (exp(w) - 1)(1 + x)``, carried through the interpolation);
* in the under- and overflow bins the span runs to the exact minimum or maximum, so
  the bound there is the distance from ``lo`` to the minimum (``hi`` to the maximum):
  zero when everything lies inside the range;
* up to float32 rounding of the binning coordinate at bin edges (~1e-7 relative).

The group stores the bound per element (``<variable>_bin_width``, in the binning
coordinate) next to the quantiles.

Memory
------
Per device and chunk: ``policies x kept days x elements x (FAN_BINS + 2)`` int32 counts
plus four ``policies x kept days x elements`` arrays, and per day one ``[elements,
scenarios]`` bin index; the Japan outlook (8 policies, 365 kept days, 47 elements):
72 MB per device, 36 MB per chunk in the store before compression (uint16 counts while
a chunk holds fewer than 65,536 scenarios). Nothing grows with the number of scenarios
or chunks in memory.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from simcore.core.compile import engine_jit
from simcore.core.engine import _scenario_major, batch_lanes, day_loop, drawn_policy_lanes, kept_lanes
from simcore.core.lanes import model_lanes, policy_lanes
from simcore.core.metrics import finish
from simcore.core.step import init_state
from simcore.core.uncertainty import drawn_fields, parameter_key
from simcore.run.metrics import PRODUCT_UNIT

FAN_BINS = 128  # equal bins per element between lo and hi (plus under- and overflow)
FAN_MAX_DAYS = 366  # at most this many kept days: every ceil(horizon / FAN_MAX_DAYS)-th day
QUANTILE_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
PRICE_RANGE = (0.1, 3.0)  # price multiples: from 0.1 to 3 x the product's price cap
STOCK_HEADROOM = 1.25  # stocks: up to 1.25 x the largest initial stock of the pilot scenarios
PILOT_SCENARIOS = 256  # scenarios 0 .. 255 (their drawn parameters only) set the stocks' range
OUTPUT_HIGH = 1.05  # sector output share: up to 1.05
PREFIX = "fans_"  # keys of the chunk_stats blob (no "__": the metric statistics skip them)

# variable -> (element dimension, units placeholder, long name, binning coordinate)
VARIABLES = {
    "price_change": ("product", "1", "user price relative to baseline, minus 1", "log(1 + price_change)"),
    "stock": ("product", PRODUCT_UNIT, "stock, private + government", "stock"),
    "sector_output_share": ("sector", "1", "sector output as a share of baseline output", "sector_output_share"),
}


# ---------------------------------------------------------------- layout

@dataclass(frozen=True)
class FanLayout:
    """Kept days and bins: ``lo`` / ``width`` ``[E]`` in the binning coordinate,
    ``log`` ``[E]`` (the coordinate is ``log(1 + x)``); elements are the products'
    prices, the products' stocks, the sectors' output shares, in that order."""

    horizon: int
    stride: int
    lo: np.ndarray
    width: np.ndarray
    log: np.ndarray
    n_products: int
    n_sectors: int

    @property
    def days(self) -> np.ndarray:
        return np.arange(0, self.horizon, self.stride)

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def n_elements(self) -> int:
        return 2 * self.n_products + self.n_sectors

    def slices(self) -> dict[str, slice]:
        p, s = self.n_products, self.n_sectors
        return {"price_change": slice(0, p), "stock": slice(p, 2 * p), "sector_output_share": slice(2 * p, 2 * p + s)}

    def device_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.lo.astype(np.float32), self.width.astype(np.float32), self.log.copy()


def fan_layout(sim) -> FanLayout:
    """The layout of ``sim`` (a :class:`simcore.run.runner.Simulation`), from the model's
    central values and the policies (the same for every chunk)."""
    model = sim.loaded.model
    stock = np.asarray(_initial_stocks(model, sim.policies, sim.base_key), np.float64)
    stock_high = np.where(stock > 0, STOCK_HEADROOM * stock, 1.0)
    cap = np.asarray(model.price_cap, np.float64)
    n_products, n_sectors = len(stock), int(np.asarray(model.final_demand).shape[0])
    price_lo = np.full(n_products, np.log(PRICE_RANGE[0]))
    price_hi = np.log(PRICE_RANGE[1] * np.maximum(cap, 1.0))
    lo = np.concatenate([price_lo, np.zeros(n_products), np.zeros(n_sectors)])
    hi = np.concatenate([price_hi, stock_high, np.full(n_sectors, OUTPUT_HIGH)])
    log = np.concatenate([np.ones(n_products, bool), np.zeros(n_products + n_sectors, bool)])
    stride = max(1, -(-int(sim.horizon_days) // FAN_MAX_DAYS))
    return FanLayout(int(sim.horizon_days), stride, lo, (hi - lo) / FAN_BINS, log, n_products, n_sectors)


@functools.partial(engine_jit, program="simcore.run.fans._initial_stocks")  # kept on disk: no trace when warm
def _initial_stocks(model, policies, base_key):
    """``[P]`` the largest initial stock (private + government) of any policy in the
    pilot scenarios 0 .. PILOT_SCENARIOS - 1 (their drawn parameters; the model's
    central values without uncertainty): fixed by the seed, whatever the chunks."""
    drawn = {}
    if model.uncertainty is not None:
        index = jnp.arange(PILOT_SCENARIOS, dtype=jnp.uint32)
        drawn = jax.vmap(lambda i: drawn_fields(model, parameter_key(base_key, i)))(index)
    lane_model = model_lanes(model, drawn)
    n_lanes = PILOT_SCENARIOS if drawn else 1

    def one(policy):
        state = init_state(lane_model, drawn_policy_lanes(model, lane_model, policy_lanes(policy)), n_lanes)
        return jnp.max(state.private_stock + state.gov_stock, axis=-1)

    return jnp.max(jax.vmap(one)(policies), axis=0)


# ---------------------------------------------------------------- on the device

def _record(daily, valid, lo, width, log) -> dict:
    """One day's histogram of the lanes ``valid`` ``[B]``: counts ``[E, FAN_BINS + 2]``,
    the exact ``min`` / ``max`` ``[E]`` and how many lanes sit at each."""
    values = jnp.concatenate([daily.price_change, daily.private_stock + daily.gov_stock,
                              daily.sector_output_share], axis=0)  # [E, B]
    n_elements = values.shape[0]
    coordinate = jnp.where(log[:, None], jnp.log(jnp.maximum(1.0 + values, 1e-30)), values)
    index = jnp.clip(jnp.floor((coordinate - lo[:, None]) / width[:, None]), -1, FAN_BINS).astype(jnp.int32) + 1
    keys = jnp.where(valid[None, :], jnp.arange(n_elements, dtype=jnp.int32)[:, None] * (FAN_BINS + 2) + index,
                     n_elements * (FAN_BINS + 2))  # the last key collects the lanes left out
    counts = jnp.zeros(n_elements * (FAN_BINS + 2) + 1, jnp.int32).at[keys.ravel()].add(1)[:-1]
    low = jnp.min(jnp.where(valid[None, :], values, jnp.inf), axis=1)
    high = jnp.max(jnp.where(valid[None, :], values, -jnp.inf), axis=1)
    return {"counts": counts.reshape(n_elements, FAN_BINS + 2), "min": low, "max": high,
            "n_min": jnp.sum((values == low[:, None]) & valid[None, :], axis=1, dtype=jnp.int32),
            "n_max": jnp.sum((values == high[:, None]) & valid[None, :], axis=1, dtype=jnp.int32)}


def _lanes_with_fans(model, policy, events, occ, horizon: int, stride: int, valid, lo, width, log,
                     daily_lanes: int | None = None):
    """The engine's day loop (:func:`simcore.core.engine.simulate_lanes`, exact) in blocks
    of ``stride`` days whose first day is recorded: metrics ``[..., B]``, fans
    ``[kept day, E, ...]`` (scan outputs, so no histogram is carried from day to day)
    and, with ``daily_lanes``, the days of the first ``daily_lanes`` lanes
    ``[horizon, ..., daily_lanes]`` (else None; :mod:`simcore.run.riders`)."""
    first, day = day_loop(model, policy, events, occ)  # the exact engine's day
    keep = daily_lanes is not None

    def block(length):  # a block of `length` days (static), its first day recorded
        def run(carry, _):
            carry, daily = day(carry)
            days = kept_lanes(daily, daily_lanes) if keep else None
            if length > 1:
                def rest(c, _):
                    c, d = day(c)
                    return c, (kept_lanes(d, daily_lanes) if keep else None)
                carry, more = jax.lax.scan(rest, carry, None, length=length - 1)
                if keep:
                    days = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b], axis=0), days, more)
            elif keep:
                days = jax.tree_util.tree_map(lambda a: a[None], days)
            return carry, (_record(daily, valid, lo, width, log), days)
        return run

    carry, (fans, days) = jax.lax.scan(block(stride), first, None, length=horizon // stride)
    if keep:  # [block, stride, ...] -> [day, ...]
        days = jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:]), days)
    if horizon % stride:  # the last, shorter block
        carry, (last, last_days) = block(horizon % stride)(carry, None)
        fans = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[None]], axis=0), fans, last)
        if keep:
            days = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b], axis=0), days, last_days)
    final, totals = carry
    return finish(model, first[0], final, totals, horizon), fans, days


def simulate_fans(model, policies, events, base_key, scenario_index, stop, lo, width, log, *, horizon: int,
                  stride: int, central=None, daily_lanes: int | None = None):
    """:func:`simcore.core.engine.simulate` (drawn scenarios, exact engine) with the fan
    histograms of the scenarios ``scenario_index < stop``: ``(metrics [policy, scenario,
    ...], fans {name: [policy, day, E, ...]}, daily)``. ``central`` ``[B]`` bool: those
    lanes run normal times (as in ``simulate``) and are left out of the fans;
    ``daily_lanes``: the days of the first lanes ``[policy, daily_lanes, day, ...]``
    (else ``daily`` is None), as ``simulate(save_daily=True, daily_lanes=...)``."""
    occ, events, lane_model = batch_lanes(model, events, base_key, scenario_index, central)
    valid = scenario_index < stop
    if central is not None:
        valid = valid & ~central

    def one(policy):
        lanes = drawn_policy_lanes(model, lane_model, policy_lanes(policy))
        metrics, fans, days = _lanes_with_fans(lane_model, lanes, events, occ, horizon, stride, valid, lo, width,
                                               log, daily_lanes)
        metrics, days = _scenario_major(metrics, days)
        return metrics, fans, days

    return jax.vmap(one)(policies)


# ---------------------------------------------------------------- on the host: merge

@dataclass(frozen=True)
class FanStats:
    """Merged fan histograms ``[policy, day, E, FAN_BINS + 2]`` (int64 ``counts``) with
    the exact ``min`` / ``max`` (float32) ``[policy, day, E]`` and the number of values
    at each (``n_min`` / ``n_max``, int64)."""

    counts: np.ndarray
    min: np.ndarray
    max: np.ndarray
    n_min: np.ndarray
    n_max: np.ndarray

    @classmethod
    def from_devices(cls, fans: dict) -> "FanStats":
        """Merge the per-device parts (leading device axis) of one chunk."""
        # to the host first: indexing a device array runs a program per index
        host = {name: np.asarray(fans[name]) for name in ("counts", "min", "max", "n_min", "n_max")}
        parts = [cls(*(host[name][d] for name in ("counts", "min", "max", "n_min", "n_max")))
                 for d in range(host["counts"].shape[0])]
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        return cls(merged.counts.astype(np.int64), merged.min, merged.max, merged.n_min.astype(np.int64),
                   merged.n_max.astype(np.int64))

    def merge(self, other: "FanStats") -> "FanStats":
        """The statistics of both sets of scenarios (exact: any order or grouping)."""
        low, high = np.fmin(self.min, other.min), np.fmax(self.max, other.max)
        return FanStats(self.counts + other.counts, low, high,
                        np.where(self.min == low, self.n_min, 0) + np.where(other.min == low, other.n_min, 0),
                        np.where(self.max == high, self.n_max, 0) + np.where(other.max == high, other.n_max, 0))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays for the chunk's blob; counts as uint16 where they fit."""
        small = self.counts.size == 0 or int(self.counts.max()) < 2 ** 16
        return {f"{PREFIX}counts": self.counts.astype(np.uint16 if small else np.int64),
                f"{PREFIX}min": self.min, f"{PREFIX}max": self.max,
                f"{PREFIX}n_min": self.n_min.astype(np.uint16 if small else np.int64),
                f"{PREFIX}n_max": self.n_max.astype(np.uint16 if small else np.int64)}

    @classmethod
    def from_arrays(cls, arrays) -> "FanStats | None":
        """Inverse of :meth:`to_arrays`; None where the blob has no fans."""
        if f"{PREFIX}counts" not in arrays:
            return None
        get = {name: np.asarray(arrays[f"{PREFIX}{name}"]) for name in ("counts", "min", "max", "n_min", "n_max")}
        return cls(get["counts"].astype(np.int64), get["min"], get["max"], get["n_min"].astype(np.int64),
                   get["n_max"].astype(np.int64))


def template_arrays(layout: FanLayout, n_policies: int) -> dict[str, np.ndarray]:
    """One chunk's fan arrays with their shapes and dtypes (zeros), for the store's estimate."""
    cell = (n_policies, layout.n_days, layout.n_elements)
    return FanStats(np.zeros(cell + (FAN_BINS + 2,), np.int64), np.zeros(cell, np.float32),
                    np.zeros(cell, np.float32), np.zeros(cell, np.int64), np.zeros(cell, np.int64)).to_arrays()


# ---------------------------------------------------------------- readout

def _order_statistics(stats: FanStats, layout: FanLayout, ranks: np.ndarray) -> np.ndarray:
    """Estimates of the order statistics ``ranks`` (0-based, ``[..., cell]`` broadcast
    against the cells ``[policy, day, E]``) in the values' own units."""
    counts = stats.counts
    log = layout.log[None, None, :]
    lo, width = layout.lo[None, None, :], layout.width[None, None, :]

    def coordinate(x):
        x = np.asarray(x, np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(log, np.log(np.maximum(1.0 + x, 1e-30)), x)

    t_min, t_max = coordinate(stats.min), coordinate(stats.max)
    cumulative = np.cumsum(counts, axis=-1)
    out = []
    for rank in ranks:
        rank = np.broadcast_to(rank, counts.shape[:-1])
        bin_ = np.minimum((cumulative <= rank[..., None]).sum(axis=-1), FAN_BINS + 1)
        inside = np.take_along_axis(counts, bin_[..., None], axis=-1)[..., 0]
        before = np.take_along_axis(cumulative, bin_[..., None], axis=-1)[..., 0] - inside
        edge_lo = np.where(bin_ == 0, -np.inf, lo + (bin_ - 1) * width)
        edge_hi = np.where(bin_ == FAN_BINS + 1, np.inf, lo + bin_ * width)
        span_lo, span_hi = np.maximum(edge_lo, t_min), np.minimum(edge_hi, t_max)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # empty cells: masked below
            t = span_lo + (rank - before + 0.5) / inside * (span_hi - span_lo)
            value = np.where(log, np.expm1(t), t)
        value = np.where(rank < stats.n_min, stats.min, np.where(rank >= cumulative[..., -1] - stats.n_max,
                                                                   stats.max, value))
        out.append(np.clip(value, stats.min, stats.max))
    return np.asarray(out, np.float64)


def quantiles(stats: FanStats, layout: FanLayout, levels=QUANTILE_LEVELS) -> np.ndarray:
    """Quantiles ``[level, policy, day, E]`` (NumPy's ``linear`` rule on the estimated
    order statistics; NaN where a cell has no values)."""
    n = stats.counts.sum(axis=-1)
    out = []
    for level in levels:
        rank = level * np.maximum(n - 1, 0)
        below = np.floor(rank)
        fraction = rank - below
        low, high = _order_statistics(stats, layout, [below, np.minimum(below + 1, np.maximum(n - 1, 0))])
        value = (1.0 - fraction) * low + fraction * high
        out.append(np.where(n > 0, value, np.nan))
    return np.asarray(out)


def fan_dataset(stats: FanStats, layout: FanLayout, policies, products, sectors, n_scenarios: int) -> xr.Dataset:
    """The ``daily_quantiles`` group: per variable ``[quantile, policy, day, element]``,
    the bin width (error bound) per element, coordinates and attributes."""
    values = quantiles(stats, layout)
    data = {}
    for name, part in layout.slices().items():
        element, units, long_name, coordinate = VARIABLES[name]
        data[name] = (("quantile", "policy", "day", element), values[..., part].astype(np.float64),
                      {"units": units, "long_name": f"{long_name}: quantiles over all {n_scenarios} scenarios",
                       "binning_coordinate": coordinate})
        data[f"{name}_bin_width"] = ((element,), layout.width[part], {
            "units": "1" if layout.log[part].any() else units,
            "long_name": f"bin width of {name} in {coordinate}: the quantiles' error bound inside the binned range"})
        data[f"{name}_range_low"] = ((element,), layout.lo[part], {
            "units": "1" if layout.log[part].any() else units, "long_name": f"lower end of the binned range ({coordinate})"})
    ds = xr.Dataset(data, coords={
        "quantile": ("quantile", np.asarray(QUANTILE_LEVELS), {"long_name": "quantile level", "units": "1"}),
        "policy": list(policies), "day": ("day", layout.days, {"long_name": "day of the horizon", "units": "day"}),
        "product": list(products), "sector": list(sectors)})
    ds.attrs.update({"n_scenarios": int(n_scenarios), "bins": FAN_BINS, "day_stride": int(layout.stride),
                     "method": "fixed-bin histograms per (policy, day, element) over every scenario, merged exactly "
                               "across chunks; quantiles by NumPy's linear rule on order statistics spread evenly "
                               "within their bin (simcore.run.fans)"})
    return ds
