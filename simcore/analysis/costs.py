"""What each policy mix costs per year, and what it buys.

All costs are in the model currency per year (``currency / year``); value-added losses
are in the IO value unit, which the engine already treats as the currency (the product
cost shares divide product values by IO gross output), so the two are compared
directly. Risk over the run horizon ``H`` days is annualised by ``365 / H``.

Cost components of a mix (per product, then summed)
---------------------------------------------------
With ``V_p = gov_stock_days_p x d_p x price_p`` the value of the government stock
(storable products; ``d`` daily demand, ``price`` the baseline price):

* **fiscal, stock capital**: buying the stock, annuitised over ``stock_life_years`` at
  ``discount_rate`` with the stock resold at the end for ``stock_residual_share`` of its
  value: ``V x a(r, T) x (1 - residual x (1 + r)^-T)`` with the annuity factor
  ``a(r, T) = r / (1 - (1 + r)^-T)`` (``1 / T`` at r = 0). With the default residual 1
  this is ``r x V``, the cost of the capital tied up; with residual 0 the full
  purchase is spread over T years. This is the financing of the stock: a policy's
  ``carrying_cost`` must not include it (else it is counted twice; if it does, set
  ``discount_rate = 0``).
* **fiscal, stock carrying**: ``carrying_cost x V`` (storage, rotation, insurance).
  Both fiscal parts are defined once, in :mod:`simcore.run.costs`, which ``simcore run``
  and the service use too.
* **price side effect** (a cost to the economy in normal times, Leontief price model):
  the policy markup ``m_p`` of the engine (:func:`simcore.core.engine.normal_time_markup`:
  private buffer carrying, diversification premium on shifted volume, spare reservation
  fee, recycling premium and efficiency cost of levers in place) raises sector prices by
  ``dp = (I - A^T)^-1 C^T m`` and the final-demand price index by ``w . dp``; its cost is
  ``(w . dp) x sum(f)``. By the Leontief identity ``f^T (I - A^T)^-1 C^T = x^T C^T`` this
  equals ``sum_p m_p x value_p x u_p`` with ``value_p = 365 d_p price_p`` and ``u_p`` the
  share of the product's use mapped to sectors (1 when the use shares sum to 1): the
  per-product split reported here (checked against the operator route in the tests).
  Markups are on baseline volumes (first order).
* **private** (a part of the price side effect): the private buffer's carrying cost
  ``carrying_cost x private_extra_days x d x price x u`` per year, passed on in prices.
* **crisis premium** (expected): the spare premium on spare volume used,
  ``spare_premium x price x E[spare used over H] x 365 / H``.

``total = fiscal + price side effect + crisis premium`` (the private buffer is inside
the price side effect, so it is not added twice). Not counted: the cost of emergency
levers (``start = "at-alarm"``) while they run in a crisis, the refill purchases after a
release (bought back at about the price the stock was released at) and crisis price
rises themselves (they are outcomes, in the risk metrics).

Cost-effectiveness against the reference mix (no policy): avoided shortage days per
year, avoided value-added loss per year, cost per avoided shortage day, cost per
currency unit of avoided value-added loss (< 1: the mix pays for itself on value added
alone) and the net benefit (avoided loss - cost). Mixes are ranked by net benefit (the
ratio ranking is kept beside it); a mix that avoids nothing gets NaN ratios. Given the
run's paired moments (:class:`simcore.analysis.evaluate.PairedResult`), each of these
numbers gets a paired standard error and a 90 % interval, and the ranking the
probability that a mix's net benefit beats the next one's
(:mod:`simcore.analysis.intervals`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from simcore.core.model import DAYS_PER_YEAR, Policy
from simcore.run.costs import (  # one definition of the standing costs for run, analysis and service
    CostAssumptions,
    annuity_factor,
    markup_components,
    policy_fields,
    price_index_change,
    price_side_effect,
    stock_fiscal,
)
from simcore.run.costs import crisis_weights as _crisis_weights

__all__ = ["CostAssumptions", "annuity_factor", "markup_components", "price_index_change", "mix_costs",
           "crisis_weights", "cost_effectiveness", "pareto_front", "pareto_probability", "ranking_table"]


def mix_costs(loaded, policies: Policy | dict, names: list[str], *, spare_used_mean=None, horizon_days: int = 365,
              assumptions: CostAssumptions = CostAssumptions()) -> xr.Dataset:
    """Yearly cost of each mix, by component (see the module doc).

    ``policies``: stacked Policy or ``{field: [M, ...]}``; ``spare_used_mean`` ``[M, P]``:
    expected spare volume used over the horizon (product units; None: no crisis
    premium). Returns a dataset with dims ``(policy[, product])``, units
    ``currency / year``.
    """
    model = loaded.model
    fields = policy_fields(policies)
    demand = np.asarray(model.demand_per_day, np.float64)
    price = np.asarray(model.price, np.float64)
    use_total = np.asarray(model.use_share, np.float64).sum(axis=1) * 1.0
    if float(np.asarray(model.product_only)) > 0:
        use_total = np.ones_like(demand)
    value_per_year = demand * price * DAYS_PER_YEAR
    r, years, residual = assumptions.discount_rate, assumptions.stock_life_years, assumptions.stock_residual_share
    fiscal = stock_fiscal(model, fields, assumptions)  # the fiscal cost of simcore run and the service too
    stock_value, capital, carrying = (fiscal["gov_stock_value"], fiscal["fiscal_stock_capital"],
                                      fiscal["fiscal_stock_carrying"])
    parts = markup_components(model, fields)
    markup = sum(parts.values())
    side = {name: part * value_per_year * use_total for name, part in parts.items()}
    side_total = price_side_effect(model, markup)
    if spare_used_mean is None:
        spare_used_mean = np.zeros_like(stock_value)
    crisis = fields["spare_premium"] * price * np.asarray(spare_used_mean, np.float64) * DAYS_PER_YEAR / horizon_days
    unit = f"{loaded.currency} / year"
    pp, p = ("policy", "product"), ("policy",)

    def var(dims, value, description):
        return dims, np.asarray(value, np.float64), {"units": unit, "description": description}

    data = {
        "gov_stock_value": (pp, stock_value, {"units": loaded.currency, "description": "value of the government stock"}),
        "fiscal_stock_capital": var(pp, capital, "government stock purchase, annuitised (net of resale)"),
        "fiscal_stock_carrying": var(pp, carrying, "government stock carrying cost"),
        "private_buffer_carrying": var(pp, side["private_buffer"], "private buffer carrying cost, passed into prices"),
        "normal_markup": (pp, markup, {"units": "1", "description": "normal-time product price markup"}),
        "crisis_spare_premium": var(pp, crisis, "expected spare premium on spare volume used in crises"),
    }
    for name, value in side.items():
        data[f"price_side_{name}"] = var(pp, value, f"normal-time price side effect: {name.replace('_', ' ')}")
    ds = xr.Dataset(data, coords={"policy": list(names), "product": loaded.products})
    ds["fiscal"] = ds["fiscal_stock_capital"].sum("product") + ds["fiscal_stock_carrying"].sum("product")
    ds["fiscal"].attrs = {"units": unit, "description": "fiscal cost: stock capital + carrying"}
    ds["private"] = ds["private_buffer_carrying"].sum("product").assign_attrs(
        {"units": unit, "description": "private buffer carrying (inside the price side effect)"})
    ds["normal_price_index_change"] = (p, price_index_change(model, markup),
                                       {"units": "1", "description": "normal-time final-demand price index change"})
    ds["price_side_effect"] = var(p, side_total, "normal-time price side effect: price index change x final demand")
    ds["crisis_premium"] = ds["crisis_spare_premium"].sum("product").assign_attrs(
        {"units": unit, "description": "expected crisis premiums"})
    ds["total_cost"] = (ds["fiscal"] + ds["price_side_effect"] + ds["crisis_premium"]).assign_attrs(
        {"units": unit, "description": "fiscal + price side effect + crisis premium"})
    ds.attrs.update({"currency": loaded.currency, "discount_rate": r, "stock_life_years": years,
                     "stock_residual_share": residual, "horizon_days": int(horizon_days)})
    return ds


def crisis_weights(loaded, policies: Policy | dict) -> np.ndarray:
    """``[M, P]`` currency per product unit of spare volume used: ``spare_premium x price``.
    A scenario's crisis premium over the horizon is ``sum_p w_mp spare_used_mp``; its mean
    x ``365 / H`` is :func:`mix_costs`' ``crisis_premium``."""
    return _crisis_weights(loaded.model, policy_fields(policies))


