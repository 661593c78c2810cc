"""A run's cost table: each mix's yearly cost, avoided loss and net benefit with intervals.

From a run's summary (dims ``(statistic, policy, ...)``, with the paired difference of
the value-added loss, :mod:`simcore.run.paired`) and its normal-time side effects
(:func:`simcore.run.runner.normal_times`, costs defined in :mod:`simcore.run.costs`):

* ``total_cost_per_year`` [currency / year] = fiscal (stock financing + carrying) +
  normal-time price side effect + expected crisis premium
  (``sum_p spare_premium x price x E[spare used]`` x ``365 / H``): the cost analysis's
  ``total_cost`` (:func:`simcore.analysis.costs.mix_costs`) for the same mixes;
* ``avoided_value_added_loss_per_year``: the paired mean of ``no-policy - mix`` value-added
  loss x ``365 / H`` (the IO value unit is the currency);
* ``net_benefit_per_year`` = avoided loss - total cost; mixes are ranked by it
  (``rank_by_net_benefit``, 1 = largest), the cost ratio
  ``cost_per_avoided_value_added_loss`` beside (< 1: pays for itself on value added);
* ``pareto``: not dominated in (total cost, expected value-added loss).

Uncertainty (90 % intervals ``_low`` / ``_high``, standard errors ``_se``). The avoided
loss has its paired SE. The crisis premium varies by scenario, but a run streams only
per-product moments of the spare volume used, not its covariance with the loss, so the
SEs that involve it are upper bounds (Minkowski: ``sd(L - c) <= sd(L) + sd(c)``,
``sd(c) <= sum_p w_p sd(spare_p)``); the fixed costs are exact. ``p_beats_next``: the
probability that a mix's net benefit beats that of the mix ranked next, taking the two
as independent (the run streams no co-moments across mixes; with common random numbers
the difference usually varies less, so it leans towards 0.5). ``simcore sweep`` streams
the exact co-moments (:mod:`simcore.analysis.costs`).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from simcore.core.model import DAYS_PER_YEAR

Z90 = 1.6448536269514722  # two-sided 90 % normal interval


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _ranks(order: np.ndarray) -> np.ndarray:
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(1, order.size + 1)
    return rank


def pareto(cost: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """``[M]`` bool: no other mix is at least as good on both (lower is better) and
    better on one."""
    cost, risk = np.asarray(cost, np.float64), np.asarray(risk, np.float64)
    better_or_equal = (cost[None, :] <= cost[:, None]) & (risk[None, :] <= risk[:, None])
    strictly = (cost[None, :] < cost[:, None]) | (risk[None, :] < risk[:, None])
    return ~np.any(better_or_equal & strictly, axis=1)


def cost_table(summary: xr.Dataset, normal: xr.Dataset, baseline: str) -> dict[str, xr.DataArray]:
    """The cost table's variables, each with dims ``(policy,)`` (see the module doc);
    empty where the summary lacks the value-added loss or ``normal`` the costs."""
    if "value_added_loss" not in summary or "fiscal_cost_per_year" not in normal:
        return {}
    horizon = float(normal.attrs.get("horizon_days", summary.attrs.get("horizon_days", DAYS_PER_YEAR)))
    per_year = DAYS_PER_YEAR / horizon
    currency = normal.attrs.get("currency", summary.attrs.get("currency", "currency"))
    unit = f"{currency} / year"
    policies = summary["policy"].values
    loss = summary["value_added_loss"].sel(statistic="mean", drop=True).sum("sector").values  # [M] over H
    n = int(summary["n_scenarios"]) if "n_scenarios" in summary else 0
    weight = normal["crisis_premium_weight"].sel(policy=policies).values  # [M, P]
    if "spare_used" in summary:
        spare = summary["spare_used"].transpose("statistic", "policy", "product")
        spare_mean = spare.sel(statistic="mean").values
        spare_sd = spare.sel(statistic="std").values if "std" in spare["statistic"].values else np.zeros_like(weight)
    else:
        spare_mean = spare_sd = np.zeros_like(weight)
    fiscal = normal["fiscal_cost_per_year"].sel(policy=policies).values
    side = normal["price_side_effect_per_year"].sel(policy=policies).values
    crisis = (weight * spare_mean).sum(axis=1) * per_year
    cost = fiscal + side + crisis
    reference = int(np.flatnonzero(policies == baseline)[0]) if baseline in policies else 0
    avoided = (loss[reference] - loss) * per_year
    net = avoided - cost
    with np.errstate(all="ignore"):
        ratio = np.where(avoided > 0, cost / avoided, np.nan)
    # standard errors over the horizon's mean, then per year
    if n >= 2 and "paired_value_added_loss_total" in summary:
        paired = summary["paired_value_added_loss_total"]
        se_loss = float(np.sqrt(n / (n - 1))) * paired.sel(statistic="std").values / math.sqrt(n) * per_year
    else:
        se_loss = np.full(loss.shape, np.nan)
    se_crisis = (weight * spare_sd).sum(axis=1) * math.sqrt(n / (n - 1)) / math.sqrt(n) * per_year if n >= 2 \
        else np.full(loss.shape, np.nan)
    se_net = se_loss + se_crisis  # an upper bound (module doc)
    with np.errstate(all="ignore"):
        se_ratio = np.where(avoided > 0, (se_crisis + np.abs(ratio) * se_loss) / np.abs(avoided), np.nan)
    order = np.lexsort((np.where(np.isfinite(ratio), ratio, np.inf), -net))  # net benefit first; ties: the ratio
    ratio_order = np.lexsort((-avoided, np.where(np.isfinite(ratio), ratio, np.inf)))
    after = np.full(net.size, np.nan)
    for a, b in zip(order[:-1], order[1:]):
        spread = math.hypot(se_net[a], se_net[b])
        diff = net[a] - net[b]
        after[a] = _normal_cdf(diff / spread) if spread > 0 else (1.0 if diff > 0 else 0.0 if diff < 0 else 0.5)

    def da(value, units, description):
        return xr.DataArray(np.asarray(value), dims=("policy",), coords={"policy": policies},
                            attrs={"units": units, "long_name": description})

    out = {
        "fiscal_cost_per_year": da(fiscal, unit, "fiscal cost: stock financing + carrying"),
        "price_side_effect_per_year": da(side, unit, "normal-time price side effect"),
        "crisis_premium_per_year": da(crisis, unit, "expected crisis premium on spare volume used"),
        "total_cost_per_year": da(cost, unit, "fiscal + price side effect + crisis premium"),
        "avoided_value_added_loss_per_year": da(avoided, unit, "expected value-added loss avoided per year"),
        "net_benefit_per_year": da(net, unit, "avoided value-added loss - total cost"),
        "cost_per_avoided_value_added_loss": da(ratio, "1", "total cost per unit of avoided value-added loss"),
    }
    for name, se, note in (("total_cost_per_year", se_crisis, "upper bound: the crisis premium's spread"),
                           ("avoided_value_added_loss_per_year", se_loss, "paired over scenarios"),
                           ("net_benefit_per_year", se_net, "upper bound: paired loss SE + crisis premium SE"),
                           ("cost_per_avoided_value_added_loss", se_ratio, "delta method, upper bound")):
        units = out[name].attrs["units"]
        long_name = out[name].attrs["long_name"]
        out[f"{name}_se"] = da(se, units, f"{long_name}: standard error ({note})")
        out[f"{name}_low"] = da(out[name].values - Z90 * se, units, f"{long_name}: lower end of the 90 % interval")
        out[f"{name}_high"] = da(out[name].values + Z90 * se, units, f"{long_name}: upper end of the 90 % interval")
    out["rank_by_net_benefit"] = da(_ranks(order), "1", "rank by net benefit per year (1 = largest)")
    out["rank_by_cost_ratio"] = da(_ranks(ratio_order), "1", "rank by cost per avoided value-added loss (1 = best)")
    out["p_beats_next"] = da(after, "1", "probability that the mix's net benefit exceeds that of the mix ranked "
                             "next (the two taken as independent)")
    out["pareto"] = da(pareto(cost, loss), "1", "not dominated in (total cost, expected value-added loss)")
    return out


def peak_without_markup(peak: xr.DataArray, markup: xr.DataArray) -> xr.DataArray:
    """Peak user price change without the normal-time markup: ``(1 + c) / (1 + m) - 1``.

    The engine's user price is ``(1 + m) x`` the crisis price, with ``m`` the policy's
    normal-time markup ``[policy, product]`` (constant over a scenario for levers in
    place; emergency levers add to the crisis price and stay in it), so dividing is exact
    per scenario and commutes with the mean, quantiles, CVaR, min and max (``peak`` with a
    ``statistic`` dim: ``std`` scales by ``1 / (1 + m)``, ``p_defined`` stays, the other
    probabilities such as ``p_positive`` become NaN)."""
    m = markup.sel(policy=peak["policy"].values)
    if "statistic" not in peak.dims:
        return (1.0 + peak) / (1.0 + m) - 1.0
    stats = [str(s) for s in peak["statistic"].values]
    parts = []
    for stat in stats:
        one = peak.sel(statistic=stat)
        if stat == "std":
            parts.append(one / (1.0 + m))
        elif stat == "p_defined":
            parts.append(one)
        elif stat.startswith("p_"):  # P(peak > 0) is not P(peak > m): unknown from the statistics
            parts.append(one * np.nan)
        else:
            parts.append((1.0 + one) / (1.0 + m) - 1.0)
    return xr.concat(parts, dim="statistic").assign_coords(statistic=peak["statistic"].values)
