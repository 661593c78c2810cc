"""Run configuration (TOML): the model to load, disruption events, policy mixes.

See ``configs/README.md`` for the reference and ``configs/quickstart.toml`` for an
example. :func:`load_config` checks the whole file and raises one
:class:`~simcore.schema.errors.InputError` naming every bad field with its allowed values.
Per-product values are a number (all products) or a table ``{product = value}``
where the key ``"*"`` sets the default for unlisted products.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from simcore.core.disruptions import EventSet, make_events
from simcore.core.model import Policy, no_policy
from simcore.schema.errors import Problems, read_toml
from simcore.schema.modelfile import LoadedModel, load_model

BASELINE_POLICY = "no-policy"
MAX_HORIZON_DAYS = 3650

RUN_KEYS = {"model", "scenarios", "horizon_days", "chunk_size", "seed", "output", "daily_scenarios"}
EVENT_KEYS = {"name", "description", "origin", "products", "onset_day", "hazard_per_year", "duration_days",
              "duration_median_days", "duration_sigma", "severity", "severity_alpha", "severity_beta",
              "tightening_days"}

# Policy levers per pillar: config key -> (Policy field, low, high); high None = unbounded.
STOCKPILE_LEVERS = {
    "gov_stock_days": ("gov_stock_days", 0.0, MAX_HORIZON_DAYS),
    "release_rate": ("release_rate", 0.0, None),
    "release_trigger_shortfall": ("release_trigger_shortfall", 0.0, 1.0),
    "release_delay_days": ("release_delay_days", 0.0, MAX_HORIZON_DAYS),
    "refill_rate": ("refill_rate", 0.0, None),
    "carrying_cost": ("stock_carrying_cost", 0.0, 1.0),
    "private_extra_days": ("private_extra_days", 0.0, MAX_HORIZON_DAYS),
}
DIVERSIFICATION_LEVERS = {
    "premium": ("diversification_premium", 0.0, None),
    "qualification_lag_days": ("qualification_lag_days", 0.0, MAX_HORIZON_DAYS),
    "ramp_days": ("spare_ramp_days", 0.0, MAX_HORIZON_DAYS),
    "spare_premium": ("spare_premium", 0.0, None),
    "reservation_fee": ("spare_reservation_fee", 0.0, None),
}
DIVERSIFICATION_TABLES = {"import_share", "spare_capacity"}
RECYCLING_LEVERS = {
    "share": ("recycling_share", 0.0, 1.0),
    "ramp_days": ("recycling_ramp_days", 0.0, MAX_HORIZON_DAYS),
    "premium": ("recycling_premium", 0.0, None),
    "efficiency_cut": ("efficiency_cut", 0.0, 0.99),
    "efficiency_ramp_days": ("efficiency_ramp_days", 0.0, MAX_HORIZON_DAYS),
    "efficiency_cost": ("efficiency_cost", 0.0, None),
}
PILLARS = {"stockpile": STOCKPILE_LEVERS, "diversification": DIVERSIFICATION_LEVERS, "recycling": RECYCLING_LEVERS}


@dataclass
class NamedPolicy:
    name: str
    policy: Policy
    description: str = ""


@dataclass
class RunConfig:
    """A validated run: model, events, policy mixes (baseline first) and run settings."""

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
    path: str | None = None


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a config file; the model path is relative to the file."""
    path = Path(path)
    problems = Problems(f"config {path}")
    raw = read_toml(path, problems)
    config = parse_config(raw, base_dir=path.parent, problems=problems)
    config.path = str(path)
    return config


