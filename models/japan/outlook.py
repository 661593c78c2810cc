"""``configs/japan_outlook.toml``: a three-year stochastic outlook of further Chinese export
controls on the Japan model (hazards from the 2023-2025 rule counts of
``control_timeline.csv``), with the policy mixes a ministry would compare: stockpiles,
diversification, recycling and their combinations. The text is
``templates/outlook.toml.in``."""

from __future__ import annotations

import datetime as dt

from .assumptions import ASSUMPTIONS
from .base import DAYS_PER_YEAR
from .fill import diversification_block, fill, recycling_block, stockpile_block
from .policy import diversified_imports, high_risk_metals, stockpile_days
from .timeline import control_months


def render_outlook(model: dict) -> str:
    """The text of ``configs/japan_outlook.toml``."""
    months = control_months()
    years = (dt.date(2025, 10, 1) - dt.date(2023, 8, 1)).days / DAYS_PER_YEAR

    def rate(keys):
        count = sum(1 for m, what in months.items() if m >= "2023-08" and any(k in what for k in keys))
        return count, count / years

    ga_n, ga_rate = rate(["gallium", "Ga"])
    gr_n, gr_rate = rate(["graphite"])
    sb_n, sb_rate = rate(["antimony", "Sb"])
    wt_n, wt_rate = rate(["tungsten"])
    re_n, re_rate = rate(["rare earth"])
    half = 0.5
    high = high_risk_metals(model)
    target = stockpile_days(model, high)
    uniform = stockpile_days(model, set())
    diversified, notes = diversified_imports(model)
    div_notes = "\n".join(f"#   {n}" for n in notes) or "#   (none)"
    return fill("outlook.toml.in",
                years=f"{years:.2f}", ga_n=ga_n, gr_n=gr_n, sb_n=sb_n, wt_n=wt_n, re_n=re_n, half=f"{half:g}",
                ga_hazard=f"{ga_rate * half:.3f}", gr_hazard=f"{gr_rate * half:.3f}",
                sb_hazard=f"{sb_rate * half:.3f}", wt_hazard=f"{wt_rate * half:.3f}",
                re_hazard=f"{re_rate * half:.3f}", high_risk=', '.join(sorted(high)), stock=stockpile_block(target),
                divert_fraction=f"{ASSUMPTIONS['divert_fraction'].value:g}",
                japan_take=f"{ASSUMPTIONS['japan_take_of_alt_output'].value:g}", div_notes=div_notes,
                diversify=diversification_block(diversified), recycle=recycling_block(),
                uniform_stock=stockpile_block(uniform))
