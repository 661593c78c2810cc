"""The summary table ``simcore run`` prints: shortage days and prices per product and
policy, then each policy mix's effects against the no-policy baseline (same scenarios),
with the half-width of the 90 % interval of each reduction, and the cost table: costs
and net benefit per year, ranked by net benefit with 90 % intervals."""

from __future__ import annotations

import numpy as np

Z90 = 1.6448536269514722  # two-sided 90 % normal interval


def format_summary(summary, effects) -> str:
    """A readable table: per product and policy, then policy-level effects."""
    from simcore.schema.config import BASELINE_POLICY

    def stat(var, name):
        return float(var.sel(statistic=name)) if name in list(var.statistic.values) else float("nan")

    lines = []
    excl = effects["peak_price_change_excl_markup_mean"] if "peak_price_change_excl_markup_mean" in effects else None
    header = (f"{'product':<22} {'policy':<26} {'mean short.':>11} {'P(short.)':>9} {'q95 days':>8} "
              f"{'CVaR95':>8} {'peak price':>10}" + (f" {'excl. markup':>12}" if excl is not None else ""))
    lines.append("Shortage days and prices per product (across scenarios)")
    lines.append(header)
    lines.append("-" * len(header))
    for product in summary["product"].values:
        for policy in summary.policy.values:
            row = summary.sel(policy=policy, product=product)
            short = row["shortage_days"]
            lines.append(
                f"{str(product):<22} {str(policy):<26} {stat(short, 'mean'):>11.1f} "
                f"{stat(short, 'p_positive'):>9.1%} {stat(short, 'q95'):>8.0f} "
                f"{stat(short, 'cvar95'):>8.1f} "
                f"{stat(row['peak_price_change'], 'mean'):>+10.0%}"
                + (f" {float(excl.sel(policy=policy, product=product)):>+12.0%}" if excl is not None else "")
            )
    if excl is not None:
        lines.append("peak price = mean over scenarios of the highest user price change, with the policy's "
                     "normal-time markup; excl. markup = (1 + peak) / (1 + markup) - 1, the crisis part alone")
    lines.append("")

    def plus_minus(e, label, fmt, width):  # "value ±half-width of the 90 % interval", or the value alone
        value = float(e[f"{label}_reduction"].sum()) if f"{label}_reduction" in e else float("nan")
        if f"{label}_reduction_se" not in e:
            return f"{value:{fmt}}".rjust(width)
        half = 1.6448536269514722 * float(e[f"{label}_reduction_se"])
        return f"{value:{fmt}} ±{half:{fmt}}".rjust(width)

    header = (f"{'policy':<24} {'short.days':>10} {'reduction (90 %)':>17} {'P(any)':>7} {'P(mat.)':>7} "
              f"{'VA loss':>10} {'VA saved (90 %)':>21} {'not deliv.':>10} {'ratio':>6} {'index chg':>9} "
              f"{'normal-time':>11} {'fiscal/yr':>10}")
    lines.append("Policy mixes against the no-policy baseline (same scenarios; means over scenarios, sums over "
                 "products and sectors)")
    lines.append(header)
    lines.append("-" * len(header))
    fiscal_name = "fiscal_cost_per_year" if "fiscal_cost_per_year" in effects else "stockpile_fiscal_cost_per_year"
    for policy in effects.policy.values:
        e = effects.sel(policy=policy)
        value_added = float(e["value_added_loss_mean"].sum())
        undelivered = float(e["undelivered_value_mean"].sum())
        ratio = value_added / undelivered if undelivered > 0 else float("nan")
        total = "shortage_days_total" if "shortage_days_total_reduction" in e else "shortage_days_mean"
        lines.append(
            f"{str(policy):<24} {float(e['shortage_days_mean'].sum()):>10.1f} "
            f"{plus_minus(e, total, '.1f', 17)} "
            f"{float(summary['p_any_shortage'].sel(policy=policy)):>7.1%} "
            f"{float(summary['p_any_material_shortage'].sel(policy=policy)):>7.1%} "
            f"{value_added:>10.3g} {plus_minus(e, 'value_added_loss_mean', '.3g', 21)} "
            f"{undelivered:>10.3g} {ratio:>6.0f} "
            f"{float(e['price_index_change_mean']):>+9.4%} {float(e['normal_price_index_change']):>+11.4%} "
            f"{float(e[fiscal_name]):>10.3g}"
        )
    lines.append("")
    io_unit = summary.attrs.get("io_value_unit", "IO value unit")
    currency = summary.attrs.get("currency", "currency")
    lines.append(f"short. = shortage; P(any) / P(mat.) = probability of a shortage of any product / any material "
                 f"(storable product) in a scenario; VA loss = value added lost ({io_unit}); not deliv. = value of the "
                 f"demand not served ({currency}, baseline prices); ratio = VA loss / not deliv.; index chg = mean "
                 f"final-demand price index change over the horizon; normal-time = the policy's price side effect "
                 f"with no disruption; fiscal/yr = government stock financing + carrying ({currency} / year); baseline "
                 f"policy: {BASELINE_POLICY}. reduction, VA saved = no-policy minus "
                 f"the mix on the same scenarios, ± the half-width of the 90 % interval (paired standard error); an "
                 f"interval that contains 0 is within noise.")
    table = format_cost_table(effects, currency)
    if table:
        lines += ["", table]
    return "\n".join(lines)