def cost_effectiveness(costs: xr.Dataset, risk: xr.Dataset, reference: str = "no-policy",
                       horizon_days: int = 365, paired=None) -> xr.Dataset:
    """Avoided risk per year against ``reference`` and the cost of it, per mix.

    ``risk``: :func:`simcore.analysis.evaluate.risk_metrics` output (same ``policy``
    coordinate as ``costs``). Ratios are NaN where nothing is avoided. Mixes are ranked
    by net benefit (avoided value-added loss - cost; 1 = largest), the cost ratio beside.

    ``paired``: the :class:`~simcore.analysis.evaluate.PairedResult` of the same run
    (reference = ``reference``, with crisis weights; None: no uncertainty). It adds, per
    quantity ``q``, ``q_se`` and the 90 % interval ``q_low`` / ``q_high``: paired SEs of
    the avoided days and losses, of the cost (its crisis premium is an expectation over
    the scenarios; the standing costs are exact), of the net benefit (avoided loss minus
    crisis premium, per scenario), delta-method SEs of the two cost ratios (with the
    covariance of cost and avoided risk), ``p_beats_next`` (probability that the mix's
    net benefit beats that of the mix ranked just below, from their paired difference)
    and, when the run streamed the co-moments across mixes, ``p_beats`` ``(policy, other)``
    and ``p_pareto``, the probability that the mix is on the Pareto front under scenario
    resampling (:func:`pareto_probability`).
    """
    per_year = DAYS_PER_YEAR / horizon_days
    days = risk["expected_shortage_days_total"]
    loss = risk["expected_value_added_loss"]
    avoided_days = (days.sel(policy=reference) - days) * per_year
    avoided_loss = (loss.sel(policy=reference) - loss) * per_year
    cost = costs["total_cost"]
    unit = costs["total_cost"].attrs.get("units", "currency / year")
    with np.errstate(all="ignore"):
        per_day = xr.where(avoided_days > 0, cost / avoided_days, np.nan)
        per_loss = xr.where(avoided_loss > 0, cost / avoided_loss, np.nan)
    net = avoided_loss - cost
    ds = xr.Dataset({
        "total_cost": cost,
        "avoided_shortage_days_per_year": avoided_days.assign_attrs(
            {"units": "days / year", "description": "expected shortage days avoided per year (all products)"}),
        "avoided_value_added_loss_per_year": avoided_loss.assign_attrs(
            {"units": unit, "description": "expected value-added loss avoided per year"}),
        "cost_per_avoided_shortage_day": per_day.assign_attrs(
            {"units": unit.replace(" / year", "") + " / day", "description": "yearly cost / avoided shortage days"}),
        "cost_per_avoided_value_added_loss": per_loss.assign_attrs(
            {"units": "1", "description": "yearly cost per currency unit of avoided value-added loss"}),
        "net_benefit_per_year": net.assign_attrs(
            {"units": unit, "description": "avoided value-added loss - cost"}),
    })
    ds["pareto"] = ("policy", pareto_front(cost.values, loss.values),
                    {"description": "not dominated in (total cost, expected value-added loss)"})
    ratio = np.where(np.isfinite(per_loss.values), per_loss.values, np.inf)
    order = np.lexsort((-avoided_loss.values, ratio))  # cheapest per avoided loss first; no benefit last
    ds["rank_by_cost_ratio"] = ("policy", _ranks(order), {"description": "rank by cost per avoided value-added "
                                                                         "loss (1 = best)"})
    order = np.lexsort((ratio, -net.values))  # largest net benefit first; ties: the cheaper per avoided loss
    ds["rank"] = ("policy", _ranks(order), {"description": "rank by net benefit per year (1 = largest)"})
    if paired is not None:
        _add_uncertainty(ds, paired, per_year, order)
        if paired.front is not None:
            ds["p_pareto"] = ("policy", pareto_probability(cost.values, loss.values, paired, per_year), {
                "units": "1", "description": "probability that the mix is on the Pareto front in (total cost, "
                "expected value-added loss) under scenario resampling (normal approximation of the paired "
                "bootstrap with the streamed covariances; simcore.analysis.pareto)"})
    return ds


