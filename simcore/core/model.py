"""Pytrees that describe the economy (``Model``) and a policy mix (``Policy``).

Shapes use these letters throughout simcore:

* ``P`` products (materials, components, services),
* ``O`` origin countries that supply imports,
* ``S`` sectors of the input-output table.

Units: product quantities are in the product's own unit (tonnes for most materials)
per day; prices in currency per product unit; sector values (gross output, final
demand, lost output) in the input-output table's currency unit per year unless a
name says ``per_day``.

Both pytrees hold arrays only (plus, for a model, the optional ``uncertainty`` and
``hidden`` subtrees, :class:`Uncertainty` and :class:`HiddenDependence`, ``None`` when
unused), so that a batch of policies can be stacked along a leading axis and
``vmap``-ed. Those subtrees are defined here, next to the model that carries them;
:mod:`simcore.core.uncertainty` draws and applies them and imports this module, never
the other way round. The pytrees are built by :func:`build_model` and :func:`no_policy`;
the shell (``simcore.schema.modelfile``, ``simcore.schema.config``) fills them from
files. Nothing here imports the shell.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from simcore.core.host_arrays import float32, on_device, under_trace
from simcore.core.leontief import leontief_output, leontief_price_operator

DAYS_PER_YEAR = 365.0


class Distribution(NamedTuple):
    """``n`` uncertain entries of one field. All fields ``[n]``; the distribution kinds and
    how entries are drawn are in :mod:`simcore.core.uncertainty`."""

    index: jnp.ndarray  # int32 flat index into the field (row-major)
    stream: jnp.ndarray  # uint32 random stream of the entry (same stream: same uniform draw)
    kind: jnp.ndarray  # int32 TRIANGULAR, UNIFORM or LOGNORMAL
    a: jnp.ndarray  # low (triangular, uniform) or median (lognormal)
    b: jnp.ndarray  # mode (triangular) or sigma (lognormal); unused for uniform
    c: jnp.ndarray  # high (triangular, uniform); unused for lognormal
    floor: jnp.ndarray  # lowest allowed value of the field
    ceiling: jnp.ndarray  # highest allowed value of the field (inf: none)


class Uncertainty(NamedTuple):
    """The uncertain entries of a model: ``draws`` maps a field of
    :data:`~simcore.core.uncertainty.UNCERTAIN_FIELDS`
    to its :class:`Distribution`; ``world_follows_import`` ``[P]`` is 1.0 where a
    product's world shares default to its import shares (they follow the drawn rows)."""

    draws: dict
    world_follows_import: jnp.ndarray


class HiddenDependence(NamedTuple):
    """``L`` hidden-dependence links (tier 3 and below). Fields ``[L]``."""

    product: jnp.ndarray  # int32 product whose supply depends
    origin: jnp.ndarray  # int32 origin of that supply
    on_product: jnp.ndarray  # int32 product it depends on
    on_origin: jnp.ndarray  # int32 origin it depends on
    share: jnp.ndarray  # share of the supply that depends, in [0, 1]
    # int32 [K, T]: the links by supply, column t the t-th distinct supply (product,
    # origin), row k its k-th link (padded with L, "no link"; uncertainty.link_rounds);
    # K is static through the shape. None: one link at a time.
    rounds: jnp.ndarray | None = None


