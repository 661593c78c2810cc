"""Summary datasets (:func:`simcore.run.stats.finalize`) and pillar effects as JSON.

Shared by assessments and job results, so both answer in one format
(:class:`~simcore.service.schemas.PolicyResult`, :class:`~simcore.service.schemas.MixEffect`).
NaN (a statistic that does not apply, e.g. time to survive without any shortage) is
``null``.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from simcore.schema.config import BASELINE_POLICY

COUNT_STATS = ("mean", "std", "p_positive", "q50", "q90", "q95", "q99", "cvar95", "max")
SURVIVAL_STATS = {"p_shortage": "p_defined", "mean": "mean", "q05": "q05", "q10": "q10", "q50": "q50", "q90": "q90",
                  "cvar95_lower": "cvar95_lower", "p_within_7d": "p_within_7d", "p_within_30d": "p_within_30d",
                  "p_within_90d": "p_within_90d", "p_within_180d": "p_within_180d"}
AMOUNT_STATS = ("mean", "std", "p_positive", "q05", "q50", "q95", "cvar95", "min", "max")
# the cost table of a run (simcore.run.net_benefit), one number per mix
COST_FIELDS = ("fiscal_cost_per_year", "price_side_effect_per_year", "crisis_premium_per_year", "total_cost_per_year",
               "avoided_value_added_loss_per_year", "avoided_value_added_loss_per_year_se", "net_benefit_per_year",
               "net_benefit_per_year_se", "net_benefit_per_year_low", "net_benefit_per_year_high",
               "cost_per_avoided_value_added_loss", "cost_per_avoided_value_added_loss_se", "rank_by_net_benefit",
               "rank_by_cost_ratio", "p_beats_next")
PRODUCT_AMOUNTS = ("peak_price_change", "mean_price_change", "peak_import_price_change", "unmet", "undelivered_value")


def number(value) -> float | None:
    """A finite float, or None for NaN / missing (JSON has no NaN)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _stats(var: xr.DataArray | None, names, **select) -> dict:
    """``{label: value}`` of statistics (``names``: labels, or label -> statistic)."""
    pairs = names.items() if isinstance(names, dict) else ((n, n) for n in names)
    if var is None:
        return {label: None for label, _ in pairs}
    var = var.sel(**select) if select else var
    present = set(var["statistic"].values.tolist())
    return {label: number(var.sel(statistic=stat)) if stat in present else None for label, stat in pairs}


def policy_results(summary: xr.Dataset, units: list[str] | None = None,
                   descriptions: dict[str, str] | None = None) -> list[dict]:
    """One :class:`PolicyResult` dict per policy of ``summary`` (dims ``(statistic, policy, ...)``);
    ``units``: the product units in the summary's product order (default: the summary's
    ``product_unit`` coordinate, which a store's summary group carries)."""
    descriptions = descriptions or {}
    if units is None and "product_unit" in summary.coords:
        units = [str(u) for u in summary["product_unit"].values]
    out = []
    for policy in summary["policy"].values.tolist():
        at = summary.sel(policy=policy)
        products = {}
        for p, product in enumerate(at["product"].values.tolist()):
            one = at.sel(product=product)
            products[str(product)] = {
                "unit": str(units[p]) if units else "",
                "shortage_days": _stats(one.get("shortage_days"), COUNT_STATS),
                "time_to_survive": _stats(one.get("time_to_survive"), SURVIVAL_STATS),
                **{name: _stats(one.get(name), AMOUNT_STATS) for name in PRODUCT_AMOUNTS},
            }
        sectors = {}
        for sector in at["sector"].values.tolist():
            one = at.sel(sector=sector)
            sectors[str(sector)] = {name: _stats(one.get(name), AMOUNT_STATS)
                                    for name in ("value_added_loss", "mean_sector_price_change")}
        loss = at.get("value_added_loss")
        out.append({
            "name": str(policy),
            "description": descriptions.get(str(policy), ""),
            "p_any_shortage": number(at["p_any_shortage"]) if "p_any_shortage" in at else None,
            "p_any_material_shortage": number(at["p_any_material_shortage"]) if "p_any_material_shortage" in at
            else None,
            "value_added_loss_mean_total": number(loss.sel(statistic="mean").sum()) if loss is not None else None,
            "price_index": {"mean_change": _stats(at.get("mean_price_index_change"), AMOUNT_STATS),
                            "peak_change": _stats(at.get("peak_price_index_change"), AMOUNT_STATS)},
            "products": products,
            "sectors": sectors,
        })
    return out


def mix_effects(effects: xr.Dataset) -> list[dict]:
    """One :class:`MixEffect` dict per policy mix (the baseline left out)."""
    out = []
    for policy in effects["policy"].values.tolist():
        if policy == BASELINE_POLICY:
            continue
        at = effects.sel(policy=policy)

        def per_product(name):
            if name not in at:
                return {}
            return {str(p): number(v) for p, v in zip(at["product"].values.tolist(), np.asarray(at[name].values))}

        def scalar(name):
            return number(at[name]) if name in at else None

        out.append({
            "name": str(policy),
            "shortage_days_mean_reduction": per_product("shortage_days_mean_reduction"),
            "shortage_probability_reduction": per_product("shortage_probability_reduction"),
            "peak_price_change_mean_reduction": per_product("peak_price_change_mean_reduction"),
            "value_added_loss_mean_reduction": scalar("value_added_loss_mean_reduction"),
            "value_added_loss_mean_relative_reduction": scalar("value_added_loss_mean_relative_reduction"),
            "price_index_change_mean_reduction": scalar("price_index_change_mean_reduction"),
            "p_any_shortage_reduction": scalar("p_any_shortage_reduction"),
            "normal_price_index_change": scalar("normal_price_index_change"),
            # deprecated: the same number as fiscal_cost_per_year
            "stockpile_fiscal_cost_per_year": scalar("stockpile_fiscal_cost_per_year"),
            "normal_markup": per_product("normal_markup"),
            "peak_price_change_excl_markup_mean": per_product("peak_price_change_excl_markup_mean"),
            "peak_price_change_excl_markup_mean_reduction": per_product("peak_price_change_excl_markup_mean_reduction"),
            **{name: scalar(name) for name in COST_FIELDS},
            "shortage_days_mean_reduction_se": per_product("shortage_days_mean_reduction_se"),
            "shortage_days_total_reduction": scalar("shortage_days_total_reduction"),
            "shortage_days_total_reduction_se": scalar("shortage_days_total_reduction_se"),
            "value_added_loss_mean_reduction_se": scalar("value_added_loss_mean_reduction_se"),
            "price_index_change_mean_reduction_se": scalar("price_index_change_mean_reduction_se"),
            "p_any_shortage_reduction_se": scalar("p_any_shortage_reduction_se"),
        })
    return out
