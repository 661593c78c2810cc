"""Model files (TOML): products, origins, an input-output table, with sources.

Layout (see ``models/README.md`` for the full reference)::

    [model]            name, description, currency, io_value_unit, allocation,
                       shortage_tolerance, origins = ["CN", ...]
    [[products]]       name, unit, hs_code, demand_per_day, price, inventory_days,
                       lead_time_days, storable, import_share = {CN = 0.9, ...},
                       domestic_share, recipe_inputs = [...], price_elasticity,
                       price_cap, price_relax_half_life_days, restock_headroom,
                       use = {sector = share}, substitutable = {sector = share},
                       sources = {field = "citation" or "assumption: ..."}
    [io]               sectors, technical_coefficients (A[j][s]), final_demand,
                       priority, critical_upstream = [[j, s], ...] or
                       critical_threshold, sources = {...}

Every numeric field given for a product or the IO table must have an entry in the
matching ``sources`` table: a citation, or a text starting with ``assumption:``.
All problems are reported together as one :class:`~simcore.schema.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simcore.core.model import Model, build_model
from simcore.schema.errors import Problems, read_toml

ALLOCATIONS = ("proportional", "priority")

PRODUCT_NUMBERS = {
    # field: (default, low, high, low_open)
    "demand_per_day": (None, 0.0, None, True),
    "price": (None, 0.0, None, True),
    "inventory_days": (0.0, 0.0, None, False),
    "lead_time_days": (0.0, 0.0, 3650.0, False),
    "domestic_share": (None, 0.0, 1.0, False),
    "price_elasticity": (0.5, 0.0, None, True),
    "price_cap": (10.0, 1.0, None, False),
    "price_relax_half_life_days": (30.0, 0.0, None, True),
    "restock_headroom": (0.1, 0.0, None, False),
}
PRODUCT_KEYS = set(PRODUCT_NUMBERS) | {
    "name", "unit", "hs_code", "description", "storable", "import_share", "recipe_inputs",
    "use", "substitutable", "sources",
}
MODEL_KEYS = {"name", "description", "currency", "io_value_unit", "allocation", "shortage_tolerance",
              "origins", "sources"}
IO_KEYS = {"sectors", "technical_coefficients", "final_demand", "priority", "critical_upstream",
           "critical_threshold", "sources"}


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


def _shares(problems: Problems, table, names: list[str], field_name: str) -> np.ndarray | None:
    """Read ``{name: share}`` into a vector over ``names``; shares in [0, 1]."""
    if not isinstance(table, dict):
        problems.add(field_name, f"must be a table {{name = share}}, got {table!r}")
        return None
    out = np.zeros(len(names))
    for key in table:
        if key not in names:
            problems.add(f"{field_name}.{key}", f"unknown name; allowed: {', '.join(names)}")
            continue
        value = problems.number(table, key, f"{field_name}.{key}", low=0.0, high=1.0)
        if value is not None:
            out[names.index(key)] = value
    return out


def _check_sources(problems: Problems, table: dict, numeric_fields, where: str) -> None:
    sources = table.get("sources", {})
    if not isinstance(sources, dict):
        problems.add(f"{where}.sources", "must be a table {field = \"source or assumption: ...\"}")
        return
    for name in numeric_fields:
        text = sources.get(name)
        if not isinstance(text, str) or not text.strip():
            problems.add(f"{where}.sources.{name}",
                         "missing: every number needs a source or a text starting with 'assumption:'")


def load_model(path: str | Path) -> LoadedModel:
    """Read and validate a model file; raise :class:`InputError` listing every problem."""
    path = Path(path)
    problems = Problems(f"model file {path}")
    raw = read_toml(path, problems)
    loaded = parse_model(raw, problems)
    loaded.path = str(path)
    return loaded


def parse_model(raw: dict, problems: Problems | None = None) -> LoadedModel:
    """Validate a model given as a dict (the parsed TOML) and build it."""
    problems = problems or Problems("model")
    problems.unknown_keys(raw, {"model", "products", "io"}, "")
    meta = problems.table(raw, "model", MODEL_KEYS, "model")
    origins = meta.get("origins")
    if not (isinstance(origins, list) and origins and all(isinstance(o, str) for o in origins)):
        problems.add("model.origins", "must be a non-empty list of origin names, e.g. [\"CN\", \"AU\"]")
        origins = []
    elif len(set(origins)) != len(origins):
        problems.add("model.origins", "names must be unique")
    allocation = meta.get("allocation", "proportional")
    if allocation not in ALLOCATIONS:
        problems.add("model.allocation", f"must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    tolerance = problems.number(meta, "shortage_tolerance", "model.shortage_tolerance", default=1e-3,
                                low=0.0, high=1.0)

    io = raw.get("io")
    sectors, a_matrix, final, priority, critical = _parse_io(io, problems)

    products_raw = raw.get("products")
    if not (isinstance(products_raw, list) and products_raw):
        problems.add("products", "must be a non-empty array of [[products]] tables")
        products_raw = []
    names = [p.get("name") if isinstance(p, dict) else None for p in products_raw]
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            problems.add(f"products[{i}].name", "is required (a non-empty string)")
    if len(set(n for n in names if isinstance(n, str))) != len([n for n in names if isinstance(n, str)]):
        problems.add("products", "product names must be unique")

    columns: dict[str, list] = {k: [] for k in PRODUCT_NUMBERS}
    storable, import_share, recipe, use, substitutable, units = [], [], [], [], [], []
    n_sectors = len(sectors) if sectors else 1
    for i, prod in enumerate(products_raw):
        where = f"products[{i}]" + (f" ({names[i]})" if isinstance(names[i], str) else "")
        if not isinstance(prod, dict):
            problems.add(where, "must be a table")
            continue
        problems.unknown_keys(prod, PRODUCT_KEYS, where)
        given_numbers = [k for k in PRODUCT_NUMBERS if k in prod]
        for key, (default, low, high, low_open) in PRODUCT_NUMBERS.items():
            required = default is None and key != "domestic_share"
            columns[key].append(problems.number(prod, key, f"{where}.{key}", default=default, low=low,
                                                high=high, low_open=low_open, required=required))
        is_storable = prod.get("storable", True)
        if not isinstance(is_storable, bool):
            problems.add(f"{where}.storable", f"must be true or false, got {is_storable!r}")
            is_storable = True
        if not is_storable and prod.get("inventory_days", 0) not in (0, 0.0):
            problems.add(f"{where}.inventory_days", "must be 0 for a non-storable product (a service)")
        storable.append(1.0 if is_storable else 0.0)
        units.append(str(prod.get("unit", "unit")))
        shares = _shares(problems, prod.get("import_share", {}), origins, f"{where}.import_share")
        import_share.append(shares if shares is not None else np.zeros(len(origins)))
        domestic = columns["domestic_share"][-1]
        total = (shares.sum() if shares is not None else 0.0) + (domestic or 0.0)
        if shares is not None and domestic is not None and abs(total - 1.0) > 1e-6:
            problems.add(f"{where}.import_share",
                         f"import shares + domestic_share must sum to 1, got {total:.6g}")
        elif shares is not None and shares.sum() > 1.0 + 1e-6:
            problems.add(f"{where}.import_share", f"shares must sum to at most 1, got {shares.sum():.6g}")
        if domestic is None and shares is not None:
            columns["domestic_share"][-1] = max(0.0, 1.0 - float(shares.sum()))
        inputs = prod.get("recipe_inputs", [])
        row = np.zeros(len(products_raw))
        if not isinstance(inputs, list):
            problems.add(f"{where}.recipe_inputs", "must be a list of product names")
            inputs = []
        for name in inputs:
            if name not in names or name == names[i]:
                problems.add(f"{where}.recipe_inputs", f"{name!r} is not another product of this model")
            else:
                row[names.index(name)] = 1.0
        recipe.append(row)
        if sectors:
            use_row = _shares(problems, prod.get("use", {}), sectors, f"{where}.use")
            if use_row is not None and use_row.sum() > 1.0 + 1e-6:
                problems.add(f"{where}.use", f"sector shares must sum to at most 1, got {use_row.sum():.6g}")
            sub_row = _shares(problems, prod.get("substitutable", {}), sectors, f"{where}.substitutable")
        else:
            for key in ("use", "substitutable"):
                if key in prod:
                    problems.add(f"{where}.{key}", "needs an [io] table with sectors")
            use_row, sub_row = np.ones(1), np.zeros(1)
        use.append(use_row if use_row is not None else np.zeros(n_sectors))
        substitutable.append(sub_row if sub_row is not None else np.zeros(n_sectors))
        numeric = given_numbers + (["import_share"] if prod.get("import_share") else [])
        numeric += ["use"] if prod.get("use") else []
        numeric += ["substitutable"] if prod.get("substitutable") else []
        _check_sources(problems, prod, numeric, where)
    if io is not None and isinstance(io, dict):
        io_numeric = [k for k in ("technical_coefficients", "final_demand", "critical_threshold") if k in io]
        _check_sources(problems, io, io_numeric, "io")

    problems.raise_if_any()
    model = build_model(
        demand_per_day=columns["demand_per_day"],
        price=columns["price"],
        inventory_days=columns["inventory_days"],
        import_share=np.array(import_share),
        lead_time_days=columns["lead_time_days"],
        storable=storable,
        domestic_share=columns["domestic_share"],
        recipe_inputs=np.array(recipe),
        price_elasticity=columns["price_elasticity"],
        price_cap=columns["price_cap"],
        price_relax_half_life_days=columns["price_relax_half_life_days"],
        restock_headroom=columns["restock_headroom"],
        technical_coefficients=a_matrix,
        final_demand=final,
        use_share=np.array(use) if sectors else None,
        substitutable_share=np.array(substitutable),
        sector_priority=priority,
        allocation=allocation,
        critical_upstream=critical,
        shortage_tolerance=tolerance,
    )
    _check_value_added(model, sectors or ["all products"], problems)
    problems.raise_if_any()
    return LoadedModel(
        model=model,
        name=str(meta.get("name", "model")),
        products=list(names),
        origins=list(origins),
        sectors=list(sectors) if sectors else ["all products"],
        units=units,
        currency=str(meta.get("currency", "currency")),
        io_value_unit=str(meta.get("io_value_unit", meta.get("currency", "currency"))),
        description=str(meta.get("description", "")),
        sources={"model": meta.get("sources", {}), "io": (io or {}).get("sources", {})},
    )


def _parse_io(io, problems: Problems):
    """Validate the ``[io]`` table; returns sectors, A, f, priority ranks, critical mask."""
    if io is None:
        return None, None, None, None, None
    if not isinstance(io, dict):
        problems.add("io", "must be a table")
        return None, None, None, None, None
    problems.unknown_keys(io, IO_KEYS, "io")
    sectors = io.get("sectors")
    if not (isinstance(sectors, list) and sectors and all(isinstance(s, str) for s in sectors)):
        problems.add("io.sectors", "must be a non-empty list of sector names")
        return None, None, None, None, None
    n = len(sectors)
    a_matrix = np.zeros((n, n))
    try:
        a_given = np.array(io.get("technical_coefficients"), dtype=np.float64)
        if a_given.shape != (n, n):
            problems.add("io.technical_coefficients", f"must be a {n}x{n} array (A[j][s]), got shape {a_given.shape}")
        elif (a_given < 0).any() or (a_given.sum(axis=0) >= 1).any():
            problems.add("io.technical_coefficients", "entries must be >= 0 and every column sum < 1")
        else:
            a_matrix = a_given
    except (TypeError, ValueError):
        problems.add("io.technical_coefficients", f"must be a {n}x{n} array of numbers")
    final = np.ones(n)
    try:
        f_given = np.array(io.get("final_demand"), dtype=np.float64)
        if f_given.shape != (n,) or (f_given < 0).any():
            problems.add("io.final_demand", f"must be {n} numbers >= 0 (currency per year)")
        else:
            final = f_given
    except (TypeError, ValueError):
        problems.add("io.final_demand", f"must be {n} numbers >= 0 (currency per year)")
    priority = io.get("priority")
    if priority is not None:
        if not (isinstance(priority, list) and sorted(priority) == sorted(set(priority))
                and set(priority) <= set(sectors) and len(priority) == n):
            problems.add("io.priority", f"must list every sector once, first served first: {', '.join(sectors)}")
            priority = None
        else:
            priority = [priority.index(s) for s in sectors]
    critical = np.zeros((n, n))
    if "critical_threshold" in io:
        threshold = problems.number(io, "critical_threshold", "io.critical_threshold", low=0.0, high=1.0,
                                    low_open=True)
        if threshold is not None:
            critical = (a_matrix >= threshold).astype(float)
            np.fill_diagonal(critical, 0.0)
    for k, pair in enumerate(io.get("critical_upstream", [])):
        if not (isinstance(pair, list) and len(pair) == 2 and all(p in sectors for p in pair)):
            problems.add(f"io.critical_upstream[{k}]", f"must be [upstream, downstream] sector names from: {', '.join(sectors)}")
            continue
        critical[sectors.index(pair[0]), sectors.index(pair[1])] = 1.0
    return sectors, a_matrix, final, priority, critical


def _check_value_added(model: Model, sectors: list[str], problems: Problems) -> None:
    """Sector input costs (other sectors + products) must stay below output value."""
    costs = np.asarray(model.technical_coefficients).sum(axis=0) + np.asarray(model.cost_share).sum(axis=0)
    for s, name in enumerate(sectors):
        if costs[s] >= 1.0:
            problems.add(f"io.final_demand ({name})",
                         f"product purchases + intermediate inputs are {costs[s]:.3g} of the sector's output value "
                         "(must be < 1): check demand_per_day x price x 365 against the sector's gross output")
