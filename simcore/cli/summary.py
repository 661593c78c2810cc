"""The summary table ``simcore run`` prints: shortage days and prices per product and
policy, then each policy mix's effects against the no-policy baseline (same scenarios),
with the half-width of the 90 % interval of each reduction."""

from __future__ import annotations


def format_summary(summary, effects) -> str:
    """A readable table: per product and policy, then policy-level effects."""
    from simcore.schema.config import BASELINE_POLICY

    def stat(var, name):
        return float(var.sel(statistic=name)) if name in list(var.statistic.values) else float("nan")

    lines = []
    header = (f"{'product':<22} {'policy':<26} {'mean short.':>11} {'P(short.)':>9} {'q95 days':>8} "
              f"{'CVaR95':>8} {'peak price':>10}")
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
            )
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
            f"{float(e['stockpile_fiscal_cost_per_year']):>10.3g}"
        )
    lines.append("")
    io_unit = summary.attrs.get("io_value_unit", "IO value unit")
    currency = summary.attrs.get("currency", "currency")
    lines.append(f"short. = shortage; P(any) / P(mat.) = probability of a shortage of any product / any material "
                 f"(storable product) in a scenario; VA loss = value added lost ({io_unit}); not deliv. = value of the "
                 f"demand not served ({currency}, baseline prices); ratio = VA loss / not deliv.; index chg = mean "
                 f"final-demand price index change over the horizon; normal-time = the policy's price side effect "
                 f"with no disruption; baseline policy: {BASELINE_POLICY}. reduction, VA saved = no-policy minus "
                 f"the mix on the same scenarios, ± the half-width of the 90 % interval (paired standard error); an "
                 f"interval that contains 0 is within noise.")
    return "\n".join(lines)
