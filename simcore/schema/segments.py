"""User segments of a product: users who source differently, each with its own stock.

Why
    One national pool with proportional rationing spreads a fully exposed firm's gap over
    every user of the product: users who buy Chinese magnets directly share the stock of
    users of domestic magnets and stop only when the national average runs dry (months
    late in 2025). A product's users can therefore be split into sourcing segments
    (``[[products.segments]]`` in a model file): each takes a share of the product's
    demand and of its exposed output, and may have its own import shares, stocks, lead
    time and market sourcing (docs/model.md section 4e).

How
    The model file is expanded before it is built: a product with segments becomes one
    product per segment, named ``product.segment``. Everything a segment does not give
    is inherited, and the uncertain numbers it inherits are drawn from the parent's
    random stream, so the segments' demands and exposures move together (the users
    split like the volumes) and their world-market parameters are identical: each
    segment clears an identical copy of the product's world market (which is why a
    segmented product must leave ``world_demand_weight`` at 0: with a weight the copies
    would differ). A run config, an EWS request or an importer that names the product
    means all its segments (:func:`expand_config_names`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from simcore.core.host_arrays import on_device
from simcore.schema.checks import check_sources, check_supply_shares, highest, table
from simcore.schema.errors import Problems
from simcore.schema.spec import Dist, ModelFileSpec, ProductSpec, SegmentSpec

SEPARATOR = "."
SHARE_SUM_TOLERANCE = 1e-3
# the segment fields that replace the product's (everything else is inherited)
OWN_FIELDS = ("inventory_days", "lead_time_days", "transit_days", "market_sourcing_share", "market_sourcing_days")


def segment_name(product: str, segment: str) -> str:
    return f"{product}{SEPARATOR}{segment}"


# --------------------------------------------------------------------------- checks (pass 2)

def check_segments(problems: Problems, products: list, names: list, origins) -> None:
    """Rules across the segments of every product (cleaned tables): demand shares sum to
    1, unique names that do not clash with a product, known origins, import + domestic
    shares, no segmented product as another product's recipe input or hidden link, no
    ``world_demand_weight`` on a segmented product, a source for every number given."""
    segmented = {}
    for i, product in enumerate(products):
        if not isinstance(product, dict) or not product.get("segments"):
            continue
        name = names[i]
        where = f"products[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        segments = [s for s in product["segments"] if isinstance(s, dict)]
        segmented[name] = where
        shares = [s.get("demand_share") for s in segments]
        if all(isinstance(v, (int, float)) for v in shares) and abs(sum(shares) - 1.0) > SHARE_SUM_TOLERANCE:
            problems.add(f"{where}.segments", f"demand_share of the segments must sum to 1 (every user in one "
                         f"segment), got {sum(shares):.6g}")
        if highest(product.get("world_demand_weight")) > 0:
            problems.add(f"{where}.world_demand_weight", "must be 0 (or left out) for a product with segments: "
                         "each segment clears its own copy of the world market, which is exact only for a price "
                         "taker")
        seen: dict[str, int] = {}
        for k, segment in enumerate(segments):
            at = f"{where}.segments[{k}]"
            seg = segment.get("name")
            if isinstance(seg, str):
                if seg in seen:
                    problems.add(f"{at}.name", f"{seg!r} is also the name of segments[{seen[seg]}]; segment names "
                                 "must be unique")
                seen.setdefault(seg, k)
                if isinstance(name, str) and segment_name(name, seg) in names:
                    problems.add(f"{at}.name", f"{segment_name(name, seg)!r} is also a product of this model")
            if "import_share" in segment or segment.get("domestic_share") is not None:  # else inherited
                check_supply_shares(problems, table(segment.get("import_share")), segment.get("domestic_share"),
                                    origins, at)
            if product.get("storable", True) is False and highest(segment.get("inventory_days", 0.0)) > 0:
                problems.add(f"{at}.inventory_days", "must be 0 for a non-storable product (a service)")
            check_sources(problems, segment, SegmentSpec, at)
    for i, product in enumerate(products):
        if not isinstance(product, dict):
            continue
        where = f"products[{i}]" + (f" ({names[i]})" if isinstance(names[i], str) else "")
        for other in product.get("recipe_inputs", []) or []:
            if other in segmented:
                problems.add(f"{where}.recipe_inputs", f"{other!r} has user segments ({segmented[other]}): its users "
                             "are end users, so it cannot be a recipe input; model the input as its own product")
        for k, link in enumerate(product.get("hidden_dependence") or []):
            if isinstance(link, dict) and link.get("on_product") in segmented:
                problems.add(f"{where}.hidden_dependence[{k}].on_product", f"{link['on_product']!r} has user "
                             "segments: a hidden dependence must name a product without segments")


# --------------------------------------------------------------------------- expansion

@dataclass(frozen=True)
class Expansion:
    """What expanding the segments did.

    ``segments``: ``{product: [segment product names]}``; ``parent``: ``{segment product:
    product}``; ``own``: ``{segment product: fields it gives itself}`` (drawn from their
    own random streams; the rest from the parent's); ``shares``: ``{segment product:
    demand share}``."""

    segments: dict
    parent: dict
    own: dict
    shares: dict


def _scale(value, factor: float):
    """A number or a :class:`Dist` times ``factor`` (a triangle or a uniform scales its
    ends, a lognormal its median; the clip range scales too)."""
    if isinstance(value, Dist):
        return replace(value, low=value.low * factor, mode=value.mode * factor, high=value.high * factor,
                       median=value.median * factor, floor=value.floor * factor if value.floor > 0 else value.floor,
                       ceiling=value.ceiling * factor)
    return value * factor


def _segment_product(product: ProductSpec, segment: SegmentSpec) -> tuple[ProductSpec, set]:
    share = segment.demand_share
    update = {"name": segment_name(product.name, segment.name), "segments": [],
              "description": segment.description or f"{product.description} (segment {segment.name})",
              "demand_per_day": _scale(product.demand_per_day, share)}
    own = set()
    for key in OWN_FIELDS:
        value = getattr(segment, key)
        if value is not None:
            update[key] = value
            own.add(key)
    if "import_share" in segment.model_fields_set or segment.domestic_share is not None:
        update["import_share"] = dict(segment.import_share or {})
        update["domestic_share"] = segment.domestic_share
        own.update({"import_share", "domestic_share"})
        # a hidden supplier the segment does not buy from has no effect on it: leave it out
        update["hidden_dependence"] = [link for link in product.hidden_dependence
                                       if link.origin in update["import_share"]]
    # the segment's users hold its share of the exposed output (default exposure: 1 where used)
    exposure = product.exposure if product.exposure is not None else {s: 1.0 for s, u in product.use.items() if u > 0}
    update["exposure"] = {sector: _scale(value, share) for sector, value in exposure.items()}
    update["sources"] = {**product.sources, **segment.sources}
    return product.model_copy(update=update), own


def expand_segments(spec: ModelFileSpec) -> tuple[ModelFileSpec, Expansion]:
    """The spec with every segmented product replaced by its segments (in place, in
    segment order) and the importers' product tables following them."""
    products, segments, parent, own, shares = [], {}, {}, {}, {}
    for product in spec.products:
        if not product.segments:
            products.append(product)
            continue
        segments[product.name] = []
        for segment in product.segments:
            expanded, fields = _segment_product(product, segment)
            products.append(expanded)
            segments[product.name].append(expanded.name)
            parent[expanded.name], own[expanded.name], shares[expanded.name] = product.name, fields, \
                segment.demand_share
    if not segments:
        return spec, Expansion({}, {}, {}, {})
    importers = [importer.model_copy(update={
        key: _expand_keys(getattr(importer, key), segments) for key in ("demand_share", "origin_share", "stock_days")})
        for importer in spec.importers]
    return spec.model_copy(update={"products": products, "importers": importers}), \
        Expansion(segments, parent, own, shares)


