"""The import-price curve of the engine and its inversion for the calibration episode.

The engine's import (world) price multiple for a cut known at origin (``simcore/core/step.py``,
step 9a, with the country's own restocking weight left out because the calibration
episode's product has no Chinese imports in the Japan model)::

    world_gap = world_share[China] x severity                      (share of world supply lost)
    multiple  = clip((1 - world_gap) ** (-1 / world_price_elasticity), 1, price_cap)

Solving for the elasticity that reproduces an observed multiple ``m`` (``1 < m < cap``)::

    world_price_elasticity = -ln(1 - world_gap) / ln(m)
"""

from __future__ import annotations

import math


def import_multiple(world_gap: float, world_price_elasticity: float, price_cap: float) -> float:
    """Import-price multiple of the engine's curve for a world supply gap in [0, 1)."""
    if not 0.0 <= world_gap < 1.0:
        raise ValueError(f"world_gap must lie in [0, 1), got {world_gap}")
    if world_gap == 0.0:
        return 1.0
    return min(max((1.0 - world_gap) ** (-1.0 / world_price_elasticity), 1.0), price_cap)


def solve_world_price_elasticity(observed_multiple: float, world_gap: float) -> float:
    """The elasticity for which the curve (uncapped) gives ``observed_multiple`` at ``world_gap``."""
    if observed_multiple <= 1.0:
        raise ValueError(f"an observed multiple <= 1 ({observed_multiple}) says nothing about the elasticity")
    if not 0.0 < world_gap < 1.0:
        raise ValueError(f"world_gap must lie in (0, 1), got {world_gap}")
    return -math.log(1.0 - world_gap) / math.log(observed_multiple)
