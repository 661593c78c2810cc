"""Uncertainty that the data cannot remove: uncertain parameters and hidden suppliers.

Uncertain parameters
    Some numbers of a model are known only as a range. A :class:`Model` may carry an
    :class:`Uncertainty`: for each uncertain field, the flat indices of its uncertain
    entries and one distribution per entry (:class:`Distribution`). Each scenario draws
    its own values from its own key, builds its own model (:func:`draw_model`) and runs
    every policy on it, so results carry both event risk and data uncertainty, and
    every policy sees the same drawn numbers (common random numbers).

    The model's own value of an uncertain entry is its *central* value (triangular
    mode, uniform midpoint, lognormal median): what :func:`~simcore.core.engine.simulate_given`
    and the normal-times reference use.

Random numbers
    Scenario ``i``'s parameters come from ``parameter_key(base_key, i) =
    fold_in(fold_in(base_key, i), PARAMETER_STREAM)``; its events use
    ``fold_in(fold_in(base_key, i), e)`` for events ``e < E``, so adding uncertain
    parameters leaves every event draw unchanged. Each entry draws one uniform ``u``
    from ``fold_in(parameter_key, stream)`` and maps it through the inverse CDF of its
    distribution. ``stream`` is a stable number the shell derives from the entry's
    name (``products.gallium.inventory_days``): a draw depends neither on the batch,
    nor on the other uncertain entries, nor on the order of the model file; entries
    that share a stream share their ``u`` (a ``lead_time_days`` and the transit days
    that default to it move together).

Distributions (``kind``)
    * ``TRIANGULAR`` (0): ``a`` = low, ``b`` = mode, ``c`` = high; mean ``(a + b + c) / 3``.
    * ``UNIFORM`` (1): ``a`` = low, ``c`` = high; mean ``(a + c) / 2``.
    * ``LOGNORMAL`` (2): ``a`` = median, ``b`` = sigma of the log; mean ``a exp(b^2 / 2)``.

    Draws are clipped to ``[floor, ceiling]`` (the field's allowed range).

Fields that may be uncertain (:data:`UNCERTAIN_FIELDS`) and what is recomputed
    * ``price``, ``demand_per_day``: the product cost shares and the Leontief price
      operator scale with price x demand (and, in a product-only model, the pseudo
      sector's output and value added with the basket's value).
    * ``import_share`` ``[P, O]``: the drawn entries replace the central ones, and the
      other origins of the row (with a share > 0) are rescaled so that the row's import
      total (and so the domestic share) stays as it was; drawn entries that would
      exceed the total are scaled down to it and the others set to 0. In a row with no
      other origin the domestic share takes the difference. ``world_share`` rows that
      default to the import shares follow the drawn rows, and so do the policies' rows
      that equal the model's (a diversification policy's own rows are its decision
      and stay).
    * every other field in the list is used as it is drawn (no derived quantities).

    Not uncertain (derived quantities would need a re-solve or validation per
    scenario): ``domestic_share``, ``world_share``, ``use_share``, the IO table's
    ``technical_coefficients`` and ``final_demand``, essentiality classes, tolerances.

Hidden suppliers (:class:`HiddenDependence`)
    Link ``l`` says that share ``share[l]`` of origin ``origin[l]``'s supply of
    ``product[l]`` depends on origin ``on_origin[l]``'s supply of ``on_product[l]``
    (a Vietnamese magnet maker using Chinese dysprosium). When an event cuts the
    supply it depends on by ``c``, the dependent supply keeps ``1 - share x c`` of
    itself on top of its own cuts: availability of ``(p, o)`` becomes
    ``kept[p, o] x (1 - share x c)``. Several links on one supply combine
    multiplicatively. The dependence is one level deep: ``c`` is the event cut of the
    upstream supply, not its own hidden-dependence cut. The shares may be uncertain
    (field ``hidden_share`` of the draws).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri

# The pytrees (Distribution, Uncertainty, HiddenDependence) live with the Model that
# carries them; they stay importable from here.
from simcore.core.host_arrays import host_array, on_device
from simcore.core.model import DAYS_PER_YEAR, Distribution, HiddenDependence, Model, Uncertainty

__all__ = [
    "DISTRIBUTION_KINDS", "Distribution", "HiddenDependence", "LOGNORMAL", "PARAMETER_STREAM", "TRIANGULAR",
    "UNCERTAIN_FIELDS", "UNIFORM", "Uncertainty", "distribution", "draw_model", "draw_parameters", "draw_values",
    "drawn_fields", "apply_hidden_cut", "apply_hidden_factor", "hidden_cut", "hidden_dependence", "hidden_factor",
    "link_rounds", "inverse_cdf", "parameter_key", "without_hidden",
]

TRIANGULAR, UNIFORM, LOGNORMAL = 0, 1, 2
DISTRIBUTION_KINDS = {"triangular": TRIANGULAR, "uniform": UNIFORM, "lognormal": LOGNORMAL}
# fold_in data that separates the parameter draws of a scenario from its events
# (events use fold_in(scenario_key, e) with e < E, far below this).
PARAMETER_STREAM = 0x7FFF_FFF1

# Model fields that may carry distributions (``hidden_share`` is the share of the
# hidden-dependence links).
UNCERTAIN_FIELDS = (
    "demand_per_day", "price", "inventory_days", "lead_time_days", "import_share", "price_elasticity", "price_cap",
    "price_relax_half_life_days", "restock_headroom", "world_price_elasticity", "world_demand_weight",
    "cover_horizon_days", "transit_days", "storage_room_days", "substitutable_share", "exposure", "value_added",
    "hidden_share", "world_stock_days", "world_storage_elasticity", "world_precaution_days",
    "world_demand_elasticity_long", "world_demand_adjust_days", "world_supply_response", "world_supply_elasticity",
    "world_supply_response_days", "market_sourcing_share", "market_sourcing_days",
)


def distribution(index, stream, kind, a, b=0.0, c=0.0, floor=-np.inf, ceiling=np.inf) -> Distribution:
    """A :class:`Distribution`, broadcasting scalars to the length of ``index``."""
    index = np.atleast_1d(np.asarray(index, dtype=np.int32))
    n = index.shape[0]

    def vec(x, dtype=np.float32):
        return host_array(x, dtype, (n,))

    # on the device with device_put: jnp.asarray compiles a one-op program per shape
    return Distribution(index=on_device(index), stream=vec(stream, np.uint32), kind=vec(kind, np.int32), a=vec(a),
                        b=vec(b), c=vec(c), floor=vec(floor), ceiling=vec(ceiling))


def hidden_dependence(product, origin, on_product, on_origin, share) -> HiddenDependence:
    """A :class:`HiddenDependence` from index lists and shares (all ``[L]``)."""
    ints = [np.atleast_1d(np.asarray(x, dtype=np.int32)) for x in (product, origin, on_product, on_origin)]
    return HiddenDependence(*(on_device(x) for x in ints),
                            share=on_device(np.atleast_1d(np.asarray(share, dtype=np.float32))),
                            rounds=on_device(link_rounds(ints[0], ints[1])))


def link_rounds(product: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """The links ``[L]`` by supply: int32 ``[K, T]``, column ``t`` the links of the
    ``t``-th distinct supply ``(product, origin)`` (in order of first appearance), row
    ``k`` its ``k``-th link in link order, padded with ``L`` ("no link"); ``K`` the most
    links on one supply. Row 0 has no padding: every supply has a first link. The hidden
    links combine row after row (:func:`apply_hidden_cut`, :func:`apply_hidden_factor`):
    the same arithmetic, in the same order per supply, as link after link, in ``K``
    vectorised steps over ``T`` supplies (the Japan model: 3 rows of 12 supplies for 21
    links)."""
    n_links = len(product)
    columns: dict[tuple[int, int], list[int]] = {}
    for link, supply in enumerate(zip(np.asarray(product).tolist(), np.asarray(origin).tolist())):
        columns.setdefault(supply, []).append(link)
    if n_links == 0:
        return np.zeros((0, 0), np.int32)
    table = np.full((max(len(c) for c in columns.values()), len(columns)), n_links, np.int32)
    for t, links in enumerate(columns.values()):
        table[:len(links), t] = links
    return table


def parameter_key(base_key: jax.Array, scenario_index) -> jax.Array:
    """Key of scenario ``i``'s parameter draws: ``fold_in(fold_in(base_key, i), PARAMETER_STREAM)``."""
    return jax.random.fold_in(jax.random.fold_in(base_key, scenario_index), PARAMETER_STREAM)


