"""Closed-form checks of the day-step engine (``simcore.core.engine``).

Every case is a one-origin economy: each product is imported from origin 0 only
(origin 1 exists as a column with baseline share 0, so that it can hold contracted
spare capacity), baseline demand is 100 units/day and the private inventory target is
``k`` days. The disruption is one event at origin 0 starting on day 0 (so the supply
alarm is day 0) that withholds share ``phi`` for ``D`` days. The expected shortage
days, unmet demand and first shortage day are derived by hand from the engine's order
of one day (see the ``expected_*`` functions) and computed here with exact
``Fraction`` arithmetic; all numbers are chosen so that the engine's float32
quantities are exact multiples of 25 units, so the integer results must match
exactly and the unmet sums to float32 rounding.

Three products run side by side in every simulation, with identical demand, stocks
and policies but different model settings, so that one run checks three things:

* product 0: lead time 0, restock headroom 0 (the plain closed forms);
* product 1: lead time ``LEAD`` days: the cut reaches the country ``LEAD`` days late
  while the alarm (and hence spare-capacity qualification) still starts on day 0;
* product 2: restock headroom 25 %: suppliers refill inventory after the cut (the
  headroom scales with the available supply, so it is zero during a full cut).

All cases are batched into one ``simulate_given`` call (policies x scenarios, one
compile per module) made by the module-scoped ``grid`` fixture; each parametrized test
just reads its (policy, scenario) cell.
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import (
    Scenario,
    build_model,
    make_events,
    no_disruption,
    no_policy,
    simulate_given,
    stack_policies,
)
from simcore.core.leontief import leontief_output

HORIZON = 120
DEMAND = 100  # units / day, every product
LEAD = 6  # lead time of product 1, days
HEADROOM = Fraction(1, 4)  # restock headroom of product 2, fraction of demand
N_PRODUCTS = 3
P_PLAIN, P_LEAD, P_HEADROOM = 0, 1, 2


def _model():
    return build_model(
        demand_per_day=[float(DEMAND)] * N_PRODUCTS,
        price=[1.0] * N_PRODUCTS,
        inventory_days=0.0,  # the private target k comes from policy.private_extra_days
        import_share=[[1.0, 0.0]] * N_PRODUCTS,
        lead_time_days=[0.0, float(LEAD), 0.0],
        restock_headroom=[0.0, 0.0, float(HEADROOM)],
    )


def _events():
    return make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0] * N_PRODUCTS])


# --------------------------------------------------------------------------------------
# Closed forms. All take exact numbers (int / Fraction) and return
# (shortage_days, unmet_units, first_shortage_day or None), counted over days [0, D)
# of the cut as seen at the port (the cut never causes a shortage after it ends).
# --------------------------------------------------------------------------------------


def _floor(x) -> int:
    return math.floor(Fraction(x))


def expected_cut(k, phi, d):
    """Cut of share ``phi`` for ``d`` days, ``k`` days of private stock, nothing else.

    Each day the stock falls by ``phi * demand``; it is still enough on day ``t`` while
    ``phi (t + 1) <= k``, so the first short day is ``t* = floor(k / phi)``. From then
    on every cut day is short (on day ``t*`` itself by ``phi (t*+1) - k > 0`` days of
    demand, later by ``phi``). Total unmet = everything withheld minus the stock.
    """
    k, phi = Fraction(k), Fraction(phi)
    first = _floor(k / phi)
    days = max(0, d - first)
    unmet = DEMAND * max(Fraction(0), phi * d - k)
    return days, unmet, (first if days > 0 else None)


def expected_gov(k, g, m, d):
    """Full cut, ``k`` days private stock, ``g`` days government stock released at up to
    ``m`` x demand per day from day 0 (trigger 0, delay 0, no refill).

    The release is ``min(m demand, gov stock, shortfall)``, so with ``m >= 1`` the
    government covers the whole shortfall first and the private stock afterwards: the
    first short day is ``k + g``.

    With ``m < 1`` both stocks drain together: private at ``(1 - m)`` demand/day for
    ``Tp = k / (1 - m)`` days, government at ``m`` demand/day for ``Tg = g / m`` days.

    * ``Tp <= Tg``: private runs dry first; from day ``Tp`` the unmet demand is
      ``(1 - m)`` demand/day until the government stock is gone at ``Tg``, then the
      full demand. First short day ``Tp``.
    * ``Tp > Tg``: the government is empty at ``Tg`` with ``k - (1 - m) Tg`` days of
      private stock left, which then drains at the full demand: first short day
      ``Tg + k - (1 - m) Tg = k + g`` (the same as with an unlimited release rate).
    """
    k, g, m = Fraction(k), Fraction(g), Fraction(m)
    if m >= 1:
        first = k + g
        days = max(0, d - first)
        return int(days), DEMAND * days, (int(first) if days > 0 else None)
    t_private = k / (1 - m)
    t_gov = g / m if m > 0 else Fraction(0)
    if t_private <= t_gov:
        assert t_private.denominator == 1 and t_gov.denominator == 1, "choose integer drain times"
        first = t_private
        unmet = DEMAND * ((1 - m) * max(0, min(d, t_gov) - first) + max(0, d - t_gov))
    else:
        assert t_gov.denominator == 1 and (k - (1 - m) * t_gov).denominator == 1, "choose integer drain times"
        first = k + g
        unmet = DEMAND * max(0, d - first)
    days = max(0, d - first)
    return int(days), unmet, (int(first) if days > 0 else None)


def expected_recycling(k, r, d):
    """Full cut with recycled share ``r`` (ramp 0): the primary requirement and hence
    the loss is ``(1 - r)`` demand/day, i.e. a cut of share ``1 - r``."""
    return expected_cut(k, 1 - Fraction(r), d)


def expected_spare(k, s, lag, d):
    """Full cut; spare capacity ``s`` x demand from the undisrupted origin 1 flows
    from day ``lag`` of the loss on (ramp 0).

    * ``k <= lag``: stock gone at day ``k``; days ``[k, lag)`` are short by the full
      demand, days ``[lag, d)`` by ``(1 - s)`` demand (not short at all if ``s = 1``).
    * ``k > lag``: ``k - lag`` days of stock are left at ``lag`` and drain at
      ``(1 - s)`` demand/day: first short day ``lag + floor((k - lag) / (1 - s))``.
    """
    k, s, lag = Fraction(k), Fraction(s), Fraction(lag)
    if k <= lag or s == 1:
        full = max(0, min(d, lag) - k)
        tail = max(0, d - lag) if s < 1 else 0
        days = int(full + tail)
        unmet = DEMAND * (full + (1 - s) * max(0, d - lag))
        first = (int(k) if full > 0 else int(lag)) if days > 0 else None
        return days, unmet, first
    first = int(lag) + _floor((k - lag) / (1 - s))
    days = max(0, d - first)
    unmet = DEMAND * max(Fraction(0), (1 - s) * (d - lag) - (k - lag))
    return days, unmet, (first if days > 0 else None)


def lead_time_view(expected_fn, d, shift_lag=False, **params):
    """Expected result of the lead-time product: the loss starts ``LEAD`` days late, so
    only ``HORIZON - LEAD`` days of it fit in the horizon; the first short day moves by
    ``LEAD``. With ``shift_lag`` the lever counts from the alarm (day 0 at the origin)
    and does not travel, so seen from the start of the loss its lag is
    ``max(lag - LEAD, 0)``; spare volume travels (it is called at the alarm plus its
    qualification lag and arrives one transit later), so it keeps its lag."""
    if shift_lag:
        params["lag"] = max(0, params["lag"] - LEAD)
    days, unmet, first = expected_fn(d=min(d, HORIZON - LEAD), **params)
    return days, unmet, (None if first is None else first + LEAD)


# --------------------------------------------------------------------------------------
# The case grid
# --------------------------------------------------------------------------------------

# Policy keys: (k private days, G gov days, m release rate, r recycling, s spare, lag)
# Scenario keys: (D duration, phi severity); onset day 0 for all.
FULL_CUT_DURATIONS = [5, 10, 30, 80, 118]
DURATIONS = [10, 30, 80]

CUT_CASES = [(k, 1, d) for k in (0, 10, 25) for d in FULL_CUT_DURATIONS] + [
    (k, phi, d) for k in (0, 6, 10) for phi in ("1/4", "1/2", "3/4") for d in DURATIONS
]
GOV_CASES = [(k, g, m, d) for k in (0, 10) for g in (5, 20) for m in (1, 2) for d in DURATIONS] + [
    (k, g, m, d)
    for (k, g, m) in [
        (10, 30, "1/2"),  # private first (Tp 20 < Tg 60)
        (10, 10, "1/2"),  # both run dry together at day 20
        (10, 5, "1/2"),  # government first (Tg 10), then private: k + g = 15
        (15, 10, "1/4"),  # private first (Tp 20 < Tg 40)
        (15, 2, "1/4"),  # government first (Tg 8), k + g = 17
        (6, 4, "1/4"),  # private first (Tp 8), government empty at 16 < D for D >= 30
        (10, 0, "1/2"),  # nothing to release: k
    ]
    for d in DURATIONS
]
RECYCLING_CASES = [(k, r, d) for k in (0, 6, 10) for r in ("1/4", "1/2", "3/4") for d in DURATIONS]
SPARE_CASES = [
    (k, s, lag, d)
    for k in (0, 10, 20)
    for s in ("1/4", "1/2", 1)
    for lag in (0, 5, 12)
    for d in DURATIONS
]


def _policy_key(k=0, g=0, m=1, r=0, s=0, lag=0):
    return (Fraction(k), Fraction(g), Fraction(m), Fraction(r), Fraction(s), Fraction(lag))


def _scenario_key(d, phi=1):
    return (int(d), Fraction(phi))


def _all_keys():
    policies, scenarios = set(), set()
    for k, phi, d in CUT_CASES:
        policies.add(_policy_key(k=k))
        scenarios.add(_scenario_key(d, phi))
    for k, g, m, d in GOV_CASES:
        policies.add(_policy_key(k=k, g=g, m=m))
        scenarios.add(_scenario_key(d))
    for k, r, d in RECYCLING_CASES:
        policies.add(_policy_key(k=k, r=r))
        scenarios.add(_scenario_key(d))
    for k, s, lag, d in SPARE_CASES:
        policies.add(_policy_key(k=k, s=s, lag=lag))
        scenarios.add(_scenario_key(d))
    return sorted(policies), sorted(scenarios)


def _make_policy(model, key):
    k, g, m, r, s, lag = (float(v) for v in key)
    full = jnp.ones(N_PRODUCTS)
    spare = np.zeros((N_PRODUCTS, 2), dtype=np.float32)
    spare[:, 1] = s
    return no_policy(model)._replace(
        private_extra_days=k * full,
        gov_stock_days=g * full,
        release_rate=m * full,
        recycling_share=r * full,
        spare_capacity=jnp.asarray(spare),
        qualification_lag_days=lag * full,
    )


class Grid:
    def __init__(self):
        self.model = _model()
        self.events = _events()
        self.policy_keys, self.scenario_keys = _all_keys()
        policies = stack_policies([_make_policy(self.model, key) for key in self.policy_keys])
        n = len(self.scenario_keys)
        scenarios = Scenario(
            onset_day=jnp.zeros((n, 1)),
            duration_days=jnp.asarray([[float(d)] for d, _ in self.scenario_keys]),
            severity=jnp.asarray([[float(phi)] for _, phi in self.scenario_keys]),
        )
        metrics, daily = simulate_given(self.model, policies, self.events, scenarios, horizon=HORIZON, save_daily=True)
        self.metrics = type(metrics)(*(np.asarray(x) for x in metrics))
        self.daily = type(daily)(*(np.asarray(x) for x in daily))
        self._p = {key: i for i, key in enumerate(self.policy_keys)}
        self._s = {key: i for i, key in enumerate(self.scenario_keys)}

    def cell(self, policy_key, scenario_key):
        i, j = self._p[policy_key], self._s[scenario_key]
        metrics = type(self.metrics)(*(x[i, j] for x in self.metrics))
        daily = type(self.daily)(*(x[i, j] for x in self.daily))
        return metrics, daily


@pytest.fixture(scope="module")
def grid():
    return Grid()


def _check_product(metrics, daily, product, expected, label):
    days, unmet, first = expected
    assert int(metrics.shortage_days[product]) == days, f"{label}: shortage days"
    np.testing.assert_allclose(metrics.unmet[product], float(unmet), rtol=1e-6, atol=1e-3, err_msg=f"{label}: unmet")
    np.testing.assert_allclose(
        metrics.delivered[product] + metrics.unmet[product], metrics.demand[product], rtol=1e-6, err_msg=label
    )
    assert float(metrics.demand[product]) == DEMAND * HORIZON
    # The first short day, read from the trajectory and from the metric (alarm on day 0).
    short = np.flatnonzero(daily.unmet[:, product] > 1e-3 * DEMAND)
    if first is None:
        assert short.size == 0, f"{label}: unexpected shortage on days {short}"
        assert np.isnan(metrics.time_to_survive[product]), label
    else:
        assert short[0] == first, f"{label}: first shortage day"
        assert metrics.time_to_survive[product] == first, label
        # Shortage days are one contiguous block.
        np.testing.assert_array_equal(short, np.arange(first, first + days), err_msg=label)


# --------------------------------------------------------------------------------------
# 1. full cut, 2. partial cut
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("k,d", [(k, d) for k, phi, d in CUT_CASES if phi == 1])
def test_full_cut_shortage_is_duration_minus_stock_days(grid, k, d):
    metrics, daily = grid.cell(_policy_key(k=k), _scenario_key(d))
    # shortage days = max(0, D - k), unmet = demand * max(0, D - k)
    expected = (max(0, d - k), DEMAND * max(0, d - k), k if d > k else None)
    assert expected == expected_cut(k, 1, d)  # the general closed form agrees
    label = f"full cut k={k} D={d}"
    _check_product(metrics, daily, P_PLAIN, expected, label)
    _check_product(metrics, daily, P_HEADROOM, expected, label + " (headroom product)")
    _check_product(metrics, daily, P_LEAD, lead_time_view(expected_cut, d, k=k, phi=1), label + " (lead time)")

    # Daily unmet of product 0: exactly the full demand on days [k, D), else 0.
    days = np.arange(HORIZON)
    want = np.where((days >= k) & (days < d), DEMAND, 0.0)
    np.testing.assert_array_equal(daily.unmet[:, P_PLAIN], want)

    # After the cut the product without headroom never refills; the one with 25 %
    # headroom refills 25 units/day until the target is reached.
    target = DEMAND * k
    stock_at_end = DEMAND * max(0, k - d)
    gap = target - stock_at_end
    private_final = metrics.final_stock - metrics.final_gov_stock
    assert private_final[P_PLAIN] == stock_at_end
    refill_per_day = DEMAND * HEADROOM
    assert private_final[P_HEADROOM] == min(target, stock_at_end + refill_per_day * (HORIZON - d))
    if d < HORIZON and gap <= refill_per_day * (HORIZON - d):
        # Recovery: the first day that ends with supply normal and the stock back at
        # target (the last restocking day counts as recovered).
        refill_days = math.ceil(gap / refill_per_day)
        assert metrics.time_to_recover[P_HEADROOM] == d + max(0, refill_days - 1)
        assert metrics.recovered[P_HEADROOM]
    assert bool(metrics.recovered[P_PLAIN]) == (gap == 0 and d < HORIZON)


@pytest.mark.parametrize("k,phi,d", [c for c in CUT_CASES if c[1] != 1])
def test_partial_cut_stock_lasts_k_over_phi_days(grid, k, phi, d):
    metrics, daily = grid.cell(_policy_key(k=k), _scenario_key(d, phi))
    phi = Fraction(phi)
    expected = expected_cut(k, phi, d)
    label = f"partial cut k={k} phi={phi} D={d}"
    _check_product(metrics, daily, P_PLAIN, expected, label)
    _check_product(metrics, daily, P_LEAD, lead_time_view(expected_cut, d, k=k, phi=phi), label + " (lead time)")
    # Once the stock is gone, the daily shortage is phi x demand.
    days, _, first = expected
    if days > 1:
        np.testing.assert_array_equal(daily.unmet[first + 1 : d, P_PLAIN], float(phi * DEMAND))
    # The private stock falls by exactly phi x demand per day until it is gone.
    want_stock = np.maximum(DEMAND * k - float(phi * DEMAND) * np.arange(1, d + 1), 0.0)
    np.testing.assert_array_equal(daily.private_stock[:d, P_PLAIN], want_stock)


# --------------------------------------------------------------------------------------
# 3. government stock
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("k,g,m,d", GOV_CASES)
def test_government_stock(grid, k, g, m, d):
    metrics, daily = grid.cell(_policy_key(k=k, g=g, m=m), _scenario_key(d))
    m = Fraction(m)
    expected = expected_gov(k, g, m, d)
    if m >= 1:
        assert expected[0] == max(0, d - k - g)
    label = f"gov k={k} G={g} m={m} D={d}"
    _check_product(metrics, daily, P_PLAIN, expected, label)
    _check_product(metrics, daily, P_HEADROOM, expected, label + " (headroom product)")
    _check_product(metrics, daily, P_LEAD, lead_time_view(expected_gov, d, k=k, g=g, m=m), label + " (lead time)")

    # The government releases min(m, 1) x demand on every cut day until empty.
    released = min(DEMAND * min(m, 1) * d, DEMAND * g)
    np.testing.assert_allclose(metrics.gov_release[P_PLAIN], float(released), rtol=1e-6)
    np.testing.assert_allclose(metrics.final_gov_stock[P_PLAIN], float(DEMAND * g - released), rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(metrics.initial_stock[P_PLAIN], DEMAND * (k + g), rtol=1e-7)


# --------------------------------------------------------------------------------------
# 4. recycling and spare capacity
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("k,r,d", RECYCLING_CASES)
def test_recycling_share(grid, k, r, d):
    metrics, daily = grid.cell(_policy_key(k=k, r=r), _scenario_key(d))
    r = Fraction(r)
    expected = expected_recycling(k, r, d)
    # shortage starts after k / (1 - r) days, daily shortage (1 - r) x demand
    first = _floor(Fraction(k) / (1 - r))
    assert expected[0] == max(0, d - first)
    label = f"recycling k={k} r={r} D={d}"
    _check_product(metrics, daily, P_PLAIN, expected, label)
    _check_product(metrics, daily, P_HEADROOM, expected, label + " (headroom product)")
    _check_product(metrics, daily, P_LEAD, lead_time_view(expected_recycling, d, k=k, r=r), label + " (lead time)")
    if expected[0] > 1:
        np.testing.assert_array_equal(daily.unmet[first + 1 : d, P_PLAIN], float((1 - r) * DEMAND))


@pytest.mark.parametrize("k,s,lag,d", SPARE_CASES)
def test_spare_capacity(grid, k, s, lag, d):
    metrics, daily = grid.cell(_policy_key(k=k, s=s, lag=lag), _scenario_key(d))
    s = Fraction(s)
    expected = expected_spare(k, s, lag, d)
    label = f"spare k={k} s={s} lag={lag} D={d}"
    _check_product(metrics, daily, P_PLAIN, expected, label)
    _check_product(metrics, daily, P_HEADROOM, expected, label + " (headroom product)")
    _check_product(
        metrics, daily, P_LEAD, lead_time_view(expected_spare, d, k=k, s=s, lag=lag), label + " (lead time)"
    )
    # Spare used: s x demand on cut days from the lag on, then (the product has no
    # supplier headroom) it restocks the private inventory at up to s x demand a day.
    during = DEMAND * s * max(0, d - lag)
    stock_at_end = DEMAND * k - DEMAND * min(d, lag) - DEMAND * (1 - s) * max(0, d - lag)
    gap = DEMAND * k - max(Fraction(0), stock_at_end)
    after = min(gap, DEMAND * s * (HORIZON - d))
    np.testing.assert_allclose(metrics.spare_used[P_PLAIN], float(during + after), rtol=1e-6, atol=1e-3)


LEAD_SHIFT_CASES = (
    [("cut", _policy_key(k=k), _scenario_key(d, phi)) for k, phi, d in CUT_CASES if d + LEAD <= HORIZON]
    + [("gov", _policy_key(k=k, g=g, m=m), _scenario_key(d)) for k, g, m, d in GOV_CASES if d == 30]
    + [("recycling", _policy_key(k=k, r=r), _scenario_key(d)) for k, r, d in RECYCLING_CASES if d == 30]
)


def _case_id(case):
    kind, (k, g, m, r, _, _), (d, phi) = case
    return f"{kind}-k{k}-G{g}-m{m}-r{r}-D{d}-phi{phi}"


@pytest.mark.parametrize("kind,policy_key,scenario_key", LEAD_SHIFT_CASES, ids=[_case_id(c) for c in LEAD_SHIFT_CASES])
def test_lead_time_delays_the_cut_by_lead_days(grid, kind, policy_key, scenario_key):
    """Goods already shipped keep arriving for ``LEAD`` days: when ``D + LEAD`` fits in
    the horizon the lead-time product's daily trajectories are those of the plain
    product shifted by ``LEAD`` days (same shortage days and unmet), while the alarm
    is still day 0. The import price moves at the origin on day 0 for both products
    (the domestic premium sees the goods in transit, so it is not a shifted copy:
    tests/test_market.py)."""
    metrics, daily = grid.cell(policy_key, scenario_key)
    k, g = policy_key[0], policy_key[1]
    np.testing.assert_array_equal(daily.import_price_change[:, P_LEAD], daily.import_price_change[:, P_PLAIN])
    baseline = dict(unmet=0, delivered=DEMAND, private_stock=DEMAND * k, gov_stock=DEMAND * g)
    for field, before in baseline.items():
        trajectory = getattr(daily, field)
        plain, lead = trajectory[:, P_PLAIN], trajectory[:, P_LEAD]
        np.testing.assert_array_equal(lead[LEAD:], plain[:-LEAD], err_msg=f"{kind}: {field}")
        np.testing.assert_array_equal(lead[:LEAD], float(before), err_msg=f"{kind}: {field} before the cut arrives")
    np.testing.assert_array_equal(daily.unmet[HORIZON - LEAD :, P_PLAIN], 0.0)  # nothing cut off at the end
    assert metrics.shortage_days[P_LEAD] == metrics.shortage_days[P_PLAIN]
    np.testing.assert_allclose(metrics.unmet[P_LEAD], metrics.unmet[P_PLAIN], rtol=1e-6)
    np.testing.assert_allclose(
        metrics.time_to_survive[P_LEAD], metrics.time_to_survive[P_PLAIN] + LEAD, equal_nan=True
    )


# --------------------------------------------------------------------------------------
# 5. normal times
# --------------------------------------------------------------------------------------

# Miller & Blair, Input-Output Analysis (2nd ed.), section 2.3: A = [[.15, .25],
# [.20, .05]], f = [350, 1700] gives x = (I - A)^-1 f = [1000, 2000]:
# (1 - .15) 1000 - .25 2000 = 350 and -.20 1000 + (1 - .05) 2000 = 1700.
MB_A = [[0.15, 0.25], [0.20, 0.05]]
MB_F = [350.0, 1700.0]
MB_X = [1000.0, 2000.0]


def _normal_times_setup():
    model = build_model(
        demand_per_day=[100.0, 50.0],
        price=[0.002, 0.004],  # 73 currency units a year each: small cost shares
        inventory_days=[20.0, 7.0],
        import_share=[[0.6, 0.3], [0.5, 0.0]],  # domestic shares 0.1 and 0.5
        lead_time_days=[3.0, 0.0],
        restock_headroom=[0.1, 0.2],
        technical_coefficients=MB_A,
        final_demand=MB_F,
        use_share=[[0.6, 0.4], [0.0, 1.0]],
        recipe_inputs=[[0.0, 1.0], [0.0, 0.0]],
        critical_upstream=[[0.0, 1.0], [0.0, 0.0]],
    )
    events = make_events(
        origin_onehot=[[1.0, 0.0], [0.0, 1.0]],
        product_weight=[[1.0, 1.0], [1.0, 0.0]],
        onset_day=[0.0, 10.0],
        duration_median_days=[30.0, 60.0],
        severity=[0.0, 0.0],
    )
    plain = no_policy(model)
    busy = plain._replace(
        gov_stock_days=jnp.asarray([30.0, 10.0]),
        release_rate=jnp.asarray([0.5, 1.0]),
        refill_rate=jnp.asarray([0.1, 0.1]),
        private_extra_days=jnp.asarray([5.0, 0.0]),
        spare_capacity=jnp.asarray([[0.0, 0.2], [0.0, 0.3]]),
        qualification_lag_days=jnp.asarray([0.0, 10.0]),
        recycling_share=jnp.asarray([0.3, 0.0]),
        recycling_ramp_days=jnp.asarray([20.0, 0.0]),
        efficiency_cut=jnp.asarray([0.0, 0.1]),
        efficiency_ramp_days=jnp.asarray([0.0, 30.0]),
    )
    never = Scenario(*(x[:, 0] for x in no_disruption(events)))  # one occurrence per event
    scenarios = Scenario(
        onset_day=jnp.stack([never.onset_day, jnp.asarray([0.0, 10.0]), jnp.asarray([HORIZON + 5.0, 1e6])]),
        duration_days=jnp.stack([never.duration_days, jnp.asarray([30.0, 60.0]), jnp.asarray([30.0, 60.0])]),
        # no event / events of severity 0 / severe events that start after the horizon
        severity=jnp.stack([never.severity, jnp.zeros(2), jnp.ones(2)]),
    )
    return model, events, [plain, busy], scenarios


def test_gross_output_is_leontief_inverse_times_final_demand():
    model = _normal_times_setup()[0]
    np.testing.assert_allclose(np.asarray(model.gross_output), MB_X, rtol=1e-6)
    np.testing.assert_allclose(leontief_output(MB_A, MB_F), MB_X, rtol=1e-12)
    identity_minus_a = np.eye(2) - np.asarray(MB_A)
    np.testing.assert_allclose(identity_minus_a @ np.asarray(model.gross_output, dtype=np.float64), MB_F, rtol=1e-6)


def test_no_disruption_everything_stays_at_baseline():
    model, events, policies, scenarios = _normal_times_setup()
    metrics, daily = simulate_given(model, stack_policies(policies), events, scenarios, horizon=HORIZON, save_daily=True)
    metrics = type(metrics)(*(np.asarray(x) for x in metrics))
    daily = type(daily)(*(np.asarray(x) for x in daily))

    np.testing.assert_array_equal(metrics.delivered, metrics.demand)
    np.testing.assert_array_equal(metrics.unmet, 0.0)
    np.testing.assert_array_equal(metrics.shortage_days, 0)
    np.testing.assert_array_equal(metrics.gov_release, 0.0)
    np.testing.assert_array_equal(metrics.spare_used, 0.0)
    np.testing.assert_array_equal(metrics.value_added_loss, 0.0)
    np.testing.assert_array_equal(metrics.gross_output_loss, 0.0)
    np.testing.assert_array_equal(metrics.undelivered_value, 0.0)
    np.testing.assert_array_equal(metrics.peak_import_price_change, 0.0)
    np.testing.assert_array_equal(metrics.episodes, 0)
    np.testing.assert_array_equal(metrics.final_stock, metrics.initial_stock)
    for field in ("peak_price_change", "mean_price_change", "mean_sector_price_change",
                  "mean_price_index_change", "peak_price_index_change"):
        np.testing.assert_array_equal(getattr(metrics, field), 0.0, err_msg=field)
    assert np.all(np.isnan(metrics.time_to_survive))
    assert np.all(np.isnan(metrics.time_to_recover))
    assert np.all(np.isnan(metrics.worst_time_to_survive)) and np.all(np.isnan(metrics.worst_time_to_recover))
    assert np.all(metrics.recovered)

    # Demand: the baseline, less the efficiency cut (in place from day 0) of the second policy.
    base = np.asarray(model.demand_per_day)
    np.testing.assert_allclose(metrics.demand[0], np.broadcast_to(base * HORIZON, (3, 2)), rtol=1e-6)
    assert np.all(metrics.demand[1, :, 1] < base[1] * HORIZON)

    # Stocks sit exactly at their targets every day.
    for i, policy in enumerate(policies):
        private_target = base * (np.asarray(model.inventory_days) + np.asarray(policy.private_extra_days))
        gov_target = base * np.asarray(policy.gov_stock_days)
        np.testing.assert_array_equal(daily.private_stock[i], np.broadcast_to(private_target, daily.private_stock[i].shape))
        np.testing.assert_array_equal(daily.gov_stock[i], np.broadcast_to(gov_target, daily.gov_stock[i].shape))
        np.testing.assert_array_equal(metrics.initial_stock[i], np.broadcast_to(private_target + gov_target, (3, 2)))
    np.testing.assert_array_equal(daily.unmet, 0.0)
    np.testing.assert_array_equal(daily.price_change, 0.0)
    np.testing.assert_array_equal(daily.sector_price_change, 0.0)
    np.testing.assert_array_equal(daily.price_index_change, 0.0)
    np.testing.assert_array_equal(daily.sector_output_share, 1.0)