class Model(NamedTuple):
    """Economy description: products, origins, sectors and the links between them.

    Product fields have shape ``[P]`` unless stated.
    """

    demand_per_day: jnp.ndarray  # [P] baseline demand, product units / day
    price: jnp.ndarray  # [P] baseline price, currency / product unit
    inventory_days: jnp.ndarray  # [P] private inventory target, days of baseline demand
    lead_time_days: jnp.ndarray  # [P] days goods already shipped keep arriving after a cut
    storable: jnp.ndarray  # [P] 1.0 for goods, 0.0 for services (no inventory possible)
    import_share: jnp.ndarray  # [P, O] baseline share of primary supply from each origin
    domestic_share: jnp.ndarray  # [P] share of primary supply produced at home
    recipe_inputs: jnp.ndarray  # [P, P] 1.0 where product q (column) is a critical input of p (row)
    recipe_closure: jnp.ndarray  # [P, P] 1.0 where q is a critical input of p directly or through a chain
    price_elasticity: jnp.ndarray  # [P] short-run demand elasticity (>0) of the domestic scarcity curve
    price_cap: jnp.ndarray  # [P] highest multiple of the baseline price, per price component
    price_relax_half_life_days: jnp.ndarray  # [P] half-life of the import-price premium after the cut ends
    restock_headroom: jnp.ndarray  # [P] extra supply per day above need, fraction of demand
    world_share: jnp.ndarray  # [P, O] each origin's share of world production (rest: outside the model)
    world_price_elasticity: jnp.ndarray  # [P] short-run world demand elasticity of the import-price curve
    world_demand_weight: jnp.ndarray  # [P] the country's share of world demand (0 = price taker)
    cover_horizon_days: jnp.ndarray  # [P] look-ahead of the stock-to-use (cover) scarcity curve, days
    transit_days: jnp.ndarray  # [P, O] transit time per (product, origin), days
    storage_room_days: jnp.ndarray  # [P] extra stock importers can hold when a cut is announced, days
    # The world market (simcore.core.market; docs/model.md section 5). Defaults: no world
    # stocks (the market clears the day's flow), no demand or supply response, and the
    # country cannot replace lost imports on the world market (earlier releases).
    world_stock_days: jnp.ndarray  # [P] stocks outside the controlling origin, days of world-market demand
    world_storage_elasticity: jnp.ndarray  # [P] eta of the storage curve m = (W / W*)^(-1/eta)
    world_precaution_days: jnp.ndarray  # [P] extra stock holders want per unit of known gap, days
    world_demand_elasticity_long: jnp.ndarray  # [P] long-run price elasticity of world demand (>= short-run)
    world_demand_adjust_days: jnp.ndarray  # [P] time constant of the long-run demand response, days
    world_supply_response: jnp.ndarray  # [P] idle capacity outside the controlling origin, share of market demand
    world_supply_elasticity: jnp.ndarray  # [P] price elasticity of that response
    world_supply_response_days: jnp.ndarray  # [P] time to bring it on line (two stages of half each), days
    market_sourcing_share: jnp.ndarray  # [P] share of lost imports the country can buy on the world market
    market_sourcing_days: jnp.ndarray  # [P] days from the alarm until those purchases arrive in full (linear)
    use_share: jnp.ndarray  # [P, S] share of product demand used by each sector
    substitutable_share: jnp.ndarray  # [P, S] share of that use that can be substituted
    exposure: jnp.ndarray  # [P, S] share of sector output that depends on the product
    essentiality: jnp.ndarray  # [P, S] 1 critical, 0.5 important, 0 non-critical (Pichler et al. 2022)
    # [S, S] 1.0 where sector j (row) is served before s (column) under priority rationing;
    # [0, S] (empty) under proportional rationing. The rule is static, held in the shape
    # (see segment_blocks below): the day step traces and compiles only the rule the model
    # uses (uses_priority). A traced switch between both rules made XLA compile, and its
    # cost analysis count, the priority branch's pair slices in every proportional model.
    priority_before: jnp.ndarray
    technical_coefficients: jnp.ndarray  # [S, S] A[j, s]: input from j per unit output of s
    final_demand: jnp.ndarray  # [S] currency / year
    gross_output: jnp.ndarray  # [S] baseline (I - A)^-1 f, currency / year
    critical_upstream: jnp.ndarray  # [S, S] 1.0 where sector j (row) is a critical input of s
    upstream_closure: jnp.ndarray  # [S, S] 1.0 where j is a critical input of s directly or through a chain
    # int32 [L, S, M]: how the daily cap by critical upstream sectors is computed (see
    # upstream_sweeps): L sweeps over each sector's M direct critical suppliers (index S =
    # none); L = 0 and M = 0: no critical links; L = 0 and M = 1: one pass over the closure.
    upstream_sweeps: jnp.ndarray
    value_added: jnp.ndarray  # [S] baseline value added, currency / year
    product_only: jnp.ndarray  # scalar 1.0 when the model has no input-output table
    cost_share: jnp.ndarray  # [P, S] product cost per unit value of sector output
    price_operator: jnp.ndarray  # [S, P] (I - A^T)^-1 C^T: sector price change per product price change
    index_weights: jnp.ndarray  # [S] final-demand weights of the price index (sum 1)
    shortage_tolerance: jnp.ndarray  # scalar: unmet share of daily demand that counts as shortage
    # [S] how the exposed parts of a sector's short inputs overlap: 0 nested (the line
    # that lacks one input lacks the others too: loss = max over products), 1 disjoint
    # (losses add up, at most 1), in between a mix (docs/model.md section 3)
    input_overlap: jnp.ndarray
    # Uncertainty the data cannot remove (simcore.core.uncertainty). None = exact numbers
    # and no hidden suppliers: the engine then compiles exactly the path without them.
    uncertainty: Uncertainty | None = None  # distributions of uncertain entries, drawn per scenario
    hidden: HiddenDependence | None = None  # hidden-dependence links (tier 3 and below)
    # Lane layout only (simcore.core.lanes): per-scenario column scale [P, B] of cost_share
    # and price_operator when prices or demands are drawn; None = the central operator.
    price_scale: jnp.ndarray | None = None
    # User segments (simcore.schema.segments): [P, P] 1 where two products are segments of
    # one product (their users are disjoint, so their sector losses add up; the diagonal
    # is 1) and [P] 1 / the segment count of each product's group. None = no segments.
    segment_group: jnp.ndarray | None = None
    segment_weight: jnp.ndarray | None = None
    # The groups of more than one segment (segments of one product are adjacent rows), held
    # in shapes so that the day step sums each group over static rows (a [P, P] product
    # was 16 % of the Japan outlook's day): one empty int8 array of shape (first row,
    # segment count, 0) per group, in row order. (JAX traces an array's values, never its
    # shape: static structure rides in shapes, as in upstream_sweeps.) None: no such
    # group, or a model built without it (the step then uses segment_group).
    segment_blocks: tuple | None = None
    # The (product, sector) pairs with a use share or an exposure, held in shapes like
    # segment_blocks: one empty int8 array of shape (product, sector, 0) per pair,
    # row-major. The day step's sector block runs over these pairs only (simcore.core.
    # sectors; the dense [P, S] arrays were a quarter of the Japan outlook's day for 18
    # pairs of 221). None: every pair (models with more than SECTOR_PAIRS_LIMIT pairs, or
    # built without it).
    sector_pairs: tuple | None = None


