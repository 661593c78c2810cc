"""Building the core :class:`~simcore.core.model.Model` from a valid model file.

:func:`model_from_spec` turns a spec that passed both checking passes of
:mod:`simcore.schema.modelfile` into the engine's arrays (products x origins, the IO
table, the world-market fields with their defaults), and :func:`_attach_uncertainty`
adds its distributions (each uncertain entry a random stream named by CRC-32,
:class:`_Draws`) and hidden-dependence links. Apart from the reading and the checks so
that each reads on its own; :mod:`simcore.schema.modelfile` re-exports
:func:`core_kwargs`.
"""

from __future__ import annotations

import inspect
import zlib

import numpy as np

from simcore.core.model import Model, build_model, sector_pairs
from simcore.core.uncertainty import DISTRIBUTION_KINDS, Uncertainty, distribution, hidden_dependence
from simcore.schema.importers import importer_stock_days
from simcore.schema.segments import Expansion
from simcore.schema.spec import ESSENTIALITY, Dist, IOSpec, ModelFileSpec, central

DEFAULT_COVER_HORIZON_DAYS = 30.0


def core_kwargs(func, kwargs: dict) -> dict:
    """The keyword arguments of ``kwargs`` that ``func`` accepts.

    TODO(lead, issue 5): remove this guard once build_model / make_events take the
    issue-5 keywords (world_share, ..., max_occurrences, announcement_lead_days); until
    then a field the engine does not know yet is validated but not passed on.
    """
    params = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(kwargs)
    return {k: v for k, v in kwargs.items() if k in params}


def _rows(tables: list[dict], names: list[str], defaults: np.ndarray) -> np.ndarray:
    """``[{name: value}]`` -> ``[len(tables), len(names)]`` over ``defaults`` (distributions:
    their central value)."""
    out = np.array(defaults, dtype=np.float64, copy=True)
    for i, table in enumerate(tables):
        for key, value in (table or {}).items():
            out[i, names.index(key)] = central(value)
    return out


class _Draws:
    """Collects the uncertain entries of a model file while it is built.

    Each entry gets a random stream from its name (CRC-32), so a draw depends neither on
    the order of the file nor on the other uncertain entries; entries given the same
    name share their draw (tied values, e.g. a lead time and the transits that default
    to it)."""

    def __init__(self):
        self.entries: dict[str, list[tuple[int, str, str, Dist]]] = {}  # field: (index, name, stream, dist)
        self.streams: dict[str, int] = {}

    def add(self, model_field: str, flat_index: int, name: str, value, stream_name: str | None = None) -> None:
        if isinstance(value, Dist):
            self.entries.setdefault(model_field, []).append((flat_index, name, stream_name or name, value))

    def _stream(self, name: str) -> int:
        if name not in self.streams:
            stream, salt = zlib.crc32(name.encode()), 0
            while stream in self.streams.values():  # a CRC collision (unlikely): move on
                salt += 1
                stream = zlib.crc32(f"{name}#{salt}".encode())
            self.streams[name] = stream
        return self.streams[name]

    def distributions(self) -> dict:
        out = {}
        for model_field, entries in self.entries.items():
            d = [e[3] for e in entries]
            out[model_field] = distribution(
                index=[e[0] for e in entries], stream=[self._stream(e[2]) for e in entries],
                kind=[DISTRIBUTION_KINDS[x.kind] for x in d],
                a=[x.median if x.kind == "lognormal" else x.low for x in d],
                b=[x.sigma if x.kind == "lognormal" else x.mode for x in d],
                c=[x.high for x in d], floor=[x.floor for x in d], ceiling=[x.ceiling for x in d])
        return out

    def names(self) -> dict[str, list[str]]:
        return {model_field: [e[1] for e in entries] for model_field, entries in self.entries.items()}