def inverse_cdf(dist: Distribution, u: jnp.ndarray) -> jnp.ndarray:
    """Values ``[n]`` at probabilities ``u`` ``[n]`` in ``(0, 1)``, clipped to ``[floor, ceiling]``."""
    low, mode, high = dist.a, dist.b, dist.c
    width = high - low
    at_mode = jnp.where(width > 0, (mode - low) / jnp.where(width > 0, width, 1.0), 0.0)
    triangular = jnp.where(u < at_mode,
                           low + jnp.sqrt(u * width * (mode - low)),
                           high - jnp.sqrt((1.0 - u) * width * (high - mode)))
    uniform = low + u * width
    lognormal = dist.a * jnp.exp(dist.b * ndtri(u))
    value = jnp.where(dist.kind == TRIANGULAR, triangular, jnp.where(dist.kind == UNIFORM, uniform, lognormal))
    return jnp.clip(value, dist.floor, dist.ceiling)


def draw_values(dist: Distribution, key: jax.Array) -> jnp.ndarray:
    """One scenario's values ``[n]`` of the entries of ``dist`` from the parameter ``key``."""
    u = jax.vmap(lambda s: jax.random.uniform(jax.random.fold_in(key, s)))(dist.stream)
    # keep u inside (0, 1): the lognormal's ndtri is infinite at the ends
    u = jnp.clip(u, 1e-7, 1.0 - 1e-7)
    return inverse_cdf(dist, u)


