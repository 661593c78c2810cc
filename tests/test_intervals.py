"""Paired standard errors and 90 % intervals (simcore.analysis.intervals, evaluate_mixes_paired).

Hand-computed SEs on tiny sets, streamed moments against the whole sample, the delta
method and P(A beats B) by hand, and the intervals' coverage where the answer is known:
an analytic effect (thousands of replicates, vectorised) and a simulated effect on the
small test model (many disjoint scenario blocks; the truth is the pooled estimate)."""

import numpy as np
import pytest
from scipy.stats import norm

from simcore.analysis.intervals import LEVEL, Z, Moments, interval, p_greater, plus_minus, ratio_se, within_noise


def test_hand_computed_paired_se():
    reference = np.array([3.0, 5.0, 9.0])
    mix = np.array([2.0, 3.0, 6.0])  # gains 1, 2, 3: mean 2, std 1
    moments = Moments.of((reference - mix)[:, None])
    assert moments.n == 3 and moments.mean[0] == pytest.approx(2.0)
    assert moments.se()[0] == pytest.approx(1.0 / np.sqrt(3.0))
    low, high = interval(2.0, moments.se()[0])
    assert (low, high) == (pytest.approx(2.0 - 1.6448536 / np.sqrt(3.0)), pytest.approx(2.0 + 1.6448536 / np.sqrt(3.0)))
    assert Z == pytest.approx(norm.ppf(0.5 + LEVEL / 2), abs=1e-15)
    # unpaired, the two means' SEs add: far wider than the paired SE
    unpaired = np.hypot(reference.std(ddof=1), mix.std(ddof=1)) / np.sqrt(3.0)
    assert unpaired > 3 * moments.se()[0]


def test_streamed_moments_equal_the_whole_sample_in_any_chunking():
    rng = np.random.default_rng(1)
    x = rng.lognormal(3.0, 1.5, size=(1000, 4, 3)) + 1e6  # a large offset: no cancellation
    whole = Moments.of(x)
    for cuts in ([1, 2, 500], [999], list(range(10, 1000, 97))):
        parts = [Moments.of(block) for block in np.split(x, cuts)]
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        assert merged.n == 1000
        np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-13)
        np.testing.assert_allclose(merged.covariance(), whole.covariance(), rtol=1e-9)
    expected = np.stack([np.cov(x[:, i, :].T) for i in range(4)])
    np.testing.assert_allclose(whole.covariance(), expected, rtol=1e-10)
    assert np.isnan(Moments.of(x[:1]).covariance()).all()  # one scenario: no SE