# Product fields of the spec that may be uncertain, and the model field they fill.
_SCALAR_FIELDS = {
    "demand_per_day": "demand_per_day", "price": "price", "inventory_days": "inventory_days",
    "lead_time_days": "lead_time_days", "price_elasticity": "price_elasticity", "price_cap": "price_cap",
    "price_relax_half_life_days": "price_relax_half_life_days", "restock_headroom": "restock_headroom",
    "world_price_elasticity": "world_price_elasticity", "world_demand_weight": "world_demand_weight",
    "cover_horizon_days": "cover_horizon_days", "storage_room_days": "storage_room_days",
    **{key: key for key in (
        "world_stock_days", "world_storage_elasticity", "world_precaution_days", "world_demand_elasticity_long",
        "world_demand_adjust_days", "world_supply_response", "world_supply_elasticity", "world_supply_response_days",
        "market_sourcing_share", "market_sourcing_days")},
}
# The world-market fields and their defaults when a product leaves them out (build_model's).
MARKET_DEFAULTS = {
    "world_stock_days": 0.0, "world_storage_elasticity": 1.0, "world_precaution_days": 0.0,
    "world_demand_elasticity_long": None, "world_demand_adjust_days": 365.0, "world_supply_response": 0.0,
    "world_supply_elasticity": 1.0, "world_supply_response_days": 180.0, "market_sourcing_share": 0.0,
    "market_sourcing_days": 30.0,
}


def _collect_draws(spec: ModelFileSpec, expansion: Expansion | None = None) -> _Draws:
    """Every distribution of a valid spec, with its model field and flat index.

    A segment product (``expansion``) draws what it inherits from its product's random
    streams (its users split like the volumes; its world market is the product's) and
    what it gives itself from its own."""
    draws = _Draws()
    products, origins = spec.products, spec.model.origins
    sectors = spec.io.sectors if spec.io is not None else []
    parent = expansion.parent if expansion is not None else {}
    own = expansion.own if expansion is not None else {}
    for i, p in enumerate(products):
        prefix = f"products.{p.name}"
        mine = own.get(p.name, set())

        def stream(key: str, default: str | None = None) -> str | None:
            # the random stream of field ``key`` (its first part): the parent's unless the segment gives it
            if p.name in parent and key.split(".")[0] not in mine:
                return f"products.{parent[p.name]}.{key}"
            return default

        for key, model_field in _SCALAR_FIELDS.items():
            draws.add(model_field, i, f"{prefix}.{key}", getattr(p, key), stream_name=stream(key))
        # defaults that follow a drawn number move with it (same stream)
        if p.world_price_elasticity is None:
            draws.add("world_price_elasticity", i, f"{prefix}.world_price_elasticity (= price_elasticity)",
                      p.price_elasticity, stream_name=stream("price_elasticity", f"{prefix}.price_elasticity"))
        for o, origin in enumerate(origins):
            draws.add("import_share", i * len(origins) + o, f"{prefix}.import_share.{origin}",
                      p.import_share.get(origin), stream_name=stream(f"import_share.{origin}"))
            transit = (p.transit_days or {}).get(origin)
            if transit is not None:
                draws.add("transit_days", i * len(origins) + o, f"{prefix}.transit_days.{origin}", transit,
                          stream_name=stream(f"transit_days.{origin}"))
            else:
                draws.add("transit_days", i * len(origins) + o, f"{prefix}.transit_days.{origin} (= lead_time_days)",
                          p.lead_time_days, stream_name=stream("lead_time_days", f"{prefix}.lead_time_days"))
        for s, sector in enumerate(sectors):
            draws.add("exposure", i * len(sectors) + s, f"{prefix}.exposure.{sector}", (p.exposure or {}).get(sector),
                      stream_name=stream(f"exposure.{sector}"))
            draws.add("substitutable_share", i * len(sectors) + s, f"{prefix}.substitutable.{sector}",
                      p.substitutable.get(sector), stream_name=stream(f"substitutable.{sector}"))
    if spec.io is not None and spec.io.value_added is not None:
        for s, (sector, value) in enumerate(zip(sectors, spec.io.value_added)):
            draws.add("value_added", s, f"io.value_added.{sector}", value)
    for k, (product, link) in enumerate(_links(spec)):
        name = f"hidden_dependence.{link.origin}.{link.on_product or product.name}.{link.on_origin}"
        of = parent.get(product.name)
        draws.add("hidden_share", k, f"products.{product.name}.{name}", link.share, stream_name=None if of is None
                  else f"products.{of}.hidden_dependence.{link.origin}.{link.on_product or of}.{link.on_origin}")
    return draws


