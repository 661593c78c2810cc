"""Sub-models of the screen (simcore.core.submodel, simcore.analysis.screen_run.case_blocks):
a case simulated on the rows it reaches gives the full model's numbers (float32 rounding),
draws the same uncertain numbers, and the rows reached are the hand-computed closure.

The cheap tests use a small random model (6 products, 3 origins, 3 sectors, recipe links,
hidden links, uncertain entries) and one compiled sub-model shape; the Japan test
(``slow``) runs ``run_cases`` both ways on a unit of every kind with two mixes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.analysis.screen_disruptions import Disruption, loss_slots, stack_cases
from simcore.analysis.screen_run import case_blocks, case_lane_metrics, case_rows, case_slots
from simcore.analysis.screen_units import Unit, home_patch
from simcore.core.lanes import model_lanes
from simcore.core.model import build_model, no_policy, stack_policies
from simcore.core.submodel import bucket, linked, reach, selection, sub_events, sub_model
from simcore.core.uncertainty import (
    TRIANGULAR,
    UNIFORM,
    Uncertainty,
    distribution,
    drawn_fields,
    hidden_dependence,
    parameter_key,
)

P, O, S, N_OCC, HORIZON, LANES = 8, 3, 3, 2, 60, 8


def small_model():
    """Rows: 0 and 2 raw inputs, 1 needs 0 (recipe), 3 needs 1 (chain 3 <- 1 <- 0), 4
    has a hidden link on 0 (from CN), 5 a hidden link on 2; 6 and 7 are reached by no
    case (they stay at their baseline); origin 2 supplies nobody's row 1 (the carrier of
    a recipe case)."""
    rng = np.random.default_rng(7)
    share = np.array([[0.6, 0.3, 0.0], [0.5, 0.2, 0.0], [0.2, 0.5, 0.3], [0.4, 0.4, 0.0], [0.3, 0.6, 0.0],
                      [0.0, 0.7, 0.2], [0.5, 0.5, 0.0], [0.2, 0.0, 0.3]])
    recipe = np.zeros((P, P))
    recipe[1, 0] = recipe[3, 1] = 1.0
    use = rng.uniform(0.1, 0.5, (P, S)) * (rng.uniform(size=(P, S)) < 0.7)
    use[:, 0] = np.maximum(use[:, 0], 0.1)
    model = build_model(
        demand_per_day=rng.uniform(1.0, 5.0, P), price=rng.uniform(1.0, 3.0, P), inventory_days=[5, 0, 10, 3, 0, 8, 4, 0],
        import_share=share, recipe_inputs=recipe, transit_days=rng.uniform(0, 20, (P, O)),
        technical_coefficients=np.array([[0.1, 0.2, 0.0], [0.0, 0.1, 0.3], [0.2, 0.0, 0.1]]),
        final_demand=np.array([500.0, 800.0, 300.0]) * 365, use_share=use, exposure=0.8 * (use > 0),
        essentiality=np.where(rng.uniform(size=(P, S)) < 0.5, 1.0, 0.5), substitutable_share=0.2,
        critical_upstream=np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]]), input_overlap=np.array([0.0, 0.5, 1.0]),
        world_stock_days=10.0, world_supply_response=0.05, market_sourcing_share=0.3)
    hidden = hidden_dependence(product=[4, 5, 4], origin=[1, 1, 0], on_product=[0, 2, 2], on_origin=[0, 2, 1],
                               share=[0.5, 0.4, 0.3])
    draws = {"inventory_days": distribution(np.arange(P), 100 + np.arange(P), TRIANGULAR, 2.0, 5.0, 12.0, 0.0),
             "demand_per_day": distribution([0, 3], [200, 201], UNIFORM, 1.0, 0.0, 4.0, 0.0),
             "import_share": distribution([1, 7], [300, 301], UNIFORM, 0.1, 0.0, 0.6, 0.0, 1.0),
             "hidden_share": distribution([0, 1, 2], [400, 401, 402], UNIFORM, 0.2, 0.0, 0.8, 0.0, 1.0)}
    return model._replace(hidden=hidden, uncertainty=Uncertainty(draws, jnp.ones(P)))


def units():
    """One unit of each kind: product 0 (both origins), link (3 from AU), hidden (4 from
    AU on 0 from CN: its dependent supply cut by the link's share), recipe (1's domestic
    makers lose 0), domestic (2's domestic production)."""
    return [Unit("p0", "product", "p0", slots=[(0, {0: 1.0}), (1, {0: 1.0})], rows=[0]),
            Unit("p3 from AU", "link", "p3", slots=[(1, {3: 1.0})], rows=[3]),
            Unit("p4 hidden", "hidden", "p4", slots=[(1, {4: 0.5})], rows=[4]),
            Unit("p1 needs p0", "recipe", "p1", rows=[1], home={1: 0.3}, slots=[(2, {1: 1.0})]),
            Unit("p2 domestic", "domestic", "p2", rows=[2], home={2: 0.0}, slots=[(2, {2: 1.0})])]


FAMILY = (Disruption("full-30", duration_days=30), Disruption("partial-45", severity=0.5, duration_days=45,
                                                               tightening_days=10))


def stacked_cases(us):
    slots, patches = [], []
    for unit in us:
        for d in FAMILY:
            slots.append(loss_slots(unit, d, P, O, N_OCC))
            patches.append(home_patch(unit, 2 if unit.home else None, P, O))
    events = stack_cases(slots, P, O, N_OCC)
    return (events, jnp.asarray(np.stack([p[0] for p in patches]), jnp.float32),
            jnp.asarray(np.stack([p[1] for p in patches]), jnp.float32), jnp.asarray(np.stack([p[2] for p in patches])))


def mixes(model):
    base = no_policy(model)
    shares = np.asarray(model.import_share).copy()
    shares[0] = [0.3, 0.6, 0.0]
    mix = base._replace(gov_stock_days=jnp.asarray([20.0, 0, 10, 0, 5, 0, 10, 0]), release_rate=jnp.full(P, 0.5),
                        recycling_share=jnp.asarray([0.1, 0, 0, 0.2, 0, 0, 0.1, 0]), import_share=jnp.asarray(shares,
                                                                                                     jnp.float32),
                        diversification_premium=jnp.full(P, 0.05),
                        spare_capacity=jnp.zeros((P, O)).at[2, 0].set(0.1))
    return stack_policies([base, mix])


@pytest.fixture(scope="module")
def small():
    model = small_model()
    cases = stacked_cases(units())
    policies = mixes(model)
    key = jax.random.PRNGKey(11)
    index = jnp.arange(LANES, dtype=jnp.uint32)
    run = jax.jit(lambda sel: case_lane_metrics(model, policies, cases, key, index, jnp.zeros((LANES, 0)), {},
                                                HORIZON, False, sel))
    rows = np.unique(np.concatenate(case_rows(model, cases)))
    return model, cases, policies, run, rows


def test_reach_is_the_closure_by_hand():
    model = small_model()
    assert reach(model, [0]).tolist() == [0, 1, 3, 4]  # 1 needs 0, 3 needs 1, 4 has a link on 0
    assert reach(model, [2]).tolist() == [2, 4, 5]  # links of 4 and 5 on 2
    assert reach(model, [3]).tolist() == [3]  # nothing needs 3
    assert linked(model, [0, 4]) and not linked(model, [0, 5])
    assert bucket(3, (1, 2, 4), model, links=True) == 4 and bucket(3, (1, 2, 4), model, links=False) == 4
    assert bucket(2, (1, 2, 4), model, links=False) == 2 and bucket(5, (1, 2, 4), model) is None
    assert bucket(6, (1, 2, 4, 8), model, links=True) is None  # 8 rows: no smaller than the model


def test_case_rows_and_slots_of_each_kind(small):
    model, cases, _, _, _ = small
    rows = case_rows(model, cases)
    # cases in unit order, two disruptions each: product 0, link 3, hidden 4, recipe 1, domestic 2
    assert [r.tolist() for r in rows[::2]] == [[0, 1, 3, 4], [3], [4], [1, 3], [2, 4, 5]]
    slots, occ = case_slots(cases)
    assert slots.tolist() == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1] and occ.tolist() == [1] * 10


