"""Run configuration (TOML): the model to load, disruption events, policy mixes.

See ``configs/README.md`` for the reference, ``configs/quickstart.toml`` for an example
and :class:`~simcore.schema.spec.ConfigSpec` for the schema. :func:`load_config` checks
the whole file and raises one :class:`~simcore.schema.errors.InputError` naming every
bad field with its allowed values. Per-product values are a number (all products) or a
table ``{product = value}`` where the key ``"*"`` sets the default for unlisted products.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simcore.core.disruptions import EventSet, make_events
from simcore.core.host_arrays import float32
from simcore.core.model import Policy, no_policy
from simcore.core.uncertainty import DISTRIBUTION_KINDS
from simcore.schema.analysis_spec import HINTS as ANALYSIS_HINTS
from simcore.schema.config_file import parse_toml_bytes, read_config_bytes, relative_base
from simcore.schema.errors import InputError, Problems
from simcore.schema.importers import destination_share
from simcore.schema.segments import expand_config_names
from simcore.schema.modelfile import LoadedModel, core_kwargs, load_model
from simcore.schema.spec import (
    MAX_HORIZON_DAYS,  # noqa: F401  (re-exported: it lived here before the spec)
    RECYCLING_START,
    ConfigSpec,
    Dist,
    EventSpec,
    PolicySpec,
    RunSpec,
    central,
    schema_problems,
    sort_problems,
)

BASELINE_POLICY = "no-policy"
DEFAULT_MAX_OCCURRENCES = 4  # a hazard event; a given event happens once
MAX_CHUNK_DEFAULT = 10_000

# Policy levers per pillar: config key -> Policy field. Ranges live in the spec.
POLICY_LEVERS = {
    "stockpile": {
        "gov_stock_days": "gov_stock_days",
        "release_rate": "release_rate",
        "release_trigger_shortfall": "release_trigger_shortfall",
        "release_delay_days": "release_delay_days",
        "refill_rate": "refill_rate",
        "carrying_cost": "stock_carrying_cost",
        "private_extra_days": "private_extra_days",
    },
    "diversification": {
        "premium": "diversification_premium",
        "qualification_lag_days": "qualification_lag_days",
        "ramp_days": "spare_ramp_days",
        "spare_premium": "spare_premium",
        "reservation_fee": "spare_reservation_fee",
    },
    "recycling": {
        "share": "recycling_share",
        "ramp_days": "recycling_ramp_days",
        "premium": "recycling_premium",
        "efficiency_cut": "efficiency_cut",
        "efficiency_ramp_days": "efficiency_ramp_days",
        "efficiency_cost": "efficiency_cost",
        "start": "recycling_start_at_alarm",  # "in-place" -> 0.0, "at-alarm" -> 1.0
    },
}
STOCKPILED = ("gov_stock_days", "private_extra_days")
SECTIONS = ("run", "cluster", "costs", "sweep", "attribution", "optimize", "sobol", "events", "policies")


@dataclass
class NamedPolicy:
    name: str
    policy: Policy
    description: str = ""


@dataclass
class RunConfig:
    """A validated run: model, events, policy mixes (baseline first) and run settings.

    ``warnings`` lists what is valid but probably not meant (e.g. an event that starts
    after the horizon); each is also issued with :func:`warnings.warn`.
    """

    loaded: LoadedModel
    events: EventSet
    event_names: list[str]
    policies: list[NamedPolicy]
    scenarios: int = 1000
    horizon_days: int = 365
    chunk_size: int = 1000
    seed: int = 0
    output: str | None = None
    daily_scenarios: int = 0
    keep: str = "per-scenario"
    fan_quantiles: bool = False  # run.fan_quantiles: stream the fan charts' quantiles (simcore.run.fans)
    cluster: dict | None = None
    costs: dict | None = None  # [costs]: the given fields of simcore.run.costs.CostAssumptions (None: defaults)
    path: str | None = None
    warnings: list[str] = field(default_factory=list)
    source: bytes | None = None  # the config file's bytes, read once (a pipe cannot be read again)


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a config file; the model path is relative to the file.

    The file is read once (:func:`read_config_bytes`), so a pipe works
    (``simcore run <(cat run.toml)``; relative paths then start from the current
    folder, as the pipe has none), and the bytes are kept as ``config.source``."""
    path = Path(path)
    problems = Problems(f"config {path}")
    source = read_config_bytes(path, problems)
    raw = parse_toml_bytes(source, problems)
    config = parse_config(raw, base_dir=relative_base(path), problems=problems)
    config.path = str(path)
    config.source = source
    return config