def pareto_probability(cost, loss, paired, per_year: float) -> np.ndarray:
    """``[M]`` probability of each mix being on the (total cost per year, expected
    value-added loss over the horizon) front, from the joint per-scenario moments
    ``paired.front`` (loss, crisis premium over the horizon; the standing costs are exact)
    by :func:`simcore.analysis.pareto.front_probability_normal`."""
    from simcore.analysis.pareto import front_probability_normal

    m = len(cost)
    joint = paired.front.covariance()  # [2M, 2M]: (loss_1..M, crisis_1..M) over the horizon
    order = np.r_[m:2 * m, 0:m]  # -> (crisis, loss)
    scale = np.r_[np.full(m, per_year), np.ones(m)]  # crisis premium per year, loss over the horizon
    cov = joint[np.ix_(order, order)] * scale[:, None] * scale[None, :]
    return front_probability_normal(cost, loss, cov, paired.front.n)


def _ranks(order: np.ndarray) -> np.ndarray:
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(1, order.size + 1)
    return rank


def _add_uncertainty(ds: xr.Dataset, paired, per_year: float, order: np.ndarray) -> None:
    """SEs and 90 % intervals of the cost-effectiveness (see :func:`cost_effectiveness`)."""
    from simcore.analysis import intervals

    n = paired.money.n
    cov = paired.money.covariance() * per_year ** 2  # [M, 3, 3] per scenario: (days, loss, crisis) per year
    days_var, loss_var, crisis_var = cov[:, 0, 0], cov[:, 1, 1], cov[:, 2, 2]
    se = {
        "avoided_shortage_days_per_year": np.sqrt(days_var / n),
        "avoided_value_added_loss_per_year": np.sqrt(loss_var / n),
        "total_cost": np.sqrt(crisis_var / n),
        "net_benefit_per_year": np.sqrt(np.maximum(loss_var + crisis_var - 2 * cov[:, 1, 2], 0.0) / n),
        "cost_per_avoided_shortage_day": intervals.ratio_se(ds["total_cost"].values,
                                                            ds["avoided_shortage_days_per_year"].values,
                                                            crisis_var, days_var, cov[:, 2, 0], n),
        "cost_per_avoided_value_added_loss": intervals.ratio_se(ds["total_cost"].values,
                                                                ds["avoided_value_added_loss_per_year"].values,
                                                                crisis_var, loss_var, cov[:, 2, 1], n),
    }
    for name, value in se.items():
        value = np.where(np.isfinite(ds[name].values), value, np.nan)
        attrs = {"units": ds[name].attrs.get("units", ""), "description": f"standard error of {name} (paired over "
                 "scenarios" + (", delta method" if name.startswith("cost_per") else "") + ")"}
        low, high = intervals.interval(ds[name].values, value)
        ds[f"{name}_se"] = ("policy", value, attrs)
        ds[f"{name}_low"] = ("policy", low, {**attrs, "description": f"lower end of the 90 % interval of {name}"})
        ds[f"{name}_high"] = ("policy", high, {**attrs, "description": f"upper end of the 90 % interval of {name}"})
    net = ds["net_benefit_per_year"].values
    after = np.full(net.size, np.nan)
    if paired.pairwise is not None:
        pair = paired.pairwise.covariance() * per_year ** 2  # [M, M] net benefit per scenario, per year
        var = np.diagonal(pair)
        diff_se = np.sqrt(np.maximum(var[:, None] + var[None, :] - 2 * pair, 0.0) / n)
        p_beats = intervals.p_greater(net[:, None] - net[None, :], diff_se)
        np.fill_diagonal(p_beats, np.nan)
        ds["p_beats"] = (("policy", "other"), p_beats,
                         {"units": "1", "description": "probability that the mix's net benefit exceeds the other's "
                          "(normal approximation of their paired difference)"})
        ds.coords["other"] = ds["policy"].values
        after[order[:-1]] = p_beats[order[:-1], order[1:]]
    else:
        net_se = ds["net_benefit_per_year_se"].values  # without the co-moments: the two taken as independent
        after[order[:-1]] = intervals.p_greater(net[order[:-1]] - net[order[1:]],
                                                np.hypot(net_se[order[:-1]], net_se[order[1:]]))
    ds["p_beats_next"] = ("policy", after, {"units": "1", "description": "probability that the mix's net benefit "
                                                                         "exceeds that of the mix ranked next"})
    ds.attrs.update({"interval_level": intervals.LEVEL, "n_scenarios_paired": int(n)})


