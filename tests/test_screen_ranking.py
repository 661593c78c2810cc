"""The screen-level validation's statistics (:mod:`validation.screen_ranking`, issue 21
item 4): Spearman's rho by hand, the permutation p-value, and the mapping of USGS
commodities to model products on a hand-made screen dataset (no engine run)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from validation import screen_ranking as SR


def test_spearman_by_hand():
    assert SR.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert SR.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # d = (0, 1, -1, 0): rho = 1 - 6 x 2 / (4 x 15) = 0.8
    assert np.isclose(SR.spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8)
    # ties share their mean rank: [1, 2.5, 2.5, 4] against [1, 2, 3, 4]
    expected = np.corrcoef([1, 2.5, 2.5, 4], [1, 2, 3, 4])[0, 1]
    assert np.isclose(SR.spearman([5, 7, 7, 9], [1, 2, 3, 4]), expected)


def test_permutation_p_is_small_for_a_perfect_order_and_large_for_the_reverse():
    order = list(range(12))
    assert SR.permutation_p(order, order, n=2000) < 0.01
    assert SR.permutation_p(order, order[::-1], n=2000) > 0.99


def _screen(losses: dict[str, float]) -> xr.Dataset:
    units = list(losses)
    values = np.array([[[losses[u] for u in units]]])  # [policy, disruption, unit]
    return xr.Dataset(
        {"expected_loss": (("policy", "disruption", "unit"), values),
         "unit_product": (("unit",), np.array(units)), "kind": (("unit",), np.array(["product"] * len(units)))},
        coords={"policy": ["no-policy"], "disruption": ["full-365"], "unit": units})


def test_compare_maps_names_ranks_among_common_commodities_and_lists_the_missing():
    """USGS ranks: samarium 1, terbium 4, gallium 6, neodymium 17, graphite 21 (the file);
    the screen's rank is among the compared commodities only, by expected loss."""
    usgs = SR.usgs_ranks()
    assert usgs["samarium"] == 1 and usgs["gallium"] == 6 and "zirconium" not in usgs  # 51-54 unranked
    ds = _screen({"samarium": 5.0, "terbium": 4.0, "gallium": 3.0, "ndpr_oxide": 2.0, "natural_graphite": 1.0,
                  "not_a_usgs_commodity": 100.0})
    result = SR.compare(ds)
    rows = {r["commodity"]: r for r in result["rows"]}
    assert set(rows) == {"samarium", "terbium", "gallium", "neodymium", "graphite"}
    assert [rows[c]["screen_rank"] for c in ("samarium", "terbium", "gallium", "neodymium", "graphite")] == [1, 2, 3,
                                                                                                            4, 5]
    assert np.isclose(result["rho"], 1.0) and result["n"] == 5  # the same order as the USGS list
    assert "rhodium" in result["missing"] and "praseodymium" not in result["missing"]  # counted once, via neodymium