class Policy(NamedTuple):
    """One policy mix: the three pillars as levers. Fields ``[P]`` unless stated.

    Stockpiling
      ``gov_stock_days``: government stock held at the start, days of baseline demand.
      ``release_rate``: most the government releases per day, fraction of daily demand.
      ``release_trigger_shortfall``: release only while the supply shortfall (after
      spare capacity) exceeds this fraction of daily demand.
      ``release_delay_days``: decision lag between the first supply alarm and release.
      ``refill_rate``: buy-back per day after the crisis, fraction of daily demand.
      ``stock_carrying_cost``: yearly holding cost, fraction of stock value (fiscal).
      ``private_extra_days``: extra private buffer on top of the model's target.
    Diversification
      ``import_share`` ``[P, O]``: supplier shares in force (baseline shares if unchanged).
      ``diversification_premium``: price premium paid on shifted volume (fraction).
      ``spare_capacity`` ``[P, O]``: contracted spare supply, fraction of daily demand,
      callable after ``qualification_lag_days`` from the first alarm and ramping up
      over ``spare_ramp_days``; ``spare_premium`` on volume used in a crisis and
      ``spare_reservation_fee`` (fraction of price per unit of contracted share) always.
    Recycling / reduce
      ``recycling_share``: secondary domestic supply as a share of demand, immune to
      foreign disruptions; ``recycling_premium`` is its extra cost (fraction of price)
      on the recycled share. ``efficiency_cut``: share of product use saved;
      ``efficiency_cost`` is the price markup (fraction) per unit of cut. Both are in
      place at full level from day 0 (``recycling_start_at_alarm`` = 0, like the
      stockpile and the shifted shares) or, as emergency measures
      (``recycling_start_at_alarm`` = 1), start at each episode's alarm and ramp over
      ``recycling_ramp_days`` / ``efficiency_ramp_days``.
    """

    gov_stock_days: jnp.ndarray
    release_rate: jnp.ndarray
    release_trigger_shortfall: jnp.ndarray
    release_delay_days: jnp.ndarray
    refill_rate: jnp.ndarray
    stock_carrying_cost: jnp.ndarray
    private_extra_days: jnp.ndarray
    import_share: jnp.ndarray
    diversification_premium: jnp.ndarray
    spare_capacity: jnp.ndarray
    qualification_lag_days: jnp.ndarray
    spare_ramp_days: jnp.ndarray
    spare_premium: jnp.ndarray
    spare_reservation_fee: jnp.ndarray
    recycling_share: jnp.ndarray
    recycling_ramp_days: jnp.ndarray
    recycling_premium: jnp.ndarray
    efficiency_cut: jnp.ndarray
    efficiency_ramp_days: jnp.ndarray
    efficiency_cost: jnp.ndarray
    recycling_start_at_alarm: jnp.ndarray