def parse_config(raw: dict, *, base_dir: Path | str = ".", problems: Problems | None = None,
                 loaded: LoadedModel | None = None) -> RunConfig:
    """Validate a config given as a dict. ``loaded`` skips loading ``run.model``."""
    problems = problems or Problems("config")
    problems.unknown_keys(raw, {"run", "events", "policies"}, "")
    run = problems.table(raw, "run", RUN_KEYS, "run")
    if loaded is None:
        model_path = run.get("model")
        if not isinstance(model_path, str):
            problems.add("run.model", "is required: path of a model file, relative to the config file")
            problems.raise_if_any()
        model_file = Path(base_dir) / model_path
        if not model_file.exists():
            problems.add("run.model", f"file not found: {model_file}")
            problems.raise_if_any()
        loaded = load_model(model_file)

    scenarios = _integer(problems, run, "scenarios", 1000, 1, 100_000_000)
    horizon = _integer(problems, run, "horizon_days", 365, 1, MAX_HORIZON_DAYS)
    chunk = _integer(problems, run, "chunk_size", min(scenarios or 1, 10_000), 1, 10_000_000)
    seed = _integer(problems, run, "seed", 0, 0, 2**31 - 1)
    daily_scenarios = _integer(problems, run, "daily_scenarios", 0, 0, 1000)
    output = run.get("output")
    if output is not None and not isinstance(output, str):
        problems.add("run.output", "must be a path string")

    events, event_names = parse_events(raw.get("events"), loaded, problems)
    policies = parse_policies(raw.get("policies", []), loaded, problems)
    problems.raise_if_any()
    return RunConfig(loaded=loaded, events=events, event_names=event_names, policies=policies,
                     scenarios=scenarios, horizon_days=horizon, chunk_size=chunk, seed=seed, output=output,
                     daily_scenarios=min(daily_scenarios, scenarios or 0))


def _integer(problems: Problems, table: dict, key: str, default, low, high, where: str = "run"):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(f"{where}.{key}", f"must be an integer in [{low}, {high}], got {value!r}")
        return default
    return value


