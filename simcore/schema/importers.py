"""Other importing regions of a model file (``[[importers]]``): their checks, the world
stocks they add and who buys what of each origin's supply (``docs/model.md`` section 4d).

The engine keeps one world market per product; the importers decide two of its inputs:

* **destination shares** — an export control aimed at some destinations withholds the
  origin's supply *to them*: the share ``x_D(p, o)`` of origin ``o``'s sales of product
  ``p`` on the traded market that those buyers take. Buyer ``b`` (each importer, the
  country, the unlisted rest) takes ``d_b(p) x mix_b(p, o)``, normalised over buyers:
  ``d_b`` its share of the market's demand (the country: ``world_demand_weight``; the
  rest: ``1 - sum``), ``mix_b`` where it buys (an importer's ``origin_share``, default the
  product's ``world_share``; the country: its import shares scaled to 1). A control aimed
  at ``D`` takes ``x_D`` of the origin's cut off the world market, times the share that
  cannot be diverted to other buyers (``world_loss_share``).
* **world stocks** — an importer's ``stock_days`` (days of its own demand) add
  ``d_r x stock_days_r`` days of market demand to the product's ``world_stock_days``.
"""

from __future__ import annotations

import numpy as np

from simcore.schema.checks import check_names, check_sources, table
from simcore.schema.errors import Problems
from simcore.schema.spec import DESTINATION_WORDS, Dist, ImporterSpec, central

DEMAND_SUM_TOLERANCE = 5e-3  # shares are published to two or three digits
COUNTRY = "country"


def check_importers(problems: Problems, importers: list, given: list, products: list, names: list, origins) -> None:
    """Pass-2 rules of ``[[importers]]`` (``importers``: cleaned tables, ``given``: as
    written, ``products``: the cleaned product tables, ``names``: their names)."""
    seen: dict[str, int] = {}
    known = [n for n in names if isinstance(n, str)]
    for i, importer in enumerate(importers):
        if not isinstance(importer, dict):
            continue
        name = importer.get("name")
        where = f"importers[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        if name in DESTINATION_WORDS:
            problems.add(f"{where}.name", f"{name!r} is reserved for event destinations; choose another name")
        elif isinstance(name, str) and name in seen:
            problems.add(f"{where}.name", f"{name!r} is also the name of importers[{seen[name]}]; importer names "
                         "must be unique")
        if isinstance(name, str):
            seen.setdefault(name, i)
        for key in ("demand_share", "origin_share", "stock_days"):
            check_names(problems, table(importer.get(key)), known, f"{where}.{key}", "product")
        for product, mix in table(importer.get("origin_share")).items():
            check_names(problems, table(mix), origins, f"{where}.origin_share.{product}", "origin")
            total = sum(v for v in table(mix).values() if isinstance(v, (int, float)))
            if total > 1.0 + 1e-6:
                problems.add(f"{where}.origin_share.{product}", f"shares of its purchases must sum to at most 1, "
                             f"got {total:.6g}")
        for product in table(importer.get("stock_days")):
            if product in known:
                stock = table(products[known.index(product)]).get("world_stock_days")
                if isinstance(stock, (dict, Dist)):
                    problems.add(f"{where}.stock_days.{product}", "cannot be added to a drawn world_stock_days "
                                 "(a distribution): give world_stock_days as a number, or fold the importers' "
                                 "stocks into its distribution")
        raw = given[i] if i < len(given) and isinstance(given[i], dict) else {}
        check_sources(problems, raw, ImporterSpec, where)
    _check_demand_sums(problems, importers, products, names)


def _check_demand_sums(problems: Problems, importers: list, products: list, names: list) -> None:
    """For every product an importer lists: the importers' and the country's demand
    shares sum to 1 (the traded market's whole demand is someone's)."""
    for p, product_name in enumerate(names):
        if not isinstance(product_name, str):
            continue
        parts = [(imp.get("name"), table(imp.get("demand_share"))[product_name]) for imp in importers
                 if isinstance(imp, dict) and isinstance(table(imp.get("demand_share")).get(product_name),
                                                         (int, float))]
        if not parts:
            continue
        weight = central(table(products[p]).get("world_demand_weight"))
        weight = float(weight) if isinstance(weight, (int, float)) else 0.0
        total = weight + sum(v for _, v in parts)
        if abs(total - 1.0) > DEMAND_SUM_TOLERANCE:
            listed = ", ".join(f"{n} {v:g}" for n, v in parts)
            problems.add(f"importers (demand_share.{product_name})",
                         f"the demand shares must sum to 1, got {total:.4g} ({listed}, the country's "
                         f"world_demand_weight {weight:g}); give the remainder to a rest_of_world importer")


def importer_stock_days(importers: list[ImporterSpec], products: list[str]) -> np.ndarray:
    """``[P]`` days of market demand the importers hold: ``sum_r d_r x stock_days_r``."""
    days = np.zeros(len(products))
    for importer in importers:
        for product, stock in importer.stock_days.items():
            days[products.index(product)] += importer.demand_share.get(product, 0.0) * stock
    return days


def buyer_shares(importers: list[ImporterSpec], products: list[str], origins: list[str], world_share: np.ndarray,
                 import_share: np.ndarray, country_weight: np.ndarray) -> dict[str, np.ndarray]:
    """``{buyer: [P, O]}`` share of each origin's sales on the traded market that each
    buyer takes: every importer, ``"country"`` and ``"rest"`` (the unlisted remainder).
    For each ``(p, o)`` the shares sum to 1 (an origin that sells nothing: the demand
    shares). ``world_share``, ``import_share`` ``[P, O]`` and ``country_weight`` ``[P]``
    are the model's central values."""
    n_products, n_origins = world_share.shape
    imports = import_share.sum(axis=1, keepdims=True)
    country_mix = np.where(imports > 0, import_share / np.maximum(imports, 1e-12), world_share)
    demand = {COUNTRY: np.asarray(country_weight, dtype=np.float64)}
    mixes = {COUNTRY: country_mix}
    for importer in importers:
        demand[importer.name] = np.array([importer.demand_share.get(p, 0.0) for p in products])
        mix = world_share.copy()
        for product, table in importer.origin_share.items():
            row = products.index(product)
            mix[row] = [table.get(o, 0.0) for o in origins]
        mixes[importer.name] = mix
    demand["rest"] = np.clip(1.0 - sum(demand.values()), 0.0, None)
    mixes["rest"] = world_share
    volume = {b: demand[b][:, None] * mixes[b] for b in demand}
    total = sum(volume.values())
    demand_total = sum(demand.values())[:, None]
    return {b: np.where(total > 0, volume[b] / np.maximum(total, 1e-12),
                        np.broadcast_to(demand[b][:, None] / np.maximum(demand_total, 1e-12), (n_products, n_origins)))
            for b in volume}


def destination_share(buyers: dict[str, np.ndarray], destinations) -> np.ndarray:
    """``[P, O]`` share of each origin's traded sales that go to ``destinations`` ("all",
    "country", "others" or a list of buyer names)."""
    if destinations == "all":
        return np.ones_like(buyers[COUNTRY])
    if destinations == COUNTRY:
        return buyers[COUNTRY]
    if destinations == "others":
        return 1.0 - buyers[COUNTRY]
    return sum(buyers[name] for name in destinations)
