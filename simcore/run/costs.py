"""The standing yearly cost of a policy mix: one definition for run, analysis and service.

``simcore run`` (:func:`simcore.run.runner.normal_times`), the service (which calls it)
and the cost analysis (:func:`simcore.analysis.costs.mix_costs`) all take the fiscal cost
and the normal-time price side effect from here, so the three report the same number for
the same mix under the same :class:`CostAssumptions`.

With ``V_p = gov_stock_days_p x d_p x price_p`` (storable products only; ``d`` daily
demand, ``price`` the baseline price) the value of the government stock [currency]:

* **fiscal, stock capital** [currency / year]: buying the stock, annuitised over
  ``stock_life_years`` at ``discount_rate`` with the stock resold at the end for
  ``stock_residual_share`` of its value: ``V x a(r, T) x (1 - residual x (1 + r)^-T)``,
  ``a(r, T) = r / (1 - (1 + r)^-T)`` (``1 / T`` at ``r = 0``). With residual 1 this is
  ``r x V``: the cost of the capital tied up (the financing).
* **fiscal, stock carrying** [currency / year]: ``carrying_cost x V``: storage, rotation,
  insurance. The policy's ``carrying_cost`` must *not* include the cost of capital, which
  is the ``discount_rate`` term above (the two are added; counting financing in both is
  the double count this split prevents).
* **fiscal** = capital + carrying, summed over products [currency / year].
* **price side effect** [currency / year]: the engine's normal-time markup ``m_p``
  (:func:`simcore.core.engine.normal_time_markup`) raises the final-demand price index by
  ``w . (I - A^T)^-1 C^T m`` (Leontief price model, central operator); its cost is that
  change times total final demand.
* **crisis premium weight** [currency / product unit]: ``spare_premium x price``; a
  scenario's crisis premium is ``sum_p weight_p x spare_used_p``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.core.model import DAYS_PER_YEAR


@dataclass(frozen=True)
class CostAssumptions:
    """Financial assumptions of the cost accounting (labelled assumptions; a config's
    top-level ``[costs]`` or ``[sweep.costs]`` / ``[optimize.costs]`` overrides them)."""

    discount_rate: float = 0.02  # assumption: real public discount rate per year (the cost of capital)
    stock_life_years: float = 20.0  # assumption: life of a stockpile programme
    stock_residual_share: float = 1.0  # assumption: stock resold at the end at its purchase value

    @classmethod
    def of(cls, given) -> "CostAssumptions":
        """From a mapping (``[costs]``: some of the three fields) or None (the defaults)."""
        if given is None:
            return cls()
        if isinstance(given, cls):
            return given
        return cls(**{k: float(v) for k, v in dict(given).items() if k in cls.__dataclass_fields__})


def annuity_factor(rate: float, years: float) -> float:
    """Capital recovery factor ``r / (1 - (1 + r)^-T)``; ``1 / T`` at ``r = 0``."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def policy_fields(policies) -> dict[str, np.ndarray]:
    """``{field: array [M, ...]}`` of a stacked Policy, or the dict itself."""
    if isinstance(policies, dict):
        return policies
    return {k: np.asarray(v, np.float64) for k, v in policies._asdict().items()}


def stock_fiscal(model, fields: dict, assumptions: CostAssumptions = CostAssumptions()) -> dict[str, np.ndarray]:
    """``gov_stock_value`` [currency], ``fiscal_stock_capital`` and ``fiscal_stock_carrying``
    [currency / year], each ``[M, P]`` (see the module doc)."""
    demand = np.asarray(model.demand_per_day, np.float64)
    price = np.asarray(model.price, np.float64)
    storable = np.asarray(model.storable, np.float64)
    r, years = assumptions.discount_rate, assumptions.stock_life_years
    value = np.asarray(fields["gov_stock_days"], np.float64) * demand * price * storable
    capital = value * annuity_factor(r, years) * (1.0 - assumptions.stock_residual_share * (1.0 + r) ** -years)
    carrying = np.asarray(fields["stock_carrying_cost"], np.float64) * value
    return {"gov_stock_value": value, "fiscal_stock_capital": capital, "fiscal_stock_carrying": carrying}


def markup_components(model, fields: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The engine's normal-time markup ``[M, P]`` split by lever (fractions of the price).

    ``fields``: Policy fields with a leading mix axis. Their sum is
    :func:`simcore.core.engine.normal_time_markup` (tested)."""
    in_place = np.asarray(fields["recycling_start_at_alarm"]) <= 0  # emergency levers cost nothing in normal times
    shifted = 0.5 * np.abs(fields["import_share"] - np.asarray(model.import_share, np.float64)[None]).sum(axis=-1)
    return {
        "private_buffer": fields["stock_carrying_cost"] * fields["private_extra_days"] / DAYS_PER_YEAR,
        "diversification_premium": fields["diversification_premium"] * shifted,
        "spare_reservation": fields["spare_reservation_fee"] * fields["spare_capacity"].sum(axis=-1),
        "recycling_premium": fields["recycling_premium"] * fields["recycling_share"] * in_place,
        "efficiency_cost": fields["efficiency_cost"] * fields["efficiency_cut"] * in_place,
    }


def price_index_change(model, markup: np.ndarray) -> np.ndarray:
    """Final-demand price index change ``[M]`` of product markups ``[M, P]`` (Leontief
    price model: ``w . (I - A^T)^-1 C^T m``)."""
    operator = np.asarray(model.price_operator, np.float64)  # [S, P]
    weights = np.asarray(model.index_weights, np.float64)  # [S]
    return np.asarray(markup, np.float64) @ operator.T @ weights


def price_side_effect(model, markup: np.ndarray) -> np.ndarray:
    """``[M]`` currency / year: the price index change of ``markup`` ``[M, P]`` times total
    final demand."""
    return price_index_change(model, markup) * float(np.asarray(model.final_demand, np.float64).sum())


def crisis_weights(model, fields: dict) -> np.ndarray:
    """``[M, P]`` currency per product unit of spare volume used: ``spare_premium x price``."""
    return np.asarray(fields["spare_premium"], np.float64) * np.asarray(model.price, np.float64)[None]
