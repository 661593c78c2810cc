"""The smoothed engine, gradient sensitivities, the optax optimiser and their figures.

* ``simcore.core.smooth``: the relaxations are exact at temperature 0.0, bounded by
  their stated error and conserve stock balances;
* the smoothed engine converges to the exact engine as the temperature goes to 0, and
  temperature 0.0 is the exact engine (bit for bit);
* the optimiser finds the optimum of a hand case (a linear programme solved by hand)
  and beats or matches a grid with the same number of exact evaluations; it moves from
  its start and improves the exact out-of-sample objective; a start where the
  objective is flat is reported as "did not move" (result, store and CLI line);
* the optimisation figure draws exactly the stored numbers, and a store with
  sensitivities gets their tornado (the sensitivities themselves:
  ``tests/test_sensitivity.py``).

Two small models (shapes shared where possible, one compile per function):
``SMALL_MODEL`` of ``tests/shell_fixtures.py`` with random disruptions (convergence,
the sensitivities stored with an optimisation), and the hand model below (optimiser).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.analysis import optimize as O
from simcore.analysis import sensitivity as SE
from simcore.analysis.costs import mix_costs, pareto_front
from simcore.analysis.sweep import _config_without_analysis
from simcore.core import smooth as S
from simcore.core.engine import simulate_scenario
from simcore.core.disruptions import sample_batch
from simcore.schema.errors import InputError
from tests.shell_fixtures import write_small

N_SCENARIOS = 200  # sensitivity / convergence scenarios on the small model
HORIZON = 120
TEMPERATURE = 0.02  # the default of simcore.analysis.sensitivity
FD_STEP = 0.1

# Hand case: two products imported from one origin that cuts them completely on days
# 0..29; private stocks of 5 days; the government stock g_p (days) is released at once.
# Unmet demand = (30 - 5 - g_p) days x 10 units, loss (product-only: value not delivered)
# alpha 100 x 10 = 1000 per day short, beta 50 x 10 = 500. Standing cost per stock day
# (discount rate 0, full resale: carrying only) alpha 0.1 x 10 x 100 = 100, beta
# 0.3 x 10 x 50 = 150 per year. Avoided loss per cost: alpha 10, beta 3.3: fill alpha
# up to its need (25 days, cost 2500), the rest of the budget to beta.
HAND_MODEL = """
[model]
name = "hand"
currency = "USD"
origins = ["CN"]
[model.sources]
origins = "assumption: test"
""" + "".join(f"""
[[products]]
name = "{name}"
demand_per_day = 10.0
price = {price}
inventory_days = 5
import_share = {{ CN = 1.0 }}
[products.sources]
demand_per_day = "assumption: test"
price = "assumption: test"
inventory_days = "assumption: test"
import_share = "assumption: test"
""" for name, price in (("alpha", 100.0), ("beta", 50.0)))

HAND_CONFIG = """
[run]
model = "small.toml"
scenarios = 4
horizon_days = 60
seed = 1

[[events]]
name = "cut"
origin = "CN"
products = ["alpha", "beta"]
onset_day = 0
duration_days = 30
severity = 1.0

[[policies]]
name = "terms"
[policies.stockpile]
carrying_cost = { alpha = 0.1, beta = 0.3 }