def _links(spec: ModelFileSpec) -> list:
    """``(product, link)`` for every hidden-dependence link, in file order."""
    return [(p, link) for p in spec.products for link in p.hidden_dependence]


def _attach_uncertainty(model: Model, spec: ModelFileSpec, expansion: Expansion | None = None
                        ) -> tuple[Model, dict, list]:
    """The model with its distributions and hidden-dependence links (None when the file
    has none: such a model runs exactly as a model without the features)."""
    names = [p.name for p in spec.products]
    origins = spec.model.origins
    links = _links(spec)
    if links:
        hidden = hidden_dependence(
            product=[names.index(p.name) for p, _ in links], origin=[origins.index(link.origin) for _, link in links],
            on_product=[names.index(link.on_product or p.name) for p, link in links],
            on_origin=[origins.index(link.on_origin) for _, link in links],
            share=[central(link.share) for _, link in links])
        model = model._replace(hidden=hidden)
    draws = _collect_draws(spec, expansion)
    if draws.entries:
        follows = np.array([1.0 if p.world_share is None else 0.0 for p in spec.products], dtype=np.float32)
        distributions = draws.distributions()
        model = model._replace(uncertainty=Uncertainty(draws=distributions, world_follows_import=follows))
        if "exposure" in distributions and model.sector_pairs is not None:  # every drawn exposure is a pair
            drawn = np.zeros(np.shape(model.exposure), bool)
            drawn.flat[np.asarray(distributions["exposure"].index)] = True
            model = model._replace(sector_pairs=sector_pairs(model.use_share, model.exposure, drawn))
    link_names = [f"{p.name} from {link.origin} on {link.on_product or p.name} from {link.on_origin}"
                  for p, link in links]
    return model, draws.names(), link_names