def parse_events(raw_events, loaded: LoadedModel, problems: Problems) -> tuple[EventSet | None, list[str]]:
    """``[[events]]`` -> :class:`EventSet`. An event has a fixed ``onset_day`` (given
    event) or a ``hazard_per_year``; a fixed ``duration_days`` or a lognormal
    ``duration_median_days`` / ``duration_sigma``; a fixed ``severity`` or Beta
    ``severity_alpha`` / ``severity_beta``."""
    if not (isinstance(raw_events, list) and raw_events):
        problems.add("events", "at least one [[events]] table is required (origin, products, onset or hazard, "
                     "duration, severity)")
        return None, []
    products, origins = loaded.products, loaded.origins
    rows = {k: [] for k in ("origin", "weight", "onset", "hazard", "median", "sigma", "severity", "alpha",
                            "beta", "tighten")}
    names = []
    for i, event in enumerate(raw_events):
        where = f"events[{i}]"
        if not isinstance(event, dict):
            problems.add(where, "must be a table")
            continue
        problems.unknown_keys(event, EVENT_KEYS, where)
        names.append(str(event.get("name", f"event {i}")))
        onehot = np.zeros(len(origins))
        origin = event.get("origin")
        if origin not in origins:
            problems.add(f"{where}.origin", f"must be one of {', '.join(origins)}, got {origin!r}")
        else:
            onehot[origins.index(origin)] = 1.0
        weight = np.zeros(len(products))
        hit = event.get("products")
        if isinstance(hit, list):
            hit = {name: 1.0 for name in hit}
        if not (isinstance(hit, dict) and hit):
            problems.add(f"{where}.products", f"must list affected products (or {{product = weight}}) from: "
                         f"{', '.join(products)}")
            hit = {}
        for name, value in hit.items():
            if name not in products:
                problems.add(f"{where}.products.{name}", f"unknown product; allowed: {', '.join(products)}")
                continue
            w = problems.number(hit, name, f"{where}.products.{name}", low=0.0, high=1.0)
            weight[products.index(name)] = w if w is not None else 0.0
        has_onset, has_hazard = "onset_day" in event, "hazard_per_year" in event
        if has_onset == has_hazard:
            problems.add(f"{where}", "give exactly one of onset_day (a given event) or hazard_per_year (random onset)")
        onset = problems.number(event, "onset_day", f"{where}.onset_day", default=0.0, low=0.0, high=MAX_HORIZON_DAYS)
        hazard = problems.number(event, "hazard_per_year", f"{where}.hazard_per_year", default=0.0, low=0.0,
                                 low_open=has_hazard)
        if ("duration_days" in event) == ("duration_median_days" in event):
            problems.add(where, "give exactly one of duration_days (fixed) or duration_median_days "
                         "(lognormal, with duration_sigma)")
        fixed_duration = problems.number(event, "duration_days", f"{where}.duration_days", default=None, low=1.0,
                                         high=MAX_HORIZON_DAYS)
        median = problems.number(event, "duration_median_days", f"{where}.duration_median_days", default=None,
                                 low=1.0, high=MAX_HORIZON_DAYS)
        sigma = problems.number(event, "duration_sigma", f"{where}.duration_sigma", default=0.0, low=0.0, high=3.0)
        if fixed_duration is not None:
            median, sigma = fixed_duration, 0.0
        has_alpha = "severity_alpha" in event or "severity_beta" in event
        if ("severity" in event) == has_alpha:
            problems.add(where, "give exactly one of severity (fixed, 0-1) or severity_alpha and severity_beta (Beta)")
        severity = problems.number(event, "severity", f"{where}.severity", default=0.0, low=0.0, high=1.0)
        alpha = problems.number(event, "severity_alpha", f"{where}.severity_alpha", default=0.0, low=0.0,
                                low_open=has_alpha, required=has_alpha)
        beta = problems.number(event, "severity_beta", f"{where}.severity_beta", default=0.0, low=0.0,
                               low_open=has_alpha, required=has_alpha)
        tighten = problems.number(event, "tightening_days", f"{where}.tightening_days", default=0.0, low=0.0,
                                  high=MAX_HORIZON_DAYS)
        for key, value in (("origin", onehot), ("weight", weight), ("onset", onset), ("hazard", hazard),
                           ("median", median or 1.0), ("sigma", sigma), ("severity", severity),
                           ("alpha", alpha or 0.0), ("beta", beta or 0.0), ("tighten", tighten)):
            rows[key].append(value)
    if problems.items:
        return None, names
    events = make_events(
        origin_onehot=np.array(rows["origin"]), product_weight=np.array(rows["weight"]),
        onset_day=np.array(rows["onset"]), hazard_per_year=np.array(rows["hazard"]),
        duration_median_days=np.array(rows["median"]), duration_sigma=np.array(rows["sigma"]),
        severity=np.array(rows["severity"]), severity_alpha=np.array(rows["alpha"]),
        severity_beta=np.array(rows["beta"]), tightening_days=np.array(rows["tighten"]),
    )
    return events, names


def _per_product(problems: Problems, value, products: list[str], field_name: str, low, high, default):
    """A number for all products, or ``{product = number, "*" = default}`` -> ``[P]``."""
    out = np.full(len(products), default, dtype=np.float64)
    if isinstance(value, dict):
        if "*" in value:
            fallback = problems.number(value, "*", f"{field_name}.*", default=default, low=low, high=high)
            out[:] = fallback
        for name in value:
            if name == "*":
                continue
            if name not in products:
                problems.add(f"{field_name}.{name}", f"unknown product; allowed: {', '.join(products)} or '*'")
                continue
            number = problems.number(value, name, f"{field_name}.{name}", default=default, low=low, high=high)
            out[products.index(name)] = number
        return out
    number = problems.number({"v": value}, "v", field_name, default=default, low=low, high=high)
    out[:] = number
    return out