def build_model(
    *,
    demand_per_day,
    price,
    inventory_days,
    import_share,
    lead_time_days=0.0,
    storable=1.0,
    domestic_share=None,
    recipe_inputs=None,
    price_elasticity=0.5,
    price_cap=10.0,
    price_relax_half_life_days=30.0,
    restock_headroom=0.1,
    technical_coefficients=None,
    final_demand=None,
    use_share=None,
    substitutable_share=0.0,
    sector_priority=None,
    allocation="proportional",
    critical_upstream=None,
    shortage_tolerance=1e-3,
    world_share=None,
    world_price_elasticity=None,
    world_demand_weight=0.0,
    cover_horizon_days=30.0,
    transit_days=None,
    storage_room_days=0.0,
    exposure=None,
    essentiality=1.0,
    value_added=None,
    world_stock_days=0.0,
    world_storage_elasticity=1.0,
    world_precaution_days=0.0,
    world_demand_elasticity_long=None,
    world_demand_adjust_days=365.0,
    world_supply_response=0.0,
    world_supply_elasticity=1.0,
    world_supply_response_days=180.0,
    market_sourcing_share=0.0,
    market_sourcing_days=30.0,
    input_overlap=0.0,
) -> Model:
    """Build a :class:`Model` from plain arrays and derive the Leontief quantities.

    ``import_share`` is ``[P, O]``; ``domestic_share`` defaults to whatever the import
    shares leave. Without an input-output table a single pass-through sector using all
    of every product is created, so that product-only studies still run.
    ``sector_priority`` ranks sectors (0 is served first) when ``allocation`` is
    ``"priority"``. ``critical_upstream[j, s]`` marks sector j as a critical input of s.
    ``world_share`` defaults to the import shares, ``world_price_elasticity`` to
    ``price_elasticity``, ``transit_days`` to ``lead_time_days`` for every origin,
    ``exposure`` to the whole sector wherever the product is used, and ``value_added``
    to ``(1 - column sums of A) x gross output``. A model without an input-output table
    is *product-only*: its one pseudo-sector has no exposure and its value-added loss is
    the value of the demand not served. Inputs are assumed valid; the shell validates
    files before calling this.
    """
    demand = np.asarray(demand_per_day, dtype=np.float64)
    n_products = demand.shape[0]
    import_share = np.asarray(import_share, dtype=np.float64).reshape(n_products, -1)
    if domestic_share is None:
        domestic_share = np.clip(1.0 - import_share.sum(axis=1), 0.0, 1.0)
    price = np.broadcast_to(np.asarray(price, dtype=np.float64), (n_products,))
    product_only = technical_coefficients is None
    if product_only:
        # One sector that buys every product and nothing else: its price index is the
        # value-weighted product price change and its output the product basket. It has
        # no exposure: the loss of a product-only model is the value not delivered.
        technical_coefficients = np.zeros((1, 1))
        final_demand = np.array([float(np.sum(price * demand)) * DAYS_PER_YEAR])
        use_share = np.ones((n_products, 1))
        exposure = np.zeros((n_products, 1))
    a_matrix = np.asarray(technical_coefficients, dtype=np.float64)
    n_sectors = a_matrix.shape[0]
    final = np.asarray(final_demand, dtype=np.float64)
    if use_share is None:
        use_share = np.zeros((n_products, n_sectors))
    use_share = np.asarray(use_share, dtype=np.float64).reshape(n_products, n_sectors)
    gross = leontief_output(a_matrix, final)
    # Yearly value of product p bought by sector s over that sector's yearly output value.
    product_value_per_year = price * demand * DAYS_PER_YEAR
    cost_share = product_value_per_year[:, None] * use_share / np.where(gross > 0, gross, 1.0)[None, :]
    price_operator = leontief_price_operator(a_matrix, cost_share)
    weights = final / final.sum() if final.sum() > 0 else np.full(n_sectors, 1.0 / n_sectors)
    if sector_priority is None:
        sector_priority = np.arange(n_sectors)
    rank = np.asarray(sector_priority)
    priority_before = (rank[:, None] < rank[None, :]).astype(np.float32)
    if allocation != "priority":  # proportional: no rows (the rule rides in the shape)
        priority_before = priority_before[:0]
    if critical_upstream is None:
        critical_upstream = np.zeros((n_sectors, n_sectors))
    closure = transitive_closure(critical_upstream)
    if value_added is None:
        value_added = (1.0 - a_matrix.sum(axis=0)) * gross
    if exposure is None:
        exposure = (use_share > 0).astype(np.float64)
    if world_share is None:
        world_share = import_share
    if world_price_elasticity is None:
        world_price_elasticity = price_elasticity
    if transit_days is None:
        lead = np.broadcast_to(np.asarray(lead_time_days, dtype=np.float64), (n_products,))
        transit_days = np.broadcast_to(lead[:, None], import_share.shape)
    if recipe_inputs is None:
        recipe_inputs = np.zeros((n_products, n_products))
    if world_demand_elasticity_long is None:
        world_demand_elasticity_long = world_price_elasticity
    world_demand_elasticity_long = np.maximum(np.broadcast_to(world_demand_elasticity_long, (n_products,)),
                                              np.broadcast_to(world_price_elasticity, (n_products,)))
    return Model(
        demand_per_day=float32(demand),
        price=float32(price),
        inventory_days=float32(inventory_days, (n_products,)),
        lead_time_days=float32(lead_time_days, (n_products,)),
        storable=float32(storable, (n_products,)),
        import_share=float32(import_share),
        domestic_share=float32(domestic_share, (n_products,)),
        recipe_inputs=float32(recipe_inputs),
        recipe_closure=float32(transitive_closure(np.asarray(recipe_inputs).T).T),
        price_elasticity=float32(price_elasticity, (n_products,)),
        price_cap=float32(price_cap, (n_products,)),
        price_relax_half_life_days=float32(price_relax_half_life_days, (n_products,)),
        restock_headroom=float32(restock_headroom, (n_products,)),
        world_share=float32(world_share, import_share.shape),
        world_price_elasticity=float32(world_price_elasticity, (n_products,)),
        world_demand_weight=float32(world_demand_weight, (n_products,)),
        cover_horizon_days=float32(cover_horizon_days, (n_products,)),
        transit_days=float32(transit_days, import_share.shape),
        storage_room_days=float32(storage_room_days, (n_products,)),
        world_stock_days=float32(world_stock_days, (n_products,)),
        world_storage_elasticity=float32(world_storage_elasticity, (n_products,)),
        world_precaution_days=float32(world_precaution_days, (n_products,)),
        world_demand_elasticity_long=float32(world_demand_elasticity_long, (n_products,)),
        world_demand_adjust_days=float32(world_demand_adjust_days, (n_products,)),
        world_supply_response=float32(world_supply_response, (n_products,)),
        world_supply_elasticity=float32(world_supply_elasticity, (n_products,)),
        world_supply_response_days=float32(world_supply_response_days, (n_products,)),
        market_sourcing_share=float32(market_sourcing_share, (n_products,)),
        market_sourcing_days=float32(market_sourcing_days, (n_products,)),
        use_share=float32(use_share),
        substitutable_share=float32(substitutable_share, (n_products, n_sectors)),
        exposure=float32(exposure, (n_products, n_sectors)),
        essentiality=float32(essentiality, (n_products, n_sectors)),
        priority_before=float32(priority_before),
        technical_coefficients=float32(a_matrix),
        final_demand=float32(final),
        gross_output=float32(gross),
        critical_upstream=float32(critical_upstream),
        upstream_closure=float32(closure),
        upstream_sweeps=on_device(upstream_sweeps(critical_upstream)),
        value_added=float32(value_added, (n_sectors,)),
        product_only=float32(1.0 if product_only else 0.0),
        cost_share=float32(cost_share),
        price_operator=float32(price_operator),
        index_weights=float32(weights),
        shortage_tolerance=float32(shortage_tolerance),
        input_overlap=float32(input_overlap, (n_sectors,)),
        sector_pairs=sector_pairs(use_share, np.broadcast_to(np.asarray(exposure), use_share.shape)),
    )


