"""The validation protocol (validation/, docs/validation.md): the pre-registration is
complete and honest, the model quantities and scores are computed as documented (by
hand on small arrays), calibration scales what it says, and the suite runs end to end.

Run: ``.venv/bin/python -m pytest -q tests/test_validation_suite.py`` (about a minute:
every episode shares one compiled shape, 2 scenarios each).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from validation.calibration import FACTORS, prior_draws, scale_model
from validation.registry import HORIZON, NO_SHORTAGE_MAX_P, Episode, Observation, day, episodes, observations
from validation.run import crps, evaluate, main, measure

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the registration

def test_registration_is_complete_and_held_out_episodes_are_never_calibrated():
    eps = {e.key: e for e in episodes()}
    obs = observations()
    assert len(eps) >= 5 and len({o.key for o in obs}) == len(obs)
    held = {k for k, e in eps.items() if e.role == "held-out"}
    calibration = {k for k, e in eps.items() if e.role == "calibration"}
    assert len(held) >= 2 and not held & calibration
    for o in obs:
        e = eps[o.episode]
        assert o.source and o.arithmetic and o.band_reason and e.mapping
        assert 0 <= day(e, o.date) < HORIZON
        assert len(e.events) == 2  # one compiled shape for every episode
        if o.kind == "no_shortage":
            assert o.value is None and o.band is None
        else:
            low, high = o.band  # fixed numbers around the observation, not from the model
            assert low < o.value < high
    # every episode has at least one observation
    assert {o.episode for o in obs} == set(eps)


def test_the_registration_commit_precedes_the_run_recorded_in_the_docs():
    try:
        log = subprocess.run(["git", "log", "--format=%h", "--", "validation/registry.py"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    if not log:
        pytest.skip("the registration is not committed in this checkout")
    doc = (ROOT / "docs" / "validation.md").read_text()
    if "Registration commit" in doc:
        recorded = doc.split("Registration commit ")[1].split()[0]
        assert recorded in log  # the recorded registration is one of the registry's commits


# ---------------------------------------------------------------- quantities and scores by hand

def _episode():
    return Episode(key="x", title="x", role="held-out", day0=dt.date(2024, 1, 1))


class _Loaded:
    products = ("a", "b")

    class model:  # noqa: N801  (a stand-in with the two fields measure() reads)
        demand_per_day = np.array([10.0, 10.0])
        shortage_tolerance = np.array(1e-3)


def _obs(kind, date, base=None, value=1.0, products=("a",)):
    return Observation("k", "x", kind, products, date, value, (0.5, 2.0) if value is not None else None, base,
                       "s", "a", "r")


def test_measures_by_hand():
    price = np.ones((2, 40, 2))
    price[0, 10:20, 0] = np.linspace(1.0, 3.0, 10)  # peaks at 3 on day 19, then back to 1.5
    price[0, 20:, 0] = 1.5
    price[1, :, 0] = 2.0
    unmet = np.zeros((2, 40, 2))
    unmet[0, 25, 1] = 5.0  # product b short on day 25 in scenario 0 only
    run = {"price": price, "unmet": unmet}
    d = dt.date(2024, 1, 1)
    on = lambda n: d + dt.timedelta(days=n)  # noqa: E731
    np.testing.assert_allclose(measure(_obs("price_ratio", on(30)), _episode(), run, _Loaded), [1.5, 2.0])
    np.testing.assert_allclose(measure(_obs("price_ratio", on(30), on(19)), _episode(), run, _Loaded), [0.5, 1.0])
    np.testing.assert_allclose(measure(_obs("peak_fall", on(30), on(0)), _episode(), run, _Loaded), [0.5, 1.0])
    short = _obs("no_shortage", on(30), on(5), value=None, products=("a", "b"))
    np.testing.assert_array_equal(measure(short, _episode(), run, _Loaded), [1.0, 0.0])
    first = _obs("first_shortage_days", on(30), on(5), products=("b",))
    np.testing.assert_array_equal(measure(first, _episode(), run, _Loaded), [20.0, HORIZON - 1 - 5])


def test_crps_by_hand_and_verdicts():
    # samples 1, 2, 3 and y = 2: E|X - y| = 2/3, E|X - X'| = 8/9 over all 9 pairs: 2/3 - 4/9 = 2/9
    assert crps(np.array([3.0, 1.0, 2.0]), 2.0) == pytest.approx(2.0 / 9.0)
    assert crps(np.full(5, 4.0), 4.0) == pytest.approx(0.0)
    values = np.linspace(1.0, 2.0, 101)
    inside = evaluate(_obs("price_ratio", dt.date(2024, 1, 2), value=1.5), values)
    assert inside["inside90"] and inside["pass"] and inside["model_median"] == pytest.approx(1.5)
    outside = evaluate(Observation("k", "x", "price_ratio", ("a",), dt.date(2024, 1, 2), 3.0, (2.5, 3.5), None,
                                   "s", "a", "r"), values)
    assert not outside["inside90"] and not outside["pass"]
    absence = evaluate(_obs("no_shortage", dt.date(2024, 1, 2), value=None), np.array([1.0, 0.0, 0.0, 0.0]))
    assert absence["p_shortage"] == 0.25 and absence["pass"] == (0.25 <= NO_SHORTAGE_MAX_P)


def test_calibration_scales_central_values_and_distributions():
    from simcore.core import build_model
    from simcore.core.uncertainty import TRIANGULAR, Distribution, Uncertainty

    model = build_model(demand_per_day=[1.0, 1.0], price=[1.0, 1.0], inventory_days=[0.0, 0.0],
                        import_share=[[1.0], [1.0]], world_stock_days=[30.0, 60.0])
    dist = Distribution(index=jnp.asarray([1]), stream=jnp.asarray([7], jnp.uint32), kind=jnp.asarray([TRIANGULAR]),
                        a=jnp.asarray([40.0]), b=jnp.asarray([60.0]), c=jnp.asarray([90.0]), floor=jnp.asarray([0.0]),
                        ceiling=jnp.asarray([jnp.inf]))
    model = model._replace(uncertainty=Uncertainty(draws={"world_stock_days": dist},
                                                   world_follows_import=jnp.zeros(2)))
    scaled = scale_model(model, {"stock": 2.0, "eta": 0.5})
    np.testing.assert_allclose(scaled.world_stock_days, [60.0, 120.0])
    np.testing.assert_allclose(scaled.world_storage_elasticity, 0.5 * np.asarray(model.world_storage_elasticity))
    d = scaled.uncertainty.draws["world_stock_days"]
    np.testing.assert_allclose([d.a[0], d.b[0], d.c[0]], [80.0, 120.0, 180.0])
    draws = prior_draws(200)
    assert draws.shape == (200, len(FACTORS)) and draws.min() >= 1 / 3 - 1e-9 and draws.max() <= 3 + 1e-9
    np.testing.assert_array_equal(draws, prior_draws(200))  # a fixed key


# ---------------------------------------------------------------- end to end

def test_suite_runs_and_writes_the_table(tmp_path):
    doc = tmp_path / "validation.md"
    doc.write_text("head\n<!-- validation-results:start (generated by python -m validation; do not edit) -->\nold\n"
                   "<!-- validation-results:end -->\ntail\n")
    assert main(["--scenarios", "2", "--out", str(tmp_path), "--doc", str(doc)]) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    assert len(result["observations"]) == len(observations())
    for row in result["observations"]:
        if row["kind"] != "no_shortage":
            assert row["model_p5"] <= row["model_median"] <= row["model_p95"] and np.isfinite(row["score_value"])
    text = doc.read_text()
    assert text.startswith("head\n") and text.endswith("tail\n") and "old" not in text
    assert "| observation | role | observed |" in text and "Registration commit" in text
