"""The validation suite (validation/, docs/validation.md): it runs, the calibration arithmetic
reproduces its target, and the results table is well formed.

Run: ``.venv/bin/python -m pytest -q tests/test_validation_suite.py`` (about 40 s: every
episode shares one compiled shape, 4 scenarios each).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from validation import calibration
from validation.episodes import (CALIBRATION_TOLERANCE, DAYS_SLACK, PRICE_FACTOR, SB_EXPORT_FALL, Check, Observed,
                                 band, build_episodes, price)
from validation.run import DOC_END, DOC_START, main, results_table, run_suite

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "japan_critical_minerals.toml"


def _product(name):
    with MODEL.open("rb") as f:
        raw = tomllib.load(f)
    return next(p for p in raw["products"] if p["name"] == name)


# ---------------------------------------------------------------- calibration arithmetic (by hand)
def test_calibration_reproduces_the_antimony_target_by_hand():
    """Hand formula: gap = 40,000 / 118,990 t (China / listed countries, USGS 2024) x 0.74;
    (1 - gap)^(-1/eps) must give 25 / 5.49 USD/lb, the 2025 / 2023 Sb price multiple."""
    share = round(40000 / (1270 + 5300 + 4500 + 40000 + 50 + 90 + 800 + 700 + 200 + 600 + 260 + 40000 + 22000
                           + 3000 + 220), 4)
    sb = _product("antimony")
    assert sb["world_share"]["CN"] == pytest.approx(share)
    eps = sb["world_price_elasticity"]
    gap = share * 0.74
    target = 25.0 / 5.49
    assert (1.0 - gap) ** (-1.0 / eps) == pytest.approx(target, rel=1e-3)
    assert eps == pytest.approx(-math.log(1 - gap) / math.log(target), abs=1e-4)
    assert "CALIBRATED" in sb["sources"]["world_price_elasticity"]
    assert price("antimony", "Sb metal", "2025")[0] == 25.0 and price("antimony", "Sb metal", "2023")[0] == 5.49
    assert SB_EXPORT_FALL.value == 0.74


def test_calibrated_elasticity_is_the_same_for_every_material():
    with MODEL.open("rb") as f:
        raw = tomllib.load(f)
    values = {p["name"]: p.get("world_price_elasticity") for p in raw["products"] if p.get("storable", True)}
    assert len(set(values.values())) == 1, values


def test_curve_and_its_inverse():
    # (1 - 0.5)^(-1/0.5) = 4; the cap binds above it; no gap, no change
    assert calibration.import_multiple(0.5, 0.5, 10.0) == pytest.approx(4.0)
    assert calibration.import_multiple(0.5, 0.5, 3.0) == 3.0
    assert calibration.import_multiple(0.0, 0.5, 10.0) == 1.0
    assert calibration.solve_world_price_elasticity(4.0, 0.5) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        calibration.solve_world_price_elasticity(1.0, 0.5)


# ---------------------------------------------------------------- bands
def test_bands_follow_their_stated_rules():
    values = np.arange(1.0, 101.0)  # 5% = 5, 95% = 95 (inverted cdf)
    obs = Observed(1.0, "x", "test")
    price_check = Check("p", "q", obs, None, "price")
    assert band(price_check, values) == pytest.approx((5.0 / PRICE_FACTOR, 95.0 * PRICE_FACTOR))
    day_check = Check("d", "q", obs, None, "days")
    assert band(day_check, values) == pytest.approx((5.0 - DAYS_SLACK, 95.0 + DAYS_SLACK))
    cal = Check("c", "q", obs, None, "calibration")
    assert band(cal, np.full(10, 2.0)) == pytest.approx((2.0 * (1 - CALIBRATION_TOLERANCE),
                                                         2.0 * (1 + CALIBRATION_TOLERANCE)))
    never = np.array([np.inf] * 10)
    assert band(day_check, never)[0] == np.inf  # never short: no observed stoppage date can pass


def test_one_calibration_check_and_out_of_sample_episodes():
    episodes = build_episodes()
    calibrating = [c for e in episodes for c in e.checks if c.used_for_calibration]
    assert len(calibrating) == 1 and calibrating[0].kind == "calibration"
    roles = {e.key: e.role for e in episodes}
    assert sum(r == "validation" for r in roles.values()) >= 3 and list(roles.values()).count("calibration") == 1
    for e in episodes:
        for c in e.checks:
            assert c.observed.source and len(c.observed.source) > 30, c.key


# ---------------------------------------------------------------- the suite runs
@pytest.fixture(scope="module")
def quick_results():
    return run_suite(n_scenarios=4)


def test_suite_runs_and_reproduces_the_calibration_target(quick_results):
    cal_ep = next(e for e in quick_results["episodes"] if e["role"] == "calibration")
    cal = next(c for c in cal_ep["checks"] if c["used_for_calibration"])
    # the engine's simulated 2025 mean import multiple equals the hand formula's target
    assert cal["model_median"] == pytest.approx(25.0 / 5.49, rel=CALIBRATION_TOLERANCE)
    assert cal["pass"]
    assert quick_results["calibration"]["reproduced_multiple"] == pytest.approx(25.0 / 5.49, rel=1e-3)
    assert quick_results["side_by_side"]["usgs_gdp_loss_usd_bn"] == 3.4


def test_results_table_is_well_formed(quick_results):
    table = results_table(quick_results)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    header = next(r for r in rows if r.startswith("| episode |"))
    n_columns = header.count("|")
    check_rows = [r for r in rows if r.endswith(("PASS |", "FAIL |", "(by construction) |"))]
    n_checks = sum(len(e["checks"]) for e in quick_results["episodes"])
    assert len(check_rows) == n_checks
    for row in check_rows:
        assert row.count("|") == n_columns, row
        assert re.search(r"\| (PASS|FAIL)( \(by construction\))? \|$", row)
    for e in quick_results["episodes"]:
        for c in e["checks"]:
            assert c["band_low"] is not None and c["pass"] in (True, False)
            if c["pass"]:
                assert c["band_low"] <= c["observed"] <= (math.inf if c["band_high"] == "inf" else c["band_high"])


def test_cli_writes_json_and_doc_table(tmp_path, monkeypatch, quick_results):
    import validation.run as run_module

    monkeypatch.setattr(run_module, "run_suite", lambda n: quick_results)
    doc = tmp_path / "validation.md"
    doc.write_text(f"# head\n\n{DOC_START}\nold\n{DOC_END}\n\ntail\n", encoding="utf-8")
    assert main(["--scenarios", "4", "--out", str(tmp_path / "out"), "--doc", str(doc)]) == 0
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["calibration"]["episode"] == "sb-2024"
    text = doc.read_text()
    assert text.startswith("# head") and text.rstrip().endswith("tail") and "old" not in text
    assert "| episode | role |" in text


def test_committed_doc_has_markers_and_a_table():
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert DOC_START in text and DOC_END in text
    inside = text.split(DOC_START, 1)[1].split(DOC_END, 1)[0]
    assert "| episode | role |" in inside