SECTOR_PAIRS_LIMIT = 256  # beyond, unrolled pairs would cost more compile time than the dense arrays cost


def sector_pairs(*entries) -> tuple | None:
    """The Model field ``sector_pairs``: an empty int8 array of shape ``(p, s, 0)`` per
    (product, sector) entry that is non-zero in any of ``entries`` (``[P, S]`` arrays:
    use shares, exposures, the entries a model draws), row-major; None beyond
    :data:`SECTOR_PAIRS_LIMIT` pairs or without any."""
    used = functools.reduce(np.logical_or, [np.asarray(e) != 0 for e in entries])
    pairs = np.argwhere(used)
    if len(pairs) > SECTOR_PAIRS_LIMIT or len(pairs) == 0:
        return None
    return tuple(np.zeros((int(p), int(s), 0), np.int8) for p, s in pairs)


def uses_priority(model: Model) -> bool:
    """Whether ``model`` rations scarce supply by sector priority (else proportionally):
    static, from the shape of ``priority_before`` (no rows under proportional rationing),
    so the day step traces only the rule the model uses."""
    return model.priority_before.shape[0] > 0


def transitive_closure(adjacency) -> np.ndarray:
    """``closure[j, s] = 1`` where a chain of links ``j -> ... -> s`` exists in ``adjacency``
    ``[S, S]`` (Warshall's algorithm, once at model build). With it a sector's cap by all
    its critical upstream sectors is one pass per day instead of ``S`` passes."""
    reach = np.asarray(adjacency, dtype=bool).copy()
    for k in range(reach.shape[0]):
        reach |= reach[:, k:k + 1] & reach[k:k + 1, :]
    return reach.astype(np.float64)


