"""The cost table of ``simcore run`` (issue 20, item 7): one fiscal cost for run, analysis
and service, no double-counted financing, net benefit ranked with intervals, peak prices
with and without the normal-time markup, and the cost-effectiveness frontier of the report.

One small run (the two-product test model, 48 scenarios x 120 days) serves the module."""

import math
import tomllib
import types

import numpy as np
import pytest

from simcore.analysis.costs import mix_costs
from simcore.core.model import build_model, no_policy
from simcore.run.costs import CostAssumptions, annuity_factor, stock_fiscal
from tests.shell_fixtures import SMALL_MODEL

RUN = """
[run]
model = "small.toml"
scenarios = 48
horizon_days = 120
chunk_size = 48
seed = 11

[costs]
discount_rate = 0.03
stock_life_years = 10
stock_residual_share = 0.5

[[events]]
name = "CN ban"
origin = "CN"
products = ["gallium"]
hazard_per_year = 3.0
duration_median_days = 30
duration_sigma = 0.5
severity_alpha = 3.0
severity_beta = 2.0

[[policies]]
name = "stock"
[policies.stockpile]
gov_stock_days = { gallium = 30 }
carrying_cost = 0.04

[[policies]]
name = "diversify"
[policies.diversification]
import_share = { gallium = { CN = 0.4, AU = 0.6 } }
premium = 0.1
spare_capacity = { gallium = { AU = 0.3 } }
spare_premium = 0.5
qualification_lag_days = 10

[[policies]]
name = "diversify-free"
[policies.diversification]
import_share = { gallium = { CN = 0.4, AU = 0.6 } }
premium = 0.0
spare_capacity = { gallium = { AU = 0.3 } }
spare_premium = 0.5
qualification_lag_days = 10
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from simcore import Simulation, load_config, normal_times, pillar_effects, simulate, summarize

    folder = tmp_path_factory.mktemp("costs")
    (folder / "small.toml").write_text(SMALL_MODEL)
    (folder / "run.toml").write_text(RUN)
    config = load_config(folder / "run.toml")
    sim = Simulation.from_config(config)
    per_scenario = simulate(sim, n_scenarios=config.scenarios, chunk_size=config.chunk_size)
    summary = summarize(per_scenario)
    normal = normal_times(sim)
    effects = pillar_effects(summary, normal)
    return types.SimpleNamespace(folder=folder, config=config, sim=sim, per_scenario=per_scenario,
                                 summary=summary, normal=normal, effects=effects)


# ----------------------------------------------------------------------------- hand-computed costs

def test_fiscal_cost_by_hand_annuity_carrying_and_financing_counted_once():
    model = build_model(demand_per_day=[10.0, 2.0], price=[100.0, 50.0], inventory_days=[20.0, 5.0],
                        import_share=[[0.8], [0.5]], storable=[True, False])
    policy = no_policy(model)._replace(gov_stock_days=np.array([30.0, 40.0]),
                                       stock_carrying_cost=np.array([0.03, 0.03]))
    fields = {k: np.asarray(v, np.float64)[None] for k, v in policy._asdict().items()}
    value = 30 * 10 * 100.0  # 30,000; the second product is not storable: no stock, no cost
    # residual 1: the capital cost is the financing r x V and nothing else
    held = stock_fiscal(model, fields, CostAssumptions(discount_rate=0.02, stock_life_years=20,
                                                        stock_residual_share=1.0))
    np.testing.assert_allclose(held["gov_stock_value"][0], [value, 0.0])
    assert held["fiscal_stock_capital"][0, 0] == pytest.approx(0.02 * value)  # 600
    assert held["fiscal_stock_carrying"][0, 0] == pytest.approx(0.03 * value)  # 900
    # financing once: carrying (storage) 3 % + financing 2 % = 5 % of the value, not 5 % + 2 %
    total = held["fiscal_stock_capital"][0].sum() + held["fiscal_stock_carrying"][0].sum()
    assert total == pytest.approx(0.05 * value)
    # residual 0: the whole purchase is annuitised, (1.05^10 - 1)... by hand: 0.05 / (1 - 1.05^-10)
    crf = 0.05 / (1 - 1.05 ** -10)
    assert annuity_factor(0.05, 10) == pytest.approx(0.12950457505)
    spent = stock_fiscal(model, fields, CostAssumptions(0.05, 10, 0.0))
    assert spent["fiscal_stock_capital"][0, 0] == pytest.approx(value * crf)  # 3,885.14
    # half resold: the annuity of the purchase less the discounted resale
    half = stock_fiscal(model, fields, CostAssumptions(0.05, 10, 0.5))
    assert half["fiscal_stock_capital"][0, 0] == pytest.approx(value * crf * (1 - 0.5 * 1.05 ** -10))
    # at r = 0 the annuity is 1 / T
    assert annuity_factor(0.0, 8) == pytest.approx(0.125)


def test_japan_configs_split_financing_from_carrying(tmp_path):
    """The Japan configs' stockpile carrying cost is storage alone, the financing comes from
    [costs].discount_rate: together the documented 5 % a year (storage + financing) of the
    stock value, financing counted once."""
    from pathlib import Path

    for name in ("japan_outlook.toml", "japan_timeline.toml", "sweep_japan.toml", "attribute_japan.toml",
                 "optimize_japan.toml", "sobol_japan.toml"):
        raw = tomllib.loads((Path("configs") / name).read_text())
        rate = raw.get("costs", raw.get("optimize", {}).get("costs", {})).get("discount_rate")
        assert rate is not None, f"{name} has no [costs].discount_rate"
        carrying = {p["stockpile"]["carrying_cost"] for p in raw.get("policies", []) if "stockpile" in p}
        for section in ("sweep", "optimize"):
            if "costs" in raw.get(section, {}):
                assert raw[section]["costs"].get("discount_rate", 0.02) == rate, name
        assert all(math.isclose(c + rate, 0.05) for c in carrying), (name, carrying, rate)


@pytest.mark.parametrize("name", ["sweep_japan.toml", "attribute_japan.toml", "sensitivity_japan.toml"])
def test_japan_example_configs_load_in_yen(name):
    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(f"configs/{name}")
    assert config.loaded.currency == "JPY million"
    assert config.costs == {"discount_rate": 0.02, "stock_life_years": 20.0, "stock_residual_share": 1.0}
    expected = {"sweep_japan.toml": {"sweep"}, "attribute_japan.toml": {"attribution"},
                "sensitivity_japan.toml": set()}[name]
    assert set(sections) == expected


# ----------------------------------------------------------------------------- one fiscal number

def test_one_fiscal_number_from_run_analysis_and_service(run):
    from simcore.service.results import mix_effects
    from simcore.service.schemas import MixEffect

    assumptions = CostAssumptions(0.03, 10, 0.5)
    assert run.sim.costs == assumptions  # [costs] reached simcore run
    names = run.sim.policy_names
    spare_mean = run.summary["spare_used"].sel(statistic="mean").transpose("policy", "product").values
    analysis = mix_costs(run.config.loaded, run.sim.policies, names, spare_used_mean=spare_mean,
                         horizon_days=run.config.horizon_days, assumptions=assumptions)
    service = {e["name"]: MixEffect(**e) for e in mix_effects(run.effects)}
    value = 30 * 10 * 100.0
    by_hand = value * (annuity_factor(0.03, 10) * (1 - 0.5 * 1.03 ** -10) + 0.04)
    stock = names.index("stock")
    assert float(run.effects["fiscal_cost_per_year"][stock]) == pytest.approx(by_hand)
    assert float(analysis["fiscal"][stock]) == pytest.approx(by_hand)
    assert service["stock"].fiscal_cost_per_year == pytest.approx(by_hand)
    assert service["stock"].stockpile_fiscal_cost_per_year == pytest.approx(by_hand)  # the old name, same number
    # the whole cost too: fiscal + price side effect + crisis premium, mix by mix
    np.testing.assert_allclose(run.effects["total_cost_per_year"].values, analysis["total_cost"].values, rtol=1e-6)
    np.testing.assert_allclose(run.effects["price_side_effect_per_year"].values, analysis["price_side_effect"].values,
                               rtol=1e-6)
    assert service["diversify"].total_cost_per_year == pytest.approx(float(analysis["total_cost"][1 + stock]))
    assert float(analysis["crisis_premium"].sel(policy="diversify")) > 0  # the spare capacity was used


# ----------------------------------------------------------------------------- peaks without markups

def test_peak_price_without_markup_by_hand(run):
    # diversify moves 0.4 of gallium's import share at a premium of 0.1: markup 0.1 x 0.4 = 0.04
    markup = run.normal["normal_markup"].sel(policy="diversify", product="gallium")
    assert float(markup) == pytest.approx(0.1 * 0.5 * (abs(0.4 - 0.8) + abs(0.6 - 0.2)))
    peak = run.per_scenario["peak_price_change"].sel(policy="diversify", product="gallium").values
    by_hand = float(np.mean((1 + peak) / 1.04 - 1))
    excl = run.effects["peak_price_change_excl_markup_mean"]
    assert float(excl.sel(policy="diversify", product="gallium")) == pytest.approx(by_hand, rel=1e-5)
    # the markup raised the reported peak; without it the mix equals its premium-free twin
    free = run.per_scenario["peak_price_change"].sel(policy="diversify-free", product="gallium").values
    assert float(run.effects["peak_price_change_mean"].sel(policy="diversify", product="gallium")) > free.mean()
    assert by_hand == pytest.approx(float(free.mean()), rel=1e-5, abs=1e-6)
    # no markup (the stock, the baseline): the two peaks agree
    for policy in ("no-policy", "stock"):
        np.testing.assert_allclose(excl.sel(policy=policy).values,
                                   run.effects["peak_price_change_mean"].sel(policy=policy).values)


# ----------------------------------------------------------------------------- net benefit ranking

def test_run_table_ranks_by_net_benefit_with_intervals(run):
    from simcore.cli.summary import format_summary

    e = run.effects
    net = e["net_benefit_per_year"].values
    per_year = 365 / run.config.horizon_days
    assert np.allclose(net, e["avoided_value_added_loss_per_year"].values - e["total_cost_per_year"].values)
    loss = run.per_scenario["value_added_loss"].sum("sector")
    avoided = (loss.sel(policy="no-policy") - loss).mean("scenario").values * per_year
    np.testing.assert_allclose(e["avoided_value_added_loss_per_year"].values, avoided, rtol=1e-5, atol=1e-3)
    # the paired SE of the avoided loss by hand, and the net benefit's bound above it
    diff = (loss.sel(policy="no-policy") - loss.sel(policy="stock")).values * per_year
    se = diff.std(ddof=1) / math.sqrt(diff.size)
    assert float(e["avoided_value_added_loss_per_year_se"].sel(policy="stock")) == pytest.approx(se, rel=1e-4)
    assert np.all(e["net_benefit_per_year_se"].values >= e["avoided_value_added_loss_per_year_se"].values - 1e-9)
    assert np.all(e["net_benefit_per_year_low"].values <= net) and np.all(e["net_benefit_per_year_high"].values >= net)
    ranks = e["rank_by_net_benefit"].values
    assert list(np.argsort(ranks)) == list(np.argsort(-net, kind="stable"))
    text = format_summary(run.summary, e)
    table = text[text.index("Costs and net benefit per year"):].splitlines()
    rows = [line for line in table[3:] if line[:4].strip().isdigit()]
    assert [line.split()[1] for line in rows] == [str(e["policy"].values[i]) for i in np.argsort(ranks)]
    first = rows[0]
    best = int(np.argmin(ranks))
    assert f"{net[best]:.3g} ±{1.6448536269514722 * float(e['net_benefit_per_year_se'][best]):.3g}" in first
    assert f"{float(e['cost_per_avoided_value_added_loss'][best]):.2f}" in first  # the ratio beside
    assert "excl. markup" in text


# ----------------------------------------------------------------------------- the frontier figure

def test_frontier_figure_plots_the_cost_table(run):
    from simcore.report.costs import cost_table_md, frontier_figure

    e = run.effects
    fig = frontier_figure(e, caption="test", currency="USD")
    ax, bx = fig.axes[:2]
    mixes = next(c for c in ax.collections if c.get_gid() == "mixes")
    np.testing.assert_allclose(mixes.get_offsets(), np.column_stack([e["total_cost_per_year"].values,
                                                                     e["avoided_value_added_loss_per_year"].values]))
    frontier = next(line for line in ax.lines if line.get_gid() == "frontier")
    on_front = np.asarray(e["pareto"].values, bool)
    assert frontier.get_xydata().shape[0] == on_front.sum()
    np.testing.assert_allclose(np.sort(frontier.get_xdata()), np.sort(e["total_cost_per_year"].values[on_front]))
    bars = [p for p in bx.patches if p.get_gid() == "net_benefit"]
    by_rank = np.argsort(e["rank_by_net_benefit"].values)[::-1]  # drawn bottom to top: largest on top
    np.testing.assert_allclose([p.get_width() for p in bars], e["net_benefit_per_year"].values[by_rank])
    labels = [t.get_text() for t in ax.texts]
    assert sorted(labels) == sorted(str(p) for p in e["policy"].values)
    table = cost_table_md(e, "USD")
    assert table.count("\n") == e.sizes["policy"] + 1


def test_report_of_a_run_store_has_the_cost_section(run, tmp_path):
    from simcore.cli import main
    from simcore.report import write_report

    store = tmp_path / "run.zarr"
    assert main(["run", str(run.folder / "run.toml"), "--output", str(store), "--quiet"]) == 0
    report = write_report(store)
    assert "cost_frontier" in report.files
    text = report.index.read_text()
    assert "Cost-effectiveness" in text and "| rank | mix | net benefit" in text


def test_costs_section_errors_name_the_field(tmp_path):
    from simcore.schema.config import load_config
    from simcore.schema.errors import InputError

    (tmp_path / "small.toml").write_text(SMALL_MODEL)
    bad = RUN.replace("discount_rate = 0.03", "discount_rate = 1.5").replace("stock_life_years = 10",
                                                                              "stock_lifetime = 10")
    (tmp_path / "run.toml").write_text(bad)
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "run.toml")
    message = str(caught.value)
    assert "costs.discount_rate" in message and "costs.stock_lifetime" in message