def parse_config(raw: dict, *, base_dir: Path | str = ".", problems: Problems | None = None,
                 loaded: LoadedModel | None = None) -> RunConfig:
    """Validate a config given as a dict. ``loaded`` skips loading ``run.model``.

    Pass 1 checks each field against :class:`ConfigSpec`; pass 2 the names (origins,
    products) against the model and the rules across fields. Both always run.
    """
    problems = problems or Problems("config")
    if loaded is None:
        loaded = _load_run_model(raw, Path(base_dir), problems)
    if loaded is not None and loaded.segments:  # a segmented product's name means all its segments
        totals = dict(zip(loaded.products, np.asarray(loaded.model.import_share, dtype=np.float64).sum(axis=1)))
        raw = expand_config_names(raw, loaded.segments, totals)
    spec, clean = schema_problems(ConfigSpec, raw, problems, hints=_hints(loaded))
    clean = clean if isinstance(clean, dict) else {}
    given = raw if isinstance(raw, dict) else {}
    run, run_given = _table(clean.get("run")), _table(given.get("run"))
    horizon = run.get("horizon_days", RunSpec.model_fields["horizon_days"].default)
    if "horizon_days" in run_given and "horizon_days" not in run:
        horizon = None  # bad value, reported by pass 1
    notes = _check_events(problems, _list(clean.get("events")), _list(given.get("events")), loaded, horizon)
    check_policies(problems, _list(clean.get("policies")), loaded)
    sort_problems(problems, SECTIONS)
    problems.raise_if_any()

    assert spec is not None  # pass 1 found nothing
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    events, event_names = _build_events(spec.events, loaded)
    scenarios = spec.run.scenarios
    chunk = spec.run.chunk_size if spec.run.chunk_size is not None else min(scenarios, MAX_CHUNK_DEFAULT)
    return RunConfig(loaded=loaded, events=events, event_names=event_names, policies=_build_policies(spec, loaded),
                     scenarios=scenarios, horizon_days=spec.run.horizon_days, chunk_size=chunk, seed=spec.run.seed,
                     output=spec.run.output, daily_scenarios=min(spec.run.daily_scenarios, scenarios),
                     keep=spec.run.keep, fan_quantiles=spec.run.fan_quantiles,
                     cluster=spec.cluster.model_dump() if spec.cluster else None,
                     costs=spec.costs.model_dump(exclude_unset=True) if spec.costs else None, warnings=notes)


