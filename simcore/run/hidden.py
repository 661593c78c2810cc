"""How much risk comes from hidden suppliers (tier 3 and below).

:func:`hidden_dependence_effect` runs the same scenarios (same events, same drawn
parameters: common random numbers) twice: once with the model's hidden-dependence
links, once with every hidden share set to 0 (:func:`simcore.core.uncertainty.without_hidden`).
The paired difference is the risk that hidden dependence adds, per policy; the
difference of each policy's benefit against the baseline (no-policy) is how much of
that benefit hidden dependence erodes, e.g. of a diversification toward origins that
themselves depend on the controlled one.

Usage from Python::

    sim = Simulation.from_config(load_config("configs/japan_outlook.toml"))
    ds = hidden_dependence_effect(sim, 2000)
    print(format_hidden_report(ds))

or ``python -m simcore.run.hidden CONFIG [SCENARIOS]``.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import xarray as xr

from simcore.core.uncertainty import without_hidden
from simcore.run.runner import Simulation, iter_chunks
from simcore.schema.config import BASELINE_POLICY

CASES = ("with_hidden", "without_hidden")


def _totals(metrics: dict) -> dict[str, np.ndarray]:
    """Per-scenario totals ``[policy, scenario]``: shortage days summed over products,
    value-added loss summed over sectors; and shortage days per product."""
    return {
        "shortage_days_total": metrics["shortage_days"].sum(axis=-1).astype(np.float64),
        "value_added_loss_total": metrics["value_added_loss"].sum(axis=-1).astype(np.float64),
        "shortage_days": metrics["shortage_days"].astype(np.float64),
    }


def hidden_dependence_effect(sim: Simulation, n_scenarios: int, chunk_size: int = 2_000, start: int = 0,
                             baseline: str = BASELINE_POLICY) -> xr.Dataset:
    """Mean results with and without hidden dependence on scenarios ``start ..
    start + n_scenarios - 1``, the risk hidden dependence adds, and how it erodes each
    policy's benefit against ``baseline``.

    Returns a dataset with dims ``(case, policy[, product])``, ``case`` in
    ``("with_hidden", "without_hidden")``:

    * ``shortage_days`` ``(case, policy, product)`` and ``shortage_days_total``,
      ``value_added_loss_total`` ``(case, policy)``: means over scenarios (days; the IO
      value unit).
    * ``hidden_<metric>`` ``(policy)``: with - without (the risk from hidden
      dependence), and ``hidden_<metric>_se``: its standard error (paired differences).
    * ``benefit_<metric>`` ``(case, policy)``: baseline - policy (positive = the policy
      reduces the risk); ``benefit_eroded_<metric>`` ``(policy)``: benefit without -
      benefit with, and ``benefit_eroded_<metric>_se``; ``benefit_kept_share_<metric>``:
      benefit with / benefit without (nan where there is no benefit without).

    Raises ``ValueError`` when the model has no hidden-dependence links or ``baseline``
    is not a policy of the run.
    """
    model = sim.loaded.model
    if model.hidden is None:
        raise ValueError("the model has no hidden_dependence links: nothing to compare")
    if baseline not in sim.policy_names:
        raise ValueError(f"baseline policy {baseline!r} is not in the run; allowed: {', '.join(sim.policy_names)}")
    reference = dataclasses.replace(sim, loaded=dataclasses.replace(sim.loaded, model=without_hidden(model)))
    base = sim.policy_names.index(baseline)

    sums: dict[str, np.ndarray] = {}

    def add(name: str, value: np.ndarray) -> None:
        sums[name] = sums.get(name, 0.0) + value

    chunks = zip(iter_chunks(sim, n_scenarios, chunk_size, start, draws=False),
                 iter_chunks(reference, n_scenarios, chunk_size, start, draws=False))
    for (_, with_metrics, _), (_, without_metrics, _) in chunks:
        with_totals, without_totals = _totals(with_metrics), _totals(without_metrics)
        for name in with_totals:
            add(f"with.{name}", with_totals[name].sum(axis=1))
            add(f"without.{name}", without_totals[name].sum(axis=1))
        for name in ("shortage_days_total", "value_added_loss_total"):
            hidden = with_totals[name] - without_totals[name]  # [policy, scenario]
            eroded = (without_totals[name][base] - without_totals[name]) - (with_totals[name][base] - with_totals[name])
            add(f"hidden.{name}", hidden.sum(axis=1))
            add(f"hidden2.{name}", (hidden ** 2).sum(axis=1))
            add(f"eroded.{name}", eroded.sum(axis=1))
            add(f"eroded2.{name}", (eroded ** 2).sum(axis=1))

    n = float(n_scenarios)

    def mean(key):
        return sums[key] / n

    def standard_error(key):
        m, m2 = sums[key] / n, sums[key.replace(".", "2.", 1)] / n
        return np.sqrt(np.maximum(m2 - m ** 2, 0.0) / max(n - 1.0, 1.0))

    data = {"shortage_days": (("case", "policy", "product"),
                              np.stack([mean("with.shortage_days"), mean("without.shortage_days")]))}
    for name in ("shortage_days_total", "value_added_loss_total"):
        cases = np.stack([mean(f"with.{name}"), mean(f"without.{name}")])  # [case, policy]
        benefit = cases[:, base:base + 1] - cases
        data[name] = (("case", "policy"), cases)
        data[f"hidden_{name}"] = (("policy",), mean(f"hidden.{name}"))
        data[f"hidden_{name}_se"] = (("policy",), standard_error(f"hidden.{name}"))
        data[f"benefit_{name}"] = (("case", "policy"), benefit)
        data[f"benefit_eroded_{name}"] = (("policy",), mean(f"eroded.{name}"))
        data[f"benefit_eroded_{name}_se"] = (("policy",), standard_error(f"eroded.{name}"))
        with np.errstate(invalid="ignore", divide="ignore"):
            kept = np.where(benefit[1] > 0, benefit[0] / np.where(benefit[1] > 0, benefit[1], 1.0), np.nan)
        data[f"benefit_kept_share_{name}"] = (("policy",), kept)
    return xr.Dataset(data, coords={"case": list(CASES), "policy": sim.policy_names,
                                    "product": sim.loaded.products},
                      attrs={"scenarios": n_scenarios, "first_scenario": start, "baseline_policy": baseline,
                             "hidden_links": "; ".join(sim.loaded.hidden_links),
                             "value_unit": sim.loaded.io_value_unit})


def format_hidden_report(ds: xr.Dataset) -> str:
    """A plain-text table of :func:`hidden_dependence_effect` (one line per policy)."""
    unit = ds.attrs.get("value_unit", "")
    header = (f"{'policy':<24}{'shortage days':>14}{'without':>9}{'+hidden':>9}{'+-':>6}"
              f"{'VA loss':>12}{'without':>12}{'+hidden':>12}{'+-':>10}{'VA benefit kept':>17}")
    lines = [f"Hidden dependence over {ds.attrs.get('scenarios')} scenarios (links: {ds.attrs.get('hidden_links')})",
             f"means per scenario (shortage days summed over products, value-added loss in {unit} summed over "
             "sectors); +- one standard error of the paired difference; benefit kept: policy's benefit against "
             f"{ds.attrs.get('baseline_policy')} with hidden dependence / without", header]
    for policy in ds.policy.values:
        row = ds.sel(policy=policy)
        sd, va = row["shortage_days_total"].values, row["value_added_loss_total"].values
        kept = float(row["benefit_kept_share_value_added_loss_total"])
        lines.append(f"{str(policy):<24}{sd[0]:>14.1f}{sd[1]:>9.1f}{float(row['hidden_shortage_days_total']):>9.1f}"
                     f"{float(row['hidden_shortage_days_total_se']):>6.1f}{va[0]:>12.4g}{va[1]:>12.4g}"
                     f"{float(row['hidden_value_added_loss_total']):>12.4g}"
                     f"{float(row['hidden_value_added_loss_total_se']):>10.3g}"
                     + (f"{'-':>17}" if np.isnan(kept) else f"{kept:>17.0%}"))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from simcore.schema.config import load_config

    if not argv:
        print("usage: python -m simcore.run.hidden CONFIG [SCENARIOS]", file=sys.stderr)
        return 2
    config = load_config(argv[0])
    n = int(argv[1]) if len(argv) > 1 else min(config.scenarios, 2_000)
    print(format_hidden_report(hidden_dependence_effect(Simulation.from_config(config), n)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
