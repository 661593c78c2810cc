"""Sub-models: a model restricted to the products a disruption can reach.

A disruption that cuts rows ``R`` of a model changes nothing else than the rows it
*reaches*: ``R``, every product that needs one of them as a critical recipe input
(directly or through a chain, ``Model.recipe_closure``: its domestic production and its
alarm follow the input's fill), every product with a hidden-dependence link on one of
them (``Model.hidden``: its supply loses the link's share of the upstream cut), the
other segments of their groups (``Model.segment_group``: a group's losses add up), and
so on to a fixed point (:func:`reach`). Every other row stays exactly at its baseline in
every lane (the day step is written so that normal times are exact, :mod:`simcore.core.
step`): fill 1, no shortage, no alarm, sector losses 0. Such a row changes no reported
metric of the reached rows or of the sectors:

* its sector losses are 0, which add nothing to the sums nor the maxima of a sector's
  losses (``sectors``); its use factor does follow idle sectors, but a row in balance
  stays in balance at any demand (arrivals equal demand exactly);
* a reached row reads it only as a recipe input (fill 1: no domestic loss, no alarm) or
  through a hidden link (upstream uncut: factor exactly 1, ``(1 - s) + s`` rounds to 1
  in float32), and both give the same numbers without it;
* the sectors are all kept: value added, gross output, the upstream caps and the price
  index are sector quantities.

So a case can run on the reached rows alone; this module cuts a model, a policy and an
event set down to them, in the lane layout (:mod:`simcore.core.lanes`) and after each
scenario's parameters are drawn on the *full* model, so every kept number (uncertain
entries, their common random numbers, event draws, leakage) is the full model's value
to the bit. Prices are not needed by the screen's metrics (they feed back into no
quantity), but the operator's kept columns are sliced consistently anyway.

Static shapes
    The kept rows are a traced index ``[b]`` (:class:`Selection`), ``b`` one of a few
    bucket sizes: one compiled program per bucket serves every set of reached rows of
    at most that size. Rows beyond the reached ones are *pads*: copies of the first kept
    row with no sector use, no exposure, no recipe links, no event weight, their own
    segment group and no hidden links, so they stay at their baseline too (results of
    pad rows are dropped). The dense sector layout is used (``sector_pairs`` and
    ``segment_blocks`` are shape-static layouts of the full model, so they are dropped).
    Hidden links keep the full model's link count and ``rounds`` table (static shapes):
    a link whose product is not kept points at the first pad row with share 0 (factor
    exactly 1, so the pad row stays exact whatever other dropped links write there), a
    kept link whose upstream is not kept reads its upstream from that pad row (no event
    weight: uncut, exactly as the full model's uncut upstream). Hence a sub-model with
    hidden links needs at least one pad row (:func:`bucket`). A sub-model in which no
    link has both ends kept has no hidden links at all (:func:`linked`): every link
    then reads an uncut upstream, a factor of exactly 1.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from simcore.core.disruptions import EventSet
from simcore.core.model import Model, Policy

# Fields of Model by where their product axes are (the others are sector fields or scalars)
_ROWS = ("demand_per_day", "price", "inventory_days", "lead_time_days", "storable", "import_share", "domestic_share",
         "price_elasticity", "price_cap", "price_relax_half_life_days", "restock_headroom", "world_share",
         "world_price_elasticity", "world_demand_weight", "cover_horizon_days", "transit_days", "storage_room_days",
         "world_stock_days", "world_storage_elasticity", "world_precaution_days", "world_demand_elasticity_long",
         "world_demand_adjust_days", "world_supply_response", "world_supply_elasticity",
         "world_supply_response_days", "market_sourcing_share", "market_sourcing_days", "use_share",
         "substitutable_share", "exposure", "essentiality", "cost_share", "price_scale", "segment_weight")
_SQUARE = ("recipe_inputs", "recipe_closure", "segment_group")  # [P, P]
_COLUMNS = ("price_operator",)  # [S, P]
_UNUSED_ON_PADS = ("use_share", "exposure", "cost_share")  # rows set to 0 on pads: no sector use


class Selection(NamedTuple):
    """The kept rows of a sub-model (module doc). ``index`` int32 ``[b]``: full-model row
    of each sub-model row (pads repeat the first kept row); ``real`` bool ``[b]``: False
    on pads; the hidden links ``[L]`` (None without): ``hidden_product``,
    ``hidden_on_product`` (sub-model rows) and ``hidden_kept`` (False: share 0)."""

    index: np.ndarray
    real: np.ndarray
    hidden_product: np.ndarray | None = None
    hidden_on_product: np.ndarray | None = None
    hidden_kept: np.ndarray | None = None


def reach(model: Model, rows) -> np.ndarray:
    """Sorted rows ``[n]`` reached from ``rows`` (module doc): closed under "needs it as a
    critical recipe input (chain)", "has a hidden link on it" and "same segment group".
    Host-side (numpy), once per case."""
    closure = np.asarray(model.recipe_closure) > 0  # [p, q]: q is an input of p (chain)
    group = None if model.segment_group is None else np.asarray(model.segment_group) > 0
    links = [] if model.hidden is None else list(zip(np.asarray(model.hidden.product).tolist(),
                                                     np.asarray(model.hidden.on_product).tolist()))
    reached = np.zeros(closure.shape[0], bool)
    reached[list(rows)] = True
    while True:
        grown = reached | closure[:, reached].any(axis=1)
        for p, q in links:
            grown[p] |= grown[q]
        if group is not None:
            grown |= group[:, grown].any(axis=1)
        if np.array_equal(grown, reached):
            return np.flatnonzero(reached)
        reached = grown


def linked(model: Model, rows) -> bool:
    """True where some hidden link has both ends among ``rows``: only such a link can
    change a kept row (any other reads an uncut upstream: factor exactly 1), so a
    sub-model without one drops the hidden links altogether."""
    if model.hidden is None:
        return False
    kept = set(np.asarray(rows).tolist())
    return any(p in kept and q in kept for p, q in zip(np.asarray(model.hidden.product).tolist(),
                                                        np.asarray(model.hidden.on_product).tolist()))


def bucket(n_reached: int, sizes, model: Model, links: bool = True) -> int | None:
    """The smallest of ``sizes`` that holds ``n_reached`` rows (and, with ``links``
    (:func:`linked`), one pad row for the hidden links' dropped ends); None where none
    does or the bucket would be no smaller than the model (run the full model)."""
    need = n_reached + (1 if links and model.hidden is not None else 0)
    n_products = int(np.shape(model.demand_per_day)[0])
    for size in sorted(sizes):
        if size >= need:
            return size if size < n_products else None
    return None


def selection(model: Model, rows, size: int) -> Selection:
    """The :class:`Selection` of sorted full-model ``rows`` ``[n]`` padded to ``size``;
    without hidden links (None) unless :func:`linked`."""
    rows = np.asarray(rows, np.int64)
    n = len(rows)
    if n == 0 or size < n:
        raise ValueError(f"selection: {n} rows do not fit {size}")
    index = np.concatenate([rows, np.full(size - n, rows[0])]).astype(np.int32)
    real = np.arange(size) < n
    if not linked(model, rows):
        return Selection(index, real)
    if size == n:
        raise ValueError("selection: hidden links need a pad row (bucket)")
    position = {int(r): i for i, r in enumerate(rows)}
    product = np.asarray(model.hidden.product).tolist()
    on = np.asarray(model.hidden.on_product).tolist()
    kept = np.array([p in position for p in product], bool)
    return Selection(index, real, np.array([position.get(p, n) for p in product], np.int32),
                     np.array([position.get(q, n) for q in on], np.int32), kept)


def _rows_mask(real, x):
    return real.reshape(real.shape + (1,) * (x.ndim - 1))


def sub_model(model: Model, sel: Selection) -> Model:
    """``model`` (central or lane layout, ``uncertainty`` None) on the rows of ``sel``
    (traced arrays allowed): product axes gathered, pads neutralised (module doc), the
    dense sector layout. Shapes: ``[P, ...]`` -> ``[b, ...]``, ``[P, P]`` -> ``[b, b]``,
    ``[S, P]`` -> ``[S, b]``."""
    index, real = jnp.asarray(sel.index), jnp.asarray(sel.real)
    fields = {}
    for name in _ROWS:
        value = getattr(model, name)
        if value is None:
            continue
        value = value[index]
        if name in _UNUSED_ON_PADS:
            value = jnp.where(_rows_mask(real, value), value, 0.0)
        fields[name] = value
    both = real[:, None] & real[None, :]
    eye = jnp.eye(index.shape[0], dtype=bool)
    for name in _SQUARE:
        value = getattr(model, name)
        if value is None:
            continue
        value = value[index][:, index]
        other = eye if name == "segment_group" else jnp.zeros_like(eye)  # a pad is its own group
        mask = both.reshape(both.shape + (1,) * (value.ndim - 2))
        fields[name] = jnp.where(mask, value, other.reshape(mask.shape).astype(value.dtype))
    if model.segment_weight is not None:
        fields["segment_weight"] = jnp.where(_rows_mask(real, fields["segment_weight"]), fields["segment_weight"],
                                             1.0)
    operator = model.price_operator[:, index]
    fields["price_operator"] = jnp.where(real.reshape((1, -1) + (1,) * (operator.ndim - 2)), operator, 0.0)
    hidden = model.hidden
    if sel.hidden_kept is None:  # no link with both ends kept (selection)
        hidden = None
    elif hidden is not None:
        kept = jnp.asarray(sel.hidden_kept)
        share = jnp.where(kept.reshape(kept.shape + (1,) * (hidden.share.ndim - 1)), hidden.share, 0.0)
        hidden = hidden._replace(product=jnp.asarray(sel.hidden_product), on_product=jnp.asarray(sel.hidden_on_product),
                                 share=share)
    return model._replace(**fields, hidden=hidden, segment_blocks=None, sector_pairs=None, uncertainty=None)


def sub_policy(policy: Policy, sel: Selection) -> Policy:
    """``policy`` ``[P, ...]`` fields on the rows of ``sel`` (pads: the first kept row's
    levers; they never act, a pad has no alarm)."""
    index = jnp.asarray(sel.index)
    return Policy(*(x[index] for x in policy))


def sub_events(events: EventSet, sel: Selection) -> EventSet:
    """``events`` (``product_weight`` and ``world_weight`` ``[J, P]``) on the rows of
    ``sel``, no weight on pads; every other field (and so every event draw) unchanged."""
    index, real = jnp.asarray(sel.index), jnp.asarray(sel.real)
    return events._replace(product_weight=jnp.where(real, events.product_weight[:, index], 0.0),
                           world_weight=jnp.where(real, events.world_weight[:, index], 0.0))
