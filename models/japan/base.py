"""Where the Japan builder reads and writes, the model's origins, two unit constants and
the build's one error type: the ground every other module of ``models/japan/`` stands on."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "models" / "data"
MODEL_PATH = ROOT / "models" / "japan_critical_minerals.toml"
TIMELINE_PATH = ROOT / "configs" / "japan_timeline.toml"
OUTLOOK_PATH = ROOT / "configs" / "japan_outlook.toml"
ORIGINS = ["CN", "AU", "US", "MM", "VN", "RU", "KR", "EU", "AFR", "ROW"]
DATA_FILES = ("world_production_shares.csv", "japan_import_shares.csv", "prices.csv", "japan_io_sectors.csv",
              "stockpile_facts.csv", "control_timeline.csv", "critical_products.csv", "origin_groups.csv",
              "market_parameters.csv", "importers.csv")
LB_PER_T = 2204.62262  # pounds per metric tonne (definition: 1 lb = 0.45359237 kg)
DAYS_PER_YEAR = 365.0


class BuildError(Exception):
    """A number without a qualifying source, or an assumption without a reason."""
