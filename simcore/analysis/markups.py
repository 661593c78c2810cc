"""Normal-time markups of policy mixes per scenario, and crisis peak prices without them.

The engine's user price is ``(1 + m) x`` the crisis price, with ``m`` ``[P]`` the mix's
normal-time markup (:func:`simcore.core.engine.normal_time_markup`: private buffer
carrying, diversification premium on shifted import shares, spare reservation fee,
recycling premium and efficiency cost of levers in place; emergency levers started at the
alarm add to the crisis price and stay in it). A mix that only pays a premium therefore
shows a higher "peak" price in every scenario although it does nothing to the crisis.
Dividing the peak by ``(1 + m)`` is exact per scenario: ``(1 + c) / (1 + m) - 1``, the
same definition as :func:`simcore.run.net_benefit.peak_without_markup` of ``simcore run``.

The markup is a function of the policy and of the model's import shares only (the
diversification premium is on the share moved away from the model's rows). When the
model draws its import shares per scenario (``[uncertainty]`` on ``import_share``), the
rows a policy left at the central values follow the draw (no shift, no premium) and rows
it sets are compared with the drawn rows, exactly as the engine does
(:func:`simcore.core.engine.drawn_policies`): the markup is then per mix *and* scenario.
Otherwise it is per mix only and :func:`mix_markups` broadcasts it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from simcore.core.engine import drawn_policies, normal_time_markup, policy_markups
from simcore.core.model import Model, Policy
from simcore.core.uncertainty import draw_model, parameter_key


def markups_vary_by_scenario(model: Model) -> bool:
    """True when the model draws import shares per scenario (markups ``[M, n, P]`` differ by scenario)."""
    return model.uncertainty is not None and "import_share" in model.uncertainty.draws


def central_markups(model: Model, policies: Policy) -> np.ndarray:
    """Normal-time markup ``[M, P]`` (fraction of the baseline price) of ``M`` mixes at the
    model's central import shares."""
    return np.asarray(policy_markups(model, policies), np.float64)


def mix_markups(model: Model, policies: Policy, base_key: jax.Array, scenario_index) -> np.ndarray:
    """Normal-time markup ``[M, n, P]`` of ``M`` mixes (a Policy with a leading mix axis)
    on scenarios ``scenario_index`` ``[n]`` (their parameter draws from ``base_key``, as the
    engine draws them: :func:`simcore.core.uncertainty.parameter_key`)."""
    index = np.asarray(scenario_index)
    if not markups_vary_by_scenario(model):
        central = central_markups(model, policies)
        return np.broadcast_to(central[:, None, :], (central.shape[0], index.size, central.shape[1]))

    def one(i):
        drawn = draw_model(model, parameter_key(base_key, i))
        rows = drawn_policies(model, drawn, policies)
        return jax.vmap(lambda policy: normal_time_markup(drawn, policy))(rows)  # [M, P]

    values = jax.vmap(one)(jnp.asarray(index, jnp.uint32))  # [n, M, P]
    return np.moveaxis(np.asarray(values, np.float64), 0, 1)


def peak_without_markup(peak, markup) -> np.ndarray:
    """Peak user price change without the markup, ``(1 + peak) / (1 + markup) - 1``,
    elementwise (``peak`` ``[M, n, P]``, ``markup`` broadcastable to it; both fractions,
    1 = +100 %)."""
    return (1.0 + np.asarray(peak, np.float64)) / (1.0 + np.asarray(markup, np.float64)) - 1.0