def _pareto_cell(row) -> str:
    """``yes`` on the front (``no`` off it) and the probability of being on it, where known."""
    flag = bool(row["pareto"])
    if "p_pareto" not in row or not np.isfinite(float(row["p_pareto"])):
        return "yes" if flag else ""
    return f"{'yes' if flag else 'no'} (P {float(row['p_pareto']):.2f})"


def pareto_front(cost, risk) -> np.ndarray:
    """``[M]`` bool: mixes no other mix beats on both cost and risk (lower is better;
    equal on both counts as not dominated)."""
    cost, risk = np.asarray(cost, np.float64), np.asarray(risk, np.float64)
    better_or_equal = (cost[None, :] <= cost[:, None]) & (risk[None, :] <= risk[:, None])
    strictly = (cost[None, :] < cost[:, None]) | (risk[None, :] < risk[:, None])
    return ~np.any(better_or_equal & strictly, axis=1)


def ranking_table(effectiveness: xr.Dataset, labels=None) -> str:
    """A Markdown table of the mixes by rank (net benefit, largest first): net benefit,
    the probability that it beats the next mix's, cost, avoided loss and shortage days,
    the two cost ratios and the Pareto flag (with the probability of being on the front,
    ``P``, where the run kept it); ``value ± half-width`` of the 90 % interval
    where the dataset has SEs, and ``within noise`` where the net benefit's interval
    contains 0 (the mix is not told apart from doing nothing)."""
    from simcore.analysis.intervals import noise_mark, plus_minus

    order = np.argsort(effectiveness["rank"].values, kind="stable")
    names = labels if labels is not None else [str(v) for v in effectiveness["policy"].values]
    unit = effectiveness["total_cost"].attrs.get("units", "")

    def cell(row, name):
        se = row[f"{name}_se"] if f"{name}_se" in row else None
        value = float(row[name])
        return plus_minus(value, float(se)) if se is not None else f"{value:.4g}"

    lines = [f"| rank | mix | net benefit [{unit}] | P(beats next) | cost [{unit}] | avoided VA loss [{unit}] | "
             "cost per avoided VA loss | avoided shortage days / year | cost per avoided day | Pareto | |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|:-:|---|"]
    for i in order:
        row = effectiveness.isel(policy=int(i))
        p_next = float(row["p_beats_next"]) if "p_beats_next" in row else float("nan")
        net_se = float(row["net_benefit_per_year_se"]) if "net_benefit_per_year_se" in row else float("nan")
        lines.append(f"| {int(row['rank'])} | {names[i]} | {cell(row, 'net_benefit_per_year')} | "
                     f"{'' if np.isnan(p_next) else f'{p_next:.2f}'} | {cell(row, 'total_cost')} | "
                     f"{cell(row, 'avoided_value_added_loss_per_year')} | "
                     f"{cell(row, 'cost_per_avoided_value_added_loss')} | "
                     f"{cell(row, 'avoided_shortage_days_per_year')} | {cell(row, 'cost_per_avoided_shortage_day')} | "
                     f"{_pareto_cell(row)} | "
                     f"{noise_mark(float(row['net_benefit_per_year']), net_se)} |")
    return "\n".join(lines)
