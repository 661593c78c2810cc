"""Model files (TOML): products, origins, an input-output table, with sources.

Layout (see ``models/README.md`` for the full reference, and
:class:`~simcore.schema.spec.ModelFileSpec` for the schema)::

    [model]            name, description, currency, io_value_unit, allocation,
                       shortage_tolerance, origins = ["CN", ...]
    [[products]]       name, unit, hs_code, demand_per_day, price, inventory_days,
                       lead_time_days, storable, import_share = {CN = 0.9, ...},
                       domestic_share, recipe_inputs = [...], price_elasticity,
                       price_cap, price_relax_half_life_days, restock_headroom,
                       use = {sector = share}, substitutable = {sector = share},
                       world_share = {CN = 0.98, ...}, world_price_elasticity,
                       world_demand_weight, cover_horizon_days, transit_days = {CN = 30},
                       storage_room_days, exposure = {sector = share},
                       essentiality = {sector = "critical" | "important" | "non-critical"},
                       sources = {field = "citation" or "assumption: ..."}
    [[importers]]      name, description, demand_share = {product = share},
                       origin_share = {product = {CN = 0.9}}, stock_days = {product = days},
                       sources = {...}
    [io]               sectors, technical_coefficients (A[j][s]), final_demand,
                       value_added, priority, critical_upstream = [[j, s], ...] or
                       critical_threshold, sources = {...}

Every numeric field given for a product, the IO table or ``[model]`` must have an entry
in the matching ``sources`` table: a citation, or a text starting with ``assumption:``.
Without ``[io]`` the model is product-only, with one pseudo-sector "all products".
All problems are reported together as one :class:`~simcore.schema.errors.InputError`.

This module reads and checks a file (pass 1 against the schema, pass 2 across fields,
then the built model's numbers); building the core model's arrays from a valid spec is
:mod:`simcore.schema.model_build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simcore.core.model import Model
from simcore.schema.checks import SHARE_TOLERANCE, check_supply_shares, highest, known_sum
from simcore.schema.checks import check_names as _check_names
from simcore.schema.checks import check_sources as _check_sources
from simcore.schema.checks import table as _table
from simcore.schema.errors import Problems, read_toml
from simcore.schema.importers import buyer_shares, check_importers
from simcore.schema.model_build import (  # noqa: F401  (re-exported: core_kwargs, the default)
    DEFAULT_COVER_HORIZON_DAYS,
    core_kwargs,
    model_from_spec,
)
from simcore.schema.segments import check_segments, expand_segments, segment_groups
from simcore.schema.spec import (
    IOSpec,
    ModelFileSpec,
    ModelMetaSpec,
    ProductSpec,
    schema_problems,
    sort_problems,
)

PRODUCT_ONLY_SECTOR = "all products"
SECTOR_TABLES = ("use", "substitutable", "exposure", "essentiality")
MODEL_HINTS = {
    "model": "a [model] table with origins = [\"CN\", ...]",
    "products": "one [[products]] table per product (name, demand_per_day, price, ...)",
}


@dataclass
class LoadedModel:
    """A :class:`~simcore.core.model.Model` with the names and metadata the shell needs."""

    model: Model
    name: str
    products: list[str]
    origins: list[str]
    sectors: list[str]
    units: list[str]
    currency: str = "currency"
    io_value_unit: str = "currency"
    description: str = ""
    sources: dict = field(default_factory=dict)
    path: str | None = None
    # {model field: [entry name, ...]} of the uncertain entries, in the order of the
    # field's Distribution.index (e.g. "products.gallium.inventory_days")
    uncertain: dict = field(default_factory=dict)
    # names of the hidden-dependence links ("gallium from VN on gallium from CN")
    hidden_links: list = field(default_factory=list)
    # names of the other importing regions ([[importers]])
    importers: list = field(default_factory=list)
    # {buyer: [P, O]} share of each origin's traded sales each buyer takes (importers,
    # "country", "rest"): what a control aimed at some destinations withholds
    buyers: dict = field(default_factory=dict)
    # {product: [its segment products, "product.segment"]} of the products with user
    # segments (simcore.schema.segments); configs and requests naming the product mean them all
    segments: dict = field(default_factory=dict)

    @property
    def product_names(self) -> list[str]:
        """The names a config may use: every product, and every segmented product."""
        return list(self.products) + [name for name in self.segments if name not in self.products]


def load_model(path: str | Path) -> LoadedModel:
    """Read and validate a model file; raise :class:`InputError` listing every problem."""
    path = Path(path)
    problems = Problems(f"model file {path}")
    raw = read_toml(path, problems)
    loaded = parse_model(raw, problems)
    loaded.path = str(path)
    return loaded


def parse_model(raw: dict, problems: Problems | None = None) -> LoadedModel:
    """Validate a model given as a dict (the parsed TOML) and build it.

    Pass 1 checks each field against :class:`ModelFileSpec`; pass 2 the rules across
    fields (names, sums, sources, recipe cycles, IO shapes). Both always run.
    """
    problems = problems or Problems("model")
    spec, clean = schema_problems(ModelFileSpec, raw, problems, hints=MODEL_HINTS)
    clean = clean if isinstance(clean, dict) else {}
    meta = _table(clean.get("model"))
    origins = meta.get("origins")
    io_given = isinstance(raw, dict) and "io" in raw
    io = _table(clean.get("io"))
    sectors = io.get("sectors")
    products = clean.get("products") if isinstance(clean.get("products"), list) else []
    raw_products = raw.get("products") if isinstance(raw, dict) and isinstance(raw.get("products"), list) else []
    names = [p.get("name") if isinstance(p, dict) else None for p in products]

    _check_sources(problems, _table(_table(raw).get("model")), ModelMetaSpec, "model")
    for i, product in enumerate(products):
        if isinstance(product, dict):
            where = f"products[{i}]" + (f" ({names[i]})" if isinstance(names[i], str) else "")
            given = raw_products[i] if i < len(raw_products) and isinstance(raw_products[i], dict) else {}
            _check_product(problems, product, given, where, i, names, origins, sectors if io_given else None,
                           io_given)
    _check_recipe_cycles(problems, products, names)
    check_segments(problems, products, names, origins)
    raw_importers = raw.get("importers") if isinstance(raw, dict) and isinstance(raw.get("importers"), list) else []
    importers = clean.get("importers") if isinstance(clean.get("importers"), list) else []
    check_importers(problems, importers, raw_importers, products, names, origins)
    if io_given and io:
        _check_io(problems, io, _table(raw.get("io")))

    sort_problems(problems, ("model", "products", "io"))
    problems.raise_if_any()
    assert spec is not None  # pass 1 found nothing
    spec, expansion = expand_segments(spec)
    model, uncertain, links = model_from_spec(spec, expansion)
    if expansion.segments:
        model = model._replace(**segment_groups([p.name for p in spec.products], expansion.segments))
    if spec.io is not None:
        _check_value_added(model, spec.io.sectors, problems)
    _check_finite(model, [p.name for p in spec.products], list(spec.io.sectors) if spec.io else [PRODUCT_ONLY_SECTOR],
                  problems)
    problems.raise_if_any()
    meta_spec = spec.model
    product_names = [p.name for p in spec.products]
    buyers = buyer_shares(spec.importers, product_names, list(meta_spec.origins), np.asarray(model.world_share),
                          np.asarray(model.import_share), np.asarray(model.world_demand_weight))
    return LoadedModel(
        model=model,
        name=meta_spec.name,
        products=[p.name for p in spec.products],
        origins=list(meta_spec.origins),
        sectors=list(spec.io.sectors) if spec.io else [PRODUCT_ONLY_SECTOR],
        units=[p.unit for p in spec.products],
        currency=meta_spec.currency,
        io_value_unit=meta_spec.io_value_unit or meta_spec.currency,
        description=meta_spec.description,
        sources={"model": meta_spec.sources, "io": spec.io.sources if spec.io else {}},
        uncertain=uncertain,
        hidden_links=links,
        importers=[importer.name for importer in spec.importers],
        buyers=buyers,
        segments=expansion.segments,
    )


# --------------------------------------------------------------------------- pass 2: cross-field checks

def _check_product(problems: Problems, product: dict, given: dict, where: str, index: int, names: list,
                   origins, sectors, io_given: bool) -> None:
    """Rules across the fields of one product (``product``: the cleaned table; ``given``: as written)."""
    name = names[index]
    if isinstance(name, str) and name in names[:index]:
        problems.add(f"{where}.name", f"{name!r} is also the name of products[{names.index(name)}]; "
                     "product names must be unique")
    if product.get("storable", True) is False:
        for key in ("inventory_days", "storage_room_days"):
            if highest(product.get(key, 0.0)) > 0:
                problems.add(f"{where}.{key}", "must be 0 for a non-storable product (a service)")

    check_supply_shares(problems, _table(product.get("import_share")), product.get("domestic_share"), origins, where)
    world = _table(product.get("world_share"))
    _check_names(problems, world, origins, f"{where}.world_share", "origin")
    if known_sum(world, origins) > 1.0 + SHARE_TOLERANCE:
        problems.add(f"{where}.world_share", f"shares of world production must sum to at most 1 (the rest is the "
                     f"rest of the world), got {known_sum(world, origins):.6g}")
    _check_names(problems, _table(product.get("transit_days")), origins, f"{where}.transit_days", "origin")

    for other in product.get("recipe_inputs", []):
        if other is not None and (other not in names or other == name):
            problems.add(f"{where}.recipe_inputs", f"{other!r} is not another product of this model; "
                         f"allowed: {', '.join(n for n in names if isinstance(n, str) and n != name)}")

    _check_hidden(problems, product, given, where, name, names, origins)
    if io_given:
        _check_sector_tables(problems, product, given, where, sectors)
    else:
        for key in SECTOR_TABLES:
            if given.get(key):
                problems.add(f"{where}.{key}", "needs an [io] table with sectors (a product-only model has "
                             f"one pseudo-sector {PRODUCT_ONLY_SECTOR!r})")
    _check_sources(problems, given, ProductSpec, where)


def _check_hidden(problems: Problems, product: dict, given: dict, where: str, name, names: list, origins) -> None:
    """Hidden-dependence links: known origins and products, no link of a supply on
    itself, no link given twice, and the origin must supply the product (its import or
    world share as written, so that a bad share value is not reported twice)."""
    links = product.get("hidden_dependence")
    if not isinstance(links, list):
        return
    supplying = set(_table(given.get("import_share"))) | set(_table(given.get("world_share")))
    seen = {}
    for k, link in enumerate(links):
        if not isinstance(link, dict):
            continue
        at = f"{where}.hidden_dependence[{k}]"
        for key in ("origin", "on_origin"):
            value = link.get(key)
            if origins is not None and isinstance(value, str) and value not in origins:
                problems.add(f"{at}.{key}", f"unknown origin {value!r}; allowed: {', '.join(origins)}")
        on_product = link.get("on_product", name)
        if isinstance(on_product, str) and on_product not in names:
            problems.add(f"{at}.on_product", f"unknown product {on_product!r}; allowed: "
                         f"{', '.join(n for n in names if isinstance(n, str))}")
        origin, on_origin = link.get("origin"), link.get("on_origin")
        if on_product == name and origin is not None and origin == on_origin:
            problems.add(f"{at}.on_origin", f"a supply cannot depend on itself ({name} from {origin}); name "
                         "another origin or another product")
        if isinstance(origin, str) and (origins is None or origin in origins) and origin not in supplying:
            problems.add(f"{at}.origin", f"{origin!r} does not supply this product (no import_share.{origin} or "
                         f"world_share.{origin}): a hidden dependence there has no effect")
        triple = (origin, on_product, on_origin)
        if None not in triple and triple in seen:
            problems.add(at, f"the same link as hidden_dependence[{seen[triple]}] ({origin} on {on_product} from "
                         f"{on_origin}); give each link once")
        seen.setdefault(triple, k)


def _check_sector_tables(problems: Problems, product: dict, given: dict, where: str, sectors) -> None:
    """Sector names; use shares sum to at most 1; exposure/essentiality only where the product is used."""
    for key in SECTOR_TABLES:
        _check_names(problems, _table(product.get(key)), sectors, f"{where}.{key}", "sector")
    if sectors is None or ("use" in given and not isinstance(given["use"], dict)):
        return  # reported by pass 1
    use, use_given = _table(product.get("use")), _table(given.get("use"))
    if known_sum(use, sectors) > 1.0 + SHARE_TOLERANCE:
        problems.add(f"{where}.use", f"sector shares must sum to at most 1, got {known_sum(use, sectors):.6g}")
    for key in ("exposure", "essentiality"):
        for sector in _table(product.get(key)):
            if sector in sectors and use.get(sector, 0.0) <= 0 and not (sector in use_given and sector not in use):
                problems.add(f"{where}.{key}.{sector}",
                             f"the product has no use in sector {sector!r}; give use.{sector} too ({key} applies "
                             "to the sectors that use the product)")


def find_cycle(edges: dict[int, list[int]], n: int) -> list[int] | None:
    """One directed cycle in a graph of ``n`` nodes as ``[a, b, ..., a]``, or None.

    Depth-first in node order; the cycle starts at the node whose edge closes it.
    """
    state = [0] * n  # 0 new, 1 on the current path, 2 done
    path: list[int] = []

    def visit(u: int) -> list[int] | None:
        state[u] = 1
        path.append(u)
        for v in edges.get(u, []):
            if state[v] == 1:
                loop = path[path.index(v):]
                return [u] + loop[:-1] + [u] if len(loop) > 1 else [u, u]
            if state[v] == 0:
                found = visit(v)
                if found:
                    return found
        path.pop()
        state[u] = 2
        return None

    for start in range(n):
        if state[start] == 0:
            found = visit(start)
            if found:
                return found
    return None


def _check_recipe_cycles(problems: Problems, products: list, names: list) -> None:
    """Recipe inputs must not loop back (A needs B needs A): refuse naming the cycle."""
    index = {name: i for i, name in enumerate(names) if isinstance(name, str)}
    edges = {}
    for i, product in enumerate(products):
        if isinstance(product, dict):
            edges[i] = [index[q] for q in product.get("recipe_inputs", []) if q in index and index[q] != i]
    cycle = find_cycle(edges, len(names))
    if cycle:
        first = cycle[0]
        problems.add(f"products[{first}] ({names[first]}).recipe_inputs",
                     f"recipe inputs form a cycle: {' -> '.join(names[i] for i in cycle)} "
                     "(a product cannot need itself, directly or through other products)")


def _check_io(problems: Problems, io: dict, given: dict) -> None:
    """Shapes against the sector list, column sums, priority and critical links."""
    sectors = io.get("sectors")
    if sectors is not None:
        n = len(sectors)
        rows = io.get("technical_coefficients")
        if isinstance(rows, list) and all(isinstance(r, list) and None not in r for r in rows):
            if len(rows) != n or any(len(r) != n for r in rows):
                problems.add("io.technical_coefficients",
                             f"must be a {n}x{n} array (A[j][s], one row and one column per sector), got "
                             f"{len(rows)} rows of lengths {sorted({len(r) for r in rows})}")
            else:
                column_sums = np.asarray(rows, dtype=np.float64).sum(axis=0)
                for s in np.flatnonzero(column_sums >= 1.0):
                    problems.add("io.technical_coefficients",
                                 f"every column sum must be < 1 (inputs per unit of output); column {s} "
                                 f"({sectors[s]}) sums to {column_sums[s]:.6g}")
        for key in ("final_demand", "value_added"):
            values = io.get(key)
            if isinstance(values, list) and None not in values and len(values) != n:
                problems.add(f"io.{key}", f"must be {n} numbers >= 0 (one per sector: {', '.join(sectors)}), "
                             f"got {len(values)}")
        priority = io.get("priority")
        if priority is not None and None not in priority and sorted(priority) != sorted(sectors):
            problems.add("io.priority", f"must list every sector once, first served first: {', '.join(sectors)}")
        for k, pair in enumerate(io.get("critical_upstream", [])):
            if isinstance(pair, list) and not all(p in sectors for p in pair):
                problems.add(f"io.critical_upstream[{k}]",
                             f"must be [upstream, downstream] sector names from: {', '.join(sectors)}")
        _check_names(problems, _table(io.get("input_overlap")), sectors, "io.input_overlap", "sector")
    _check_sources(problems, given, IOSpec, "io")


# --------------------------------------------------------------------------- checks of the built model

def _check_finite(model: Model, products: list[str], sectors: list[str], problems: Problems) -> None:
    """Every number of the built model is finite in float32, the engine's precision:
    each field a valid file can still overflow (huge prices x demands, a Leontief
    inverse near singular) is named with its product or sector, once per field."""
    for name, value in model._asdict().items():
        if not hasattr(value, "dtype") or not np.issubdtype(np.asarray(value).dtype, np.floating):
            continue
        values = np.asarray(value)
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        first = np.argwhere(bad)[0]
        where = ""
        if values.ndim and values.shape[0] == len(products) and products:
            where = f" ({products[first[0]]})"
        elif values.ndim and values.shape[0] == len(sectors) and sectors:
            where = f" ({sectors[first[0]]})"
        problems.add(f"model.{name}{where}", f"is {values[tuple(first)]} in the engine's float32 arithmetic after "
                     "unit conversion: a number in the file is too large (or too small) for it; rescale the units "
                     "(e.g. t instead of kg, million instead of units of currency)")


def _check_value_added(model: Model, sectors: list[str], problems: Problems) -> None:
    """Sector input costs (other sectors + products) must stay below output value.

    Only for models with an ``[io]`` table: the product-only pseudo-sector buys every
    product and nothing else, so its costs are its whole output by construction.
    """
    costs = np.asarray(model.technical_coefficients).sum(axis=0) + np.asarray(model.cost_share).sum(axis=0)
    for s, name in enumerate(sectors):
        if costs[s] >= 1.0:
            problems.add(f"io.final_demand ({name})",
                         f"product purchases + intermediate inputs are {costs[s]:.3g} of the sector's output value "
                         "(must be < 1): check demand_per_day x price x 365 against the sector's gross output")