def upstream_sweeps(critical_upstream) -> np.ndarray:
    """The schedule of the daily cap of each sector by its critical upstream sectors
    (``simcore.core.step``), chosen once per model by cost: int32 ``[L, S, M]``.

    The cap of ``s`` is the lowest own capacity over every ``j`` with a chain of critical
    links ``j -> ... -> s``. One pass over the transitive closure costs ``S^2`` per
    scenario-day. Sweeping the direct links instead (Jacobi: each sector takes the lowest
    of its own capacity and its ``M`` direct suppliers' caps) reaches every chain in ``L``
    sweeps, ``L`` the longest shortest chain, for ``L S M``: far less for the sparse
    critical links of real tables (200 sectors, 312 links: ``L = 20``, ``M = 2``, 8,000
    against 40,000). Returned: the direct suppliers of each sector ``[S, M]`` (padded
    with ``S``, "none") repeated ``L`` times when that is cheaper; ``[0, S, 1]`` where one
    pass over the closure is cheaper; ``[0, S, 0]`` without critical links.
    """
    direct = np.asarray(critical_upstream) > 0
    n_sectors = direct.shape[0]
    width = int(direct.sum(axis=0).max()) if n_sectors else 0
    if width == 0:
        return np.zeros((0, n_sectors, 0), np.int32)
    # Breadth-first over all pairs: pairs first reached at chain length k + 1 extend the
    # pairs first reached at length k by one direct link.
    reached, frontier, longest = direct.copy(), direct.copy(), 1
    while True:
        extended = (frontier.astype(np.int64) @ direct.astype(np.int64)) > 0
        frontier = extended & ~reached
        if not frontier.any():
            break
        reached |= frontier
        longest += 1
    if longest * width >= n_sectors:
        return np.zeros((0, n_sectors, 1), np.int32)
    suppliers = np.full((n_sectors, width), n_sectors, np.int32)
    for sector in range(n_sectors):
        found = np.flatnonzero(direct[:, sector])
        suppliers[sector, :found.size] = found
    return np.broadcast_to(suppliers, (longest,) + suppliers.shape).copy()