def format_cost_table(effects, currency: str = "currency") -> str:
    """Each mix's yearly costs and net benefit, ranked by net benefit (the cost ratio
    beside), with the half-widths of the 90 % intervals; '' without a cost table
    (:mod:`simcore.run.net_benefit`)."""
    if "rank_by_net_benefit" not in effects:
        return ""

    def pm(e, name, fmt):
        value = float(e[name])
        if f"{name}_se" not in e or not np.isfinite(value):
            return f"{value:{fmt}}" if np.isfinite(value) else "n/a"
        half = Z90 * float(e[f"{name}_se"])
        return f"{value:{fmt}} ±{half:{fmt}}" if np.isfinite(half) else f"{value:{fmt}} ± n/a"

    header = (f"{'rank':>4} {'policy':<24} {'net benefit (90 %)':>21} {'P(>next)':>8} {'total cost':>10} "
              f"{'fiscal':>9} {'price side':>10} {'crisis prem.':>12} {'avoided VA loss (90 %)':>22} "
              f"{'cost/avoided':>15} {'Pareto':>6}  note")
    lines = [f"Costs and net benefit per year ({currency} / year; ranked by net benefit = avoided value-added loss "
             f"- total cost, the cost ratio beside)", header, "-" * len(header)]
    from simcore.schema.config import BASELINE_POLICY

    def rank_base(e):
        return str(e["policy"].values) == BASELINE_POLICY

    order = np.argsort(np.asarray(effects["rank_by_net_benefit"].values), kind="stable")
    for i in order:
        e = effects.isel(policy=int(i))
        p_next = float(e["p_beats_next"])
        net, net_se = float(e["net_benefit_per_year"]), float(e.get("net_benefit_per_year_se", np.nan))
        within = np.isfinite(net_se) and net - Z90 * net_se <= 0 <= net + Z90 * net_se
        lines.append(
            f"{int(e['rank_by_net_benefit']):>4} {str(e['policy'].values):<24} "
            f"{pm(e, 'net_benefit_per_year', '.3g'):>21} {'' if np.isnan(p_next) else f'{p_next:.2f}':>8} "
            f"{float(e['total_cost_per_year']):>10.3g} {float(e['fiscal_cost_per_year']):>9.3g} "
            f"{float(e['price_side_effect_per_year']):>10.3g} {float(e['crisis_premium_per_year']):>12.3g} "
            f"{pm(e, 'avoided_value_added_loss_per_year', '.3g'):>22} "
            f"{pm(e, 'cost_per_avoided_value_added_loss', '.2f'):>15} {'yes' if bool(e['pareto']) else '':>6}  "
            f"{'baseline' if rank_base(e) else 'within noise' if within else ''}")
    lines.append("total cost = fiscal (stock financing at the discount rate + carrying) + normal-time price side "
                 "effect + expected crisis premium; cost/avoided < 1: the mix pays for itself on value added; "
                 "P(>next) = probability that the net benefit beats the next mix's (the two taken as "
                 "independent); the intervals that involve the crisis premium are upper bounds; within noise: "
                 "the net benefit's 90 % interval contains 0")
    return "\n".join(lines)