[optimize]
base = "terms"
budgets = [4000, 6000]
steps = 60
train_scenarios = 4
test_scenarios = 4
search = "grid"
learning_rate = 0.05
temperature = 0.01
levers = [
  { path = "stockpile.gov_stock_days.alpha", range = [0, 40], name = "alpha_days" },
  { path = "stockpile.gov_stock_days.beta", range = [0, 40], name = "beta_days" },
]
[optimize.costs]
discount_rate = 0.0
"""
NEED, STOCK_COST, LOSS_PER_DAY = 25.0, np.array([100.0, 150.0]), np.array([1000.0, 500.0])


def hand_loss(days) -> float:
    return float(np.sum(LOSS_PER_DAY * np.maximum(NEED - np.asarray(days, float), 0.0)))


def hand_optimum(budget) -> np.ndarray:
    """Greedy solution of the linear programme (alpha first: more loss avoided per cost)."""
    alpha = min(NEED, budget / STOCK_COST[0])
    beta = min(NEED, (budget - alpha * STOCK_COST[0]) / STOCK_COST[1])
    return np.array([alpha, beta])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = write_small(tmp_path_factory.mktemp("small"))
    config = _config_without_analysis(path)
    return config


@pytest.fixture(scope="module")
def sensitivity(small):
    return SE.config_sensitivities(small, "stock", n_scenarios=N_SCENARIOS, temperature=TEMPERATURE, fd_step=FD_STEP)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand")
    path = write_small(folder, HAND_CONFIG, HAND_MODEL)
    config, spec, _ = O.load_optimize_config(path)
    return config, spec


@pytest.fixture(scope="module")
def hand_result(hand):
    config, spec = hand
    return O.run_optimize(config, spec, log=lambda *a: None)


# ----------------------------------------------------------------------------- relaxations


def test_relaxations_are_exact_at_zero_bounded_and_conserve_balances():
    x = jnp.linspace(-5.0, 5.0, 2001)
    assert np.array_equal(S.relu(x, 0.0), jnp.maximum(x, 0.0))
    assert np.array_equal(S.smooth_min(x, 1.0, 0.0), jnp.minimum(x, 1.0))
    assert S.greater(x, 0.5, 0.0).dtype == bool
    for tau, scale in ((0.1, 1.0), (0.02, 10.0)):
        relaxed = np.asarray(S.relu(x, tau, scale), np.float64)
        # SiLU: min over u of u sigmoid(u) = -0.2785 (at u = -1.278): the stated bound.
        assert np.max(np.abs(relaxed - np.maximum(np.asarray(x), 0.0))) <= 0.2785 * tau * scale + 1e-6
        np.testing.assert_allclose(relaxed - np.asarray(S.relu(-x, tau, scale)), np.asarray(x), atol=2e-6)
        assert float(S.relu(jnp.float32(0.0), tau, scale)) == 0.0  # exact at 0 (services in normal times)
        step = np.asarray(S.greater(x, 0.5, tau, scale))
        assert np.all(step[np.asarray(x) <= 0.5] == 0.0) and np.all(step[np.asarray(x) >= 0.5 + tau * scale] == 1.0)
        assert np.all(np.diff(step) >= 0)


# ----------------------------------------------------------------------------- smoothed engine


def test_temperature_zero_is_the_exact_engine(small):
    """Temperature 0.0 traces the exact engine: the same program as the default call (so
    the same compiled code and numbers; the rest of the suite checks those numbers), with
    the integer shortage count, while a positive temperature traces a different one.
    (Tracing only: nothing is compiled here.)"""
    model, events = small.loaded.model, small.events
    policy = small.policies[1].policy
    scenario = jax.tree_util.tree_map(lambda a: a[0], sample_batch(events, jax.random.PRNGKey(7),
                                                                   jnp.arange(1, dtype=jnp.uint32)))

    def program(**kwargs):
        return jax.make_jaxpr(lambda: simulate_scenario(model, policy, events, scenario, 30, **kwargs))()

    assert str(program()) == str(program(temperature=0.0))
    shapes = jax.eval_shape(lambda: simulate_scenario(model, policy, events, scenario, 30, temperature=0.0))[0]
    assert shapes.shortage_days.dtype == jnp.int32
    assert jax.eval_shape(lambda: simulate_scenario(model, policy, events, scenario, 30,
                                                    temperature=0.01))[0].shortage_days.dtype == jnp.float32


def test_smoothed_engine_converges_to_the_exact_engine(small):
    """Expected metrics of the smoothed engine approach the exact ones as the
    temperature goes to 0 (relative errors shrink; below 0.1 % at 1e-4)."""
    from simcore.analysis.file_numbers import directions_by_field, file_numbers
    from simcore.schema.errors import Problems, read_toml

    loaded = small.loaded
    model, policy = loaded.model, small.policies[1].policy
    numbers = file_numbers(read_toml(loaded.path, Problems("small")))
    directions = {f: jnp.asarray(d) for f, d in directions_by_field(numbers).items()}
    centre = jnp.asarray([n.value for n in numbers], jnp.float32)
    key, index = jax.random.PRNGKey(small.seed), jnp.arange(N_SCENARIOS, dtype=jnp.uint32)
    exact = SE.exact_rows(model, policy, small.events, key, index, directions, np.zeros((1, len(numbers))),
                          HORIZON)[0]
    assert np.all(exact > 0)
    errors = []
    for tau in (0.1, 0.03, 0.01, 0.003, 0.001, 1e-4):
        value, _ = SE.smooth_values_and_jacobian(model, policy, small.events, key, index, directions, centre,
                                                 jnp.float32(tau), horizon=HORIZON)
        errors.append(np.abs(np.asarray(value, np.float64) / exact - 1.0))
    errors = np.array(errors)  # [temperature, metric]
    assert np.all(errors[-1] < 1e-3), errors
    assert np.all(errors[-1] <= errors[0] + 1e-9), errors
    assert np.all(errors[0] > errors[-1]) or np.all(errors[0] < 1e-3)


# ----------------------------------------------------------------------------- optimiser


def test_standing_cost_is_affine_and_equals_mix_costs(hand):
    config, spec = hand
    base = next(p.policy for p in config.policies if p.name == spec.base)
    problem = O.make_problem(config.loaded, config.events, base, spec.levers, horizon=config.horizon_days,
                             seed=config.seed, assumptions=spec.costs)
    np.testing.assert_allclose(problem.cost_slope, STOCK_COST * 40.0, rtol=1e-6)
    rng = np.random.default_rng(0)
    x = rng.random((5, 2))
    from simcore.analysis import levers as lever_paths
    fields = lever_paths.mixes_from_values(base, [lv.lever for lv in spec.levers], problem.values(x))
    costs = mix_costs(config.loaded, fields, [str(i) for i in range(5)], assumptions=spec.costs)
    np.testing.assert_allclose(problem.standing_cost(x), costs["fiscal"] + costs["price_side_effect"], rtol=1e-6)


def test_projection_onto_box_and_budget():
    rng = np.random.default_rng(1)
    slope = np.array([3.0, 1.0, 0.5])
    for _ in range(50):
        y = rng.normal(0.5, 1.0, 3)
        x = O.project(y, slope, 1.2)
        assert np.all((x >= 0) & (x <= 1)) and slope @ x <= 1.2 + 1e-9
        # no feasible point is closer to y (checked against random feasible points)
        others = rng.random((200, 3))
        others = others[others @ slope <= 1.2]
        assert np.all(np.linalg.norm(others - y, axis=1) >= np.linalg.norm(x - y) - 1e-9)


def test_hand_model_losses_follow_the_closed_form(hand):
    config, spec = hand
    base = next(p.policy for p in config.policies if p.name == spec.base)
    problem = O.make_problem(config.loaded, config.events, base, spec.levers, horizon=config.horizon_days,
                             seed=config.seed, assumptions=spec.costs)
    points = np.array([[0, 0], [25, 10], [10, 30], [40, 40], [12.5, 3.25]])
    losses = O.exact_losses(problem, points, 0, 4)["loss"]
    np.testing.assert_allclose(losses, np.repeat([[hand_loss(p)] for p in points], 4, axis=1), rtol=1e-5)


def test_optimizer_finds_the_hand_optimum_and_beats_or_matches_the_grid(hand, hand_result):
    config, spec = hand
    ds = hand_result
    for b, budget in enumerate(spec.budgets):
        optimum = hand_optimum(budget)
        levels = ds["optax_levels"].values[b]
        np.testing.assert_allclose(levels, optimum, atol=0.3)  # days
        assert ds["optax_standing_cost"].values[b] <= budget * (1 + 1e-6)
        assert ds["optax_test_mean_loss"].values[b] <= hand_loss(optimum) * 1.01
        # the grid with the same number of exact evaluations: optax beats or matches it
        # (deterministic scenarios: standard errors 0)
        assert ds["optax_test_mean_loss"].values[b] <= ds["search_test_mean_loss"].values[b] + 1e-6
        assert bool(ds["optax_at_least_as_good"].values[b])
        assert ds["search_test_mean_loss"].values[b] >= hand_loss(optimum) - 1e-6  # nothing beats the optimum
        assert ds["optax_test_se"].values[b] == 0.0
    # Pareto front: more budget, less risk.
    assert np.all(np.diff(ds["optax_test_mean_loss"].values) < 0)


def test_optimizer_moves_from_the_start_and_improves_the_exact_test_objective(hand, hand_result):
    """At both budgets the start (the upper bounds projected onto the budget) is not the
    optimum: the optimiser moves, says so, and its answer has a lower exact loss on the
    test scenarios than the start (paired; deterministic scenarios here)."""
    config, spec = hand
    ds = hand_result
    for b, budget in enumerate(spec.budgets):
        start = ds["optax_start_levels"].values[b]
        assert hand_loss(start) > hand_loss(hand_optimum(budget)) + 1.0  # the start is not the optimum
        assert bool(ds["optax_moved"].values[b]) and not bool(ds["optax_flat_start"].values[b])
        assert str(ds["optax_status"].values[b]) == "moved and converged"
        assert np.max(np.abs(ds["optax_levels"].values[b] - start)) > 1.0  # days
        np.testing.assert_allclose(ds["optax_start_test_mean_loss"].values[b], hand_loss(start), rtol=1e-5)
        assert ds["optax_improvement_on_start"].values[b] > 0
        assert ds["optax_improvement_on_start"].values[b] > 2 * ds["optax_improvement_on_start_se"].values[b]
    assert ds.attrs["exact_evaluations"] == spec.exact_evaluations == ds.attrs["search_evaluations"]


def test_flat_start_is_reported_as_did_not_move(hand, capsys):
    """A budget that covers every need at the start (40 days of both stocks clear the
    30-day cut): the training objective is 0 around the start, the gradient exactly 0;
    the optimiser returns the start and says that it did not move (result, store, log)."""
    config, spec = hand
    base = next(p.policy for p in config.policies if p.name == spec.base)
    problem = O.make_problem(config.loaded, config.events, base, spec.levers, horizon=config.horizon_days,
                             seed=config.seed, assumptions=spec.costs)
    budget = float(problem.cost_slope.sum())  # the upper bounds fit: the start is (40, 40) days
    result = O.optimize(problem, budget, steps=6, temperature=spec.temperature, train_scenarios=4,
                        exact_evaluations=3)
    assert result.flat_start and not result.moved
    assert result.status.startswith("did not move")
    np.testing.assert_allclose(result.values, [40.0, 40.0])
    assert np.all(result.history == 0.0)
    flat = dataclasses.replace(spec, budgets=[budget], steps=6, exact_evaluations=3,
                               temperature_start=spec.temperature)
    lines = []
    ds = O.run_optimize(config, flat, log=lines.append)
    assert not bool(ds["optax_moved"].values[0]) and bool(ds["optax_flat_start"].values[0])
    assert any("DID NOT MOVE" in line for line in lines), lines


def test_temperature_schedule_and_checkpoints():
    taus = O.temperature_schedule(8, 0.02, 0.2)
    assert taus[0] == pytest.approx(0.2) and np.all(taus[-2:] == pytest.approx(0.02))
    assert np.all(np.diff(taus) <= 1e-12)  # annealed: never warmer
    assert np.all(O.temperature_schedule(5, 0.02, None) == 0.02)
    steps = O.checkpoint_steps(30, 7)
    assert steps[0] == 0 and steps[-1] == 30 and len(steps) == 7
    assert list(O.checkpoint_steps(30, 1)) == [30]
    assert len(O.checkpoint_steps(3, 10)) == 4  # never more than the iterates


def test_search_points_fit_the_budget(hand):
    config, spec = hand
    base = next(p.policy for p in config.policies if p.name == spec.base)
    problem = O.make_problem(config.loaded, config.events, base, spec.levers, horizon=config.horizon_days,
                             seed=config.seed, assumptions=spec.costs)
    for kind in ("random", "grid"):
        points = O.search_points(problem, 4000.0, 9, kind, seed=3)
        assert 1 <= len(points) <= 9
        assert np.all(points >= 0) and np.all(points <= 1)
        assert np.all(problem.standing_cost(points) <= 4000.0 * (1 + 1e-9))


def test_optimize_section_errors_name_every_bad_field(hand):
    config, _ = hand
    raw = {"levers": [{"path": "stockpile.gov_stock_days.alpha", "range": [10, 5]},
                      {"path": "stockpile.release_rate.beta", "range": [0, 1]},
                      {"path": "stockpile.gov_stock_days.gamma", "range": [0, 1]}],
           "budget": -1, "steps": 0, "search": "bayes", "bogus": 1, "base": "nope", "exact_evaluations": 0,
           "temperature_start": -1.0, "method": "newton"}
    with pytest.raises(InputError) as info:
        O.parse_optimize(raw, config)
    text = str(info.value)
    for field in ("optimize.levers[0].range", "optimize.levers[1].path", "optimize.levers[2].path",
                  "optimize.budget", "optimize.steps", "optimize.search", "optimize.bogus", "optimize.base",
                  "optimize.exact_evaluations", "optimize.temperature_start", "optimize.method"):
        assert field in text, field
    got = dict(info.value.problems)  # the fields by the schema, one line each with the allowed values
    assert got["optimize.levers[0].range"] == "must be [low, high] with low < high, got [10, 5]"
    assert got["optimize.steps"] == "must be an integer in [1, 100000], got 0"
    assert got["optimize.search"] == "must be one of random, grid, got 'bayes'"
    assert got["optimize.budget"] == "must be >= 0, got -1"
    assert len(got) == len(info.value.problems)
    # exactly one of budget and budgets, unique budgets, a missing range
    raw = {"levers": [{"path": "stockpile.gov_stock_days.alpha"}], "budgets": [5.0, 5, 1.0], "budget": 1.0}
    with pytest.raises(InputError) as info:
        O.parse_optimize(raw, config)
    assert dict(info.value.problems) == {
        "optimize.levers[0].range": "is required: [low, high] with low < high",
        "optimize.budget": "give exactly one of budget = B or budgets = [B1, B2, ...] (currency / year)",
        "optimize.budgets": "budgets must be unique; given more than once: 5"}


def test_optimize_section_defaults(hand):
    config, spec = hand
    raw = {"levers": [{"path": "stockpile.gov_stock_days.alpha", "range": [0, 40]}], "budgets": [300, 100]}
    parsed = O.parse_optimize(raw, config)
    assert parsed.budgets == [100.0, 300.0] and parsed.seed == config.seed and parsed.base == "no-policy"
    assert (parsed.steps, parsed.method, parsed.costs) == (60, "pgd", O.CostAssumptions())
    assert parsed.levers[0].name == "stockpile.gov_stock_days.alpha" and spec.costs.discount_rate == 0.0


# ----------------------------------------------------------------------------- figures and store


def test_optimize_store_report_draws_the_stored_numbers(hand, hand_result, sensitivity, tmp_path):
    from simcore.report import write_report

    from simcore.run.store import STORE_FORMAT, STORE_FORMAT_ATTR, open_tree

    store = O.write_optimize_store(hand_result, tmp_path / "opt.zarr", "text", sensitivity)
    tree = open_tree(store)  # the format attribute: the whole store opens as one tree
    assert tree.attrs[STORE_FORMAT_ATTR] == STORE_FORMAT and "sensitivity" in tree.children
    report = write_report(store)
    assert {"optimize", "tornado"} <= set(report.files)
    fig = report.figures["optimize"]
    ax = fig.axes[0]
    line = next(line for line in ax.lines if line.get_gid() == "optimize:optax")
    np.testing.assert_allclose(line.get_xdata(), hand_result["optax_standing_cost"].values, rtol=1e-9)
    np.testing.assert_allclose(line.get_ydata(), hand_result["optax_test_mean_loss"].values, rtol=1e-9)
    assert "USD / year" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "optimize:p_pareto"]
    expected = [f"P(front) {p:.2f}" for p in hand_result["optax_p_pareto"].values if np.isfinite(p)]
    assert labels == expected and expected  # every optimised point says how sure its place on the front is
    text = report.index.read_text()
    assert "Sensitivity tornado" in text and "at least as good" in text
    assert "model hand" in text and "4 scenarios" in text and "seed 1" in text


def test_cli_forwards_optimize(tmp_path, capsys):
    """``simcore optimize CONFIG`` reaches the optimiser: a config without [optimize] is
    refused with exit status 2 and the missing section named."""
    from simcore.cli import main

    path = write_small(tmp_path)
    assert main(["optimize", str(path)]) == 2
    assert "optimize: is required" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_config_runs(tmp_path):
    """The shipped optimisation example runs end to end (minutes on 2 cores)."""
    from pathlib import Path

    ds, store = O.run_optimize_file(Path(__file__).parent.parent / "configs" / "optimize_demo.toml",
                                    output=tmp_path / "demo.zarr", log=lambda *a: None)
    assert store.exists() and ds.sizes["budget"] >= 2
    assert math.isfinite(float(ds["optax_test_mean_loss"].max()))


def test_budget_front_has_bootstrap_probabilities(hand, hand_result):
    """The optimised points over budgets: the front flag at the point estimates and the
    probability of being on it (paired bootstrap of the test scenarios), stored and printed."""
    ds = hand_result
    p = ds["optax_p_pareto"].values
    assert p.shape == ds["budget"].shape and np.all((p >= 0) & (p <= 1))
    cost = ds["optax_standing_cost"].values + ds["optax_crisis_premium"].values
    np.testing.assert_array_equal(ds["optax_pareto"].values,
                                  pareto_front(cost, ds["optax_test_mean_loss"].values))
    assert "Pareto front over budgets" in O.pareto_line(ds) and "(P " in O.pareto_line(ds)
    # a constructed case through the same helper: one point far better than two others (paired noise)
    from simcore.analysis.pareto import front_probability_bootstrap

    rng = np.random.default_rng(0)
    noise = rng.normal(size=200)
    losses = np.vstack([100 + noise, 50 + noise, 100 + noise])  # mix 1: as cheap as 0, less risk, cheaper than 2
    got = front_probability_bootstrap(np.array([1.0, 1.0, 2.0]), losses, draws=200)
    np.testing.assert_allclose(got, [0.0, 1.0, 0.0])