def no_policy(model: Model) -> Policy:
    """The do-nothing mix: baseline supplier shares, no extra stocks, no levers."""
    # on the host where concrete: no one-op program per shape (simcore.core.host_arrays)
    zeros = float32(np.zeros(np.shape(model.demand_per_day)))
    ones = float32(np.ones(np.shape(model.demand_per_day)))
    no_spare = float32(np.zeros(np.shape(model.import_share)))
    return Policy(
        gov_stock_days=zeros,
        release_rate=ones,
        release_trigger_shortfall=zeros,
        release_delay_days=zeros,
        refill_rate=zeros,
        stock_carrying_cost=zeros,
        private_extra_days=zeros,
        import_share=model.import_share,
        diversification_premium=zeros,
        spare_capacity=no_spare,
        qualification_lag_days=zeros,
        spare_ramp_days=zeros,
        spare_premium=zeros,
        spare_reservation_fee=zeros,
        recycling_share=zeros,
        recycling_ramp_days=zeros,
        recycling_premium=zeros,
        efficiency_cut=zeros,
        efficiency_ramp_days=zeros,
        efficiency_cost=zeros,
        recycling_start_at_alarm=zeros,
    )


def stack_policies(policies) -> Policy:
    """Stack policy mixes along a new leading ``policy`` axis (for ``vmap``)."""
    policies = list(policies)
    if under_trace(policies):
        return Policy(*(jnp.stack(fields) for fields in zip(*policies)))
    # on the host: no one-op program per shape (simcore.core.host_arrays)
    return Policy(*(on_device(np.stack([np.asarray(field) for field in fields]).astype(jnp.result_type(*fields)))
                    for fields in zip(*policies)))
