"""Deprecated alias of :mod:`simcore.core.leontief` (the Leontief input-output models).

The module was renamed because ``io`` reads as file input/output. Import from
``simcore.core.leontief``; this alias warns on import and will be removed.
"""

from __future__ import annotations

import warnings

from simcore.core.leontief import leontief_output, leontief_price_change, leontief_price_operator

__all__ = ["leontief_output", "leontief_price_change", "leontief_price_operator"]

warnings.warn("simcore.core.io is deprecated: import from simcore.core.leontief (the same functions)",
              DeprecationWarning, stacklevel=2)
