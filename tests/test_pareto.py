"""Probability of being on the Pareto front under scenario resampling (simcore.analysis.pareto):
constructed cases with known answers, and the sweep's streamed joint moments."""

import numpy as np
import pytest

from simcore.analysis.pareto import front_probability_bootstrap, front_probability_normal


def _per_scenario(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, n))


def test_far_apart_mixes_are_certain():
    # mix 0 cheaper and less risky than mix 1 by many SEs; mix 2 costlier but far less risky
    cost, risk = np.array([1.0, 2.0, 5.0]), np.array([10.0, 20.0, 1.0])
    cov = np.diag([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])  # exact costs, unit variance risks
    p = front_probability_normal(cost, risk, cov, n=400)
    np.testing.assert_allclose(p, [1.0, 0.0, 1.0])
    z = _per_scenario()
    boot = front_probability_bootstrap(cost, risk[:, None] + z, draws=300)
    np.testing.assert_allclose(boot, [1.0, 0.0, 1.0])


def test_equal_in_distribution_mixes_split_the_front():
    # same exact cost, the same expected risk, independent noise: the one with the lower
    # estimate dominates; each is on the front about half the time, symmetrically
    cost, risk = np.array([3.0, 3.0]), np.array([7.0, 7.0])
    cov = np.diag([0.0, 0.0, 4.0, 4.0])
    p = front_probability_normal(cost, risk, cov, n=100, draws=4000)
    assert p[0] == pytest.approx(0.5, abs=0.04) and p[1] == pytest.approx(0.5, abs=0.04)
    assert p.sum() == pytest.approx(1.0)  # exactly one of them each draw (ties have probability 0)
    rng = np.random.default_rng(4)
    per_scenario = 7.0 + rng.normal(size=(2, 300))
    per_scenario -= per_scenario.mean(axis=1, keepdims=True) - 7.0  # equal point estimates
    boot = front_probability_bootstrap(cost, per_scenario, draws=2000)
    assert boot[0] == pytest.approx(0.5, abs=0.06) and boot.sum() == pytest.approx(1.0)


def test_perfectly_correlated_noise_keeps_the_order():
    # paired (common random numbers): the same scenario noise in both mixes cancels, so a
    # small true difference is certain although each mean alone is noisy
    cost, risk = np.array([3.0, 3.0]), np.array([7.0, 7.1])
    cov = np.full((4, 4), 0.0)
    cov[2:, 2:] = 25.0  # risk variance 25 each, correlation 1
    p = front_probability_normal(cost, risk, cov, n=100)
    np.testing.assert_allclose(p, [1.0, 0.0])
    independent = np.diag([0.0, 0.0, 25.0, 25.0])
    q = front_probability_normal(cost, risk, independent, n=100)
    assert 0.3 < q[1] < 0.5  # unpaired, the order is uncertain


def test_bad_covariance_shape_is_named():
    with pytest.raises(ValueError, match=r"covariance must have shape \(4, 4\)"):
        front_probability_normal([1.0, 2.0], [1.0, 2.0], np.eye(3), n=10)


def test_sweep_stores_and_prints_pareto_probabilities(tmp_path):
    from simcore.analysis.costs import ranking_table
    from simcore.analysis.sweep import load_sweep_config, run_sweep
    from tests.shell_fixtures import SMALL_MODEL
    from tests.test_analysis import RUN, SWEEP

    (tmp_path / "small.toml").write_text(SMALL_MODEL)
    (tmp_path / "run.toml").write_text(RUN + SWEEP)
    config, spec, _ = load_sweep_config(tmp_path / "run.toml")
    result = run_sweep(config, spec, scenarios=16)
    table = result.table
    p = table["p_pareto"].values
    assert np.all((p >= 0) & (p <= 1))
    flag = table["pareto"].values
    assert np.all(p[flag] > 0)  # on the front at the point estimates: on it in some redraws at least
    flat = table.stack(point=spec.dims).reset_index("point", drop=True).rename({"point": "policy"})
    text = ranking_table(flat.drop_vars([d for d in spec.dims if d in flat.coords]))
    assert "(P " in text


def test_identical_mixes_share_the_front_whatever_the_rounding():
    # mixes 0 and 1 are the same per scenario (a lever that never acts), 2 costs more:
    # 0 and 1 are on the front together in every draw, never one dominating the other
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 1))
    values = np.hstack([x, x * (1 + 1e-15), 0.5 * x + rng.normal(size=(500, 1))])  # [n, 3] risks
    cov = np.zeros((6, 6))
    cov[3:, 3:] = np.cov(values.T)
    p = front_probability_normal(np.array([1.0, 1.0, 2.0]), np.array([5.0, 5.0, 5.0]), cov, n=500)
    assert p[0] == p[1] == 1.0
