"""Probability that a mix is on the Pareto front, under scenario resampling.

The front of :func:`simcore.analysis.costs.pareto_front` is taken over point estimates
``(cost_m, risk_m)`` (lower is better on both), each an average over the same ``n``
scenarios (common random numbers). Drawing other scenarios would move every estimate
together; a mix's *Pareto probability* is the share of such redraws in which it stays
on the front.

Two estimators, one per kind of what a run keeps:

* :func:`front_probability_normal` -- when only streamed moments are kept (sweeps: the
  analysis never holds the per-scenario values of all mixes): the vector of estimates
  ``(cost_1..M, risk_1..M)`` is approximately normal around the point estimates with
  covariance ``C / n``, ``C`` ``[2M, 2M]`` the per-scenario covariance streamed with the
  run (:class:`simcore.analysis.evaluate.PairedResult` ``front``; the paired,
  cross-mix terms included). ``draws`` vectors are drawn from it (a normal approximation
  of the paired bootstrap) and the front recomputed on each.
* :func:`front_probability_bootstrap` -- when the per-scenario values are kept
  (``[M, n]``; the optimiser's test scenarios): a paired bootstrap, resampling the
  scenario indices, the same for every mix.

Both are Monte Carlo estimates with standard error at most ``0.5 / sqrt(draws)``
(0.011 at the default 2,000 draws) and a fixed ``seed`` (reproducible). Mixes that tie
on both counts (within a relative :data:`TIE`) share the front, as in
:func:`~simcore.analysis.costs.pareto_front`, so two identical mixes are on it together;
two mixes equal in distribution but not per scenario each get about one half where they
dominate each other by chance.
Costs with no scenario noise (standing costs) enter with zero variance.
"""

from __future__ import annotations

import numpy as np

DRAWS = 2000


TIE = 1e-9  # relative: values this close count as equal (rounding of the streamed moments)
EIGEN_FLOOR = 1e-10  # relative to the largest eigenvalue of the covariance: below it, rounding


def _fronts(cost: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """``[D, M]`` bool: the front of each of ``D`` draws of ``cost``, ``risk`` ``[D, M]``.

    Differences within :data:`TIE` times the largest magnitude of the draw count as ties:
    mixes with the same per-scenario values (e.g. levers that never act) get the same
    draws up to rounding, which must not decide which of them dominates."""
    tc = TIE * np.max(np.abs(cost), axis=1, initial=0.0)[:, None, None]
    tr = TIE * np.max(np.abs(risk), axis=1, initial=0.0)[:, None, None]
    dc = cost[:, None, :] - cost[:, :, None]  # [D, i, j]: cost_j - cost_i
    dr = risk[:, None, :] - risk[:, :, None]
    better_or_equal = (dc <= tc) & (dr <= tr)
    strictly = (dc < -tc) | (dr < -tr)
    return ~np.any(better_or_equal & strictly, axis=2)


def front_probability_normal(cost, risk, covariance, n: int, *, draws: int = DRAWS, seed: int = 0) -> np.ndarray:
    """``[M]`` probability that each mix is on the (cost, risk) front.

    ``cost``, ``risk`` ``[M]``: point estimates (means over ``n`` scenarios, the cost with
    its exact standing part); ``covariance`` ``[2M, 2M]``: per-scenario covariance of
    ``(cost_1..M, risk_1..M)`` (units of cost and risk squared; zero rows for exact
    parts). NaN where ``n < 2`` or the covariance is not finite."""
    cost, risk = np.asarray(cost, np.float64), np.asarray(risk, np.float64)
    m = cost.size
    covariance = np.asarray(covariance, np.float64)
    if covariance.shape != (2 * m, 2 * m):
        raise ValueError(f"covariance must have shape ({2 * m}, {2 * m}) for {m} mixes, got {covariance.shape}")
    if n < 2 or not np.all(np.isfinite(covariance)):
        return np.full(m, np.nan)
    cov = 0.5 * (covariance + covariance.T) / n
    values, vectors = np.linalg.eigh(cov)  # a PSD square root; rank-deficient is fine (identical mixes)
    # eigenvalues at rounding level (identical mixes give exact zeros) are dropped, so such
    # mixes get the same draws up to rounding, not independent noise of sqrt(rounding)
    values = np.where(values > EIGEN_FLOOR * max(float(values.max(initial=0.0)), 0.0), values, 0.0)
    root = vectors * np.sqrt(values)
    rng = np.random.default_rng(seed)
    sample = np.concatenate([cost, risk])[None] + rng.standard_normal((draws, 2 * m)) @ root.T
    return _fronts(sample[:, :m], sample[:, m:]).mean(axis=0)


def front_probability_bootstrap(cost, risk_per_scenario, *, draws: int = DRAWS, seed: int = 0) -> np.ndarray:
    """``[M]`` probability that each mix is on the (cost, mean risk) front under a paired
    bootstrap of the scenarios.

    ``cost`` ``[M]`` (exact, or ``[M, n]`` per scenario: averaged on each resample);
    ``risk_per_scenario`` ``[M, n]``: each mix's risk on the same ``n`` scenarios."""
    risk = np.asarray(risk_per_scenario, np.float64)
    cost = np.asarray(cost, np.float64)
    m, n = risk.shape
    rng = np.random.default_rng(seed)
    on = np.zeros(m)
    for _ in range(draws):
        pick = rng.integers(0, n, n)
        c = cost[:, pick].mean(axis=1) if cost.ndim == 2 else cost
        on += _fronts(c[None], risk[:, pick].mean(axis=1)[None])[0]
    return on / draws