def test_sub_model_draws_are_the_full_models(small):
    """Common random numbers: the kept rows' drawn numbers are the full model's, bit for bit."""
    model, cases, _, _, rows = small
    sel = selection(model, rows, len(rows) + 1)
    drawn = jax.vmap(lambda i: drawn_fields(model, parameter_key(jax.random.PRNGKey(11), i)))(jnp.arange(4))
    full = model_lanes(model, drawn)
    sub = sub_model(full, sel)
    n = int(sel.real.sum())
    keep = sel.index[:n]
    for name in ("inventory_days", "demand_per_day", "import_share", "domestic_share", "world_share", "price_scale"):
        np.testing.assert_array_equal(np.asarray(getattr(sub, name))[:n], np.asarray(getattr(full, name))[keep])
    np.testing.assert_array_equal(np.asarray(sub.price_operator)[:, :n], np.asarray(full.price_operator)[:, keep])
    shares = np.asarray(sub.hidden.share)
    kept = np.asarray(sel.hidden_kept)
    np.testing.assert_array_equal(shares[kept], np.asarray(full.hidden.share)[kept])
    assert (shares[~kept] == 0).all()
    events = sub_events(jax.tree_util.tree_map(lambda x: x[0], cases[0]), sel)
    np.testing.assert_array_equal(np.asarray(events.product_weight)[:, :n],
                                  np.asarray(cases[0].product_weight[0])[:, keep])
    assert (np.asarray(events.product_weight)[:, n:] == 0).all()


