"""The screen's results: the dataset of ranked statistics (:func:`screen_dataset`, from
the streamed statistics of :mod:`~simcore.analysis.screen_resume`), the ranked table
``simcore screen`` prints (:func:`format_screen`) and the store group (:func:`to_store`).
Ranking and distinguishability are described in :mod:`simcore.analysis.screen`.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from simcore.analysis.intervals import LEVEL, Z
from simcore.analysis.screen_disruptions import Disruption
from simcore.analysis.screen_units import sole_domestic, stopped_pairs, supply_shares

SEPARATION = 0.95  # share of replicates in which one unit must lose more to be distinguishable


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


def screen_dataset(config, s, units, cases, rates, r, wall) -> xr.Dataset:
    """The dataset of :func:`simcore.analysis.screen.screen_analysis` (dims ``policy``,
    ``unit``, ``disruption``, ``product``, ``sector``) from the streamed statistics ``r``
    of ``cases`` on ``units`` under settings ``s``; ``rates``: the hazard rates per case,
    ``wall``: seconds the screen took."""
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
