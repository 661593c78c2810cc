"""The calibrated world-market factors (validation/calibration.py, docs/validation.md): the
posterior of the rejection-ABC calibration in ``market_calibration.csv`` scales each
material's stock, storage-elasticity, short-run-elasticity and precaution numbers, so the
posterior (not a point) feeds the Monte Carlo together with the sourced range."""

from __future__ import annotations

import csv
import math

from .base import DATA, BuildError
from .market import MATERIALS
from .sourced import Distributed, sig


CALIBRATION_PATH = DATA / "market_calibration.csv"
CALIBRATED_FIELDS = {"stock": "world_stock_days", "eta": "world_storage_elasticity",
                     "short": "world_price_elasticity", "precaution": "world_precaution_days"}


def calibration_posterior() -> dict[str, tuple[float, float, float]] | None:
    """``{factor: (5 %, 50 %, 95 %)}`` of the accepted ABC draws in market_calibration.csv
    (None if the file is absent)."""
    if not CALIBRATION_PATH.exists():
        return None
    with CALIBRATION_PATH.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["accepted"] == "1"]
    if not rows:
        raise BuildError(f"{CALIBRATION_PATH.name} has no accepted draw")

    def quantile(values, q):
        values = sorted(values)
        pos = q * (len(values) - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    out = {}
    for name in CALIBRATED_FIELDS:
        values = [float(r[name]) for r in rows]
        out[name] = tuple(round(quantile(values, q), 4) for q in (0.05, 0.5, 0.95))
    return out


def apply_calibration(products: list[dict]) -> None:
    """Scale every material's calibrated world-market number by the posterior of its global
    factor: triangular (low x f5, mode x f50, high x f95), so the posterior (not a point)
    feeds the Monte Carlo together with the sourced range."""
    posterior = calibration_posterior()
    if posterior is None:
        return
    for product in products:
        if product["name"] not in MATERIALS and not product["name"].startswith("ndfeb_magnet"):
            continue
        for name, field in CALIBRATED_FIELDS.items():
            value = product.get(field)
            if value is None:
                continue
            f5, f50, f95 = posterior[name]
            text = (f"; x the calibrated factor {name} (posterior 5/50/95 % = {f5:g}/{f50:g}/{f95:g}: computed by "
                    f"rejection ABC on the calibration episodes, validation/calibration.py, "
                    f"{CALIBRATION_PATH.name})")
            if isinstance(value, Distributed):
                product[field] = Distributed(sig(value.low * f5, 6), sig(value.mode * f50, 6),
                                             sig(value.high * f95, 6), value.source + text)
            else:
                product[field] = Distributed(sig(value.value * f5, 6), sig(value.value * f50, 6),
                                             sig(value.value * f95, 6), value.source + text)