def test_ratio_and_p_greater_by_hand():
    cost = np.array([4.0, 5.0, 3.0, 8.0])
    avoided = np.array([2.0, 5.0, 9.0, 10.0])
    cov = np.cov(cost, avoided)
    r = cost.mean() / avoided.mean()
    expected = np.sqrt(cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (avoided.mean() * 2.0)
    assert float(ratio_se(cost.mean(), avoided.mean(), cov[0, 0], cov[1, 1], cov[0, 1], 4)) == pytest.approx(expected)
    # a fixed cost: only the denominator varies, relative SEs equal
    fixed = float(ratio_se(10.0, avoided.mean(), 0.0, cov[1, 1], 0.0, 4))
    assert fixed / (10.0 / avoided.mean()) == pytest.approx(np.sqrt(cov[1, 1] / 4) / avoided.mean())
    assert float(p_greater(1.0, 1.0)) == pytest.approx(norm.cdf(1.0))
    np.testing.assert_array_equal(p_greater([1.0, -1.0, 0.0], 0.0), [1.0, 0.0, 0.5])
    assert bool(within_noise(1.0, 1.0)) and not bool(within_noise(2.0, 1.0))
    assert plus_minus(12.34, 1.0) == "12.3 ± 1.6"


def test_coverage_of_an_analytic_paired_effect():
    """4,000 replicates of 200 scenarios, vectorised: the reference loss is lognormal,
    the mix removes 30 % of it plus an independent uniform cost, so the true mean gain
    is 0.3 E[L] - 0.5 exactly. The share of 90 % intervals that cover it is 0.9 within
    a binomial tolerance (4 standard deviations of the share)."""
    rng = np.random.default_rng(7)
    replicates, n = 4000, 200
    mu, sigma = 1.0, 0.6
    true_gain = 0.3 * np.exp(mu + sigma ** 2 / 2) - 0.5
    loss = rng.lognormal(mu, sigma, size=(n, replicates))
    mix = 0.7 * loss + rng.uniform(0.0, 1.0, size=(n, replicates))
    gains = (loss - mix)[..., None]  # [n, replicates, 1]
    moments = Moments.of(gains[:80]).merge(Moments.of(gains[80:]))  # streamed in two chunks
    low, high = interval(moments.mean[:, 0], moments.se()[:, 0])
    covered = np.mean((low <= true_gain) & (true_gain <= high))
    tolerance = 4 * np.sqrt(LEVEL * (1 - LEVEL) / replicates)
    assert abs(covered - LEVEL) <= tolerance, covered


RUN = """
[run]
model = "small.toml"
scenarios = 100
horizon_days = 30
chunk_size = 50
seed = 3

[[events]]
name = "CN ban"
origin = "CN"
products = ["gallium"]
hazard_per_year = 8.0
duration_median_days = 12
duration_sigma = 0.5
severity_alpha = 4.0
severity_beta = 2.0

[[policies]]
name = "stock"
[policies.stockpile]
gov_stock_days = { gallium = 6 }
[policies.recycling]
share = { gallium = 0.2 }
"""


@pytest.mark.slow  # 6,000 engine scenarios; the analytic coverage test above runs by default
def test_coverage_of_simulated_effects_on_the_small_model(tmp_path):
    """60 disjoint blocks of 100 scenarios of the small model (30 days): each block's
    paired 90 % intervals of the mix's effects; the truth is the effect over all 6,000
    scenarios (its own error is 1/sqrt(60) of a block's). The share of blocks whose
    interval covers it is 0.9 within a binomial tolerance (3 standard deviations)."""
    from simcore.analysis import levers as lever_paths
    from simcore.analysis.evaluate import PairedRequest, evaluate_mixes_paired, risk_metrics
    from simcore.analysis.sweep import _config_without_analysis
    from simcore.run.runner import Simulation
    from tests.shell_fixtures import SMALL_MODEL

    (tmp_path / "small.toml").write_text(SMALL_MODEL)
    (tmp_path / "run.toml").write_text(RUN)
    config = _config_without_analysis(tmp_path / "run.toml")
    sim = Simulation.from_config(config)
    names = [p.name for p in config.policies]
    policies = lever_paths.stacked({k: np.stack([np.asarray(getattr(p.policy, k), np.float64)
                                                 for p in config.policies]) for k in config.policies[0].policy._fields})
    metrics = ("expected_shortage_days_total", "expected_value_added_loss", "p_any_shortage")
    blocks, n = 60, 100
    estimates, ses = {m: [] for m in metrics}, {m: [] for m in metrics}
    for k in range(blocks):
        summary, paired = evaluate_mixes_paired(sim, policies, names, n, chunk_size=n, policy_chunk=2, start=k * n,
                                                paired=PairedRequest(reference=names.index("no-policy")))
        risk = risk_metrics(summary)
        mix = names.index("stock")
        for m in metrics:
            estimates[m].append(float(risk[m].values[0] - risk[m].values[mix]))
            ses[m].append(float(paired.risk_se(paired.gains, m)[mix]))
    tolerance = 3 * np.sqrt(LEVEL * (1 - LEVEL) / blocks)
    for m in metrics:
        estimate, se = np.array(estimates[m]), np.array(ses[m])
        truth = estimate.mean()  # the effect over all blocks' scenarios (equal block sizes)
        assert truth > 0 and np.all(se > 0), m
        low, high = interval(estimate, se)
        covered = np.mean((low <= truth) & (truth <= high))
        assert abs(covered - LEVEL) <= tolerance, (m, covered)
