"""The event generator: Poisson arrivals of occurrences, per-occurrence draws,
availability by day / per (origin, product) day, announcements, and the sampler's
independence of chunking. Expected values come from the formulas in the
module docstrings of ``simcore/core/disruptions.py`` (draws) and ``simcore/core/cuts.py``
(cuts by day)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core.cuts import announced_cut, availability, in_announcement
from simcore.core.disruptions import (
    Scenario,
    make_events,
    n_occurrences,
    no_disruption,
    sample_batch,
)

HORIZON = 365
N_DRAWS = 20_000
# jit once per shape: the sampler's compile (Beta draws) dominates these tests on CPU
_sample = jax.jit(sample_batch)
_availability = jax.jit(availability)
_announced_cut = jax.jit(announced_cut)
_in_announcement = jax.jit(in_announcement)

# Three events, two origins, two products (one compile of the sampler for several tests):
# 0: origin 0, both products (weights 1, 0.5), 200/year (fills its 3 slots), Beta severity
# 1: origin 1, product 1, 0.7/year, at most 2 occurrences, Beta severity
# 2: origin 0, product 0, given event on day 17 for 4 days at 50 % (max_occurrences ignored)
MEDIAN, SIGMA, ALPHA, BETA = 40.0, 0.5, 2.0, 5.0
MIXED = make_events(origin_onehot=[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]],
                    product_weight=[[1.0, 0.5], [0.0, 1.0], [1.0, 0.0]],
                    hazard_per_year=[200.0, 0.7, 0.0], onset_day=[0.0, 0.0, 17.0], max_occurrences=[3, 2, 3],
                    duration_median_days=[MEDIAN, MEDIAN, 4.0], duration_sigma=[SIGMA, SIGMA, 0.0],
                    severity_alpha=[ALPHA, ALPHA, 0.0], severity_beta=[BETA, BETA, 0.0], severity=[0.0, 0.0, 0.5],
                    tightening_days=[4.0, 0.0, 0.0])


def mixed_draws(first=0):
    """Scenarios ``first .. first + N_DRAWS - 1`` of MIXED as NumPy ``[N, E, K]``."""
    draws = _sample(MIXED, jax.random.PRNGKey(7), jnp.arange(first, first + N_DRAWS, dtype=jnp.uint32))
    return Scenario(*(np.asarray(x) for x in draws))


def counts_within(onset: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """Occurrences that start within the horizon, per scenario and event ``[N, E]``."""
    return np.sum(onset < horizon, axis=-1)


# --------------------------------------------------------------------------- Poisson arrivals


def test_poisson_count_moments_over_a_year():
    rate, n = 0.5, 200_000  # 0.5/year over 365 days: N ~ Poisson(0.5)
    common = dict(origin_onehot=[[1.0], [1.0]], product_weight=[[1.0], [1.0]], hazard_per_year=rate,
                  duration_median_days=10.0, duration_sigma=0.3)
    # event 0 with at most 12 (P(N > 12) < 1e-12) or at most 1 occurrence; event 1 keeps
    # K = 12 in both, so that one compile serves both
    many_events = make_events(max_occurrences=[12, 12], **common)
    one_events = make_events(max_occurrences=[1, 12], **common)
    key, index = jax.random.PRNGKey(11), jnp.arange(n, dtype=jnp.uint32)
    many = Scenario(*(np.asarray(x) for x in _sample(many_events, key, index)))
    one = Scenario(*(np.asarray(x) for x in _sample(one_events, key, index)))
    count = counts_within(many.onset_day)[:, 0]

    mean = rate * HORIZON / 365.0
    p_two_or_more = 1.0 - math.exp(-mean) * (1.0 + mean)  # 9.02 %
    assert abs(p_two_or_more - 0.0902) < 1e-4
    # tolerances: 4 standard errors over n draws
    assert abs(count.mean() - mean) < 4 * math.sqrt(mean / n)
    assert abs(count.var() - mean) < 4 * math.sqrt((mean + 2 * mean**2) / n)  # Poisson: variance = mean
    assert abs(np.mean(count >= 2) - p_two_or_more) < 4 * math.sqrt(p_two_or_more * (1 - p_two_or_more) / n)
    p_zero = math.exp(-mean)
    assert abs(np.mean(count == 0) - p_zero) < 4 * math.sqrt(p_zero * (1 - p_zero) / n)
    # at most one occurrence: the count is min(N, 1), path by path (the first arrival is the same)
    np.testing.assert_array_equal(counts_within(one.onset_day)[:, 0], np.minimum(count, 1))
    # raising the maximum adds occurrences and leaves the first one's draws unchanged
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a[:, 0, 0], b[:, 0, 0])
        np.testing.assert_array_equal(a[:, 1], b[:, 1])
    assert np.isinf(one.onset_day[:, 0, 1:]).all() and (one.duration_days[:, 0, 1:] == 0).all()


def test_truncation_at_max_occurrences_and_given_events():
    onset, duration, severity = mixed_draws()
    assert n_occurrences(MIXED) == 3 and onset.shape == (N_DRAWS, 3, 3)
    # event 0 at 200/year: three arrivals, non-decreasing whole days; the k-th onset is
    # floor(Gamma(k, 200/365)): mean about k x 365/200 - 0.5
    assert np.isfinite(onset[:, 0]).all() and (np.diff(onset[:, 0], axis=1) >= 0).all()
    assert (onset == np.floor(onset))[np.isfinite(onset)].all()
    for k in range(3):
        assert abs(onset[:, 0, k].mean() - ((k + 1) * 365 / 200 - 0.5)) < 0.1
    # event 1: the third slot is beyond its maximum: never (onset inf, duration and severity 0)
    assert np.isinf(onset[:, 1, 2]).all() and (duration[:, 1, 2] == 0).all() and (severity[:, 1, 2] == 0).all()
    # given event: exactly one occurrence at its onset day, whatever max_occurrences says
    assert (onset[:, 2, 0] == 17).all() and np.isinf(onset[:, 2, 1:]).all()
    assert (duration[:, 2, 0] == 4).all() and np.allclose(severity[:, 2, 0], 0.5)


def test_each_occurrence_draws_its_own_duration_and_severity():
    draws = mixed_draws()
    hazard_slots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]  # occurrences of the two hazard events
    duration = np.stack([draws.duration_days[:, e, k] for e, k in hazard_slots], axis=1)
    severity = np.stack([draws.severity[:, e, k] for e, k in hazard_slots], axis=1)
    bound = 4 / math.sqrt(N_DRAWS)  # 4 standard errors of a correlation around 0
    for values in (np.log(duration), severity):
        corr = np.corrcoef(values, rowvar=False)
        assert np.abs(corr[~np.eye(5, dtype=bool)]).max() < bound  # independent across occurrences and events
    # same distribution for every occurrence: Beta mean, lognormal median (rounded up)
    sd_beta = math.sqrt(ALPHA * BETA / ((ALPHA + BETA) ** 2 * (ALPHA + BETA + 1)))
    assert np.abs(severity.mean(axis=0) - ALPHA / (ALPHA + BETA)).max() < 4 * sd_beta / math.sqrt(N_DRAWS)
    assert ((severity >= 0) & (severity <= 1)).all()
    medians = np.median(duration, axis=0)
    assert (medians >= MEDIAN - 0.5).all() and (medians <= MEDIAN + 1.0).all()
    assert (duration >= 1).all() and (duration == np.ceil(duration)).all()


def test_sample_batch_does_not_depend_on_the_batch():
    shift = N_DRAWS // 2
    first, second = mixed_draws(0), mixed_draws(shift)  # other batches holding the same indices
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a[shift:], b[:N_DRAWS - shift])
    # the same indices in reverse order
    reverse = _sample(MIXED, jax.random.PRNGKey(7), jnp.arange(N_DRAWS - 1, -1, -1, dtype=jnp.uint32))
    for a, b in zip(first, reverse):
        np.testing.assert_array_equal(a[::-1], np.asarray(b))
    assert not np.array_equal(first.severity[5], first.severity[3])


def test_make_events_refuses_bad_new_fields():
    def hazard_event(rate, max_occurrences, **kwargs):
        return make_events(origin_onehot=[[1.0]], product_weight=[[1.0]], hazard_per_year=rate,
                           max_occurrences=max_occurrences, **kwargs)

    with pytest.raises(ValueError, match="max_occurrences"):
        hazard_event(1.0, 0)
    with pytest.raises(ValueError, match="max_occurrences"):
        hazard_event(1.0, 1.5)
    with pytest.raises(ValueError, match="announcement_lead_days"):
        hazard_event(1.0, 1, announcement_lead_days=-1.0)


# --------------------------------------------------------------------------- availability


def two_origins_two_products(**kwargs):
    # event 0: origin 0, both products (weight 1 and 0.5); event 1: origin 1, product 1
    return make_events(origin_onehot=[[1.0, 0.0], [0.0, 1.0]], product_weight=[[1.0, 0.5], [0.0, 1.0]], **kwargs)


def scenario(onsets, durations, severities):
    return Scenario(*(jnp.asarray(x, dtype=jnp.float32) for x in (onsets, durations, severities)))


def over_scenarios_and_days(function, draws: Scenario, days) -> np.ndarray:
    """``function(MIXED, scenario, day)`` for every scenario and every day: ``[N, T, ...]``."""
    per_day = jax.vmap(lambda one, day: function(MIXED, one, day), in_axes=(None, 0))
    return np.asarray(jax.jit(jax.vmap(per_day, in_axes=(0, None)))(draws, jnp.asarray(days, jnp.float32)))


def test_normal_times_are_exactly_one():
    events = two_origins_two_products(hazard_per_year=1.0, max_occurrences=4, tightening_days=3.0,
                                      announcement_lead_days=5.0)
    never = no_disruption(events)
    assert never.onset_day.shape == (2, 4)
    for day in (0.0, 100.0, jnp.array([-3.0, 7.0]), jnp.array([[0.0, 1.0], [2.0, 400.0]])):
        np.testing.assert_array_equal(np.asarray(availability(events, never, day)), 1.0)
        np.testing.assert_array_equal(np.asarray(announced_cut(events, never, day)), 0.0)
    np.testing.assert_array_equal(np.asarray(in_announcement(events, never, 10.0)), 0.0)
    # drawn scenarios: exactly 1.0 (and an announced cut of exactly 0) on days outside every
    # occurrence, below 1 where an occurrence with a positive cut is active
    draws = Scenario(*(x[:200] for x in mixed_draws()))
    days = np.arange(0, 400)
    kept = over_scenarios_and_days(availability, draws, days)  # [N, T, O, P]
    announced = over_scenarios_and_days(announced_cut, draws, days)
    onset, duration = draws.onset_day[:, None], draws.duration_days[:, None]  # [N, 1, E, K]
    active = (onset <= days[None, :, None, None]) & (days[None, :, None, None] < onset + duration)
    quiet = ~active.any(axis=(2, 3))  # [N, T]
    assert quiet.sum() > 1000 and (~quiet).sum() > 1000
    assert (kept[quiet] == 1.0).all() and (announced[quiet] == 0.0).all()
    assert (kept[~quiet].min(axis=(1, 2)) < 1.0).all()


def test_availability_hand_case_and_overlapping_occurrences():
    events = two_origins_two_products(hazard_per_year=1.0, max_occurrences=2)
    # event 0: 40 % from day 10 for 10 days, and 50 % from day 15 for 10 days (overlap 15..19)
    # event 1: 20 % from day 12 for 3 days
    draws = scenario([[10.0, 15.0], [12.0, np.inf]], [[10.0, 10.0], [3.0, 0.0]], [[0.4, 0.5], [0.2, 0.0]])

    def kept(day):
        return np.asarray(availability(events, draws, day))

    np.testing.assert_array_equal(kept(9.0), 1.0)
    np.testing.assert_allclose(kept(10.0), [[0.6, 0.8], [1.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(kept(12.0), [[0.6, 0.8], [1.0, 0.8]], rtol=1e-6)
    # overlapping occurrences combine multiplicatively: (1 - 0.4)(1 - 0.5), (1 - 0.2)(1 - 0.25)
    np.testing.assert_allclose(kept(15.0), [[0.3, 0.6], [1.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(kept(20.0), [[0.5, 0.75], [1.0, 1.0]], rtol=1e-6)
    np.testing.assert_array_equal(kept(25.0), 1.0)


def test_availability_with_origin_product_days_matches_scalar_days():
    draws = Scenario(*(x[:200] for x in mixed_draws()))
    transit = np.array([[3.0, 8.0], [30.0, 0.0]])  # [O, P] days
    today = np.arange(0, 120)
    days = today[:, None, None] - transit[None]  # [T, O, P]
    got = over_scenarios_and_days(availability, draws, days)  # [N, T, O, P]
    for o in range(2):
        for p in range(2):
            # entry (o, p) equals the scalar-day answer at that entry's own day
            scalar = over_scenarios_and_days(availability, draws, days[:, o, p])
            np.testing.assert_array_equal(got[:, :, o, p], scalar[:, :, o, p])
    # [P] days equal [O, P] days that repeat the row
    rows = over_scenarios_and_days(availability, draws, days[:, 0, :])
    repeated = over_scenarios_and_days(availability, draws, np.repeat(days[:, :1, :], 2, axis=1))
    np.testing.assert_array_equal(rows, repeated)
    assert (got < 1.0).any() and (got[:, :, 0, 0] != got[:, :, 0, 1]).any()


def test_event_shaped_scenario_still_works():
    events = two_origins_two_products()
    old = scenario([10.0, 12.0], [10.0, 3.0], [0.4, 0.2])  # [E]: one occurrence per event
    new = scenario([[10.0], [12.0]], [[10.0], [3.0]], [[0.4], [0.2]])
    for day in (5.0, 10.0, 12.0, jnp.array([12.0, 20.0]), jnp.array([[10.0, 12.0], [14.0, 15.0]])):
        np.testing.assert_array_equal(np.asarray(availability(events, old, day)),
                                      np.asarray(availability(events, new, day)))
    np.testing.assert_allclose(np.asarray(availability(events, old, 12.0)), [[0.6, 0.8], [1.0, 0.8]], rtol=1e-6)
    # one occurrence: the kept share is exactly 1 - cut (no rounding through a product)
    assert np.asarray(availability(events, old, 10.0))[0, 0] == np.float32(1.0) - np.float32(0.4)
    # under jit and vmap over stacked [N, E] scenarios
    stacked = scenario([[10.0, 12.0], [np.inf, 0.0]], [[10.0, 3.0], [0.0, 2.0]], [[0.4, 0.2], [0.0, 1.0]])
    out = jax.jit(jax.vmap(lambda s: availability(events, s, 1.0)))(stacked)
    np.testing.assert_allclose(np.asarray(out), [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]]])


def test_tightening_ramp():
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0]], tightening_days=4.0)
    draws = scenario([[2.0]], [[8.0]], [[0.8]])
    kept = [float(availability(events, draws, float(d))[0, 0]) for d in range(12)]
    expected = [1.0 - 0.8 * min(1.0, (d - 2 + 1) / 4) if 2 <= d < 10 else 1.0 for d in range(12)]
    np.testing.assert_allclose(kept, expected, rtol=1e-6)


# --------------------------------------------------------------------------- announcements


def announced_case(tightening_days=0.0):
    # one event, origin 0 of 2, products weighted 1 and 0.5 (a third product not hit)
    return make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0, 0.5, 0.0]], max_occurrences=2,
                       hazard_per_year=1.0, announcement_lead_days=10.0, tightening_days=tightening_days)


def test_announcement_window_hand_case():
    events = announced_case()
    draws = scenario([[50.0, np.inf]], [[20.0, 0.0]], [[0.6, 0.0]])  # onset 50, lead 10, 20 days
    for day in range(0, 90):
        cut = np.asarray(announced_cut(events, draws, float(day)))
        flag = np.asarray(in_announcement(events, draws, float(day)))
        kept = np.asarray(availability(events, draws, float(day)))
        announced, active = 40 <= day < 50, 50 <= day < 70
        expected = np.zeros((2, 3))
        if announced or active:
            expected[0] = [0.6, 0.3, 0.0]
        np.testing.assert_allclose(cut, expected, rtol=1e-6, atol=0)
        np.testing.assert_array_equal(flag, [1.0, 1.0, 0.0] if announced else 0.0)
        # physically nothing is cut during the announcement; during the event it matches
        np.testing.assert_allclose(kept, 1.0 - expected if active else 1.0, rtol=1e-6)
    # per-product days: product 0 sees day 45 (announced), product 1 day 35 (not yet)
    np.testing.assert_array_equal(np.asarray(in_announcement(events, draws, jnp.array([45.0, 35.0, 45.0]))),
                                  [1.0, 0.0, 0.0])


def test_announced_cut_stays_full_while_the_physical_cut_tightens():
    events = announced_case(tightening_days=5.0)
    draws = scenario([[50.0, np.inf]], [[20.0, 0.0]], [[0.6, 0.0]])
    for day in (40.0, 49.0, 50.0, 52.0, 69.0):
        np.testing.assert_allclose(np.asarray(announced_cut(events, draws, day))[0, 0], 0.6, rtol=1e-6)
    np.testing.assert_allclose(1.0 - np.asarray(availability(events, draws, 50.0))[0, 0], 0.6 / 5, rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(announced_cut(events, draws, 70.0)), 0.0)
    # unannounced occurrences: the announced cut is the physical cut (ramp included)
    plain = make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0, 0.5, 0.0]], tightening_days=5.0)
    one = scenario([50.0], [20.0], [0.6])
    for day in (45.0, 50.0, 52.0, 69.0, 70.0):
        np.testing.assert_allclose(np.asarray(announced_cut(plain, one, day)),
                                   1.0 - np.asarray(availability(plain, one, day)), atol=1e-7)
        np.testing.assert_array_equal(np.asarray(in_announcement(plain, one, day)), 0.0)


def test_two_occurrences_give_two_windows():
    events = announced_case()
    draws = scenario([[50.0, 200.0]], [[20.0, 5.0]], [[0.6, 0.4]])
    days = np.arange(0, 260)
    flag = np.array([float(in_announcement(events, draws, float(d))[0]) for d in days])
    cut = np.array([float(announced_cut(events, draws, float(d))[0, 0]) for d in days])
    window = ((days >= 40) & (days < 50)) | ((days >= 190) & (days < 200))
    np.testing.assert_array_equal(flag, window.astype(float))
    expected = np.where((days >= 40) & (days < 70), 0.6, np.where((days >= 190) & (days < 205), 0.4, 0.0))
    np.testing.assert_allclose(cut, expected, rtol=1e-6, atol=0)
    # announcement of a second occurrence during the first: cuts combine multiplicatively
    overlapping = scenario([[50.0, 65.0]], [[20.0, 5.0]], [[0.6, 0.4]])
    np.testing.assert_allclose(float(announced_cut(events, overlapping, 60.0)[0, 0]), 1 - 0.4 * 0.6, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(in_announcement(events, overlapping, 60.0)), [1.0, 1.0, 0.0])
