"""Leontief quantity/price models (``simcore.core.leontief``) and their use in the engine."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import Scenario, build_model, make_events, no_policy, simulate_given, stack_policies
from simcore.core.leontief import leontief_output, leontief_price_change, leontief_price_operator

# Miller & Blair, Input-Output Analysis (2nd ed.), section 2.3.
MB_A = np.array([[0.15, 0.25], [0.20, 0.05]])
MB_F = np.array([350.0, 1700.0])


def test_leontief_price_change_two_sectors_by_hand():
    # I - A^T = [[ .85, -.20],
    #            [-.25,  .95]],   det = .85 * .95 - .20 * .25 = .7575 = 303 / 400
    # (I - A^T)^-1 = (400 / 303) [[.95, .20], [.25, .85]]
    # v = [.1, 0]:  dp = (400 / 303) [.095, .025] = [38 / 303, 10 / 303]
    # Check: .85 * 38/303 - .20 * 10/303 = 30.3/303 = .1 and -.25 * 38/303 + .95 * 10/303 = 0.
    dp = leontief_price_change(MB_A, [0.1, 0.0])
    np.testing.assert_allclose(dp, [38.0 / 303.0, 10.0 / 303.0], rtol=1e-12)
    # A cost push in sector 1 only: dp = (400 / 303) [.20, .85] x .1
    np.testing.assert_allclose(leontief_price_change(MB_A, [0.0, 0.1]), [8.0 / 303.0, 34.0 / 303.0], rtol=1e-12)
    # Linear in v.
    np.testing.assert_allclose(
        leontief_price_change(MB_A, [0.1, 0.1]), np.add([38.0, 10.0], [8.0, 34.0]) / 303.0, rtol=1e-12
    )


def test_leontief_three_sector_chain_by_hand():
    # Sector 0 sells half a unit per unit of sector 1's output, sector 1 half a unit per
    # unit of sector 2's: A[0, 1] = A[1, 2] = .5. Price model dp_s = v_s + sum_j A[j, s] dp_j:
    # a 10 % cost push in sector 0 gives dp = [.1, .5 * .1, .5 * .05] = [.1, .05, .025].
    a_matrix = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(leontief_price_change(a_matrix, [0.1, 0.0, 0.0]), [0.1, 0.05, 0.025], rtol=1e-12)
    # Quantity model x_j = f_j + sum_s A[j, s] x_s: f = [0, 0, 8] needs x2 = 8, x1 = 4, x0 = 2.
    np.testing.assert_allclose(leontief_output(a_matrix, [0.0, 0.0, 8.0]), [2.0, 4.0, 8.0], rtol=1e-12)
    # Price operator with one product costing 20 % of sector 2's output only: the
    # push stays in sector 2 (nothing buys from it).
    cost_share = np.array([[0.0, 0.0, 0.2]])
    np.testing.assert_allclose(leontief_price_operator(a_matrix, cost_share)[:, 0], [0.0, 0.0, 0.2], atol=1e-15)


def test_leontief_output_miller_blair():
    np.testing.assert_allclose(leontief_output(MB_A, MB_F), [1000.0, 2000.0], rtol=1e-12)


# --------------------------------------------------------------------------------------
# The engine's use of the price model
# --------------------------------------------------------------------------------------

DEMAND = np.array([100.0, 50.0])
PRICE = np.array([0.002, 0.004])  # 73 currency units a year for each product
USE_SHARE = np.array([[0.6, 0.4], [0.0, 1.0]])
HALF_LIFE = 10.0
ELASTICITY = 0.5
CAP = 10.0
HORIZON = 60
CUT_DAYS = 20


WORLD_SHARE = 0.2  # the only origin supplies 20 % of the world
COVER = 30.0  # cover horizon, days (model default)


def _price_model():
    return build_model(
        demand_per_day=DEMAND,
        price=PRICE,
        inventory_days=10.0,
        import_share=[[1.0], [1.0]],
        world_share=[[WORLD_SHARE], [WORLD_SHARE]],
        restock_headroom=0.0,
        technical_coefficients=MB_A,
        final_demand=MB_F,
        use_share=USE_SHARE,
        price_elasticity=ELASTICITY,
        price_cap=CAP,
        price_relax_half_life_days=HALF_LIFE,
    )


def test_model_price_operator_is_leontief_price_inverse_times_cost_shares():
    model = _price_model()
    x = np.array([1000.0, 2000.0])
    # C[p, s] = yearly value of p bought by s / yearly output of s
    #   product 0: 73 x [.6, .4] / [1000, 2000] = [.0438, .0146]
    #   product 1: 73 x [0, 1] / [1000, 2000]   = [0, .0365]
    cost_share = (PRICE * DEMAND * 365.0)[:, None] * USE_SHARE / x[None, :]
    np.testing.assert_allclose(cost_share, [[0.0438, 0.0146], [0.0, 0.0365]], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(model.cost_share), cost_share, rtol=1e-6)
    inverse = (400.0 / 303.0) * np.array([[0.95, 0.20], [0.25, 0.85]])  # (I - A^T)^-1, see above
    np.testing.assert_allclose(inverse @ (np.eye(2) - MB_A.T), np.eye(2), atol=1e-12)
    np.testing.assert_allclose(np.asarray(model.price_operator), inverse @ cost_share.T, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(model.index_weights), MB_F / MB_F.sum(), rtol=1e-6)


@pytest.fixture(scope="module")
def cut_run():
    """Product 0 (imported from the only origin) is cut by half, or fully, for 20 days."""
    model = _price_model()
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0, 0.0]])
    scenarios = Scenario(
        onset_day=jnp.zeros((2, 1)),
        duration_days=jnp.full((2, 1), float(CUT_DAYS)),
        severity=jnp.asarray([[0.5], [1.0]]),
    )
    metrics, daily = simulate_given(
        model, stack_policies([no_policy(model)]), events, scenarios, horizon=HORIZON, save_daily=True
    )
    return model, metrics, daily


def _expected_prices(severity):
    """Import multiple, scarcity multiple and user multiple of product 0 by day, from
    the formulas of docs/model.md: world gap g = world share x severity during the cut,
    import multiple (1 - g)^(-1/eps) (no world stocks: the day's flow clears) relaxing
    with the half-life afterwards; stock S_t = 10 D - severity D (t + 1) (no restock
    headroom, no unmet while S > 0); domestic cover ratio (S_t + H (D - shortfall)) /
    (H D) (no transit: the flow shipped today arrives today; stocks being rebuilt are
    not scarcity), scarcity multiple ratio^(-1/eps); user multiple = min(import x
    scarcity, cap)."""
    days = np.arange(HORIZON)
    gap = WORLD_SHARE * severity
    during = min((1.0 - gap) ** (-1.0 / ELASTICITY), CAP)
    after = 1.0 + (during - 1.0) * 0.5 ** ((days - CUT_DAYS + 1) / HALF_LIFE)
    import_multiple = np.where(days < CUT_DAYS, during, after)
    demand = DEMAND[0]
    stock = np.maximum(10.0 * demand - severity * demand * (np.minimum(days, CUT_DAYS - 1) + 1), 0.0)
    shortfall = np.where(days < CUT_DAYS, severity * demand, 0.0)
    ratio = (stock + COVER * (demand - shortfall)) / (COVER * demand)
    scarcity = np.where(ratio >= 1.0, 1.0, np.clip(np.maximum(ratio, 1e-6) ** (-1.0 / ELASTICITY), 1.0, CAP))
    return import_multiple, scarcity, np.minimum(import_multiple * scarcity, CAP)


def test_product_price_change_passes_through_to_sectors(cut_run):
    model, _, daily = cut_run
    price_change = np.asarray(daily.price_change, dtype=np.float64)  # [1, 2, H, P]
    sector = np.asarray(daily.sector_price_change, dtype=np.float64)  # [1, 2, H, S]
    operator = np.asarray(model.price_operator, dtype=np.float64)
    assert np.all(np.abs(price_change[..., 0]).max(axis=-1) > 1.0)  # the cut moved prices
    np.testing.assert_allclose(sector, np.einsum("sp,...p->...s", operator, price_change), rtol=1e-5, atol=1e-7)
    weights = np.asarray(model.index_weights, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(daily.price_index_change), sector @ weights, rtol=1e-5, atol=1e-7)
    # By hand for the half cut on day 0, where product 0's price is up dp0 (see
    # _expected_prices): sector price change = dp0 x (I - A^T)^-1 C[0, :]^T
    #   = dp0 (400/303) [.95 x .0438 + .20 x .0146, .25 x .0438 + .85 x .0146]
    dp0 = _expected_prices(0.5)[2][0] - 1.0
    expected = dp0 * (400.0 / 303.0) * np.array([0.95 * 0.0438 + 0.20 * 0.0146, 0.25 * 0.0438 + 0.85 * 0.0146])
    np.testing.assert_allclose(sector[0, 0, 0], expected, rtol=1e-5)
    # The uncut product's price does not move.
    np.testing.assert_array_equal(price_change[..., 1], 0.0)


@pytest.mark.parametrize("row,severity", [(0, 0.5), (1, 1.0)])
def test_import_and_scarcity_price_curves(cut_run, row, severity):
    _, metrics, daily = cut_run
    import_multiple, scarcity, user = _expected_prices(severity)
    np.testing.assert_allclose(np.asarray(daily.import_price_change)[0, row, :, 0], import_multiple - 1.0,
                               rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(daily.scarcity_premium)[0, row, :, 0], scarcity - 1.0, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(daily.price_change)[0, row, :, 0], user - 1.0, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(metrics.peak_price_change)[0, row, 0], user.max() - 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(metrics.peak_import_price_change)[0, row, 0], import_multiple.max() - 1.0,
                               rtol=1e-5)
    np.testing.assert_allclose(np.asarray(metrics.mean_price_change)[0, row, 0], (user - 1.0).mean(), rtol=1e-4)


def test_core_io_is_a_deprecated_alias_of_leontief():
    import importlib
    import sys

    from simcore.core import leontief

    sys.modules.pop("simcore.core.io", None)  # import it afresh: the warning comes on import
    with pytest.warns(DeprecationWarning, match="simcore.core.leontief"):
        old = importlib.import_module("simcore.core.io")
    for name in ("leontief_output", "leontief_price_change", "leontief_price_operator"):
        assert getattr(old, name) is getattr(leontief, name)
