"""User segments of a product (``[[products.segments]]``, simcore.schema.segments,
docs/model.md section 4e): the expansion by hand, inherited draws that move together,
config names that mean every segment, two identical segments that reproduce the
unsplit product, a fully exposed segment that stops while the pool would not, and bad
input."""

from __future__ import annotations

import copy
import dataclasses
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import simulate_batch
from simcore.core.uncertainty import draw_model
from simcore.schema.config import parse_config
from simcore.schema.errors import InputError
from simcore.schema.modelfile import parse_model
from tests.shell_fixtures import SMALL_MODEL

SRC = "assumption: test"


def model_with_segments(segments=None, **gallium) -> dict:
    """The small test model (gallium: 10 t/day, 5 days of stock, CN 0.8 / AU 0.2, all used
    by electronics) with gallium split into ``segments``."""
    raw = tomllib.loads(SMALL_MODEL)
    product = raw["products"][0]
    product.update(gallium)
    for key in gallium:
        product["sources"][key] = SRC
    product["segments"] = segments if segments is not None else [
        {"name": "direct", "demand_share": 0.4, "import_share": {"CN": 1.0}, "domestic_share": 0.0,
         "inventory_days": 1.0, "sources": {k: SRC for k in ("demand_share", "import_share", "domestic_share",
                                                              "inventory_days")}},
        {"name": "pool", "demand_share": 0.6, "sources": {"demand_share": SRC}},
    ]
    return raw


def config(loaded, events, policies=(), horizon=60, scenarios=8):
    raw = {"run": {"model": "unused.toml", "scenarios": scenarios, "horizon_days": horizon, "seed": 3},
           "events": list(events), "policies": list(policies)}
    return parse_config(raw, loaded=loaded)


CN_STOP = {"name": "CN stop", "origin": "CN", "products": ["gallium"], "onset_day": 5, "duration_days": 40,
           "severity": 1.0}


# --------------------------------------------------------------------------- expansion

def test_segments_become_products_with_their_share_of_demand_and_exposure():
    loaded = parse_model(model_with_segments(exposure={"electronics": 0.5}))
    assert loaded.products == ["gallium.direct", "gallium.pool", "repair"]
    assert loaded.segments == {"gallium": ["gallium.direct", "gallium.pool"]}
    m = loaded.model
    np.testing.assert_allclose(np.asarray(m.demand_per_day)[:2], [4.0, 6.0], rtol=1e-6)
    # own import shares for the direct buyers; the pool inherits the product's
    np.testing.assert_allclose(np.asarray(m.import_share)[:2], [[1.0, 0.0], [0.8, 0.2]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(m.inventory_days)[:2], [1.0, 5.0], rtol=1e-6)
    # the users split like the volumes: exposure 0.5 of electronics -> 0.2 and 0.3
    np.testing.assert_allclose(np.asarray(m.exposure)[:2, 0], [0.2, 0.3], rtol=1e-6)
    assert "gallium" in loaded.product_names


def test_inherited_uncertain_numbers_are_drawn_together_and_own_ones_apart():
    demand = {"low": 5.0, "mode": 10.0, "high": 20.0}
    lead = {"low": 1.0, "mode": 2.0, "high": 6.0}
    segments = [
        {"name": "a", "demand_share": 0.25, "lead_time_days": {"low": 1.0, "mode": 2.0, "high": 6.0},
         "sources": {"demand_share": SRC, "lead_time_days": SRC}},
        {"name": "b", "demand_share": 0.75, "sources": {"demand_share": SRC}},
    ]
    loaded = parse_model(model_with_segments(segments, demand_per_day=demand, lead_time_days=lead))
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.key(1), i))(jnp.arange(64))
    drawn = jax.vmap(lambda k: draw_model(loaded.model, k))(keys)
    d = np.asarray(drawn.demand_per_day)
    # one draw of the product's demand, split 1:3 in every scenario
    np.testing.assert_allclose(d[:, 1], 3.0 * d[:, 0], rtol=1e-5)
    assert np.ptp(d[:, 0]) > 0
    t = np.asarray(drawn.transit_days)  # [scenario, P, O]: segment a's own lead time, b the product's
    assert not np.allclose(t[:, 0, 0], t[:, 1, 0])