def segment_groups(products: list[str], segments: dict) -> dict:
    """The model fields of the segments: ``segment_group`` ``[P, P]`` (1 where two products
    are segments of one product, and on the diagonal) and ``segment_weight`` ``[P]`` (1 /
    the size of each product's group), float32."""
    group = np.eye(len(products), dtype=np.float32)
    blocks = []
    for names in segments.values():
        idx = [products.index(n) for n in names]
        group[np.ix_(idx, idx)] = 1.0
        if len(idx) > 1:
            blocks.append(idx)
    # device_put, not jnp.asarray: no one-op program per shape (simcore.core.host_arrays)
    fields = {"segment_group": on_device(group), "segment_weight": on_device(1.0 / group.sum(axis=1))}
    if blocks:
        fields["segment_blocks"] = segment_blocks(blocks)
    return fields


def segment_blocks(blocks: list[list[int]]) -> tuple:
    """The Model field ``segment_blocks``: per group of segments (``blocks``, the product
    rows of each, adjacent as :func:`expand_segments` places them) an empty int8 array of
    shape ``(first row, segment count, 0)``, in row order (static shapes: see the field)."""
    out = []
    for rows in sorted(blocks):
        if list(rows) != list(range(rows[0], rows[0] + len(rows))):
            raise ValueError(f"segments of one product must be adjacent rows, got rows {rows}")
        out.append(np.zeros((rows[0], len(rows), 0), np.int8))
    return tuple(out)


