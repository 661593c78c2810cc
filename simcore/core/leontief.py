"""Leontief quantity and price models (textbook input-output algebra).

``A[j, s]`` is the input from sector ``j`` needed per unit of output of sector ``s``
(technical coefficients, column sums below 1). Quantity model: gross output
``x = (I - A)^-1 f`` for final demand ``f``. Price model (cost push, Miller & Blair
ch. 2.6): unit price changes ``dp = (I - A^T)^-1 v`` where ``v[s]`` is the change of
the primary (non-sector) input cost per unit of output of ``s``. These helpers run
once when a model is built, so they use NumPy in float64.
"""

from __future__ import annotations

import numpy as np


def leontief_output(technical_coefficients, final_demand) -> np.ndarray:
    """Gross output ``x = (I - A)^-1 f``; shapes ``[S, S]``, ``[S]`` -> ``[S]``."""
    a_matrix = np.asarray(technical_coefficients, dtype=np.float64)
    identity = np.eye(a_matrix.shape[0])
    return np.linalg.solve(identity - a_matrix, np.asarray(final_demand, dtype=np.float64))


def leontief_price_change(technical_coefficients, cost_push) -> np.ndarray:
    """Sector unit-price changes ``(I - A^T)^-1 v`` for a primary cost push ``v`` ``[S]``.

    ``v`` is the change of non-sector input cost per unit value of each sector's
    output (e.g. 0.02 = costs up by 2% of the output value).
    """
    a_matrix = np.asarray(technical_coefficients, dtype=np.float64)
    identity = np.eye(a_matrix.shape[0])
    return np.linalg.solve(identity - a_matrix.T, np.asarray(cost_push, dtype=np.float64))


def leontief_price_operator(technical_coefficients, cost_share) -> np.ndarray:
    """Matrix ``(I - A^T)^-1 C^T`` ``[S, P]`` mapping relative product price changes
    ``[P]`` to sector price changes ``[S]``; ``cost_share[p, s]`` ``[P, S]`` is the cost
    of product ``p`` per unit value of output of ``s`` at baseline prices."""
    return leontief_price_change(technical_coefficients, np.asarray(cost_share, dtype=np.float64).T)
