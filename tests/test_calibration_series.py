"""Monthly calibration series (``python -m validation.calibration --series``,
validation/series.py): ratios by hand, and a file with missing months (or other faults)
refused with exit status 2, every problem named, before anything is simulated or
written (issue 16, item 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from simcore.schema.errors import InputError
from validation import calibration
from validation.series import series_observations

PRODUCTS = ["antimony", "dysprosium"]
SOURCE = "Fastmarkets via a test"


def write(tmp_path, rows, header="month,value,source"):
    path = tmp_path / "series.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_each_month_after_the_first_is_a_price_ratio_on_the_first(tmp_path):
    path = write(tmp_path, [f"2024-09,100,{SOURCE}", f"2024-10,150,{SOURCE}", f"2024-11,180,{SOURCE}"])
    obs = series_observations(f"antimony2024:antimony:{path}", calibration.calibration_episodes(), PRODUCTS)
    assert [o.value for o in obs] == pytest.approx([1.5, 1.8])
    assert [o.date for o in obs] == [dt.date(2024, 10, 31), dt.date(2024, 11, 30)]
    assert all(o.base_date == dt.date(2024, 9, 30) and o.kind == "price_ratio" for o in obs)
    assert all(o.products == ("antimony",) and o.source == SOURCE for o in obs)


def test_a_series_with_missing_months_is_refused_naming_them(tmp_path):
    path = write(tmp_path, [f"2024-09,100,{SOURCE}", f"2024-10,150,{SOURCE}", f"2025-01,180,{SOURCE}"])
    with pytest.raises(InputError) as info:
        series_observations(f"antimony2024:antimony:{path}", calibration.calibration_episodes(), PRODUCTS)
    text = str(info.value)
    assert "missing months 2024-11, 2024-12" in text and "month" in text


def test_every_fault_is_named_at_once(tmp_path):
    path = write(tmp_path, [f"2024-09,100,{SOURCE}", "2024-13,-5,", f"2024-09,120,{SOURCE}"])
    with pytest.raises(InputError) as info:
        series_observations(f"gaGe2023:tin:{path}", calibration.calibration_episodes(), PRODUCTS)
    text = str(info.value)
    for expected in ("line 3: month", "line 3: value", "line 3: source", "line 4: month", "held-out",
                     "unknown product 'tin'"):
        assert expected in text, expected


def test_the_command_exits_2_before_simulating_or_writing(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, [f"2024-09,100,{SOURCE}", f"2024-12,150,{SOURCE}"])
    out = tmp_path / "posterior.csv"

    def tripwire(*args, **kwargs):
        raise AssertionError("calibration ran on a refused series")

    monkeypatch.setattr(calibration, "calibrate", tripwire)
    status = calibration.main(["--series", f"antimony2024:antimony:{path}", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and "missing months 2024-10, 2024-11" in err and "Traceback" not in err
    assert not out.exists()