def _expand_keys(table: dict, segments: dict) -> dict:
    """``{product: value}`` with a segmented product's entry given to each segment (an
    entry naming the segment itself wins)."""
    out = {}
    for key, value in table.items():
        for name in segments.get(key, [key]):
            out.setdefault(name, copy.deepcopy(value))
    return {**out, **{k: v for k, v in table.items() if k not in segments}}


# --------------------------------------------------------------------------- configs and requests

def expand_config_names(raw, segments: dict, import_totals: dict | None = None):
    """A run config (as parsed TOML) with every segmented product's name replaced by its
    segments, in events (``products``) and policy levers; the input is not changed.

    A diversification ``import_share`` given for the product keeps each segment's own
    import total: segment shares = the segment's total x the given mix / the given total
    (``import_totals``: ``{segment product: its import total}``)."""
    if not segments or not isinstance(raw, dict):
        return raw
    raw = copy.deepcopy(raw)
    for event in raw.get("events") or []:
        if isinstance(event, dict):
            event["products"] = expand_product_list(event.get("products"), segments)
    for policy in raw.get("policies") or []:
        if not isinstance(policy, dict):
            continue
        for pillar in ("stockpile", "diversification", "recycling"):
            table = policy.get(pillar)
            if not isinstance(table, dict):
                continue
            for key, value in table.items():
                if key == "import_share" and isinstance(value, dict):
                    table[key] = _shifted_shares(value, segments, import_totals or {})
                elif isinstance(value, dict):
                    table[key] = _expand_keys(value, segments)
    return raw


def expand_product_list(value, segments: dict):
    """A list of product names or a ``{product: weight}`` table with segmented products
    replaced by their segments (anything else unchanged)."""
    if isinstance(value, list):
        out = []
        for name in value:
            for expanded in segments.get(name, [name]) if isinstance(name, str) else [name]:
                if expanded not in out:
                    out.append(expanded)
        return out
    if isinstance(value, dict):
        return _expand_keys(value, segments)
    return value


def _shifted_shares(table: dict, segments: dict, totals: dict) -> dict:
    out = {}
    for key, shares in table.items():
        if key not in segments or not isinstance(shares, dict):
            out.setdefault(key, shares)
            continue
        given = sum(v for v in shares.values() if isinstance(v, (int, float)))
        for name in segments[key]:
            if name in table:
                continue
            scale = totals.get(name, given) / given if given > 0 else 0.0
            out[name] = {o: v * scale if isinstance(v, (int, float)) else v for o, v in shares.items()}
    return out