def _table(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _load_run_model(raw, base_dir: Path, problems: Problems) -> LoadedModel:
    """Load ``run.model``; if it cannot be, report it with every other schema problem and raise."""
    path = _table(_table(raw).get("run")).get("model")
    if isinstance(path, str) and path.strip() and (base_dir / path).is_file():
        try:
            return load_model(base_dir / path)
        except InputError as error:
            # the model file's problems and the config's own, reported together: the
            # config is checked field by field without the model's names
            for field_name, message in error.problems:
                problems.add(f"run.model ({path}) {field_name}", message)
    schema_problems(ConfigSpec, raw, problems, hints=_hints(None))
    if isinstance(path, str) and path.strip() and not (base_dir / path).is_file():
        problems.add("run.model", f"file not found: {base_dir / path}")
    elif path is None or (isinstance(path, str) and not path.strip()):
        problems.add("run.model", "is required: path of a model file, relative to the config file")
    sort_problems(problems, SECTIONS)
    problems.raise_if_any()
    raise AssertionError("unreachable")


def _hints(loaded: LoadedModel | None) -> dict[str, str]:
    origins = ", ".join(loaded.origins) if loaded else "the model's origins"
    products = ", ".join(loaded.product_names) if loaded else "the model's products"
    return {
        "events": "at least one [[events]] table (origin, products, onset or hazard, duration, severity)",
        "events.*.origin": f"one of {origins}",
        "events.*.products": f"the affected products (or {{product = weight}}) from: {products}",
        "policies.*.name": "a unique name for the policy mix",
        **ANALYSIS_HINTS,
    }


# --------------------------------------------------------------------------- pass 2: cross-field checks

def _check_product_keys(problems: Problems, value, loaded: LoadedModel, where: str, *, star: bool) -> None:
    if not isinstance(value, dict):
        return
    allowed = loaded.products + (["*"] if star else [])
    for name in value:
        if name not in allowed:
            problems.add(f"{where}.{name}", f"unknown product; allowed: {', '.join(loaded.products)}"
                         + (" or '*'" if star else ""))


def _world_weights(events: list[EventSpec], loaded: LoadedModel) -> np.ndarray:
    """``[E, P]`` share of each event's cut (of its origin's supply) that the world market
    loses: the destinations' share of the origin's traded sales x ``world_loss_share``
    (default 1 for all and others, 0 for country or a list of importers: a targeted ban
    is diverted to the other buyers). See :mod:`simcore.schema.importers`."""
    weights = np.ones((len(events), len(loaded.products)))
    for e, event in enumerate(events):
        loss = event.world_loss_share
        if loss is None:
            loss = 1.0 if event.destinations in ("all", "others") else 0.0
        if event.destinations != "all" and loaded.buyers:
            weights[e] = loss * destination_share(loaded.buyers, event.destinations)[:, loaded.origins.index(
                event.origin)]
        else:
            weights[e] = loss
    return weights


def _check_events(problems: Problems, events: list, given: list, loaded: LoadedModel, horizon) -> list[str]:
    """Names against the model, exactly-one-of rules, unique names; returns warnings."""
    notes = []
    seen: dict[str, int] = {}
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        where = f"events[{i}]"
        raw_event = given[i] if i < len(given) and isinstance(given[i], dict) else {}
        name = event.get("name", f"event {i}")
        if name in seen:
            problems.add(f"{where}.name", f"{name!r} is also the name of events[{seen[name]}]; event names must be "
                         "unique")
        seen.setdefault(name, i)
        destinations = event.get("destinations")
        if isinstance(destinations, list):
            allowed = ["country", *loaded.importers]
            for name_ in destinations:
                if name_ not in allowed:
                    problems.add(f"{where}.destinations", f"{name_!r} is not a destination of this model; allowed: "
                                 f"{', '.join(allowed)} (the importers of the model file), or one of all, country, "
                                 "others")
        origin = event.get("origin")
        if origin is not None and origin not in loaded.origins:
            problems.add(f"{where}.origin", f"must be one of {', '.join(loaded.origins)}, got {origin!r}")
        hit = event.get("products")
        _check_product_keys(problems, {name: 1.0 for name in hit} if isinstance(hit, list) else hit, loaded,
                            f"{where}.products", star=False)
        has_onset, has_hazard = "onset_day" in raw_event, "hazard_per_year" in raw_event
        if has_onset == has_hazard:
            problems.add(where, "give exactly one of onset_day (a given event) or hazard_per_year (random onset)")
        if "max_occurrences" in raw_event and not has_hazard:
            problems.add(f"{where}.max_occurrences", "only applies with hazard_per_year (a given event, with "
                         "onset_day, happens once)")
        if ("duration_days" in raw_event) == ("duration_median_days" in raw_event):
            problems.add(where, "give exactly one of duration_days (fixed) or duration_median_days "
                         "(lognormal, with duration_sigma)")
        has_beta = "severity_alpha" in raw_event or "severity_beta" in raw_event
        if ("severity" in raw_event) == has_beta:
            problems.add(where, "give exactly one of severity (fixed, 0-1) or severity_alpha and severity_beta (Beta)")
        for key in ("severity_alpha", "severity_beta"):
            if has_beta and key not in raw_event:
                problems.add(f"{where}.{key}", "is required with a Beta severity (severity_alpha and severity_beta)")
        onset = event.get("onset_day")
        if onset is not None and not has_hazard and horizon is not None and onset >= horizon:
            notes.append(f"{where} ({name}): onset_day {onset:g} is at or beyond the horizon ({horizon} days), "
                         "so the event never starts in this run")
    return notes


def _per_product(value, products: list[str], default: float) -> np.ndarray:
    """A number for all products, or ``{product = number, "*" = default}`` -> ``[P]``
    (unknown names are ignored here; pass 2 reports them)."""
    if not isinstance(value, dict):
        return np.full(len(products), float(value))
    out = np.full(len(products), float(value.get("*", default)))
    for name, number in value.items():
        if name in products:
            out[products.index(name)] = number
    return out


def check_policies(problems: Problems, policies: list, loaded: LoadedModel) -> None:
    """Unique names, product and origin names, import totals, no stockpiled services."""
    seen = {BASELINE_POLICY}
    baseline_shares = np.asarray(loaded.model.import_share, dtype=np.float64)
    storable = np.asarray(loaded.model.storable)
    for i, policy in enumerate(policies):
        if not isinstance(policy, dict):
            continue
        where = f"policies[{i}]"
        name = policy.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.add(f"{where}.name", f"{name!r} is used twice or is reserved ({BASELINE_POLICY!r})")
            seen.add(name)
        for pillar, levers in POLICY_LEVERS.items():
            table = _table(policy.get(pillar))
            for key in levers:
                _check_product_keys(problems, table.get(key), loaded, f"{where}.{pillar}.{key}", star=True)
        diversification = _table(policy.get("diversification"))
        for key in ("import_share", "spare_capacity"):
            field_name = f"{where}.diversification.{key}"
            rows = _table(diversification.get(key))
            _check_product_keys(problems, rows, loaded, field_name, star=False)
            for product, shares in rows.items():
                if product not in loaded.products or not isinstance(shares, dict):
                    continue
                for origin in shares:
                    if origin not in loaded.origins:
                        problems.add(f"{field_name}.{product}.{origin}",
                                     f"unknown origin; allowed: {', '.join(loaded.origins)}")
                total, baseline = sum(shares.values()), baseline_shares[loaded.products.index(product)].sum()
                if key == "import_share" and abs(total - baseline) > 1e-6:
                    problems.add(f"{field_name}.{product}",
                                 f"shifted shares must keep the import total of the model ({baseline:.6g}); "
                                 f"got {total:.6g}")
        stockpile = _table(policy.get("stockpile"))
        for key in STOCKPILED:
            if key in stockpile:
                days = _per_product(stockpile[key], loaded.products, 0.0)
                for p in np.flatnonzero((days > 0) & (storable == 0)):
                    problems.add(f"{where}.stockpile.{key}.{loaded.products[p]}",
                                 "is a service (storable = false): services cannot be stockpiled")


# --------------------------------------------------------------------------- building

def _build_events(events: list[EventSpec], loaded: LoadedModel) -> tuple[EventSet, list[str]]:
    """``[[events]]`` -> :class:`EventSet`: a fixed onset or a hazard; a fixed or lognormal
    duration; a fixed or Beta severity; up to ``max_occurrences`` Poisson arrivals."""
    products, origins = loaded.products, loaded.origins
    onehot = np.zeros((len(events), len(origins)))
    weight = np.zeros((len(events), len(products)))
    for e, event in enumerate(events):
        onehot[e, origins.index(event.origin)] = 1.0
        hit = event.products if isinstance(event.products, dict) else {name: 1.0 for name in event.products}
        for name, value in hit.items():
            weight[e, products.index(name)] = value

    def column(get) -> np.ndarray:
        return np.array([get(event) for event in events], dtype=np.float64)

    fixed_duration = [event.duration_days is not None for event in events]
    base = dict(
        origin_onehot=onehot, product_weight=weight,
        onset_day=column(lambda ev: ev.onset_day or 0.0),
        hazard_per_year=column(lambda ev: ev.hazard_per_year or 0.0),
        duration_median_days=column(lambda ev: ev.duration_days if ev.duration_days is not None
                                    else ev.duration_median_days),
        duration_sigma=np.where(fixed_duration, 0.0, column(lambda ev: ev.duration_sigma)),
        severity=column(lambda ev: ev.severity or 0.0),
        severity_alpha=column(lambda ev: ev.severity_alpha or 0.0),
        severity_beta=column(lambda ev: ev.severity_beta or 0.0),
        tightening_days=column(lambda ev: ev.tightening_days),
    )
    new = dict(
        max_occurrences=np.array([ev.max_occurrences or (DEFAULT_MAX_OCCURRENCES if ev.hazard_per_year else 1)
                                  for ev in events], dtype=np.int32),
        announcement_lead_days=column(lambda ev: ev.announcement_lead_days),
        country_weight=column(lambda ev: 1.0 if ev.destinations == "all" or ev.destinations == "country"
                              or (isinstance(ev.destinations, list) and "country" in ev.destinations) else 0.0),
        world_weight=_world_weights(events, loaded),
        licence_delay_days=column(lambda ev: ev.licence_delay_days),
        approval_easing=column(lambda ev: ev.approval_easing),
        easing_days=column(lambda ev: ev.easing_days),
        leakage_share=column(lambda ev: central(ev.leakage_share)),
        leakage_kind=np.array([DISTRIBUTION_KINDS[ev.leakage_share.kind] if isinstance(ev.leakage_share, Dist) else 0
                               for ev in events], dtype=np.int32),
        leakage_low=column(lambda ev: ev.leakage_share.low if isinstance(ev.leakage_share, Dist)
                           else ev.leakage_share),
        leakage_high=column(lambda ev: ev.leakage_share.high if isinstance(ev.leakage_share, Dist)
                            else ev.leakage_share),
        leakage_delay_days=column(lambda ev: ev.leakage_delay_days),
    )
    names = [event.name if event.name is not None else f"event {e}" for e, event in enumerate(events)]
    return make_events(**base, **core_kwargs(make_events, new)), names


def _build_policies(spec: ConfigSpec, loaded: LoadedModel) -> list[NamedPolicy]:
    """The baseline (no policy) first, then every ``[[policies]]`` mix."""
    policies = [NamedPolicy(BASELINE_POLICY, no_policy(loaded.model), "no policy lever (reference)")]
    for policy in spec.policies:
        policies.append(NamedPolicy(policy.name, _build_policy(policy, loaded), policy.description))
    return policies


def _build_policy(spec: PolicySpec, loaded: LoadedModel) -> Policy:
    """One mix -> :class:`Policy` (unset levers stay at no-policy)."""
    products, origins = loaded.products, loaded.origins
    base = no_policy(loaded.model)._asdict()
    fields = {name: np.asarray(value, dtype=np.float64).copy() for name, value in base.items()}
    for pillar, levers in POLICY_LEVERS.items():
        pillar_spec = getattr(spec, pillar)
        if pillar_spec is None:
            continue
        for key, policy_field in levers.items():
            value = getattr(pillar_spec, key)
            # TODO(lead, issue 5): drop the field check once Policy has recycling_start_at_alarm.
            if value is None or policy_field not in fields:
                continue
            if key == "start":
                value = ({k: RECYCLING_START[v] for k, v in value.items()} if isinstance(value, dict)
                         else RECYCLING_START[value])
            fields[policy_field] = _per_product(value, products, float(fields[policy_field][0]))
    if spec.diversification is not None:
        for key in ("import_share", "spare_capacity"):
            for product, shares in getattr(spec.diversification, key).items():
                row = np.zeros(len(origins))
                for origin, share in shares.items():
                    row[origins.index(origin)] = share
                fields[key][products.index(product)] = row
    return Policy(**{name: float32(value) for name, value in fields.items()})  # on the host: no compile