def _set(field: jnp.ndarray, dist: Distribution, values: jnp.ndarray) -> jnp.ndarray:
    return field.reshape(-1).at[dist.index].set(values.astype(field.dtype)).reshape(field.shape)


def _rebalance_imports(central: jnp.ndarray, drawn: jnp.ndarray, is_drawn: jnp.ndarray, domestic: jnp.ndarray):
    """Import rows ``[P, O]`` and domestic shares ``[P]`` after drawing some entries.

    The other origins of a row (not drawn, share > 0) absorb the change so that the
    row's import total stays; without such origins the domestic share does."""
    total = jnp.sum(central, axis=1)  # [P] import total at the central values
    drawn_part = jnp.where(is_drawn, drawn, 0.0)
    drawn_sum = jnp.sum(drawn_part, axis=1)
    others = jnp.where(is_drawn, 0.0, central)
    others_sum = jnp.sum(others, axis=1)
    has_others = others_sum > 0
    # rows with other origins: the drawn part at most the total, the others fill the rest
    fit = jnp.where(drawn_sum > total, total / jnp.maximum(drawn_sum, 1e-30), 1.0)
    room = jnp.maximum(total - drawn_sum * fit, 0.0)
    scaled_others = others * (room / jnp.where(has_others, others_sum, 1.0))[:, None]
    with_others = drawn_part * fit[:, None] + scaled_others
    # rows without: the drawn part at most 1, the domestic share takes the rest
    fit_alone = jnp.where(drawn_sum > 1.0, 1.0 / jnp.maximum(drawn_sum, 1e-30), 1.0)
    alone = drawn_part * fit_alone[:, None] + others
    rows = jnp.where(has_others[:, None], with_others, alone)
    new_domestic = jnp.where(has_others, domestic, jnp.clip(1.0 - jnp.sum(alone, axis=1), 0.0, 1.0))
    touched = jnp.any(is_drawn, axis=1)
    return jnp.where(touched[:, None], rows, central), jnp.where(touched, new_domestic, domestic)