def _per_product_origin(problems: Problems, value, loaded: LoadedModel, field_name: str) -> dict[int, np.ndarray]:
    """``{product = {origin = share}}`` -> ``{product index: [O] shares}``."""
    if not isinstance(value, dict):
        problems.add(field_name, "must be a table {product = {origin = share}}")
        return {}
    out = {}
    for name, shares in value.items():
        if name not in loaded.products:
            problems.add(f"{field_name}.{name}", f"unknown product; allowed: {', '.join(loaded.products)}")
            continue
        if not isinstance(shares, dict):
            problems.add(f"{field_name}.{name}", f"must be a table {{origin = share}} over {', '.join(loaded.origins)}")
            continue
        row = np.zeros(len(loaded.origins))
        for origin in shares:
            if origin not in loaded.origins:
                problems.add(f"{field_name}.{name}.{origin}", f"unknown origin; allowed: {', '.join(loaded.origins)}")
                continue
            number = problems.number(shares, origin, f"{field_name}.{name}.{origin}", default=0.0, low=0.0, high=1.0)
            row[loaded.origins.index(origin)] = number
        out[loaded.products.index(name)] = row
    return out


def parse_policy(raw: dict, loaded: LoadedModel, problems: Problems, where: str) -> Policy:
    """One ``[[policies]]`` table -> :class:`Policy` (unset levers stay at no-policy)."""
    base = no_policy(loaded.model)
    fields = {name: np.asarray(value, dtype=np.float64).copy() for name, value in base._asdict().items()}
    problems.unknown_keys(raw, {"name", "description", *PILLARS}, where)
    tables = {}
    for pillar, levers in PILLARS.items():
        allowed = set(levers) | (DIVERSIFICATION_TABLES if pillar == "diversification" else set())
        table = tables[pillar] = problems.table(raw, pillar, allowed, f"{where}.{pillar}")
        for key, (policy_field, low, high) in levers.items():
            if key in table:
                fields[policy_field] = _per_product(problems, table[key], loaded.products, f"{where}.{pillar}.{key}",
                                                    low, high, float(fields[policy_field][0]))
    diversification = tables["diversification"]
    baseline_shares = np.asarray(loaded.model.import_share, dtype=np.float64)
    for p, row in _per_product_origin(problems, diversification.get("import_share", {}), loaded,
                                      f"{where}.diversification.import_share").items():
        if abs(row.sum() - baseline_shares[p].sum()) > 1e-6:
            problems.add(f"{where}.diversification.import_share.{loaded.products[p]}",
                         f"shifted shares must keep the import total of the model ({baseline_shares[p].sum():.6g}); "
                         f"got {row.sum():.6g}")
        fields["import_share"][p] = row
    for p, row in _per_product_origin(problems, diversification.get("spare_capacity", {}), loaded,
                                      f"{where}.diversification.spare_capacity").items():
        fields["spare_capacity"][p] = row
    storable = np.asarray(loaded.model.storable)
    for key in ("gov_stock_days", "private_extra_days"):
        for p in np.flatnonzero((fields[key] > 0) & (storable == 0)):
            problems.add(f"{where}.stockpile.{key}.{loaded.products[p]}",
                         "is a service (storable = false): services cannot be stockpiled")
    return Policy(**{name: jnp.asarray(value, dtype=jnp.float32) for name, value in fields.items()})


def parse_policies(raw_policies, loaded: LoadedModel, problems: Problems) -> list[NamedPolicy]:
    """The baseline (no policy) first, then every ``[[policies]]`` mix."""
    policies = [NamedPolicy(BASELINE_POLICY, no_policy(loaded.model), "no policy lever (reference)")]
    if not isinstance(raw_policies, list):
        problems.add("policies", "must be an array of [[policies]] tables")
        return policies
    seen = {BASELINE_POLICY}
    for i, raw in enumerate(raw_policies):
        where = f"policies[{i}]"
        if not isinstance(raw, dict):
            problems.add(where, "must be a table")
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            problems.add(f"{where}.name", "is required (a non-empty string)")
            name = f"policy {i}"
        elif name in seen:
            problems.add(f"{where}.name", f"{name!r} is used twice or is reserved ({BASELINE_POLICY!r})")
        seen.add(name)
        policies.append(NamedPolicy(name, parse_policy(raw, loaded, problems, where), str(raw.get("description", ""))))
    return policies