def test_a_config_naming_the_product_means_every_segment():
    loaded = parse_model(model_with_segments())
    policies = [{"name": "mix", "stockpile": {"gov_stock_days": {"gallium": 30.0}},
                 "diversification": {"import_share": {"gallium": {"CN": 0.4, "AU": 0.4}}}}]
    cfg = config(loaded, [CN_STOP], policies)
    weight = np.asarray(cfg.events.product_weight)
    np.testing.assert_array_equal(weight[0], [1.0, 1.0, 0.0])
    mix = cfg.policies[1].policy
    np.testing.assert_allclose(np.asarray(mix.gov_stock_days)[:2], [30.0, 30.0])
    # the given mix (half CN, half AU) at each segment's own import total (1.0 and 1.0)
    np.testing.assert_allclose(np.asarray(mix.import_share)[:2], [[0.5, 0.5], [0.5, 0.5]], rtol=1e-6)
    # a segment named on its own keeps its own value
    policies = [{"name": "mix", "stockpile": {"gov_stock_days": {"gallium": 30.0, "gallium.direct": 60.0}}}]
    mix = config(loaded, [CN_STOP], policies).policies[1].policy
    np.testing.assert_allclose(np.asarray(mix.gov_stock_days)[:2], [60.0, 30.0])


# --------------------------------------------------------------------------- behaviour

def _unmet(loaded, events, policies=()):
    cfg = config(loaded, events, policies)
    from simcore.run.runner import Simulation

    sim = Simulation.from_config(cfg)
    index = jnp.arange(cfg.scenarios, dtype=jnp.uint32)
    totals, daily = simulate_batch(sim.loaded.model, sim.policies, sim.events, sim.base_key, index,
                                   horizon=cfg.horizon_days, save_daily=True)
    return totals, daily  # [policy, scenario, ...]


def test_two_identical_segments_reproduce_the_unsplit_product():
    half = {"demand_share": 0.5, "sources": {"demand_share": SRC}}
    split = parse_model(model_with_segments([{"name": "a", **half}, {"name": "b", **copy.deepcopy(half)}]))
    whole = parse_model({**tomllib.loads(SMALL_MODEL)})
    t_split, d_split = _unmet(split, [CN_STOP])
    t_whole, d_whole = _unmet(whole, [CN_STOP])
    unmet_split = np.asarray(d_split.unmet)[0, ..., :2].sum(axis=-1)  # [scenario, day]
    unmet_whole = np.asarray(d_whole.unmet)[0, ..., 0]
    assert unmet_whole.max() > 0  # the stop does cause a shortage
    np.testing.assert_allclose(unmet_split, unmet_whole, rtol=1e-4, atol=1e-4)
    # the sector loses the same output: the two halves of the users add up
    np.testing.assert_allclose(np.asarray(t_split.value_added_loss), np.asarray(t_whole.value_added_loss),
                               rtol=1e-4)


