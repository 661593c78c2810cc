"""The chokepoint screen (``simcore screen CONFIG``, docs/screening.md): every unit of a
model (product, service, supply link, hidden link; :mod:`~simcore.analysis.screen_units`)
under a family of disruptions (:mod:`~simcore.analysis.screen_disruptions`), on common
scenarios (:mod:`~simcore.analysis.screen_run`), ranked with paired-bootstrap rank
intervals, and its single points of failure.

Per (mix, unit, disruption): expected value-added loss with its standard error, the
95th percentile and CVaR95 of the loss, P(any shortage), the mean time to survive (days
from the alarm to the first shortage, over the scenarios with one), and for the hazard
disruption the probability-weighted annual loss ``E[loss over H days] x 365 / H``.

Ranking: per mix and disruption the units by expected loss, largest first (rank 1);
each bootstrap replicate ranks the replicate means the same way, and the 90 % rank
interval is the 5th to 95th percentile of a unit's replicate ranks. Two units adjacent
in the ranking are *distinguishable* when one loses more than the other in at least
95 % of the replicates. The scenarios carry the model's drawn parameters (each scenario
its own draw), so the bootstrap over scenarios covers parameter uncertainty and event
randomness together.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from simcore.analysis.intervals import LEVEL, Z
from simcore.analysis.screen_disruptions import DEFAULT_FAMILY, Disruption, hazard_rate, hazard_slots, loss_slots
from simcore.analysis.screen_units import (
    KINDS,
    carrier_origin,
    home_patch,
    model_units,
    sole_domestic,
    stopped_pairs,
    supply_shares,
)
from simcore.schema.analysis_spec import check_section

SEPARATION = 0.95  # share of replicates in which one unit must lose more to be distinguishable


@dataclass
class ScreenSettings:
    units: tuple = ()  # () = every unit of the kinds
    kinds: tuple = KINDS
    disruptions: tuple = DEFAULT_FAMILY
    policies: tuple = ("no-policy",)
    rank_by: str = "full-90"
    scenarios: int = 200
    start: int = 0
    bootstrap: int = 200
    points: int = 0  # >= 2: parameter points, each on the same scenarios
    seed: int = 0
    chunk_cases: int = 16
    chunk_scenarios: int = 100
    max_lane_days: float = 2e10
    top: int = 25
    output: str | None = None
    extra: dict = field(default_factory=dict)


def settings_from(section: dict, overrides: dict | None = None, *, config=None) -> ScreenSettings:
    """The settings of a ``[screen]`` table, then ``overrides`` (command-line options
    win), checked field by field and, given the loaded ``config``, against its model,
    mixes and size cap: every problem at once (:class:`InputError`)."""
    from simcore.schema.errors import InputError, Problems

    overrides = {k: list(v) if isinstance(v, tuple) else v for k, v in (overrides or {}).items()}
    problems = Problems("screen settings" if config is None else f"config {config.path}")
    spec, _ = check_section("screen", {**(section or {}), **overrides}, problems)
    if spec is None:
        raise InputError(problems.source, [(_option(f, overrides), m) for f, m in problems.items])
    s = ScreenSettings()
    for key, value in spec.model_dump(exclude={"disruptions"}, exclude_unset=True).items():
        setattr(s, key, tuple(value) if isinstance(value, list) else value)
    if spec.disruptions is not None:
        s.disruptions = tuple(Disruption(**d.model_dump()) for d in spec.disruptions)
    if config is not None:
        _check_against(config, s, problems, overrides)
        problems.raise_if_any()
    return s


def _option(where: str, overrides: dict) -> str:
    key = where.removeprefix("screen.").split(".")[0].split("[")[0]
    return f"--{key.replace('_', '-')}{where.removeprefix(f'screen.{key}')}" if key in overrides else where


def _check_against(config, s: ScreenSettings, problems, overrides: dict) -> None:
    """Pass 2: unit, mix and disruption names; the size cap (every problem)."""
    names = [d.name for d in s.disruptions]
    if len(set(names)) != len(names):
        problems.add("screen.disruptions", "names must be unique")
    if s.rank_by not in names:
        problems.add(_option("screen.rank_by", overrides), f"must be one of the disruptions ({', '.join(names)}), "
                                                           f"got {s.rank_by!r}")
    mixes = [p.name for p in config.policies]
    for i, name in enumerate(s.policies):
        if name not in mixes:
            problems.add(_option(f"screen.policies[{i}]", overrides), f"must be one of {', '.join(mixes)}, got "
                                                                        f"{name!r}")
    units = model_units(config.loaded)
    known = {u.name for u in units}
    for i, name in enumerate(s.units):
        if name not in known:
            close = [u for u in sorted(known) if name.split(" ")[0] in u][:4]
            hint = f" (e.g. {', '.join(repr(c) for c in close)})" if close else ""
            problems.add(_option(f"screen.units[{i}]", overrides), f"unknown unit {name!r}{hint}")
    if problems.items:
        return
    chosen = with_carriers(config, select_units(units, s), s.policies)
    if not chosen:
        problems.add("screen.units", f"no unit of the kinds {', '.join(s.kinds)} in the model")
        return
    cases = len(build_cases(config, chosen, s.disruptions)[0])
    if s.points == 1:
        problems.add(_option("screen.points", overrides), "must be 0 (each scenario draws its parameters) or at "
                                                          "least 2 (a rank interval over points)")
    elif s.points and config.loaded.model.uncertainty is None:
        problems.add(_option("screen.points", overrides), f"the model {config.loaded.name!r} has no uncertain "
                                                          f"numbers to put at parameter points")
    size = cases * len(s.policies) * s.scenarios * max(s.points, 1) * config.horizon_days
    if size > s.max_lane_days:
        problems.add(_option("screen.scenarios", overrides) if "scenarios" in overrides else "screen",
                     f"the screen is {cases} cases x {len(s.policies)} mixes x {s.scenarios} scenarios x "
                     f"{max(s.points, 1)} parameter points x {config.horizon_days} days = {size:.3g} lane-days, over the size cap max_lane_days = "
                     f"{s.max_lane_days:.3g}; screen fewer units or scenarios, or raise the cap")


def select_units(units, s: ScreenSettings) -> list:
    if s.units:
        wanted = set(s.units)
        return [u for u in units if u.name in wanted]
    return [u for u in units if u.kind in s.kinds]


def with_carriers(config, units, policies) -> list:
    """The units, each unit that cuts domestic production given its carrier origin as
    its one slot (:mod:`~simcore.analysis.screen_units`); one without a free origin is
    left out."""
    named = {p.name: p.policy for p in config.policies}
    shares = np.stack([np.asarray(named[n].import_share) for n in policies])
    out = []
    for unit in units:
        if unit.home:
            carrier = carrier_origin(config.loaded, unit, shares)
            if carrier is None:
                continue
            unit.slots = [(carrier, {r: 1.0 for r in unit.home})]
        out.append(unit)
    return out


def build_cases(config, units, disruptions):
    """``(cases [(unit index, disruption index)], slot lists, hazard rates [U], patches)``:
    every (unit, loss disruption) and (unit, hazard) where the unit has a hazard; the
    patches ``(share delta [C, P, O], domestic kept [C, P], no transit [C, P, O])`` move
    the domestic share of a recipe or domestic unit onto its carrier."""
    loaded = config.loaded
    n_products, n_origins = len(loaded.products), len(loaded.origins)
    n_occ = int(np.shape(config.events.occurrence_allowed)[1])
    cases, slots, rates, patches = [], [], [], []
    for u, unit in enumerate(units):
        patch = home_patch(unit, unit.slots[0][0] if unit.home and unit.slots else None, n_products, n_origins)
        hazard = hazard_slots(config.events, unit, n_origins, loaded.model.import_share)
        rates.append(hazard_rate(hazard))
        for d, disruption in enumerate(disruptions):
            if disruption.kind == "hazard":
                if not hazard:
                    continue
                slots.append(hazard)
            else:
                slots.append(loss_slots(unit, disruption, n_products, n_origins, n_occ))
            cases.append((u, d))
            patches.append(patch)
    stacked = tuple(np.stack([p[k] for p in patches]) if patches else None for k in range(3))
    return cases, slots, np.asarray(rates), stacked


# ----------------------------------------------------------------------------- the analysis

def screen_analysis(config, s: ScreenSettings, progress=None, *, store=None, resume: bool = False, scheduler=None,
                    log=print) -> xr.Dataset:
    """The screen (module doc) as a dataset with dims ``policy``, ``unit``,
    ``disruption`` (and ``product``, ``sector``).

    Run in blocks of cases (:mod:`~simcore.analysis.screen_resume`): ``store`` (a local
    zarr path) keeps a checkpoint of the done blocks, which ``resume`` continues (a
    checkpoint of another screen raises :class:`~simcore.analysis.screen_resume.ResumeError`);
    ``scheduler`` (a Dask address or client) runs the blocks on a cluster; the results
    are the same bit for bit. ``progress(done, total)`` in lanes (case x mix x
    scenario-or-point)."""
    import jax

    from simcore.analysis.screen_disruptions import stack_cases
    from simcore.analysis.screen_resume import ScreenWork, run_blocks
    from simcore.core.model import stack_policies

    loaded = config.loaded
    units = with_carriers(config, select_units(model_units(loaded), s), s.policies)
    cases, slots, rates, patches = build_cases(config, units, s.disruptions)
    n_occ = int(np.shape(config.events.occurrence_allowed)[1])
    P, S = len(loaded.products), len(loaded.sectors)
    stacked = (stack_cases(slots, P, len(loaded.origins), n_occ),) + tuple(
        jax.numpy.asarray(x, jax.numpy.bool_ if k == 2 else jax.numpy.float32) for k, x in enumerate(patches))
    named = {p.name: p.policy for p in config.policies}
    policies = stack_policies([named[n] for n in s.policies])
    point_u, columns = None, None
    if s.points >= 2:  # a Latin hypercube of the model's uncertain numbers, as simcore robustness
        from simcore.analysis.robustness import point_design
        from simcore.analysis.sobol import parameters

        params = parameters(loaded, "entry")
        columns, point_u = params.columns, point_design(s.points, len(params.names), s.seed)
    work = ScreenWork(loaded.model, policies, stacked, jax.random.PRNGKey(config.seed), n_scenarios=s.scenarios,
                      start=s.start, horizon=config.horizon_days, chunk_cases=s.chunk_cases,
                      chunk_scenarios=s.chunk_scenarios, n_policies=len(s.policies), n_products=P, n_sectors=S,
                      replicates=s.bootstrap, seed=s.seed, n_points=max(s.points, 1), point_u=point_u,
                      columns=columns)
    names = {"units": [u.name for u in units], "disruptions": [d.name for d in s.disruptions],
             "policies": list(s.policies), "cases": [list(c) for c in cases]}
    describe = {"model": loaded.name, "cases": len(cases), "scenarios": int(s.scenarios),
                "scenario_start": int(s.start), "points": int(s.points), "seed": int(config.seed),
                "bootstrap": int(s.bootstrap), "bootstrap_seed": int(s.seed), "horizon_days": int(config.horizon_days),
                "policies": ", ".join(s.policies)}
    began = time.perf_counter()
    stream = run_blocks(work, store=store, resume=resume, names=names, describe=describe, scheduler=scheduler,
                        progress=progress, log=log)
    wall = time.perf_counter() - began
    r = stream.result()
    return _dataset(config, s, units, cases, rates, r, wall)


def _ranks(mean: np.ndarray) -> np.ndarray:
    """``[..., U]`` ranks over the last axis: 1 + the number of larger entries (1 = the
    largest; ties share the best rank of their group; NaN ranks last). By sorting:
    ``O(U log U)`` per row."""
    key = np.where(np.isnan(mean), np.inf, -np.asarray(mean, np.float64))  # ascending key: largest first
    order = np.argsort(key, axis=-1, kind="stable")
    ordered = np.take_along_axis(key, order, axis=-1)
    position = np.broadcast_to(np.arange(key.shape[-1]), key.shape)
    new_group = np.concatenate([np.ones(key.shape[:-1] + (1,), bool), ordered[..., 1:] != ordered[..., :-1]],
                               axis=-1)
    first = np.maximum.accumulate(np.where(new_group, position, 0), axis=-1)
    ranks = np.empty(key.shape, np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=-1)
    return ranks


def _dataset(config, s, units, cases, rates, r, wall) -> xr.Dataset:
    loaded = config.loaded
    M, U, D = len(s.policies), len(units), len(s.disruptions)
    H = config.horizon_days
    grid = lambda: np.full((M, U, D), np.nan)  # noqa: E731
    u_idx = np.array([c[0] for c in cases], int)
    d_idx = np.array([c[1] for c in cases], int)
    data3 = {}
    # CVaR95 >= the mean exactly; the sketch's bins (1 %) may put it just below
    r["cvar95_loss"] = np.maximum(r["cvar95_loss"], r["expected_loss"])
    for key in ("expected_loss", "expected_loss_se", "q95_loss", "cvar95_loss", "p_shortage", "time_to_survive"):
        g = grid()
        g[:, u_idx, d_idx] = r[key]
        data3[key] = g
    hazard_d = [d for d, x in enumerate(s.disruptions) if x.kind == "hazard"]
    annual = np.full((M, U), np.nan)
    if hazard_d:
        annual = data3["expected_loss"][:, :, hazard_d[0]] * 365.0 / H
    # ranks and bootstrap
    rank = _ranks(np.moveaxis(data3["expected_loss"], 2, 1))  # [M, D, U]
    B = r["replicate_loss"].shape[1]
    rank_low = np.full((M, D, U), np.nan)
    rank_high = np.full((M, D, U), np.nan)
    beats_next = np.full((M, D, U), np.nan)
    if B:
        rep = np.full((M, B, U, D), np.nan)
        rep[:, :, u_idx, d_idx] = r["replicate_loss"]
        rep_rank = _ranks(np.moveaxis(rep, 3, 1))  # [M, D, B, U]
        alpha = (1 - LEVEL) / 2
        rank_low = np.quantile(rep_rank, alpha, axis=2, method="lower")
        rank_high = np.quantile(rep_rank, 1 - alpha, axis=2, method="higher")
        mean = np.moveaxis(data3["expected_loss"], 2, 1)  # [M, D, U]
        for m in range(M):  # per (mix, disruption), not per scenario
            for d in range(D):
                order = np.argsort(-np.where(np.isnan(mean[m, d]), -np.inf, mean[m, d]), kind="stable")
                reps = np.moveaxis(rep[m, :, :, d], 0, 1)  # [U, B]
                for a, b in zip(order[:-1], order[1:]):
                    if np.isnan(mean[m, d, a]) or np.isnan(mean[m, d, b]):
                        continue
                    beats_next[m, d, a] = np.mean(reps[a] > reps[b])
    # rank intervals over parameter points: each point's expected losses ranked
    point_low = np.full((M, D, U), np.nan)
    point_high = np.full((M, D, U), np.nan)
    if s.points >= 2:
        K = s.points
        per_point = np.full((K, M, U, D), np.nan)
        per_point[:, :, u_idx, d_idx] = r["point_loss"]
        point_rank = _ranks(np.moveaxis(per_point, 3, 2))  # [K, M, D, U]
        alpha = (1 - LEVEL) / 2
        point_low = np.quantile(point_rank, alpha, axis=0, method="lower").astype(float)
        point_high = np.quantile(point_rank, 1 - alpha, axis=0, method="higher").astype(float)
    # single points of failure
    shares = np.stack([supply_shares(loaded, u) for u in units]) if units else np.zeros((0, len(loaded.products)))
    spof_text, spof = [], np.zeros(U, bool)
    for k, unit in enumerate(units):
        pairs = stopped_pairs(loaded, shares[k])
        spof[k] = bool(pairs)
        spof_text.append("; ".join(f"{loaded.products[p]} -> {loaded.sectors[sec]}" for p, sec in pairs))
    confirm_d = _longest_full_loss(s.disruptions)
    confirmed = np.zeros(U, bool)
    if confirm_d is not None:
        row_short = np.full((U, len(loaded.products)), np.nan)
        sel = d_idx == confirm_d
        row_short[u_idx[sel]] = r["row_p_shortage"][0][sel]
        for k, unit in enumerate(units):
            pairs = stopped_pairs(loaded, shares[k])
            confirmed[k] = bool(pairs) and all(row_short[k, p] >= 0.9 for p, _ in pairs)
    sector_loss = np.full((M, U, D, len(loaded.sectors)), np.nan)
    sector_loss[:, u_idx, d_idx] = r["sector_loss"]
    supply = np.array([float(np.max(shares[k][u.rows])) if u.rows else 0.0 for k, u in enumerate(units)])
    probability = 1.0 - np.exp(-rates)
    domestic = sole_domestic(loaded)
    unit_attrs = lambda text, unit="1": {"units": unit, "long_name": text}  # noqa: E731
    va = loaded.io_value_unit
    PUD, PDU = ("policy", "unit", "disruption"), ("policy", "disruption", "unit")
    ds = xr.Dataset(
        {
            "expected_loss": (PUD, data3["expected_loss"], unit_attrs("expected value-added loss over the horizon", va)),
            "expected_loss_se": (PUD, data3["expected_loss_se"], unit_attrs("standard error of expected_loss", va)),
            "q95_loss": (PUD, data3["q95_loss"], unit_attrs("95th percentile of the loss (sketch, 1 %)", va)),
            "cvar95_loss": (PUD, data3["cvar95_loss"], unit_attrs("mean of the worst 5 % of the losses (CVaR95)", va)),
            "p_shortage": (PUD, data3["p_shortage"], unit_attrs("share of scenarios with any shortage")),
            "time_to_survive": (PUD, data3["time_to_survive"],
                                unit_attrs("mean days from the alarm to the first shortage, over the scenarios "
                                           "with one", "days")),
            "annual_loss": (("policy", "unit"), annual,
                            unit_attrs("probability-weighted annual loss of the unit's hazard", f"{va} / year")),
            "rank": (PDU, rank.astype(float), unit_attrs("rank by expected loss (1 = largest)")),
            "rank_low": (PDU, rank_low.astype(float), unit_attrs(f"lower end of the {LEVEL:.0%} bootstrap rank "
                                                                 f"interval")),
            "rank_high": (PDU, rank_high.astype(float), unit_attrs(f"upper end of the {LEVEL:.0%} bootstrap rank "
                                                                   f"interval")),
            "point_rank_low": (PDU, point_low, unit_attrs(f"lower end of the {LEVEL:.0%} range of the unit's rank "
                                                          f"over parameter points (NaN: no points)")),
            "point_rank_high": (PDU, point_high, unit_attrs(f"upper end of the {LEVEL:.0%} range of the unit's rank "
                                                            f"over parameter points")),
            "beats_next": (PDU, beats_next, unit_attrs("share of replicates in which the unit loses more than the "
                                                       "next-ranked unit")),
            "sector_loss": (PUD + ("sector",), sector_loss, unit_attrs("expected value-added loss per sector", va)),
            "kind": (("unit",), np.array([u.kind for u in units], dtype=object).astype(str)),
            "unit_product": (("unit",), np.array([u.product for u in units], dtype=object).astype(str)),
            "unit_origin": (("unit",), np.array([u.origin for u in units], dtype=object).astype(str)),
            "upstream": (("unit",), np.array([u.upstream for u in units], dtype=object).astype(str)),
            "supply_share": (("unit",), supply, unit_attrs("largest share of a product row's supply that fails with "
                                                           "the unit (recipes included)")),
            "hazard_per_year": (("unit",), rates, unit_attrs("occurrences per year of the unit's hazard", "1 / year")),
            "hazard_probability": (("unit",), probability, unit_attrs("probability of at least one occurrence a "
                                                                      "year")),
            "spof": (("unit",), spof, unit_attrs("structural single point of failure")),
            "spof_confirmed": (("unit",), confirmed, unit_attrs("confirmed by the longest full loss: P(shortage) >= "
                                                                "0.9 of every stopped row")),
            "spof_sectors": (("unit",), np.array(spof_text, dtype=object).astype(str)),
            "exposure": (("product", "sector"), np.asarray(loaded.model.exposure, np.float64),
                         unit_attrs("central exposure of each sector's output to the product")),
        },
        coords={"policy": list(s.policies), "unit": [u.name for u in units],
                "disruption": [d.name for d in s.disruptions], "product": list(loaded.products),
                "sector": list(loaded.sectors)})
    ds.attrs.update({
        "kind": "screen", "model": loaded.name, "config": str(config.path or ""), "units": va,
        "scenarios": int(s.scenarios), "scenario_start": int(s.start), "seed": int(config.seed),
        "bootstrap": int(s.bootstrap), "bootstrap_seed": int(s.seed), "horizon_days": int(H),
        "points": int(s.points),
        "rank_by": s.rank_by, "cases": len(cases), "confidence": LEVEL, "separation": SEPARATION,
        "evaluation_wall_s": float(wall), "chunk_cases": int(s.chunk_cases),
        "chunk_scenarios": int(s.chunk_scenarios),
        "sole_domestic": "; ".join(f"{loaded.products[p]} -> {loaded.sectors[sec]}" for p, sec in domestic),
        "disruption_table": "; ".join(_describe(d) for d in s.disruptions),
    })
    return ds


def _longest_full_loss(disruptions) -> int | None:
    full = [(d.duration_days, k) for k, d in enumerate(disruptions)
            if d.kind == "loss" and d.severity >= 1.0 and d.licence_delay_days == 0 and d.approval_easing == 0]
    return max(full)[1] if full else None


def _describe(d: Disruption) -> str:
    if d.kind == "hazard":
        return f"{d.name}: the unit's own hazard (config events)"
    text = f"{d.name}: {d.severity:.0%} for {d.duration_days:g} days"
    if d.licence_delay_days or d.approval_easing:
        text += (f", nothing licensed for {d.licence_delay_days:g} days, then {d.approval_easing:.0%} licensed over "
                 f"{d.easing_days:g} days")
    return text


# ----------------------------------------------------------------------------- output

def _short(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.3g}"


def format_screen(ds: xr.Dataset, top: int = 25) -> str:
    """The ranked table of the first mix under ``rank_by``: rank with its interval,
    expected loss ± 90 % half-width, CVaR95, P(shortage), time to survive, the loss under
    every other disruption, the annual loss of the hazard, the loss with each other mix
    in force, and the single points of failure."""
    a = ds.attrs
    by, mix = a["rank_by"], str(ds["policy"].values[0])
    view = ds.sel(policy=mix, disruption=by)
    order = [i for i in np.argsort(view["rank"].values, kind="stable") if np.isfinite(view["expected_loss"][i])]
    units = a.get("units", "")
    others = [str(d) for d in ds["disruption"].values if str(d) != by]
    lines = [f"Chokepoint screen of {a['model']}: {ds.sizes['unit']} units x {ds.sizes['disruption']} disruptions "
             f"({a['cases']} cases) x {a['scenarios']} common scenarios x {a['horizon_days']} days; ranked by "
             f"expected value-added loss under {by} with the mix {mix} in force [{units}]",
             f"rank interval: {a['confidence']:.0%} paired bootstrap over scenarios ({a['bootstrap']} replicates; "
             + ("at the parameter points below" if int(a.get("points", 0)) >= 2 else
                "the scenarios carry the model's drawn parameters")
             + f"); '>' : loses more than the next unit in at least {a['separation']:.0%} of the replicates, "
               f"'~' : not distinguishable from it", ""]
    points = int(a.get("points", 0)) >= 2
    if points:
        lines.insert(2, f"points: the {a['confidence']:.0%} range of the rank over {a['points']} parameter points "
                        f"(Latin hypercube of the model's uncertain numbers, each on the same scenarios)")
    head = (f"{'rank':>4} {'[90% int]':>10} " + (f"{'[points]':>9} " if points else "") + f" {'unit':<44} {'kind':<7} {'E[loss] ± 90%':>20} {'CVaR95':>9} "
            f"{'P(short)':>8} {'survive d':>9} " + " ".join(f"{o[:10]:>10}" for o in others)
            + f" {'annual':>9} {'SPOF':>4}")
    lines += [head, "-" * len(head)]
    for i in order[:top]:
        row = view.isel(unit=i)
        f = lambda key: float(row[key])  # noqa: E731
        sep = f("beats_next")
        mark = " " if not np.isfinite(sep) else (">" if sep >= a["separation"] else "~")
        interval = (f"[{f('rank_low'):.0f},{f('rank_high'):.0f}]" if np.isfinite(f("rank_low")) else "")
        mean, se = f("expected_loss"), f("expected_loss_se")
        pm = f"{mean:.3g} ± {Z * se:.2g}"
        rest = " ".join(f"{_short(float(ds['expected_loss'].sel(policy=mix, disruption=o).isel(unit=i))):>10}"
                        for o in others)
        spof = "yes" if bool(row["spof_confirmed"]) else ("str" if bool(row["spof"]) else "")
        over = f"[{f('point_rank_low'):.0f},{f('point_rank_high'):.0f}]" if points else ""
        lines.append(f"{f('rank'):>4.0f}{mark}{interval:>10} " + (f"{over:>9} " if points else "")
                     + f" {str(ds['unit'].values[i])[:44]:<44} "
                     f"{str(row['kind'].values)[:7]:<7} {pm:>20} {_short(f('cvar95_loss')):>9} "
                     f"{f('p_shortage'):>8.2f} {_short(f('time_to_survive')):>9} {rest} "
                     f"{_short(float(ds['annual_loss'].sel(policy=mix).isel(unit=i))):>9} {spof:>4}")
    if ds.sizes["policy"] > 1:
        lines += ["", f"expected loss under {by} with each mix in force [{units}]:"]
        for i in order[:top]:
            vals = "  ".join(f"{str(p)}: {float(ds['expected_loss'].sel(policy=p, disruption=by).isel(unit=i)):.3g}"
                             for p in ds["policy"].values)
            lines.append(f"  {str(ds['unit'].values[i])[:44]:<44} {vals}")
    spofs = [i for i in range(ds.sizes["unit"]) if bool(ds["spof"].values[i])]
    lines += ["", "single points of failure (the unit's loss alone stops a sector's exposed output; 'confirmed': "
                  "the longest full loss leaves the product short in >= 90 % of the scenarios):"]
    if not spofs:
        lines.append("  none")
    for i in spofs:
        state = "confirmed" if bool(ds["spof_confirmed"].values[i]) else "structural only"
        lines.append(f"  {ds['unit'].values[i]} ({state}): {ds['spof_sectors'].values[i]}")
    return "\n".join(lines)


def to_store(ds: xr.Dataset, store) -> None:
    """Write ``ds`` as group ``screen`` of a zarr store (created if missing: then its root
    gets ``kind = "screen"``)."""
    from pathlib import Path

    import zarr

    from simcore.run.store import write_analysis_group

    fresh = not Path(store).exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_analysis_group(ds, str(store), "screen")
        if fresh:
            zarr.open_group(str(store), mode="a").attrs["kind"] = "screen"
            zarr.consolidate_metadata(str(store))


def screen_file(path, overrides: dict | None = None, *, log=print, progress=None, checkpoint: bool = False,
                resume: bool = False, scheduler=None):
    """``(dataset, settings)`` of the config file ``path``: its ``[screen]`` table, then
    ``overrides``. What ``simcore screen`` runs; raises :class:`InputError` (one line per
    problem) before anything runs. ``checkpoint``: record the done blocks of cases in the
    output store (``settings.output``, default ``results/<config name>.zarr``), which
    ``resume`` continues; ``scheduler``: run the blocks on a Dask cluster
    (:func:`screen_analysis`)."""
    from pathlib import Path

    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(path, "screen")
    s = settings_from(sections.get("screen") or {}, overrides, config=config)
    if checkpoint and not s.output:
        s.output = str(Path("results") / (Path(path).stem + ".zarr"))
    units = with_carriers(config, select_units(model_units(config.loaded), s), s.policies)
    cases = build_cases(config, units, s.disruptions)[0]
    points = f" x {s.points} parameter points" if s.points else ""
    log(f"screen: {len(units)} units x {len(s.disruptions)} disruptions = {len(cases)} cases x {len(s.policies)} "
        f"mixes x {s.scenarios} scenarios{points} x {config.horizon_days} days "
        f"({len(cases) * len(s.policies) * s.scenarios * max(s.points, 1) * config.horizon_days:.3g} lane-days)")
    return screen_analysis(config, s, progress=progress, store=s.output if checkpoint else None, resume=resume,
                           scheduler=scheduler, log=log), s