def drawn_fields(model: Model, key: jax.Array) -> dict:
    """The fields of one scenario's model that its draws change: ``{field: value}`` with
    every uncertain entry drawn from ``key`` (see :func:`parameter_key`) and the
    quantities derived from them recomputed; the hidden links' shares under
    ``"hidden_share"``, and under ``"price_scale"`` ``[P]`` the factor of each column of
    ``cost_share`` and ``price_operator`` (drawn prices or demands). Fields not in the
    dict keep the model's values."""
    uncertainty: Uncertainty = model.uncertainty
    draws = uncertainty.draws
    values = {name: draw_values(dist, key) for name, dist in draws.items()}
    changes = {}
    for name, dist in draws.items():
        if name in ("hidden_share", "import_share"):
            continue
        changes[name] = _set(getattr(model, name), dist, values[name])
    if "import_share" in draws:
        dist = draws["import_share"]
        is_drawn = _set(jnp.zeros_like(model.import_share), dist, jnp.ones_like(dist.a)) > 0
        drawn = _set(model.import_share, dist, values["import_share"])
        rows, domestic = _rebalance_imports(model.import_share, drawn, is_drawn, model.domestic_share)
        changes["import_share"] = rows
        changes["domestic_share"] = domestic
        changes["world_share"] = jnp.where(uncertainty.world_follows_import[:, None] > 0, rows, model.world_share)
    if "hidden_share" in draws:
        changes["hidden_share"] = _set(model.hidden.share, draws["hidden_share"], values["hidden_share"])
    if "price" in draws or "demand_per_day" in draws:
        value = changes.get("price", model.price) * changes.get("demand_per_day", model.demand_per_day)
        central = model.price * model.demand_per_day
        ratio = value / central  # exactly 1.0 for products whose price and demand are not drawn
        only = model.product_only > 0
        basket = jnp.sum(value) * DAYS_PER_YEAR  # product-only: the pseudo sector's output
        # Cost shares (and so the price operator's columns) scale with a product's yearly
        # value; a product-only model's shares are of the basket, which moves too.
        central_basket = jnp.sum(central) * DAYS_PER_YEAR
        changes["price_scale"] = jnp.where(only, ratio * (central_basket / basket), ratio)
        for name in ("final_demand", "gross_output"):
            changes[name] = jnp.where(only, jnp.broadcast_to(basket, getattr(model, name).shape), getattr(model, name))
        if "value_added" not in draws:
            changes["value_added"] = jnp.where(only, jnp.broadcast_to(basket, model.value_added.shape),
                                               model.value_added)
    return changes


def draw_model(model: Model, key: jax.Array) -> Model:
    """The model of one scenario: every uncertain entry drawn from ``key`` (see
    :func:`parameter_key`) and the quantities derived from them recomputed
    (:func:`drawn_fields`). Returns a :class:`~simcore.core.model.Model` without
    uncertainty (``uncertainty=None``)."""
    changes = drawn_fields(model, key)
    if "hidden_share" in changes:
        changes["hidden"] = model.hidden._replace(share=changes.pop("hidden_share"))
    if "price_scale" in changes:
        scale = changes.pop("price_scale")
        changes["cost_share"] = model.cost_share * scale[:, None]
        changes["price_operator"] = model.price_operator * scale[None, :]
    return model._replace(uncertainty=None, **changes)


def draw_parameters(model: Model, base_key: jax.Array, scenario_index) -> dict:
    """The drawn values of every uncertain entry for scenarios ``[N]``: ``{field: [N, n]}``
    in the order of the field's ``Distribution.index`` (for records and inspection)."""
    if model.uncertainty is None:
        return {}
    draws = model.uncertainty.draws

    def one(i):
        key = parameter_key(base_key, i)
        return {name: draw_values(dist, key) for name, dist in draws.items()}

    return jax.vmap(one)(jnp.asarray(scenario_index, dtype=jnp.uint32))


def hidden_factor(hidden: HiddenDependence, shape, upstream_kept: jnp.ndarray) -> jnp.ndarray:
    """Availability factor ``[P, O]`` of hidden dependence: ``prod_l (1 - share_l + share_l
    x kept_l)`` on each link's supply, 1.0 elsewhere. ``upstream_kept`` ``[L]`` is the
    share of each link's upstream supply that is available. Exactly 1.0 where every
    upstream supply is whole or every share 0; exactly ``kept_l`` for a single link of
    share 1. In the lane layout (:mod:`simcore.core.lanes`) ``shape`` is ``(P, O, B)``
    and shares and values are ``[L, 1|B]``."""
    factor = (1.0 - hidden.share) + hidden.share * upstream_kept
    return jnp.ones(shape).at[hidden.product, hidden.origin].multiply(factor)


def hidden_cut(hidden: HiddenDependence, shape, upstream_cut: jnp.ndarray) -> jnp.ndarray:
    """Cut ``[P, O]`` from hidden dependence: the links' cuts ``share_l x cut_l`` combined
    multiplicatively per supply (``c + x - c x``, link by link), 0.0 elsewhere. Exactly 0
    without upstream cuts, exactly ``cut_l`` for a single link of share 1. Lanes as in
    :func:`hidden_factor`."""
    cut = hidden.share * upstream_cut
    if _has_rounds(hidden):
        n_origins, rest = shape[1], tuple(shape[2:])
        total = jnp.zeros((shape[0] * n_origins,) + rest, cut.dtype)
        per_supply = _by_rows(hidden, cut, rest, 0.0, _cut_rule)  # [T, ...]
        return total.at[_supply_rows(hidden, n_origins)].set(per_supply).reshape(shape)

    def add(total, link):
        p, o, x = link
        old = total[p, o]
        return total.at[p, o].set(old + x - old * x), None

    total, _ = jax.lax.scan(add, jnp.zeros(shape), (hidden.product, hidden.origin, cut))
    return total


