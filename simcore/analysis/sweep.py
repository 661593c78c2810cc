"""Policy sweeps: vary levers over a grid or a random design on common random numbers.

A run config gains a ``[sweep]`` section (see ``docs/analysis.md``)::

    [sweep]
    base = "stockpile-60d"       # policy whose other levers are kept (default: no-policy)
    design = "grid"              # grid | random | latin
    samples = 200                # random / latin designs only
    scenarios = 1000             # default: run.scenarios
    output = "results/sweep.zarr"
    levers = [
      { path = "stockpile.gov_stock_days.gallium", values = [0, 30, 60, 90] },
      { path = "diversification.spare_capacity.gallium.EU", range = [0, 0.5], n = 6, name = "ga_spare_EU" },
    ]

Every mix runs on the same scenario indices (common random numbers) through
:func:`simcore.analysis.evaluate.evaluate_mixes`, which chunks the mix axis as the
scenarios are chunked and keeps only mergeable statistics. The result has one
dimension per lever (grid) or a ``mix`` dimension with one coordinate per lever
(random designs), the risk metrics, each mix's yearly cost
(:mod:`simcore.analysis.costs`) and its cost-effectiveness against no policy.

Run it with ``simcore sweep CONFIG [--scenarios N] [--output PATH]`` or
:func:`run_sweep_file`.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from simcore.analysis import levers as lever_paths
from simcore.analysis import intervals
from simcore.analysis.costs import CostAssumptions, cost_effectiveness, crisis_weights, mix_costs, ranking_table
from simcore.analysis.evaluate import (PAIRWISE_MAX_MIXES, RISK_OUTCOMES, PairedRequest, evaluate_mixes_paired,
                                        risk_metrics)
from simcore.core.model import no_policy
from simcore.run import store
from simcore.run.metrics import METRIC_INFO
from simcore.run.runner import Simulation
from simcore.schema.analysis_config import read_analysis_config
from simcore.schema.analysis_spec import DESIGNS, MAX_GRID_POINTS, MAX_MIXES, check_section  # noqa: F401
from simcore.schema.config import BASELINE_POLICY, RunConfig
from simcore.schema.errors import InputError, Problems

# the fields of [sweep] and their ranges: simcore.schema.analysis_spec (SweepSectionSpec)


@dataclass
class SweepLever:
    lever: lever_paths.Lever
    name: str
    values: np.ndarray | None = None  # explicit values (grid, or choices of a random design)
    low: float | None = None  # range of a random design
    high: float | None = None

    @property
    def path(self) -> str:
        return self.lever.path


@dataclass
class SweepSpec:
    """A validated ``[sweep]`` section."""

    levers: list[SweepLever]
    design: str = "grid"
    samples: int | None = None
    seed: int = 0
    base: str = BASELINE_POLICY
    scenarios: int = 1000
    chunk_size: int = 1000
    policy_chunk: int = 16
    output: str | None = None
    metrics: object = "default"
    costs: CostAssumptions = field(default_factory=CostAssumptions)

    @property
    def n_mixes(self) -> int:
        if self.design == "grid":
            return int(np.prod([lever.values.size for lever in self.levers]))
        return int(self.samples)

    @property
    def dims(self) -> list[str]:
        return [lever.name for lever in self.levers]


def _kept(clean: dict, given: dict, key: str, default):
    """The value pass 1 left of ``key``: the default when not given, ``_BAD`` when refused."""
    if key in clean:
        return clean[key]
    return _BAD if key in given else default


_BAD = object()  # a value pass 1 refused (already reported)


def parse_sweep(raw, config: RunConfig, source: str = "config") -> SweepSpec:
    """Validate a ``[sweep]`` table against the run ``config`` (its model and policies).

    Field by field by the schema (:class:`~simcore.schema.analysis_spec.SweepSectionSpec`),
    then the rules across fields and against the model; raises
    :class:`~simcore.schema.errors.InputError` naming every bad field
    (``sweep.levers[1].range`` ...) with the allowed values.
    """
    problems = Problems(f"{source} [sweep]")
    section, clean = check_section("sweep", raw, problems)
    clean = clean if isinstance(clean, dict) else {}
    given = raw if isinstance(raw, dict) else {}
    design = _kept(clean, given, "design", "grid")
    if design in ("random", "latin") and "samples" not in given:
        problems.add("sweep.samples", f"is required for a {design} design: an integer in [1, {MAX_MIXES}]")
    elif "samples" in given and design == "grid":
        problems.add("sweep.samples", "only applies to design = \"random\" or \"latin\" (a grid runs every point)")
    metrics = clean.get("metrics")
    if isinstance(metrics, list) and any(m not in METRIC_INFO for m in metrics):
        problems.add("sweep.metrics", f'must be "default", "all" or a list of metrics from {", ".join(METRIC_INFO)}; '
                     f"got {[m for m in metrics if m not in METRIC_INFO]!r}")
    names = [p.name for p in config.policies]
    base = _kept(clean, given, "base", BASELINE_POLICY)
    if base is not _BAD and base not in names:
        problems.add("sweep.base", f"must be one of the config's policies: {', '.join(names)}; got {base!r}")
    levers = _parse_levers(clean.get("levers"), given.get("levers"), design, config.loaded, problems)
    spec = None
    if not problems.items:
        settings = section.model_dump(exclude_unset=True)
        scenarios = section.scenarios or config.scenarios
        spec = SweepSpec(levers=levers, design=section.design, samples=section.samples,
                         seed=settings.get("seed", config.seed), base=section.base, scenarios=scenarios,
                         chunk_size=min(section.chunk_size or config.chunk_size, scenarios),
                         policy_chunk=section.policy_chunk, output=section.output, metrics=section.metrics,
                         costs=CostAssumptions.of(section.costs.model_dump(exclude_unset=True) if section.costs
                                                  else config.costs))  # [sweep.costs], else the top-level [costs]
        if spec.n_mixes > MAX_MIXES:
            problems.add("sweep.levers", f"the grid has {spec.n_mixes} mixes; at most {MAX_MIXES} (use a random "
                         "or latin design)")
    problems.raise_if_any()
    return spec


def _parse_levers(raw, given, design, loaded, problems: Problems) -> list[SweepLever]:
    """Pass 2 of ``sweep.levers`` (as pass 1 left it; ``given``: as written)."""
    if not isinstance(raw, list):
        return []  # missing or not a list: reported by pass 1
    given = given if isinstance(given, list) else []
    out: list[SweepLever] = []
    placed: list[int] = []  # where each lever of out is in the list (for messages)
    for i, item in enumerate(raw):
        where = f"sweep.levers[{i}]"
        if not isinstance(item, dict):
            continue  # reported by pass 1
        item_given = given[i] if i < len(given) and isinstance(given[i], dict) else item
        ok = all(key in item for key in item_given)  # a field refused by pass 1 leaves the lever out
        lever, reason = (None, None) if "path" not in item else lever_paths.resolve(item["path"], loaded)
        if lever is None:
            if reason:
                problems.add(f"{where}.path", reason)
            ok = False
        elif not lever.settable:
            problems.add(f"{where}.path", f"{lever.path!r} is a whole pillar; give a lever, e.g. "
                         f"{lever.pillar}.{next(iter(lever_paths.lever_keys(lever.pillar)))}")
            ok = False
        name = item.get("name", item.get("path"))
        has_values, has_range = "values" in item_given, "range" in item_given
        if has_values == has_range:
            problems.add(where, "give exactly one of values = [...] or range = [low, high] (with n for a grid)")
            continue
        entry = SweepLever(lever=lever, name=name) if ok else None
        checked = []
        if has_values:
            values = item.get("values")
            if values is not None and None not in values:
                twice = sorted({v for v in values if values.count(v) > 1})
                if twice:
                    problems.add(f"{where}.values", "values must be unique; given more than once: "
                                 + ", ".join(f"{v:g}" for v in twice))
                checked = values
                if entry is not None:
                    entry.values = np.asarray(values, np.float64)
            if "n" in item_given:
                problems.add(f"{where}.n", "only applies with range = [low, high]")
        elif "range" in item:
            bounds = item["range"]
            checked = list(bounds)
            n = item.get("n")
            if design == "grid":
                if "n" not in item_given or (n == 1 and bounds[0] != bounds[1]):
                    problems.add(f"{where}.n", f"is required with range in a grid: an integer in [2, "
                                 f"{MAX_GRID_POINTS}] (evenly spaced points, ends included)"
                                 + (f", got {n!r}" if "n" in item_given else ""))
                    continue
                if entry is not None and n is not None:
                    entry.values = np.linspace(bounds[0], bounds[1], n)
            elif design is not _BAD:
                if "n" in item_given:
                    problems.add(f"{where}.n", f"only applies to a grid; a {design} design draws 'samples' values "
                                 "uniformly in the range")
                if entry is not None:
                    entry.low, entry.high = float(bounds[0]), float(bounds[1])
        if lever is not None and lever.settable:
            part = "values" if has_values else "range"
            for j, value in enumerate(checked):
                reason = lever_paths.value_problem(lever, value, loaded)
                if reason:
                    problems.add(f"{where}.{part}[{j}]", f"{lever.path}: {reason}")
                    ok = False
        if ok and entry is not None:
            for k, other in zip(placed, out):
                if other.lever.overlaps(lever):
                    problems.add(f"{where}.path", f"{lever.path!r} sets the same policy elements as "
                                 f"sweep.levers[{k}] ({other.path!r})")
                if other.name == entry.name:
                    problems.add(f"{where}.name", f"{entry.name!r} is also the name of sweep.levers[{k}]; names "
                                 "must be unique")
            out.append(entry)
            placed.append(i)
    return out


def design_values(spec: SweepSpec) -> np.ndarray:
    """Lever values of every mix ``[M, L]`` (grid: row-major over the levers, the first
    lever slowest)."""
    if spec.design == "grid":
        return np.array(list(itertools.product(*(lever.values for lever in spec.levers))), np.float64).reshape(
            -1, len(spec.levers))
    rng = np.random.default_rng(spec.seed)
    n = spec.samples
    columns = []
    for lever in spec.levers:
        if spec.design == "latin":
            u = (rng.permutation(n) + rng.random(n)) / n  # one draw per stratum
        else:
            u = rng.random(n)
        if lever.values is not None:
            columns.append(lever.values[np.minimum((u * lever.values.size).astype(int), lever.values.size - 1)])
        else:
            columns.append(lever.low + u * (lever.high - lever.low))
    return np.stack(columns, axis=1)


@dataclass
class SweepResult:
    """``table``: the sweep dataset; ``summary``: full statistics ``(statistic, policy, ...)``
    of no-policy and every mix (``policy`` = no-policy, mix 0, mix 1, ...); ``costs``: the
    cost components ``(policy[, product])``; ``values``: lever values ``[M, L]``."""

    table: xr.Dataset
    summary: xr.Dataset
    costs: xr.Dataset
    values: np.ndarray
    ranking: xr.Dataset | None = None  # p_beats (mix, other_mix) when at most PAIRWISE_MAX_MIXES mixes


def run_sweep(config: RunConfig, spec: SweepSpec, *, scenarios: int | None = None, progress=None) -> SweepResult:
    """Run every mix of the sweep and the no-policy reference on the same scenarios.

    Returns the sweep dataset: grid designs have one dimension per lever (named by the
    lever's ``name``, coordinates = its values), random designs a ``mix`` dimension with
    one coordinate per lever; plus ``product`` where a metric is per product. Variables:
    the risk metrics of :data:`simcore.analysis.evaluate.RISK_METRICS`, ``reference_*``
    (no policy), the yearly costs and the cost-effectiveness against no policy. The
    full statistics of every mix are in ``attrs["summary"]`` (not stored there: see
    :func:`write_sweep_store`).
    """
    sim = Simulation.from_config(config)
    n_scenarios = int(scenarios or spec.scenarios)
    base = next(p.policy for p in config.policies if p.name == spec.base)
    values = design_values(spec)
    fields = lever_paths.mixes_from_values(base, [lever.lever for lever in spec.levers], values)
    reference = lever_paths.policy_fields(no_policy(config.loaded.model))
    all_fields = {k: np.concatenate([reference[k][None], v], axis=0) for k, v in fields.items()}
    mix_names = [BASELINE_POLICY] + [f"mix {i}" for i in range(values.shape[0])]
    policies = lever_paths.stacked(all_fields)
    request = PairedRequest(reference=0, crisis_weights=crisis_weights(config.loaded, all_fields),
                            pairwise=len(mix_names) <= PAIRWISE_MAX_MIXES)
    summary, paired = evaluate_mixes_paired(sim, policies, mix_names, n_scenarios,
                                            chunk_size=min(spec.chunk_size, n_scenarios),
                                            policy_chunk=spec.policy_chunk, metrics=spec.metrics, progress=progress,
                                            paired=request)
    risk = risk_metrics(summary)
    spare = summary["spare_used"].sel(statistic="mean", drop=True).values if "spare_used" in summary else None
    costs = mix_costs(config.loaded, all_fields, mix_names, spare_used_mean=spare, horizon_days=sim.horizon_days,
                      assumptions=spec.costs)
    effect = cost_effectiveness(costs, risk, BASELINE_POLICY, sim.horizon_days, paired=paired)
    ranking = None
    if "p_beats" in effect:
        ranking = effect[["p_beats"]].isel(policy=slice(1, None), other=slice(1, None))
        ranking = ranking.rename({"policy": "mix", "other": "other_mix"}).assign_coords(
            mix=np.arange(values.shape[0]), other_mix=np.arange(values.shape[0]))
        effect = effect.drop_vars(["p_beats", "other"])
    table = xr.merge([risk, risk_reductions(risk, paired), costs[["fiscal", "private", "price_side_effect",
                                                                  "crisis_premium", "normal_price_index_change"]],
                      effect], compat="override")
    mixes = table.isel(policy=slice(1, None))
    for key in ("rank", "rank_by_cost_ratio"):  # ranks among the mixes only (no-policy left out)
        order = np.argsort(mixes[key].values, kind="stable")
        rank = np.empty(order.size, np.int64)
        rank[order] = np.arange(1, order.size + 1)
        mixes[key] = ("policy", rank, mixes[key].attrs)
    if ranking is not None:  # the next mix, not no-policy, follows each mix
        order = np.argsort(mixes["rank"].values, kind="stable")
        after = np.full(order.size, np.nan)
        after[order[:-1]] = ranking["p_beats"].values[order[:-1], order[1:]]
        mixes["p_beats_next"] = ("policy", after, mixes["p_beats_next"].attrs)
    out = mixes.rename({"policy": "mix"}).assign_coords(mix=np.arange(values.shape[0]))
    for j, lever in enumerate(spec.levers):
        out = out.assign_coords({lever.name: ("mix", values[:, j])})
    if spec.design == "grid":
        if len(spec.dims) == 1:  # one lever: its values are the dimension (no multi-index to unstack)
            out = out.swap_dims({"mix": spec.dims[0]}).drop_vars("mix")
        else:
            out = out.set_index(mix=spec.dims).unstack("mix")
        out = out.transpose(*spec.dims, ...)
    for name in risk.data_vars:
        out[f"reference_{name}"] = risk[name].sel(policy=BASELINE_POLICY, drop=True)
    for lever in spec.levers:
        out[lever.name].attrs.update({"path": lever.path, "units": _lever_units(lever.lever)})
    out.attrs.update(_attributes(config, spec, summary, n_scenarios, values.shape[0]))
    if ranking is not None:
        for j, lever in enumerate(spec.levers):
            ranking = ranking.assign_coords({lever.name: ("mix", values[:, j])})
        ranking.attrs.update({"description": "p_beats[mix, other_mix]: probability that the mix's net benefit per "
                              "year exceeds the other's (paired over scenarios, normal approximation)"})
    return SweepResult(out, summary.assign_coords(policy=mix_names), costs, values, ranking)


def risk_reductions(risk: xr.Dataset, paired) -> xr.Dataset:
    """Each risk metric's reduction against the reference (first policy) ``<m>_reduction``
    (reference - mix; positive = less risk) with its paired SE and 90 % interval
    (``_se``, ``_low``, ``_high``), dims as the metric's."""
    out = {}
    for name, variable in risk.data_vars.items():
        variable = variable.transpose("policy", ...)  # the paired SEs are [policy[, product]]
        reduction = (variable.isel(policy=0, drop=True) - variable).transpose(*variable.dims)
        attrs = {"units": variable.attrs.get("units", ""),
                 "description": f"reduction against no policy: {variable.attrs.get('description', name)}"}
        out[f"{name}_reduction"] = reduction.assign_attrs(attrs)
        if paired is None or name not in RISK_OUTCOMES:
            continue
        se = paired.risk_se(paired.gains, name)
        low, high = intervals.interval(reduction.values, se)
        out[f"{name}_reduction_se"] = (variable.dims, se, {**attrs, "description": f"paired standard error of "
                                                           f"{name}_reduction"})
        out[f"{name}_reduction_low"] = (variable.dims, low, {**attrs, "description": "lower end of its 90 % interval"})
        out[f"{name}_reduction_high"] = (variable.dims, high,
                                         {**attrs, "description": "upper end of its 90 % interval"})
    return xr.Dataset(out, coords=risk.coords)


def _lever_units(lever: lever_paths.Lever) -> str:
    key = lever.key or ""
    if key.endswith("_days"):
        return "days"
    if key in ("spare_capacity", "release_rate", "refill_rate"):
        return "share of daily demand"
    return "1"


def _base_levels(config: RunConfig, spec: SweepSpec) -> dict:
    """lever name -> the base mix's own value of that lever (where the report's response
    figure holds the levers it does not show)."""
    base = next(p.policy for p in config.policies if p.name == spec.base)
    fields = lever_paths.policy_fields(base)
    out = {}
    for lever in spec.levers:
        (name, mask), = lever.lever.masks.items()
        out[lever.name] = float(np.asarray(fields[name])[mask][0])
    return out


def _attributes(config: RunConfig, spec: SweepSpec, summary: xr.Dataset, n_scenarios: int, n_mixes: int) -> dict:
    return {
        "kind": "sweep", "model": config.loaded.name, "config": str(config.path or ""),
        "n_scenarios": int(n_scenarios), "seed": int(config.seed), "horizon_days": int(config.horizon_days),
        "design": spec.design, "design_seed": int(spec.seed), "base": spec.base, "n_mixes": int(n_mixes),
        "levers": json.dumps([{"path": lv.path, "name": lv.name} for lv in spec.levers]),
        "base_levels": json.dumps(_base_levels(config, spec)),
        "currency": config.loaded.currency, "io_value_unit": config.loaded.io_value_unit,
        "seconds": float(summary.attrs.get("seconds", float("nan"))),
        "mix_scenario_days": int(summary.attrs.get("mix_scenario_days", 0)),
        "discount_rate": spec.costs.discount_rate, "stock_life_years": spec.costs.stock_life_years,
        "stock_residual_share": spec.costs.stock_residual_share,
    }


def _clean_attrs(attrs: dict) -> dict:
    return {k: v for k, v in attrs.items() if isinstance(v, (str, int, float, bool))}


def write_sweep_store(result: SweepResult, path: str | Path, config_text: str = "") -> Path:
    """Write a sweep to a zarr store: the root holds the sweep dataset, group ``summary``
    the full statistics of every mix (``policy`` = no-policy, mix 0, mix 1, ...), group
    ``costs`` the cost components. Written beside and moved into place when complete."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    store.check_writable(path)  # never replace a folder simcore did not write
    store.delete_store(partial, sibling=True)
    attrs = _clean_attrs(result.table.attrs)
    attrs.update({"config_text": config_text, "status": "complete", store.STORE_MARKER: "sweep",
                  store.STORE_FORMAT_ATTR: store.STORE_FORMAT})  # opens as one tree (store.open_tree)
    root = result.table.copy()
    root.attrs = attrs
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Zarr V3.*|.*Consolidated metadata.*|.*does not have a Zarr.*")
        root.to_zarr(partial, mode="w", consolidated=False)
        for group in ("summary", "costs", "ranking"):
            if getattr(result, group) is None:
                continue
            ds = getattr(result, group).copy()
            ds.attrs = _clean_attrs(ds.attrs)
            ds.to_zarr(partial, group=group, mode="a", consolidated=False)
        import zarr
        zarr.consolidate_metadata(str(partial))
    store.replace_store(partial, path)
    return path


def _config_without_analysis(path: str | Path) -> RunConfig:
    """The run config of a file; its analysis sections are checked field by field
    (:func:`~simcore.schema.analysis_config.read_analysis_config`) but not used."""
    config, _, _ = read_analysis_config(path)
    return config


def load_sweep_config(path: str | Path) -> tuple[RunConfig, SweepSpec, str]:
    """Read a config with a ``[sweep]`` section: ``(run config, sweep spec, file text)``."""
    config, sections, data = read_analysis_config(path, "sweep")
    if "sweep" not in sections:
        raise InputError(f"config {path}", [("sweep", "is required: a [sweep] table with levers = [...]")])
    return config, parse_sweep(sections["sweep"], config, f"config {path}"), data.decode("utf-8")


def sweep_ranking(result: SweepResult, top: int = 10) -> str:
    """The ``top`` mixes by net benefit as a Markdown table (:func:`ranking_table`), each
    named by its lever values."""
    table = result.table
    dims = [lever["name"] for lever in json.loads(table.attrs.get("levers", "[]"))]
    flat = table.stack(point=dims) if table.attrs.get("design") == "grid" else table.rename({"mix": "point"})
    labels = [", ".join(f"{d} = {float(flat[d].values[i]):g}" for d in dims) for i in range(flat.sizes["point"])]
    plain = flat.reset_index("point", drop=True) if table.attrs.get("design") == "grid" else flat
    ranked = plain.drop_vars([d for d in [*dims, "point", "mix"] if d in plain.coords]).rename({"point": "policy"})
    best = np.argsort(ranked["rank"].values, kind="stable")[:top]
    return (f"best {len(best)} of {flat.sizes['point']} mixes by net benefit (± = 90 % interval, paired over "
            f"{table.attrs.get('n_scenarios')} scenarios):\n" + ranking_table(ranked.isel(policy=best),
                                                                           [labels[i] for i in best]))


def run_sweep_file(path: str | Path, *, scenarios: int | None = None, output: str | Path | None = None,
                   log=print) -> tuple[SweepResult, Path]:
    """Load, run and store a sweep config; returns ``(sweep dataset, store path)``.

    The store goes to ``output``, else ``sweep.output``, else ``results/<config stem>.zarr``
    (relative paths are relative to the current directory)."""
    config, spec, text = load_sweep_config(path)
    target = store.local_output(output if output is not None
                                else spec.output or Path("results") / f"{Path(path).stem}.zarr", "sweep")
    store.check_writable(target)  # refuse a folder simcore did not write before computing
    n = int(scenarios or spec.scenarios)
    log(f"sweep: {spec.n_mixes} mixes ({spec.design}) + no-policy x {n} scenarios x {config.horizon_days} days "
        f"on {config.loaded.name}")

    def progress(done, total):
        if done == total or done % max(1, total // 10) == 0:
            log(f"  {done}/{total} blocks")

    result = run_sweep(config, spec, scenarios=n, progress=progress)
    write_sweep_store(result, target, text)
    log(sweep_ranking(result))
    attrs = result.table.attrs
    rate = attrs["mix_scenario_days"] / max(attrs["seconds"], 1e-9)
    log(f"wrote {target} ({attrs['seconds']:.1f} s, {rate:,.0f} mix-scenario-days/s)")
    return result, target


if __name__ == "__main__":  # the command is simcore sweep (one parser: simcore.cli)
    sys.exit("run this as: simcore sweep CONFIG (simcore sweep --help)")
