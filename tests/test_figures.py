"""Figures on synthetic numbers (no engine, fast): log-scale exceedance with Wilson bands,
exceedance curves from the streamed statistics (exact for day metrics, within the
sketch's 1 % for amounts, independent of how the scenarios were chunked), labelled
Pareto points with intervals, response surfaces that name and take the levels of the
levers they do not show, and captions that fit inside the figure. Every test reads the
drawn numbers back from the matplotlib artists."""

import json

import numpy as np
import pytest
import xarray as xr

from simcore.report import exceedance as E
from simcore.report import figures as F
from simcore.report.caption import place_caption, wrap_caption
from simcore.run import stats

Z90 = 1.6448536269514722
INFO = {  # name -> (dims, units, description, kind), as METRIC_INFO
    "shortage_days": (("product",), "days", "shortage days", "count"),
    "value_added_loss": (("sector",), "USD", "value-added loss", "amount"),
}


def lines_by_gid(fig):
    return {line.get_gid(): line for ax in fig.axes for line in ax.get_lines() if line.get_gid()}


def caption_fits(fig) -> None:
    """The rendered caption lies inside the figure and below every visible axes' area
    (tick labels, axis labels and legends included)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    caption = next(t for t in fig.texts if t.get_gid() == "caption")
    box = caption.get_window_extent(renderer)
    figure_box = fig.bbox
    assert box.x0 >= figure_box.x0 - 0.5 and box.x1 <= figure_box.x1 + 0.5, (box, figure_box)
    assert box.y0 >= figure_box.y0 - 0.5 and box.y1 <= figure_box.y1 + 0.5, (box, figure_box)
    for ax in fig.axes:
        if ax.get_visible():
            assert ax.get_tightbbox(renderer).y0 >= box.y1 - 0.5, ax.get_title()


def sample(seed=0, n=3000):
    """Synthetic per-scenario metrics [policy 2, scenario n, element 2]: whole shortage
    days (many zeros, a long tail) and positive losses over six decades."""
    rng = np.random.default_rng(seed)
    days = np.where(rng.random((2, n, 2)) < 0.7, 0, rng.geometric(0.05, (2, n, 2))).astype(np.float32)
    loss = np.where(rng.random((2, n, 2)) < 0.3, 0, rng.lognormal(8, 2.5, (2, n, 2))).astype(np.float32)
    return {"shortage_days": days, "value_added_loss": loss}


# ----------------------------------------------------------------------------- the band

def test_wilson_band_known_values_and_coverage():
    # k = 0 of n: the upper end is z^2 / (n + z^2), the lower 0 (worked by hand)
    low, high = E.wilson_band(np.array([0.0]), 10)
    assert low[0] == 0.0 and high[0] == pytest.approx(Z90 ** 2 / (10 + Z90 ** 2))
    # k = n/2 of n = 100: centre 0.5, half-width z sqrt(0.25/n + z^2/4n^2) / (1 + z^2/n)
    low, high = E.wilson_band(np.array([0.5]), 100)
    half = Z90 * np.sqrt(0.25 / 100 + Z90 ** 2 / 4e4) / (1 + Z90 ** 2 / 100)
    assert (low[0], high[0]) == pytest.approx((0.5 - half, 0.5 + half))
    # coverage of the true tail probability p = 0.02 at n = 400 over many samples: about 90 %
    rng = np.random.default_rng(3)
    k = rng.binomial(400, 0.02, size=4000)
    low, high = E.wilson_band(k / 400, 400)
    cover = np.mean((low <= 0.02) & (0.02 <= high))
    assert 0.86 < cover < 0.96, cover


def test_exceedance_figure_log_axis_and_band():
    values = np.array([0, 0, 0, 1, 1, 2, 5, 5, 9, 30], float)
    xs, ps = E.exceedance(values)
    fig = E.exceedance_figure({"gallium": {"none": (xs, ps)}}, element_dim="product", xlabel="days [day]",
                              caption="model m · config c · 10 scenarios · seed 1", title="t",
                              source="per-scenario", n_scenarios=10)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylim()[0] <= 0.1 and ax.get_ylim()[1] >= 1
    line = lines_by_gid(fig)["exceedance:gallium:none"]
    # by hand: P(X > 0) = 7/10, P(X > 1) = 5/10, P(X > 2) = 4/10, P(X > 5) = 2/10, P(X > 9) = 1/10 up to
    # the largest value, 30 (where P = 0, which a log axis cannot show)
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 5, 9, 30])
    np.testing.assert_allclose(line.get_ydata(), [0.7, 0.5, 0.4, 0.2, 0.1, 0.1])
    assert line.get_drawstyle() == "steps-post"
    low = lines_by_gid(fig)["band_low:gallium:none"].get_ydata()
    high = lines_by_gid(fig)["band_high:gallium:none"].get_ydata()
    np.testing.assert_allclose((low, high), E.wilson_band(np.array([0.7, 0.5, 0.4, 0.2, 0.1, 0.1]), 10))
    # a product short in no scenario: no curve, a text that says so
    fig = E.exceedance_figure({"x": {"a": E.exceedance(np.zeros(10)), "b": E.exceedance(np.zeros(10))},
                               "y": {"a": E.exceedance(values), "b": E.exceedance(np.zeros(10))}},
                              element_dim="product", xlabel="days [day]", caption="c", title="t",
                              source="per-scenario", n_scenarios=10)
    texts = {t.get_gid(): t.get_text() for ax in fig.axes for t in ax.texts}
    assert texts["empty:x"] == "no scenario above 0\nunder any policy" and texts["empty:y"].endswith("for b")
    assert set(lines_by_gid(fig)) == {"exceedance:y:a", "band_low:y:a", "band_high:y:a"}
    assert fig.axes[1].get_legend() is not None and fig.axes[0].get_legend() is None
    # summary quantiles: points, none added
    fig = E.exceedance_figure({"x": {"a": (np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.1, 0.0]))}},
                              element_dim="product", xlabel="d [day]", caption="c", title="t",
                              source="summary quantiles", n_scenarios=100)
    np.testing.assert_array_equal(lines_by_gid(fig)["exceedance:x:a"].get_xydata(), [[0.0, 0.5], [1.0, 0.1]])
    caption = next(t.get_text() for t in fig.texts if t.get_gid() == "caption").replace("\n", " ")
    assert "90 % Wilson" in caption and "1/10" in caption
    caption_fits(fig)


# ----------------------------------------------------------------------------- from the streamed statistics

def test_curves_from_streamed_statistics_match_the_sample_and_ignore_chunking():
    metrics = sample()
    n = metrics["shortage_days"].shape[1]
    assert n > stats.EXACT_UP_TO_SCENARIOS  # amounts go through the log-bin sketch, not kept values
    whole = stats.reduce_chunk(metrics, INFO)
    cuts = [0, 700, 701, 2200, n]  # uneven chunks, one of a single scenario
    parts = [stats.reduce_chunk({k: v[:, a:b] for k, v in metrics.items()}, INFO) for a, b in zip(cuts, cuts[1:])]
    chunked = stats.merge_all(parts[::-1])  # merged in another order
    policies, elements = ["a", "b"], ["x", "y"]
    for merged in (whole, chunked):
        days = E.curves_from_stats(merged, "shortage_days", policies, elements)
        loss = E.curves_from_stats(merged, "value_added_loss", policies, elements)
        for p, policy in enumerate(policies):
            for e, element in enumerate(elements):
                # day metric: exactly the sample's curve
                xs, ps = days[element][policy]
                ex, ep = E.exceedance(metrics["shortage_days"][p, :, e])
                np.testing.assert_array_equal(xs, ex)
                np.testing.assert_array_equal(ps, ep)
                # amount: every sketch point's P is the sample's share above it, up to the 1 % of x
                xs, ps = loss[element][policy]
                sample_values = np.sort(metrics["value_added_loss"][p, :, e].astype(np.float64))
                assert xs[0] == 0.0 and ps[0] == pytest.approx(np.mean(sample_values > 0))
                above_low = np.array([np.mean(sample_values > x * (1 + 0.0101)) for x in xs])
                above_high = np.array([np.mean(sample_values > x * (1 - 0.0101)) for x in xs])
                assert np.all(above_low <= ps + 1e-12) and np.all(ps <= above_high + 1e-12)
                assert xs[-1] == pytest.approx(sample_values[-1], rel=0.0101) and xs[-1] <= sample_values[-1]
    for name in ("shortage_days", "value_added_loss"):  # chunk invariance: the same curves, bit for bit
        a = E.curves_from_stats(whole, name, policies, elements)
        b = E.curves_from_stats(chunked, name, policies, elements)
        for element in elements:
            for policy in policies:
                np.testing.assert_array_equal(a[element][policy][0], b[element][policy][0])
                np.testing.assert_array_equal(a[element][policy][1], b[element][policy][1])


# ----------------------------------------------------------------------------- Pareto points

def test_pareto_points_are_labelled_with_intervals():
    cost = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    risk = np.array([10.0, 6.0, 7.0, 3.0, 2.9])
    half = np.array([0.5, 0.4, 0.3, 0.2, 0.1])
    labels = [f"({c:g}, {r:g})" for c, r in zip(cost, risk)]
    fig = F.pareto_figure(cost, {"loss": ("USD", risk)}, {"loss": 10.0}, cost_unit="USD / year",
                          caption="c", labels=labels, label_key="lever a, lever b", intervals={"loss": half})
    texts = {t.get_gid(): t for ax in fig.axes for t in ax.texts if t.get_gid()}
    for i in range(cost.size):  # every point (at most 12) named, anchored at its point
        assert texts[f"label:loss:{i}"].get_text() == labels[i]
        assert tuple(texts[f"label:loss:{i}"].xy) == (cost[i], risk[i])
    offsets = [texts[f"label:loss:{i}"].get_position() for i in range(cost.size)]
    assert all(a != b for a, b in zip(offsets, offsets[1:]))  # neighbours placed apart
    bars = next(c for ax in fig.axes for c in ax.collections if c.get_gid() == "interval:loss")
    segments = bars.get_segments()
    np.testing.assert_allclose([s[0][1] for s in segments], risk - half)
    np.testing.assert_allclose([s[1][1] for s in segments], risk + half)
    caption = next(t.get_text() for t in fig.texts if t.get_gid() == "caption").replace("\n", " ")
    assert "lever a, lever b" in caption and "90 % interval" in caption
    caption_fits(fig)
    # many mixes: only the front is labelled
    rng = np.random.default_rng(1)
    cost, risk = rng.random(40), rng.random(40)
    fig = F.pareto_figure(cost, {"loss": ("USD", risk)}, {"loss": 1.0}, cost_unit="USD", caption="c",
                          labels=[str(i) for i in range(40)])
    from simcore.analysis.costs import pareto_front

    named = {int(t.get_text()) for ax in fig.axes for t in ax.texts if (t.get_gid() or "").startswith("label:")}
    assert named == set(np.flatnonzero(pareto_front(cost, risk)).tolist())


# ----------------------------------------------------------------------------- response surfaces

def grid_table(base_levels=None):
    a, b, c = [0.0, 5.0, 10.0], [0.0, 0.5], [0.0, 0.2, 0.4]
    values = np.add.outer(np.add.outer(np.array(a), 10 * np.array(b)), 100 * np.array(c))  # a + 10 b + 100 c
    table = xr.Dataset({"expected_shortage_days_total": (("a", "b", "c"), values, {"units": "day"})},
                       coords={"a": a, "b": b, "c": c}, attrs={"base": "stock-mix"})
    if base_levels is not None:
        table.attrs["base_levels"] = json.dumps(base_levels)
    return table


def test_response_holds_hidden_levers_at_the_base_mix_and_names_them():
    table = grid_table({"a": 5.0, "b": 0.5, "c": 0.21})  # c moves to the nearest grid value, 0.2
    fig = F.response_figure(table, "expected_shortage_days_total", ["a", "b", "c"], caption="c",
                            lever_units={"a": "days", "b": "share", "c": "share"})
    lines = lines_by_gid(fig)
    for b in (0.0, 0.5):  # y = a + 10 b + 100 c at c = 0.2, read back
        np.testing.assert_allclose(lines[f"response:{b:g}"].get_xdata(), [0, 5, 10])
        np.testing.assert_allclose(lines[f"response:{b:g}"].get_ydata(), np.array([0, 5, 10]) + 10 * b + 20)
    title = fig.get_suptitle()
    assert "c = 0.2 share" in title and "base mix stock-mix" in title
    # the user's choice wins
    fig = F.response_figure(table, "expected_shortage_days_total", ["a", "b", "c"], caption="c",
                            lever_units={}, fixed={"c": 0.4})
    np.testing.assert_allclose(lines_by_gid(fig)["response:0"].get_ydata(), np.array([0, 5, 10]) + 40)
    assert "c = 0.4" in fig.get_suptitle() and "chosen" in fig.get_suptitle()
    caption_fits(fig)
    # a store without base levels: the first grid value, and the title says so
    levels, source = F.response_levels(grid_table(), ["a", "b", "c"])
    assert levels == {"c": 0.0} and "first grid value" in source
    with pytest.raises(ValueError) as info:  # every lever that cannot be held is named
        F.response_levels(table, ["a", "b", "c"], {"a": 1.0, "d": 2.0})
    assert "a, d" in str(info.value) and "c" in str(info.value)


# ----------------------------------------------------------------------------- captions

def test_long_captions_wrap_inside_the_figure():
    caption = ("model japan_critical_minerals · config /very/long/path/to/configs/robustness_japan_outlook.toml · "
               "100000 scenarios · seed 20240601 · " + "a sentence that goes on and on " * 8)
    for panels, width in ((1, 4.2), (2, 5.6), (3, 4.2)):
        fig, axes = F._figure(panels, caption, "title", width=width)
        for ax in axes:
            ax.plot([0, 1], [0, 1])
            ax.set_xlabel("a label [unit]")
        caption_fits(fig)
        text = next(t.get_text() for t in fig.texts if t.get_gid() == "caption")
        assert text.replace("\n", " ") == caption.strip() and text.count("\n") >= 1
    assert wrap_caption("short", 8.0) == "short"
    assert place_caption(F._figure(1, "", "t")[0], "") is None
    # a fan chart of many panels keeps its caption too
    daily = xr.DataArray(np.random.default_rng(0).random((3, 4, 30, 2)), dims=("policy", "scenario", "day", "product"),
                         coords={"policy": ["no-policy", "a", "b"], "day": np.arange(30), "product": ["x", "y"]})
    fig = F.fan_figure(daily, element_dim="product", ylabel_of=lambda p: "stock [t]", caption=caption, title="Stocks")
    caption_fits(fig)
    lines = lines_by_gid(fig)
    values = daily.sel(policy="b", product="y").values
    np.testing.assert_allclose(lines["fan:y:b:q50"].get_ydata(), np.median(values, axis=0))
    np.testing.assert_allclose(lines["fan:y:b:min"].get_ydata(), values.min(axis=0))
    np.testing.assert_allclose(lines["fan:y:b:max"].get_ydata(), values.max(axis=0))
    np.testing.assert_allclose(lines["fan:y:b:reference"].get_ydata(),
                               np.median(daily.sel(policy="no-policy", product="y").values, axis=0))
    assert "fan:y:no-policy:reference" not in lines