def test_group_sums_over_static_rows_equal_the_group_matrix_product():
    """The day step sums a group of segments over its rows (``segment_blocks``, static
    shapes); without them it multiplies by ``segment_group``: the same losses, and the
    blocks name the group's rows."""
    from simcore.core.sectors import group_sums as _group_sums
    from simcore.schema.segments import segment_blocks

    loaded = parse_model(model_with_segments([{"name": n, "demand_share": 0.25, "sources": {"demand_share": SRC}}
                                              for n in ("a", "b", "c", "d")]))
    model = loaded.model
    assert [b.shape[:2] for b in model.segment_blocks] == [(0, 4)]  # gallium's 4 segments are rows 0-3
    loss = jax.random.uniform(jax.random.PRNGKey(0), (len(loaded.products), 3, 5))  # [P, S, lanes]
    lanes = model._replace(segment_group=model.segment_group[..., None])  # the lane layout of the matrix
    by_rows = np.asarray(_group_sums(lanes, loss))
    by_matrix = np.asarray(_group_sums(lanes._replace(segment_blocks=None), loss))
    np.testing.assert_allclose(by_rows, by_matrix, rtol=1e-6)
    np.testing.assert_allclose(by_rows[0], np.asarray(loss[:4]).sum(axis=0), rtol=1e-6)
    np.testing.assert_array_equal(by_rows[4:], np.asarray(loss[4:]))  # rows outside the group unchanged
    with pytest.raises(ValueError, match="adjacent"):
        segment_blocks([[1, 3]])
    # and the engine gives the same run either way
    events = [CN_STOP]
    t_rows, _ = _unmet(loaded, events)
    t_matrix, _ = _unmet(dataclasses.replace(loaded, model=model._replace(segment_blocks=None)), events)
    # ... and the dense sector block (no pairs) too
    t_dense, _ = _unmet(dataclasses.replace(loaded, model=model._replace(segment_blocks=None, sector_pairs=None)),
                        events)
    for other in (t_matrix, t_dense):
        np.testing.assert_allclose(np.asarray(t_rows.value_added_loss), np.asarray(other.value_added_loss),
                                   rtol=1e-5)


def test_a_fully_exposed_segment_stops_while_the_national_pool_would_not():
    whole = parse_model(tomllib.loads(SMALL_MODEL))
    split = parse_model(model_with_segments())  # direct buyers: all from CN, 1 day of stock
    _, d_whole = _unmet(whole, [CN_STOP])
    _, d_split = _unmet(split, [CN_STOP])
    tol = 1e-3
    first = lambda short: int(np.argmax(short.any(axis=0)))  # noqa: E731 - first day any scenario is short
    short_whole = np.asarray(d_whole.unmet)[0, ..., 0] > tol * 10.0  # [scenario, day]
    short_direct = np.asarray(d_split.unmet)[0, ..., 0] > tol * 4.0
    assert short_direct.any()
    # onset day 5 + lead time 2 + one day of stock: the direct buyers are short days before the pool
    assert first(short_direct) < (first(short_whole) if short_whole.any() else 60)


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("change, field", [
    (lambda s: s[1].update(demand_share=0.0), "segments[1].demand_share"),  # a segment without users
    (lambda s: s[1].update(demand_share=0.5), "segments"),  # shares sum to 0.9
    (lambda s: s[1].update(name="direct"), "segments[1].name"),
    (lambda s: s[0]["import_share"].update(XX=0.1), "segments[0].import_share"),
    (lambda s: s[0].update(domestic_share=0.5), "segments[0].import_share"),
    (lambda s: s[0]["sources"].pop("inventory_days"), "segments[0]"),
])
def test_bad_segments_are_refused_naming_the_field(change, field):
    raw = model_with_segments()
    change(raw["products"][0]["segments"])
    with pytest.raises(InputError) as info:
        parse_model(raw)
    assert field in str(info.value)


def test_a_segmented_product_cannot_be_a_recipe_input_or_a_price_maker():
    raw = model_with_segments(world_demand_weight=0.3)
    raw["products"][1]["recipe_inputs"] = ["gallium"]
    with pytest.raises(InputError) as info:
        parse_model(raw)
    text = str(info.value)
    assert "products[0] (gallium).world_demand_weight" in text and "products[1] (repair).recipe_inputs" in text


def test_lever_paths_name_a_segmented_product_or_one_segment():
    from simcore.analysis.levers import resolve

    loaded = parse_model(model_with_segments())
    lever, why = resolve("stockpile.gov_stock_days.gallium", loaded)
    assert why is None and lever.masks["gov_stock_days"].tolist() == [True, True, False]
    lever, why = resolve("stockpile.gov_stock_days.gallium.direct", loaded)
    assert why is None and lever.masks["gov_stock_days"].tolist() == [True, False, False]
    lever, why = resolve("diversification.spare_capacity.gallium.pool.AU", loaded)
    assert why is None and lever.masks["spare_capacity"][1].tolist() == [False, True]
    lever, why = resolve("diversification.spare_capacity.gallium.AU", loaded)
    assert lever is None and "gallium.direct, gallium.pool" in why
