"""Crisis peak prices without the normal-time markup in the analysis (simcore.analysis.markups,
the ``expected_peak_price_change`` risk metric of simcore.analysis.evaluate).

Hand check on the small test model: a mix that only pays a standing premium (contracted
spare capacity whose qualification lag outlasts the horizon, so it never delivers) has
the same crisis as no policy, scenario by scenario; its peak without the markup equals
the no-policy peak, its peak with the markup is ``(1 + peak) (1 + m) - 1``."""

import numpy as np
import pytest

from simcore.analysis import levers as lever_paths
from simcore.analysis.evaluate import PairedRequest, evaluate_mixes_paired, risk_metrics
from simcore.analysis.markups import central_markups, mix_markups, peak_without_markup
from simcore.analysis.sweep import _config_without_analysis
from simcore.core.model import no_policy
from simcore.run.runner import Simulation
from tests.shell_fixtures import SMALL_MODEL
from tests.test_analysis import RUN

FEE = 0.05  # reservation fee per unit of contracted share (fraction of the price)
SHARE = 0.5  # contracted spare share of gallium daily demand from AU


@pytest.fixture(scope="module")
def premium_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("markups")
    (folder / "small.toml").write_text(SMALL_MODEL)
    (folder / "run.toml").write_text(RUN)
    config = _config_without_analysis(folder / "run.toml")
    sim = Simulation.from_config(config)
    model = config.loaded.model
    base = lever_paths.policy_fields(no_policy(model))
    premium = {k: np.array(v, copy=True) for k, v in base.items()}
    gallium = config.loaded.products.index("gallium")
    premium["spare_capacity"][gallium, config.loaded.origins.index("AU")] = SHARE
    premium["spare_reservation_fee"][gallium] = FEE
    premium["qualification_lag_days"][gallium] = 10_000.0  # never qualifies within the 30-day horizon
    fields = {k: np.stack([base[k], premium[k]]) for k in base}
    policies = lever_paths.stacked(fields)
    summary, paired = evaluate_mixes_paired(sim, policies, ["no-policy", "premium"], 16, chunk_size=8,
                                            policy_chunk=2, paired=PairedRequest(reference=0))
    return config, policies, summary, paired, gallium


def test_premium_only_mix_has_the_no_policy_crisis_peak(premium_run):
    config, policies, summary, paired, gallium = premium_run
    markup = central_markups(config.loaded.model, policies)
    assert markup[0] == pytest.approx(np.zeros_like(markup[0]))
    assert markup[1, gallium] == pytest.approx(FEE * SHARE)  # the hand value: fee x contracted share
    mean = summary.sel(statistic="mean")
    # no crisis effect: the same shortages and losses, scenario means equal
    np.testing.assert_allclose(mean["shortage_days"].values[1], mean["shortage_days"].values[0])
    np.testing.assert_allclose(mean["value_added_loss_total"].values[1], mean["value_added_loss_total"].values[0])
    risk = risk_metrics(summary)
    with_markup = risk["expected_peak_price_change_incl_markup"].values
    without = risk["expected_peak_price_change"].values
    # the old metric shows the premium as a crisis peak rise; the new one does not
    assert with_markup[1, gallium] - with_markup[0, gallium] == pytest.approx(
        FEE * SHARE * (1 + with_markup[0, gallium]), rel=1e-4)
    np.testing.assert_allclose(without[1], without[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(without[0], with_markup[0], rtol=1e-6)  # no policy: no markup
    # the paired effect of the markup-free peak is 0 with SE 0 (identical per scenario)
    se = paired.risk_se(paired.gains, "expected_peak_price_change")
    assert np.all(se[1] < 1e-5)


def test_mix_markups_follow_drawn_import_shares(tmp_path):
    """Drawn import shares: a mix that sets a row pays the premium on the shift from the drawn
    row (per scenario); rows left at the central values follow the draw (no premium)."""
    import jax

    from simcore.core.uncertainty import draw_model, parameter_key
    from simcore.schema.modelfile import load_model

    text = SMALL_MODEL.replace("import_share = { CN = 0.8, AU = 0.2 }",
                               "import_share = { CN = { low = 0.6, mode = 0.8, high = 0.9 }, AU = 0.2 }", 1)
    assert text != SMALL_MODEL
    (tmp_path / "drawn.toml").write_text(text)
    loaded = load_model(tmp_path / "drawn.toml")
    model = loaded.model
    base = lever_paths.policy_fields(no_policy(model))
    moved = {k: np.array(v, copy=True) for k, v in base.items()}
    moved["import_share"][0] = [0.5, 0.5]
    moved["diversification_premium"][0] = 0.1
    policies = lever_paths.stacked({k: np.stack([base[k], moved[k]]) for k in base})
    key = jax.random.PRNGKey(3)
    got = mix_markups(model, policies, key, np.arange(4))  # [M, n, P]
    assert got.shape == (2, 4, 2)
    assert np.allclose(got[0], 0.0)
    for i in range(4):
        drawn = np.asarray(draw_model(model, parameter_key(key, np.uint32(i))).import_share)
        want = 0.1 * 0.5 * np.abs(np.array([0.5, 0.5]) - drawn[0]).sum()
        assert got[1, i, 0] == pytest.approx(want, rel=1e-5)
    assert np.ptp(got[1, :, 0]) > 0  # varies by scenario


def test_peak_without_markup_is_exact():
    peak, m = np.array([0.5, 1.2]), np.array([0.1, 0.0])
    np.testing.assert_allclose(peak_without_markup((1 + peak) * (1 + m) - 1, m), peak)


def test_robustness_ensemble_peaks_are_without_markup(premium_run):
    """The robustness ensemble's lane metrics (simcore.analysis.ensemble) carry crisis peaks
    without the markup: the premium-only mix has the no-policy peaks lane by lane; the
    engine's peak (the Sobol design's) is ``(1 + peak)(1 + m) - 1``."""
    import jax

    from simcore.analysis.ensemble import run_ensemble
    from simcore.analysis.sobol_run import packed_lane_metrics
    from simcore.core.cuts import occurrences_from_batch
    from simcore.core.disruptions import draw_leakage, sample_batch
    from simcore.core.lanes import model_lanes

    config, policies, _, _, gallium = premium_run
    sim = Simulation.from_config(config)
    model, n = config.loaded.model, 8
    got = []
    run_ensemble(model, policies, sim.events, sim.base_key, {}, n,
                 lambda lo, hi: (np.arange(lo, hi), np.zeros((hi - lo, 0))),
                 lambda lo, hi, metrics, features: got.append(np.asarray(metrics)), horizon=sim.horizon_days, chunk=n)
    metrics = np.concatenate(got, axis=1)  # [M, L, 4 + 2 P]
    n_products = len(config.loaded.products)
    peak = metrics[..., 4 + n_products:]
    np.testing.assert_allclose(peak[1], peak[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(metrics[1, :, 3], metrics[0, :, 3], rtol=1e-5, atol=1e-6)
    index = jax.numpy.arange(n, dtype=jax.numpy.uint32)
    occ = occurrences_from_batch(sample_batch(sim.events, sim.base_key, index))
    engine = np.asarray(packed_lane_metrics(model, model_lanes(model), policies,
                                            draw_leakage(sim.events, sim.base_key, index), occ, sim.horizon_days))
    np.testing.assert_allclose(engine[0, :, 4 + n_products:], peak[0], rtol=1e-6)
    np.testing.assert_allclose(engine[1, :, 4 + n_products + gallium],
                               (1 + peak[1, :, gallium]) * (1 + FEE * SHARE) - 1, rtol=1e-5)