def _by_rows(hidden: HiddenDependence, values: jnp.ndarray, rest: tuple, neutral: float, combine) -> jnp.ndarray:
    """Per-link ``values`` ``[L, 1|...]`` combined per supply: ``[T, *rest]``, the columns
    of ``hidden.rounds`` (:func:`link_rounds`): ``combine(total, x)`` over each supply's
    links in link order, from its first link's value (padding: ``neutral``, which
    ``combine`` leaves unchanged)."""
    values = values.reshape(values.shape + (1,) * (1 + len(rest) - values.ndim))  # [L] -> [L, 1]
    values = jnp.broadcast_to(values, values.shape[:1] + rest)  # [L, ...]
    padded = jnp.concatenate([values, jnp.full((1,) + rest, neutral, values.dtype)], axis=0)  # [L + 1, ...]
    total = padded[hidden.rounds[0]]  # [T, ...]: every supply's first link
    for k in range(1, hidden.rounds.shape[0]):  # static: K - 1 more rows
        total = combine(total, padded[hidden.rounds[k]])
    return total


def _supply_rows(hidden: HiddenDependence, n_origins: int) -> jnp.ndarray:
    """Flat index ``p O + o`` ``[T]`` of each supply of ``hidden.rounds``."""
    first = hidden.rounds[0]
    return hidden.product[first] * n_origins + hidden.origin[first]


def _has_rounds(hidden: HiddenDependence) -> bool:
    return hidden.rounds is not None and hidden.rounds.shape[0] > 0


def _cut_rule(total, x):
    return total + x - total * x


def apply_hidden_cut(hidden: HiddenDependence, at_origin: jnp.ndarray, upstream_cut: jnp.ndarray) -> jnp.ndarray:
    """``at_origin + (1 - at_origin) x`` :func:`hidden_cut`, ``[P, O, ...]``, written
    into the supplies that have links only (the others are unchanged, as ``c + (1 - c)
    0`` leaves them): no full-size buffer of the links' cut to fill, scatter and read."""
    if not _has_rounds(hidden):
        return at_origin + (1.0 - at_origin) * hidden_cut(hidden, at_origin.shape, upstream_cut)
    n_products, n_origins = at_origin.shape[:2]
    rest = tuple(at_origin.shape[2:])
    extra = _by_rows(hidden, hidden.share * upstream_cut, rest, 0.0, _cut_rule)  # [T, ...]
    rows = _supply_rows(hidden, n_origins)
    flat = at_origin.reshape((n_products * n_origins,) + rest)
    own = flat[rows]
    return flat.at[rows].set(own + (1.0 - own) * extra).reshape(at_origin.shape)


def apply_hidden_factor(hidden: HiddenDependence, x: jnp.ndarray, upstream_kept: jnp.ndarray) -> jnp.ndarray:
    """``x`` ``[P, O, ...]`` times :func:`hidden_factor`, multiplied into the supplies
    that have links only."""
    if not _has_rounds(hidden):
        return x * hidden_factor(hidden, x.shape, upstream_kept)
    n_products, n_origins = x.shape[:2]
    rest = tuple(x.shape[2:])
    factor = _by_rows(hidden, (1.0 - hidden.share) + hidden.share * upstream_kept, rest, 1.0,
                      lambda total, f: total * f)  # [T, ...]
    rows = _supply_rows(hidden, n_origins)
    flat = x.reshape((n_products * n_origins,) + rest)
    return flat.at[rows].set(flat[rows] * factor).reshape(x.shape)


def without_hidden(model: Model) -> Model:
    """The same model with every hidden-dependence share set to 0 (and not drawn): the
    reference that shows how much risk comes from hidden suppliers. The other uncertain
    entries keep their streams, so every scenario draws the same values as before."""
    if model.hidden is None:
        return model
    hidden = model.hidden._replace(share=jnp.zeros_like(model.hidden.share))
    uncertainty = model.uncertainty
    if uncertainty is not None and "hidden_share" in uncertainty.draws:
        draws = {name: dist for name, dist in uncertainty.draws.items() if name != "hidden_share"}
        uncertainty = uncertainty._replace(draws=draws) if draws else None
    return model._replace(hidden=hidden, uncertainty=uncertainty)