def _compare(full, sub, sel, n_products):
    """Full ``[C, M, L, 3 + P + S]`` against sub ``[C, M, L, 3 + b + S]``."""
    n = int(np.asarray(sel.real).sum())
    keep = np.asarray(sel.index)[:n]
    full, sub = np.asarray(full, np.float64), np.asarray(sub, np.float64)
    b = len(sel.index)
    np.testing.assert_array_equal(np.isnan(full[..., 2]), np.isnan(sub[..., 2]))
    scale = np.nanmax(np.abs(full[..., 0])) + 1.0
    np.testing.assert_allclose(np.nan_to_num(sub[..., :3]), np.nan_to_num(full[..., :3]), rtol=2e-6, atol=1e-6 * scale)
    np.testing.assert_array_equal(sub[..., 3:3 + n], full[..., 3 + keep])  # shortage days: whole days
    others = np.setdiff1d(np.arange(n_products), keep)
    assert (full[..., 3 + others] == 0).all()  # rows not reached never go short
    assert (sub[..., 3 + n:3 + b] == 0).all()  # nor do the pads
    np.testing.assert_allclose(sub[..., 3 + b:], full[..., 3 + n_products:], rtol=2e-6, atol=1e-6 * scale)
    return np.abs(sub[..., 0] - full[..., 0]).max() / scale


def test_sub_model_equals_full_model_on_every_kind(small):
    """Every unit kind, both mixes: the union of the reached rows (plus a pad for the
    hidden links) gives the full model's value-added loss, shortage, time to survive,
    shortage days and sector losses; the losses are not all zero."""
    model, cases, _, run, rows = small
    full = run(None)
    assert np.asarray(full)[..., 0].max() > 0 and np.asarray(full)[..., 1].max() == 1.0
    sel = selection(model, rows, len(rows) + 1) if len(rows) + 1 <= P else None
    assert sel is not None and sel.hidden_kept is not None
    _compare(full, run(sel), sel, P)


@pytest.mark.slow
def test_sub_models_per_block_equal_full_model_small():
    """run_cases with per-block sub-models (several sizes, slot cuts) against the full
    model, on the small model (compiles a few programs)."""
    from simcore.analysis.screen_run import run_cases

    model = small_model()
    cases = stacked_cases(units())
    policies = mixes(model)
    out = {}
    for sub in (True, False):
        got = {}
        run_cases(model, policies, cases, jax.random.PRNGKey(5), n_scenarios=LANES, start=0, horizon=HORIZON,
                  chunk_cases=2, chunk_scenarios=LANES, consume=lambda lo, hi, i, p, o: got.__setitem__(lo, o),
                  submodels=sub)
        out[sub] = np.concatenate([got[k] for k in sorted(got)])
    blocks = case_blocks(model, cases, 2)
    assert any(b[2] is not None for b in blocks)
    np.testing.assert_array_equal(np.isnan(out[True]), np.isnan(out[False]))
    np.testing.assert_allclose(np.nan_to_num(out[True]), np.nan_to_num(out[False]), rtol=2e-6,
                               atol=1e-6 * (np.abs(out[False][..., 0]).max() + 1))


@pytest.mark.slow
def test_japan_sub_models_equal_full_model():
    """The Japan model: a unit of every kind (products with segments, links, hidden
    links, recipe links, domestic producers) under the default family with its hazards,
    no policy and the all-three mix, per-block sub-models against the full model."""
    from simcore.analysis import screen as SC
    from simcore.analysis.screen_run import run_cases
    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config("configs/japan_screen.toml", "screen")
    s = SC.settings_from(sections.get("screen") or {}, {}, config=config)
    loaded = config.loaded
    every = SC.with_carriers(config, SC.select_units(SC.model_units(loaded), s), s.policies)
    chosen, seen = [], set()
    for unit in every:  # the first two units of each kind, and the magnets (segments, recipes)
        if sum(u.kind == unit.kind for u in chosen) < 2 or "ndfeb" in unit.name and unit.kind in ("product", "recipe"):
            chosen.append(unit)
            seen.add(unit.kind)
    assert {"product", "link", "hidden", "recipe", "domestic"} <= seen
    _, slots, _, patches = SC.build_cases(config, chosen, s.disruptions)
    n_occ = int(np.shape(config.events.occurrence_allowed)[1])
    n_products = len(loaded.products)
    cases = (stack_cases(slots, n_products, len(loaded.origins), n_occ),) + tuple(
        jnp.asarray(x, jnp.bool_ if k == 2 else jnp.float32) for k, x in enumerate(patches))
    named = {p.name: p.policy for p in config.policies}
    policies = stack_policies([named[n] for n in s.policies])
    out = {}
    for sub in (True, False):
        got = {}
        run_cases(loaded.model, policies, cases, jax.random.PRNGKey(config.seed), n_scenarios=LANES, start=0,
                  horizon=120, chunk_cases=8, chunk_scenarios=LANES,
                  consume=lambda lo, hi, i, p, o: got.__setitem__(lo, o), submodels=sub)
        out[sub] = np.concatenate([got[k] for k in sorted(got)])
    assert np.asarray(out[False])[..., 0].max() > 0
    np.testing.assert_array_equal(np.isnan(out[True]), np.isnan(out[False]))
    np.testing.assert_allclose(np.nan_to_num(out[True]), np.nan_to_num(out[False]), rtol=2e-6,
                               atol=1e-6 * (np.abs(out[False][..., 0]).max() + 1))
