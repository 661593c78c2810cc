"""Paths of the universe build, the data files its sources may cite, and :func:`japan_hooks`:
the Japan build's checks and assumptions table, widened for the time of a universe build to
the universe's data files and assumptions (by patching two module attributes of
``models/japan/``, nothing in its files)."""

from __future__ import annotations

import contextlib
from unittest import mock

from japan import assumptions as _assumptions, checks as _checks
from japan.base import DATA, ROOT

UNIVERSE_DATA = DATA / "universe"
UNIVERSE_MODEL_PATH = ROOT / "models" / "japan_universe.toml"
US_MODEL_PATH = ROOT / "models" / "us_universe.toml"
UNIVERSE_FILES = ("world_production.csv", "commodities.csv", "origin_groups_universe.csv", "japan_trade_facts.csv")


@contextlib.contextmanager
def japan_hooks(assumptions: dict):
    """Within: ``source_problem`` accepts citations of ``models/data/universe/`` files and
    ``A()``/``U()`` know the universe's assumptions."""
    clash = set(assumptions) & set(_assumptions.ASSUMPTIONS)
    if clash:
        raise ValueError(f"universe assumptions shadow Japan ones: {sorted(clash)}")
    with mock.patch.object(_checks, "DATA_FILES", _checks.DATA_FILES + UNIVERSE_FILES), \
            mock.patch.dict(_assumptions.ASSUMPTIONS, assumptions):
        yield