def model_from_spec(spec: ModelFileSpec, expansion: Expansion | None = None) -> tuple[Model, dict, list]:
    """The core :class:`Model` of a valid spec (pass 1 and pass 2 found nothing), the
    names of its uncertain entries per model field and of its hidden-dependence links."""
    products, origins = spec.products, spec.model.origins
    names = [p.name for p in products]
    n_products, n_origins = len(products), len(origins)

    def column(key, default=None) -> np.ndarray:
        return np.array([central(getattr(p, key)) if getattr(p, key) is not None else default for p in products],
                        dtype=np.float64)

    import_share = _rows([p.import_share for p in products], origins, np.zeros((n_products, n_origins)))
    domestic = np.array([p.domestic_share if p.domestic_share is not None else max(0.0, 1.0 - row.sum())
                         for p, row in zip(products, import_share)])
    recipe = np.zeros((n_products, n_products))
    for i, product in enumerate(products):
        for other in product.recipe_inputs:
            recipe[i, names.index(other)] = 1.0
    kwargs = dict(
        demand_per_day=column("demand_per_day"), price=column("price"), inventory_days=column("inventory_days"),
        import_share=import_share, lead_time_days=column("lead_time_days"),
        storable=np.array([1.0 if p.storable else 0.0 for p in products]), domestic_share=domestic,
        recipe_inputs=recipe, price_elasticity=column("price_elasticity"), price_cap=column("price_cap"),
        price_relax_half_life_days=column("price_relax_half_life_days"),
        restock_headroom=column("restock_headroom"), allocation=spec.model.allocation,
        shortage_tolerance=spec.model.shortage_tolerance,
    )
    # Issue-5 fields: passed only when some product gives them (the others get the
    # documented default), so that older models keep the engine's own defaults.
    new: dict = {}

    def given(key) -> bool:
        return any(getattr(p, key) is not None for p in products)

    if given("world_share"):
        # a product that gives world shares gives them all (unlisted origins: 0); the
        # others keep the default, their import shares
        listed = np.array([p.world_share is not None for p in products])
        new["world_share"] = _rows([p.world_share for p in products], origins,
                                   np.where(listed[:, None], 0.0, import_share))
    if given("world_price_elasticity"):
        new["world_price_elasticity"] = np.where(np.isnan(column("world_price_elasticity", np.nan)),
                                                 kwargs["price_elasticity"], column("world_price_elasticity", np.nan))
    if given("world_demand_weight"):
        new["world_demand_weight"] = column("world_demand_weight", 0.0)
    if given("cover_horizon_days"):
        new["cover_horizon_days"] = column("cover_horizon_days", DEFAULT_COVER_HORIZON_DAYS)
    if given("transit_days"):
        lead = np.repeat(kwargs["lead_time_days"][:, None], n_origins, axis=1)
        new["transit_days"] = _rows([p.transit_days for p in products], origins, lead)
    if given("storage_room_days"):
        new["storage_room_days"] = column("storage_room_days", 0.0)
    for key, default in MARKET_DEFAULTS.items():
        if given(key):
            if default is None:  # the long-run elasticity defaults to the short-run one
                short = new.get("world_price_elasticity", kwargs["price_elasticity"])
                new[key] = np.where(np.isnan(column(key, np.nan)), short, column(key, np.nan))
            else:
                new[key] = column(key, default)
    held = importer_stock_days(spec.importers, names)
    if held.any():  # the importers' stocks join the world stocks (pass 2: never a drawn field)
        new["world_stock_days"] = new.get("world_stock_days", np.zeros(n_products)) + held

    io: IOSpec | None = spec.io
    if io is not None:
        sectors = io.sectors
        n_sectors = len(sectors)
        use = _rows([p.use for p in products], sectors, np.zeros((n_products, n_sectors)))
        critical = np.zeros((n_sectors, n_sectors))
        if io.critical_threshold is not None:
            critical = (np.asarray(io.technical_coefficients) >= io.critical_threshold).astype(float)
            np.fill_diagonal(critical, 0.0)
        for upstream, downstream in io.critical_upstream:
            critical[sectors.index(upstream), sectors.index(downstream)] = 1.0
        kwargs.update(
            technical_coefficients=np.asarray(io.technical_coefficients, dtype=np.float64),
            final_demand=np.asarray(io.final_demand, dtype=np.float64),
            use_share=use,
            substitutable_share=_rows([p.substitutable for p in products], sectors, np.zeros_like(use)),
            sector_priority=[io.priority.index(s) for s in sectors] if io.priority else None,
            critical_upstream=critical,
        )
        if given("exposure"):
            new["exposure"] = _rows([p.exposure for p in products], sectors, (use > 0).astype(np.float64))
        if given("essentiality"):
            classes = [{s: ESSENTIALITY[c] for s, c in (p.essentiality or {}).items()} for p in products]
            new["essentiality"] = _rows(classes, sectors, np.ones_like(use))
        if io.value_added is not None:
            new["value_added"] = np.asarray([central(v) for v in io.value_added], dtype=np.float64)
        if io.input_overlap is not None:
            overlap = io.input_overlap
            new["input_overlap"] = (np.array([overlap.get(s, 0.0) for s in sectors], dtype=np.float64)
                                    if isinstance(overlap, dict) else np.full(n_sectors, float(overlap)))
    return _attach_uncertainty(build_model(**kwargs, **core_kwargs(build_model, new)), spec, expansion)
