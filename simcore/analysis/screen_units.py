"""The units of a chokepoint screen (:mod:`simcore.analysis.screen`): what can fail, read
from a loaded model's structure, and which of them are single points of failure.

Units
    ``product``  every product (its segments together): the imports of every origin it
                 is bought from (domestic production is cut only through recipes);
    ``service``  the same for a product that cannot be stored (``storable = false``);
    ``link``     every (product, origin) supply with an import share;
    ``hidden``   every hidden-dependence link (``[[products.hidden_dependence]]``): the
                 supply of a product from one origin that depends on an upstream supply
                 (a tier-3 supplier). The unit fails as the upstream failure reaches the
                 country *through this link only*: the dependent supply is cut by the
                 link's share (its central value) times the disruption's severity.
    ``recipe``   every critical recipe link (``recipe_inputs``): the domestic makers of a
                 product lose one input. A critical input binds in Leontief fashion, so
                 the link's failure stops the domestic output of the rows that need it.
    ``domestic`` the domestic production of a product without a recipe input (a sole
                 domestic producer where its domestic share is 1, the domestic part of a
                 service).

Domestic production is not an origin of the engine: for a ``recipe`` or ``domestic`` case
the screen moves the rows' domestic share onto a *carrier* origin that supplies none of
them (in the model and in every mix) and that no hidden link depends on, with no transit,
no market sourcing (a domestic loss is not replaced on the world market) and no effect on
the world market; the case's event cuts the carrier (:func:`home_patch`). Every other
case runs the model as it is.

A unit is a list of *slots*: (origin, weight per product row) pairs, each one event of
the engine (:mod:`simcore.core.disruptions`). A unit with several slots (a product
bought from several origins) fails at all of them at once.

Supply share
    ``sigma_u(p)``: the share of row ``p``'s primary supply that fails with the unit at
    full severity (import shares and hidden shares at their central values), and, through
    the recipes, the domestic share ``d_p`` of every row that has a critical recipe input
    whose supply fails entirely (iterated over recipe chains).

Single points of failure (structural)
    Unit ``u`` stops the exposed output of sector ``s`` through row ``p`` when
    ``sigma_u(p) >= 1 - 1e-6`` (nothing of ``p`` is left) and ``p`` is a *critical* input
    of ``s`` (essentiality 1) with an exposure ``> 0``: the capacity of the exposed part
    ``min(1, f / (1 - sigma_sub))`` is 0 at fill ``f = 0`` whatever the substitutable
    share (docs/model.md, section 3). A row with domestic share 1 and no recipe input (a
    sole domestic producer) is listed too: no import unit can cut it, so the screen
    cannot confirm it (:func:`sole_domestic`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TOL = 1e-6
KINDS = ("product", "service", "link", "hidden", "recipe", "domestic")


@dataclass
class Unit:
    """One screened unit (module doc)."""

    name: str
    kind: str
    product: str  # the product (the parent of segments) whose supply fails
    origin: str = ""  # link, hidden: the origin of that supply
    upstream: str = ""  # hidden: "product from origin" the supply depends on
    slots: list = field(default_factory=list)  # [(origin index, {row: weight})]
    rows: list = field(default_factory=list)  # product rows the unit cuts
    hazard_key: tuple | None = ()  # (product rows, origin index) whose config events are the unit's hazard
    # (recipe: the input's rows, any origin; domestic: None, no event names domestic production)
    home: dict = field(default_factory=dict)  # recipe, domestic: {row: domestic share} whose production fails


def _parent_rows(loaded) -> dict:
    """``{product name: [rows]}``: a product with segments is its segment rows."""
    rows, seen = {}, set()
    for parent, parts in (loaded.segments or {}).items():
        rows[parent] = [loaded.products.index(p) for p in parts]
        seen.update(parts)
    for i, name in enumerate(loaded.products):
        if name not in seen:
            rows[name] = [i]
    order = {name: min(r) for name, r in rows.items()}
    return dict(sorted(rows.items(), key=lambda kv: order[kv[0]]))


def model_units(loaded) -> list[Unit]:
    """Every unit of a loaded model (:class:`simcore.schema.modelfile.LoadedModel`), in
    the order products (and services), links, hidden links."""
    m = loaded.model
    share = np.asarray(m.import_share, np.float64)  # [P, O]
    storable = np.asarray(m.storable, np.float64)
    origins = list(loaded.origins)
    parents = _parent_rows(loaded)
    units = []
    for name, rows in parents.items():
        used = [o for o in range(len(origins)) if share[rows, o].max() > 0]
        kind = "service" if storable[rows].max() == 0 else "product"
        units.append(Unit(name, kind, name, slots=[(o, {r: 1.0 for r in rows}) for o in used], rows=list(rows),
                          hazard_key=(tuple(rows), None)))
    for name, rows in parents.items():
        for o, origin in enumerate(origins):
            if share[rows, o].max() > 0:
                units.append(Unit(f"{name} from {origin}", "link", name, origin, slots=[(o, {r: 1.0 for r in rows})],
                                  rows=list(rows), hazard_key=(tuple(rows), o)))
    if m.hidden is not None:
        hidden = m.hidden
        row_parent = {r: name for name, rows in parents.items() for r in rows}
        groups: dict = {}
        for k in range(int(np.shape(hidden.product)[0])):
            p, o = int(hidden.product[k]), int(hidden.origin[k])
            q, oq = int(hidden.on_product[k]), int(hidden.on_origin[k])
            key = (row_parent[p], o, row_parent[q], oq)
            groups.setdefault(key, {})
            groups[key][p] = groups[key].get(p, 0.0) + float(hidden.share[k])
        for (parent, o, on, oq), weights in groups.items():
            name = f"{parent} from {origins[o]} on {on} from {origins[oq]}"
            units.append(Unit(name, "hidden", parent, origins[o], f"{on} from {origins[oq]}",
                              slots=[(o, {r: min(w, 1.0) for r, w in weights.items()})], rows=sorted(weights),
                              hazard_key=(tuple(parents[on]), oq)))
    domestic = np.asarray(m.domestic_share, np.float64)
    recipe = np.asarray(m.recipe_inputs, np.float64) > 0
    row_parent = {r: name for name, rows in parents.items() for r in rows}
    for name, rows in parents.items():
        inputs = []
        for r in rows:
            for q in np.flatnonzero(recipe[r]):
                if row_parent[int(q)] not in inputs:
                    inputs.append(row_parent[int(q)])
        for q in inputs:
            home = {r: float(domestic[r]) for r in rows if domestic[r] > 0
                    and any(row_parent[int(k)] == q for k in np.flatnonzero(recipe[r]))}
            if home:
                # its hazard: the events on the input's supply (screen_disruptions.hazard_slots)
                units.append(Unit(f"{name} needs {q}", "recipe", name, upstream=q, rows=sorted(home),
                                  hazard_key=(tuple(parents[q]), None), home=home))
        plain = {r: float(domestic[r]) for r in rows if domestic[r] > 0 and not recipe[r].any()}
        if plain:  # no hazard: a config event names an import origin, never domestic production
            units.append(Unit(f"{name} domestic", "domestic", name, rows=sorted(plain), hazard_key=None, home=plain))
    return units


def carrier_origin(loaded, unit: Unit, policy_shares: np.ndarray) -> int | None:
    """An origin that supplies none of the unit's rows in the model nor in any mix
    (``policy_shares`` ``[M, P, O]``) and that no hidden link depends on for them; None
    if every origin does."""
    m = loaded.model
    rows = list(unit.home)
    used = (np.asarray(m.import_share)[rows] > 0).any(axis=0) | (policy_shares[:, rows] > 0).any(axis=(0, 1))
    if m.hidden is not None:
        for q, o in zip(np.asarray(m.hidden.on_product), np.asarray(m.hidden.on_origin)):
            if int(q) in rows:
                used[int(o)] = True
    free = np.flatnonzero(~used)
    return int(free[0]) if free.size else None


def home_patch(unit: Unit | None, carrier: int | None, n_products: int, n_origins: int):
    """``(share delta [P, O], domestic kept [P], no transit [P, O])`` of a case (module
    doc): zeros, ones and False for a unit that cuts no domestic production."""
    delta = np.zeros((n_products, n_origins))
    keep = np.ones(n_products)
    mask = np.zeros((n_products, n_origins), bool)
    if unit is not None and unit.home and carrier is not None:
        for r, d in unit.home.items():
            delta[r, carrier] = d
            keep[r] = 0.0
            mask[r, carrier] = True
    return delta, keep, mask


def supply_shares(loaded, unit: Unit) -> np.ndarray:
    """``sigma_u`` ``[P]`` (module doc): the share of each row's primary supply lost when
    the unit fails at full severity, recipe chains included."""
    m = loaded.model
    share = np.asarray(m.import_share, np.float64)
    domestic = np.asarray(m.domestic_share, np.float64)
    recipe = np.asarray(m.recipe_inputs, np.float64) > 0
    sigma = np.zeros(share.shape[0])
    if unit.home:
        for r, d in unit.home.items():
            sigma[r] += d
    else:
        for o, weights in unit.slots:
            for r, w in weights.items():
                sigma[r] += share[r, o] * w
    base = np.minimum(sigma, 1.0)
    sigma = base
    for _ in range(share.shape[0]):  # recipe chains: at most P tiers
        hit = (recipe & (sigma >= 1.0 - TOL)[None, :]).any(axis=1)
        new = np.minimum(base + np.where(hit, domestic, 0.0), 1.0)
        if np.array_equal(new, sigma):
            break
        sigma = new
    return sigma


def stopped_pairs(loaded, sigma: np.ndarray) -> list[tuple[int, int]]:
    """``[(row, sector)]`` whose exposed output stops when the rows' supply falls by
    ``sigma`` (module doc: nothing left of a critical input with an exposure)."""
    m = loaded.model
    exposure = np.asarray(m.exposure, np.float64)
    critical = np.asarray(m.essentiality, np.float64) >= 1.0 - TOL
    gone = (sigma >= 1.0 - TOL)[:, None]
    return [tuple(int(i) for i in pair) for pair in np.argwhere(gone & critical & (exposure > 0))]


def sole_domestic(loaded) -> list[tuple[int, int]]:
    """``[(row, sector)]`` of rows made only at home (domestic share 1) without a recipe
    input that are critical inputs with an exposure: a sole domestic producer whose
    failure the import units cannot express (listed, not confirmed)."""
    m = loaded.model
    domestic = np.asarray(m.domestic_share, np.float64)
    no_recipe = np.asarray(m.recipe_inputs, np.float64).sum(axis=1) == 0
    return stopped_pairs(loaded, np.where((domestic >= 1.0 - TOL) & no_recipe, 1.0, 0.0))
