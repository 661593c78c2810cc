"""Robustness of policy mixes: regret across the scenario ensemble and across the
model's uncertain parameters (minimax regret, satisficing), on common random numbers.

The ensemble
    ``K`` parameter points (probabilities ``[K, d]`` of the model's uncertain
    numbers, a Latin hypercube of seed ``seed``, mapped through each entry's inverse CDF
    as in the Sobol design; ``points = 1`` puts every number at its median) x ``N``
    scenarios (indices ``start .. start + N - 1``, the same at every point and for every
    mix: common random numbers). Lanes are the ``K N`` (point, scenario) pairs
    (:mod:`simcore.analysis.ensemble`).

Loss
    ``L_{m,s}`` of mix ``m`` on lane ``s``: a metric (``value_added_loss`` by default,
    or any metric of :mod:`simcore.analysis.sobol`: ``shortage_days``,
    ``shortage_days:PRODUCT``, ...) over the horizon; with ``cost = true`` (value-added
    loss only, and only where the model's currency is its IO value unit) plus the mix's
    standing cost over the horizon: ``(fiscal + price side effect) x H / 365``
    (:func:`simcore.analysis.costs.mix_costs`, yearly). Regret is then of the *total*
    cost to the economy: a stock that is never drawn has regret equal to its cost, a mix
    without cost has the regret of the losses it fails to avoid. Crisis premiums (spare
    volume used) are left out: they are a part of the crisis, not of the decision.

Regret across scenarios
    ``R_{m,s} = L_{m,s} - min_m' L_{m',s}`` (the best mix in hindsight on that lane,
    among the mixes compared). Per mix: expected regret, its 95th percentile and its
    maximum over lanes, and the satisficing share: the share of lanes where the
    satisficing metric (default: the loss's metric, without cost) is at most
    ``satisficing_threshold``. Standard errors treat the parameter points as the
    independent units (cluster SE: the spread of the per-point means over ``sqrt(K)``;
    with ``K = 1`` the lanes'); the satisficing share's 90 % interval is Wilson's on the
    effective count ``p (1 - p) / SE^2``. The 95th percentile comes from a log-bin sketch
    (relative error at most 1 %; zero exactly).

Regret across the uncertain parameters
    Per point ``k`` the expected loss ``E_k[L_m]`` (mean over the ``N`` common
    scenarios), the point's regret ``E_k[L_m] - min_m' E_k[L_m']`` with a paired SE (the
    per-scenario difference to the point's best mix), and per mix its maximum over
    points (**minimax regret**: the mix with the smallest maximum is the robust choice),
    the mean over points, and the share of points whose expected satisficing metric is
    at most the threshold (Wilson interval over ``K``). The maximum over points is the
    largest of ``K`` noisy estimates, biased upwards by about one SE; its SE is the one
    at the arg-max point.

Memory: per chunk the host reduces the chunk's ``[M, C]`` losses into per-point running
moments (the pairwise update of :class:`~simcore.analysis.intervals.Moments`, vectorised
over points with ``np.add.at``), maxima and a sketch, so memory is
``O(K M^2)``, never per scenario. Results agree across chunk sizes up to the float64
rounding of merged moments (``tests/test_robustness.py``).

Scenario discovery on the same mixes is :mod:`simcore.analysis.discovery`; the command
``simcore robustness CONFIG`` runs both from the config's ``[robustness]`` table.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from simcore.analysis.intervals import LEVEL, Z
from simcore.analysis.regret_stats import RegretStream
from simcore.schema.analysis_spec import RobustnessSectionSpec, check_section

# ----------------------------------------------------------------------------- settings

@dataclass
class DiscoverySettings:
    policy: str = "no-policy"
    metric: str = "shortage_days"
    threshold: float = 30.0
    scenarios: int = 2000
    start: int = 0
    seed: int = 1
    peel_alpha: float = 0.05
    paste: bool = True
    min_support: float = 0.05
    min_coverage: float = 0.5
    holdout: float = 0.3
    simplify: float = 0.05
    inputs: str = "all"


@dataclass
class RobustnessSettings:
    policies: tuple = ()  # () = every mix of the config
    metric: str = "value_added_loss"
    cost: bool = False
    points: int = 16
    scenarios: int = 200
    start: int = 0
    seed: int = 0
    satisficing_metric: str | None = None  # default: metric
    satisficing_threshold: float = 0.0
    chunk_size: int = 256
    output: str | None = None
    costs: dict = field(default_factory=dict)  # CostAssumptions fields
    discovery: DiscoverySettings | None = None


SECTION_KEYS = set(RobustnessSectionSpec.model_fields)


def settings_from(section: dict, overrides: dict | None = None, *, config=None) -> RobustnessSettings:
    """The settings of a ``[robustness]`` table, then ``overrides`` (command-line
    options: they win), checked field by field and, given the loaded ``config``,
    against its model and mixes: every problem at once (:class:`InputError`)."""
    from simcore.schema.errors import InputError, Problems

    overrides = {k: list(v) if isinstance(v, tuple) else v for k, v in (overrides or {}).items()}
    problems = Problems("robustness settings" if config is None else f"config {config.path}")
    spec, _ = check_section("robustness", {**(section or {}), **overrides}, problems)
    if spec is None:
        raise InputError(problems.source, [(_option_name(f, overrides), m) for f, m in problems.items])
    s = RobustnessSettings()
    for key, value in spec.model_dump(exclude={"discovery", "costs"}, exclude_unset=True).items():
        setattr(s, key, tuple(value) if key == "policies" else value)
    if spec.costs is not None:
        s.costs = spec.costs.model_dump()
    if spec.discovery is not None:
        d = DiscoverySettings()
        for key, value in spec.discovery.model_dump(exclude_unset=True).items():
            setattr(d, key, value)
        s.discovery = d
    if config is not None:
        _check_against(config, s, problems)
        problems.raise_if_any()
    return s


def _option_name(field: str, overrides: dict) -> str:
    """``robustness.points`` -> ``--points`` where the value came from ``overrides``."""
    key = field.removeprefix("robustness.").split(".")[0].split("[")[0]
    return f"--{key.replace('_', '-')}{field.removeprefix(f'robustness.{key}')}" if key in overrides else field


def _check_against(config, s: RobustnessSettings, problems) -> None:
    """Pass 2: names against the config's mixes and the model's products (every problem)."""
    from simcore.analysis.sobol import metric_columns

    loaded = config.loaded
    named = [p.name for p in config.policies]
    for i, name in enumerate(s.policies):
        if name not in named:
            problems.add(f"robustness.policies[{i}]", f"must be one of {', '.join(named)}, got {name!r}")
    if s.policies and len(set(s.policies)) != len(s.policies):
        problems.add("robustness.policies", "names must be unique")
    mixes = list(s.policies) or named
    if len(mixes) < 2:
        problems.add("robustness.policies", f"regret needs at least two mixes, got {len(mixes)}")
    segments = {parent: [p for p in parts if p != parent] for parent, parts in (loaded.segments or {}).items()}
    checks = [("robustness.metric", s.metric), ("robustness.satisficing_metric", s.satisficing_metric)]
    if s.discovery is not None:
        checks.append(("robustness.discovery.metric", s.discovery.metric))
    for where, metric in checks:
        if metric is None:
            continue
        try:
            metric_columns([metric], list(loaded.products), segments)
        except ValueError as exc:
            problems.add(where, str(exc))
    if s.cost and s.metric != "value_added_loss":
        problems.add("robustness.cost", f"adds a cost in {loaded.currency} to the loss: only with metric = "
                                        f"\"value_added_loss\", got metric {s.metric!r}")
    elif s.cost and loaded.currency != loaded.io_value_unit:
        problems.add("robustness.cost", f"the model's currency ({loaded.currency}) is not its IO value unit "
                                        f"({loaded.io_value_unit}): cost and value-added loss cannot be added")
    if s.discovery is not None and s.discovery.policy not in mixes:
        problems.add("robustness.discovery.policy", f"must be one of the mixes compared ({', '.join(mixes)}), "
                                                    f"got {s.discovery.policy!r}")


# ----------------------------------------------------------------------------- the analysis

def point_design(n_points: int, d: int, seed: int) -> np.ndarray:
    """Probabilities ``[K, d]``: a Latin hypercube (each column's ``K`` strata once, in
    a random order); ``K = 1``: every number at its median (0.5)."""
    if n_points == 1:
        return np.full((1, d), 0.5)
    rng = np.random.default_rng(seed)
    u = (np.argsort(rng.random((d, n_points)), axis=1).T + rng.random((n_points, d))) / n_points
    return u


@dataclass
class Ensemble:
    """What both analyses need: the mixes, their stacked policies, the parameter columns."""

    names: list
    policies: object
    columns: dict
    column_names: list
    products: list
    segments: dict


def ensemble_of(config, mixes) -> Ensemble:
    from simcore.analysis.sobol import parameters
    from simcore.core.model import stack_policies

    loaded = config.loaded
    named = {p.name: p.policy for p in config.policies}
    names = list(mixes) or list(named)
    if loaded.model.uncertainty is not None:
        params = parameters(loaded, "entry")
        columns, column_names = params.columns, params.names
    else:
        columns, column_names = {}, []
    segments = {parent: [p for p in parts if p != parent] for parent, parts in (loaded.segments or {}).items()}
    return Ensemble(names, stack_policies([named[n] for n in names]), columns, column_names,
                    list(loaded.products), segments)


def metric_values(metrics: np.ndarray, metric: str, ens: Ensemble) -> np.ndarray:
    """``[M, C]`` of a metric name from lane metric vectors ``[M, C, 4 + 2 P]``."""
    from simcore.analysis.sobol import metric_columns

    (_, cols), = metric_columns([metric], ens.products, ens.segments)
    return metrics[..., cols].sum(-1)


def standing_costs(config, ens: Ensemble, s: RobustnessSettings) -> np.ndarray:
    """``[M]`` standing cost of each mix over the horizon: (fiscal + price side effect)
    per year x ``H / 365`` (currency); zeros without ``cost``."""
    if not s.cost:
        return np.zeros(len(ens.names))
    from simcore.analysis.costs import CostAssumptions, mix_costs

    costs = mix_costs(config.loaded, ens.policies, ens.names, horizon_days=config.horizon_days,
                      assumptions=CostAssumptions(**s.costs))
    yearly = np.asarray(costs["fiscal"].values, np.float64) + np.asarray(costs["price_side_effect"].values, np.float64)
    return yearly * config.horizon_days / 365.0


def robustness_analysis(config, s: RobustnessSettings, progress=None) -> xr.Dataset:
    """Regret, minimax regret and satisficing of the mixes (module doc) as a dataset
    with dims ``policy`` and ``(point, policy)``."""
    import jax

    from simcore.analysis.ensemble import run_ensemble
    from simcore.analysis.sobol import _metric_attrs

    loaded = config.loaded
    ens = ensemble_of(config, s.policies)
    d = len(ens.column_names)
    u_points = point_design(s.points, d, s.seed)
    cost = standing_costs(config, ens, s)
    sat_metric = s.satisficing_metric or s.metric
    stream = RegretStream(len(ens.names), s.points, s.satisficing_threshold)
    n_scen = int(s.scenarios)

    def lane_inputs(lo, hi):
        lanes = np.arange(lo, hi)
        return s.start + lanes % n_scen, u_points[lanes // n_scen]

    def consume(lo, hi, metrics, _features):
        loss = metric_values(metrics, s.metric, ens) + cost[:, None]
        stream.add(loss, metric_values(metrics, sat_metric, ens), np.arange(lo, hi) // n_scen)

    began = time.perf_counter()
    run_ensemble(loaded.model, ens.policies, config.events, jax.random.PRNGKey(config.seed), ens.columns,
                 s.points * n_scen, lane_inputs, consume, horizon=config.horizon_days, chunk=s.chunk_size,
                 progress=progress)
    wall = time.perf_counter() - began
    r = stream.result()
    long_name, units = _metric_attrs(s.metric, loaded.io_value_unit)
    sat_long, sat_units = _metric_attrs(sat_metric, loaded.io_value_unit)
    if s.cost:
        long_name += f" plus the mix's standing cost over the horizon ({loaded.currency})"
    P, KP = ("policy",), ("point", "policy")
    pct = f"{LEVEL:.0%}"

    def var(dims, key, text, unit=units):
        return dims, np.asarray(r[key]), {"units": unit, "long_name": text}

    data = {
        "expected_loss": var(P, "expected_loss", "expected loss over the lanes"),
        "expected_loss_se": var(P, "expected_loss_se", "standard error of the expected loss"),
        "loss_over_best": var(P, "loss_over_best", "expected loss minus that of the mix best in expectation"),
        "loss_over_best_se": var(P, "loss_over_best_se", "paired standard error of loss_over_best"),
        "expected_regret": var(P, "expected_regret", "expected regret over lanes (loss minus the lane's best mix)"),
        "expected_regret_se": var(P, "expected_regret_se", "standard error of the expected regret"),
        "q95_regret": var(P, "q95_regret", "95th percentile of the regret over lanes (sketch, 1 % relative error)"),
        "max_regret": var(P, "max_regret", "largest regret over lanes"),
        "satisficing_share": var(P, "satisficing_share", f"share of lanes with {sat_metric} at most the threshold",
                                 "1"),
        "satisficing_low": var(P, "satisficing_low", f"lower end of the {pct} Wilson interval", "1"),
        "satisficing_high": var(P, "satisficing_high", f"upper end of the {pct} Wilson interval", "1"),
        "minimax_regret": var(P, "minimax_regret", "largest regret of the expected loss over parameter points"),
        "minimax_regret_se": var(P, "minimax_regret_se", "paired standard error at the arg-max point"),
        "minimax_point": var(P, "minimax_point", "the parameter point of the largest regret", "1"),
        "mean_point_regret": var(P, "mean_point_regret", "mean over parameter points of the regret"),
        "mean_point_regret_se": var(P, "mean_point_regret_se", "standard error of mean_point_regret"),
        "point_satisficing_share": var(P, "point_satisficing_share",
                                       f"share of parameter points whose expected {sat_metric} is at most the "
                                       f"threshold", "1"),
        "point_satisficing_low": var(P, "point_satisficing_low", f"lower end of the {pct} Wilson interval", "1"),
        "point_satisficing_high": var(P, "point_satisficing_high", f"upper end of the {pct} Wilson interval", "1"),
        "standing_cost": (P, cost, {"units": loaded.currency, "long_name": "standing cost over the horizon added "
                                                                            "to the loss (0 without cost)"}),
        "point_loss": var(KP, "point_loss", "expected loss at each parameter point (mean over its scenarios)"),
        "point_regret": var(KP, "point_regret", "regret of the expected loss at each parameter point"),
        "point_regret_se": var(KP, "point_regret_se", "paired standard error of point_regret"),
        "point_satisficing_metric": var(KP, "point_satisficing_metric", f"expected {sat_metric} at each point",
                                        sat_units),
        "point_best": (("point",), r["point_best"], {"units": "1", "long_name": "position of the best mix"}),
    }
    coords = {"policy": ens.names, "point": np.arange(s.points)}
    if d:
        from simcore.analysis.sobol import design_values

        values = design_values(loaded, _Params(ens.columns), u_points)
        first = _first_entry_values(values, ens.columns, d)
        data["point_parameter"] = (("point", "parameter"), first,
                                   {"units": "various", "long_name": "value of each uncertain number at each point "
                                                                     "(its first entry)"})
        coords["parameter"] = ens.column_names
    ds = xr.Dataset(data, coords=coords)
    minimax_mix = ens.names[int(np.argmin(r["minimax_regret"]))]
    lane_minimax_mix = ens.names[int(np.argmin(r["max_regret"]))]
    ds.attrs.update({
        "kind": "robustness", "model": loaded.name, "config": str(config.path or ""), "metric": s.metric,
        "metric_long_name": long_name, "units": units, "cost": bool(s.cost), "currency": loaded.currency,
        "satisficing_metric": sat_metric, "satisficing_metric_long_name": sat_long,
        "satisficing_threshold": float(s.satisficing_threshold), "satisficing_units": sat_units,
        "points": int(s.points), "scenarios": n_scen, "lanes": int(r["lanes"]), "scenario_start": int(s.start),
        "seed": int(config.seed), "design_seed": int(s.seed), "horizon_days": int(config.horizon_days),
        "parameters": d, "chunk_size": int(s.chunk_size), "evaluation_wall_s": float(wall), "confidence": LEVEL,
        "minimax_regret_mix": minimax_mix, "lane_minimax_regret_mix": lane_minimax_mix,
        "best_expected_mix": ens.names[int(np.argmin(r["expected_loss"]))],
        "se_kind": "cluster over parameter points" if s.points >= 2 else "over lanes (one parameter point)",
    })
    return ds


@dataclass
class _Params:  # the part of sobol.Parameters that design_values reads
    columns: dict


def _first_entry_values(values: dict, columns: dict, d: int) -> np.ndarray:
    """``[R, d]``: per column the value of its first entry (``values``: ``{field: [R, n]}``)."""
    rows = next(iter(values.values())).shape[0]
    out = np.full((rows, d), np.nan)
    for name, cols in columns.items():
        for entry, col in enumerate(np.asarray(cols)):
            if np.isnan(out[0, col]):
                out[:, col] = values[name][:, entry]
    return out


# ----------------------------------------------------------------------------- output

def _pm(value: float, se: float) -> str:
    if not np.isfinite(se):
        return f"{value:.4g}"
    return f"{value:.4g} ± {Z * se:.2g}"


def format_robustness(ds: xr.Dataset) -> str:
    """The regret table: per mix expected regret, q95, max over lanes, satisficing share,
    minimax regret over points (every effect with its 90 % half-width)."""
    a = ds.attrs
    units = a.get("units", "")
    lines = [f"Robustness of {ds.sizes['policy']} mixes: {a['metric_long_name']} [{units}]; {a['points']} parameter "
             f"points x {a['scenarios']} common scenarios x {a['horizon_days']} days = {a['lanes']} lanes; "
             f"± = 90 % interval half-width ({a['se_kind']})",
             f"satisficing: {a['satisficing_metric']} <= {a['satisficing_threshold']:g} "
             f"{a.get('satisficing_units', '')}", ""]
    head = (f"{'mix':<22} {'E[loss]':>22} {'E[regret]':>22} {'q95 regret':>11} {'max regret':>11} "
            f"{'satisficing':>20} {'minimax regret (points)':>24} {'points satisf.':>20}")
    lines += [head, "-" * len(head)]
    for i, name in enumerate(ds["policy"].values):
        row = ds.isel(policy=i)
        f = lambda key: float(row[key])  # noqa: E731
        sat = f"{f('satisficing_share'):.3f} [{f('satisficing_low'):.3f},{f('satisficing_high'):.3f}]"
        psat = (f"{f('point_satisficing_share'):.3f} [{f('point_satisficing_low'):.2f},"
                f"{f('point_satisficing_high'):.2f}]")
        lines.append(f"{str(name)[:22]:<22} {_pm(f('expected_loss'), f('expected_loss_se')):>22} "
                     f"{_pm(f('expected_regret'), f('expected_regret_se')):>22} {f('q95_regret'):>11.4g} "
                     f"{f('max_regret'):>11.4g} {sat:>20} {_pm(f('minimax_regret'), f('minimax_regret_se')):>24} "
                     f"{psat:>20}")
    lines.append("")
    lines.append(f"best in expectation: {a['best_expected_mix']}; minimax regret over parameter points: "
                 f"{a['minimax_regret_mix']}; minimax regret over lanes: {a['lane_minimax_regret_mix']}")
    best = a["best_expected_mix"]
    for i, name in enumerate(ds["policy"].values):
        if name == best:
            continue
        d, se = float(ds["loss_over_best"][i]), float(ds["loss_over_best_se"][i])
        noise = " (within noise)" if abs(d) <= Z * se else ""
        lines.append(f"  {name} - {best}: E[loss] {_pm(d, se)} {units}{noise}")
    return "\n".join(lines)


def to_store(ds: xr.Dataset, store, group: str) -> None:
    """Write ``ds`` as group ``group`` of a zarr store (created if missing: then its root
    gets ``kind = "robustness"``; an existing store, e.g. a run's, keeps its kind)."""
    from pathlib import Path

    import zarr

    from simcore.run.store import write_analysis_group

    fresh = not Path(store).exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr's notes on string dtypes and consolidated metadata
        write_analysis_group(ds, str(store), group)
        if fresh:  # a store of its own: simcore report reads its groups only
            zarr.open_group(str(store), mode="a").attrs["kind"] = "robustness"
            zarr.consolidate_metadata(str(store))


def load_robustness_config(path):
    """The run config of a file and its ``[robustness]`` table (every section checked)."""
    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(path, "robustness")
    return config, sections.get("robustness") or {}


def robustness_file(path, overrides: dict | None = None, *, discovery: bool = True, log=print):
    """``(robustness dataset, discovery dataset or None, settings)`` of the config file
    ``path``: its ``[robustness]`` table, then ``overrides``. What ``simcore
    robustness`` runs."""
    from simcore.analysis.discovery import discovery_analysis

    config, section = load_robustness_config(path)
    s = settings_from(section, overrides, config=config)
    mixes = list(s.policies) or [p.name for p in config.policies]
    log(f"robustness: {len(mixes)} mixes x {s.points} parameter points x {s.scenarios} scenarios x "
        f"{config.horizon_days} days")
    ds = robustness_analysis(config, s)
    found = None
    if discovery and s.discovery is not None:
        log(f"discovery: {s.discovery.policy}, failure {s.discovery.metric} > {s.discovery.threshold:g}, "
            f"{s.discovery.scenarios} scenarios with their own parameter draws")
        found = discovery_analysis(config, s, s.discovery)
    return ds, found, s
