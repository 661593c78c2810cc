"""Paired (common-random-number) standard errors and 90 % intervals, streamed.

Every effect of the analysis is a difference of means over the same scenarios: a mix
against the no-policy reference, a Shapley value (a fixed linear combination of the
coalitions' outcomes, see :mod:`simcore.analysis.shapley`), a net benefit (avoided
loss minus cost). Per scenario ``s`` such an effect is a number ``d_s`` (the paired
difference: both terms are the same scenario), the estimate is ``mean(d)`` and its
standard error ``std(d) / sqrt(n)`` (ddof 1). Pairing removes the scenario-to-scenario
variation common to both terms, which is most of it: a paired SE is typically several
times smaller than the SE of the two means taken apart.

Why the normal approximation rather than a paired bootstrap: the bootstrap needs all
``n`` per-scenario differences (or ``B`` resampled sums per chunk, each drawn from a
random-weight stream per scenario), while the normal interval needs only the running
count, mean and sum of squared deviations of each ``d`` — memory flat in the scenario
count and exact to merge chunk by chunk. With thousands of scenarios the mean of
``d`` is close to normal (central limit theorem) even for skewed losses; the coverage
test (``tests/test_intervals.py``) checks it at 200 scenarios per replicate.

:class:`Moments` is that running state: count ``n``, mean and the matrix of summed
cross deviations (co-moments) of a vector of per-scenario quantities, merged with the
pairwise update of Chan, Golub & LeVeque (1979), which is the streamed sum of
differences and of their squares without the cancellation of ``sum(x^2) - n mean^2``.
Ratios (cost per unit of risk avoided) get a delta-method SE from the co-moment of
their numerator and denominator; rankings the probability that one mix beats another,
``Phi(mean(d_ab) / se(d_ab))`` from the paired difference of their net benefits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVEL = 0.90  # of every interval
Z = 1.6448536269514722  # standard normal quantile at (1 + LEVEL) / 2


@dataclass(frozen=True)
class Moments:
    """Running moments of per-scenario vectors ``x_s`` ``[..., K]``.

    ``n``: scenarios seen; ``mean`` ``[..., K]``; ``co`` ``[..., K, K]``: the sum over
    scenarios of ``(x_s - mean)(x_s - mean)^T``. The leading ``...`` are independent cells
    (mixes, products, contrasts); ``K`` the quantities whose covariances are needed
    together (e.g. avoided loss and cost of one mix); use ``K = 1`` for variances only.
    """

    n: int
    mean: np.ndarray
    co: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> "Moments":
        """Moments of one block ``x`` ``[n, ..., K]`` (scenarios first)."""
        x = np.asarray(x, np.float64)
        n = x.shape[0]
        mean = x.mean(axis=0)
        dev = x - mean
        co = np.einsum("s...i,s...j->...ij", dev, dev)
        return cls(int(n), mean, co)

    def merge(self, other: "Moments | None") -> "Moments":
        """Both blocks together (Chan, Golub & LeVeque 1979); order changes only rounding."""
        if other is None or other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        co = self.co + other.co + delta[..., :, None] * delta[..., None, :] * (self.n * other.n / n)
        return Moments(n, mean, co)

    def covariance(self) -> np.ndarray:
        """``[..., K, K]`` sample covariance of ``x`` (ddof 1; NaN with fewer than 2 scenarios)."""
        return self.co / (self.n - 1) if self.n > 1 else np.full(self.co.shape, np.nan)

    def variance(self) -> np.ndarray:
        """``[..., K]`` sample variance of each quantity."""
        return np.diagonal(self.covariance(), axis1=-2, axis2=-1)

    def se(self) -> np.ndarray:
        """``[..., K]`` standard error of each mean: ``std / sqrt(n)``."""
        return np.sqrt(np.maximum(self.variance(), 0.0) / max(self.n, 1))


def interval(value, se, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` of the normal interval ``value -+ z se`` (90 % by default)."""
    value, se = np.asarray(value, np.float64), np.asarray(se, np.float64)
    return value - z * se, value + z * se


def within_noise(value, se, z: float = Z) -> np.ndarray:
    """True where the 90 % interval contains 0: the effect is not told apart from none."""
    low, high = interval(value, se, z)
    return (low <= 0) & (high >= 0)


def normal_cdf(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[np.float64])(x / math.sqrt(2.0))) if x.size else x


def p_greater(difference, se) -> np.ndarray:
    """Probability that the true paired difference is above 0 (normal approximation):
    ``Phi(difference / se)``; with ``se = 0`` 1, 0 or 0.5 by the sign of ``difference``."""
    difference, se = np.broadcast_arrays(np.asarray(difference, np.float64), np.asarray(se, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = normal_cdf(np.where(se > 0, difference / np.where(se > 0, se, 1.0), 0.0))
    return np.where(se > 0, p, np.where(difference > 0, 1.0, np.where(difference < 0, 0.0, 0.5)))


def ratio_se(numerator, denominator, var_num, var_den, cov, n) -> np.ndarray:
    """Delta-method SE of ``numerator / denominator`` where both are means over the same
    ``n`` scenarios with per-scenario variances ``var_num``, ``var_den`` and covariance
    ``cov``: ``sqrt(var_num - 2 R cov + R^2 var_den) / (|denominator| sqrt(n))``, R the
    ratio. A constant numerator (a fixed cost) has ``var_num = cov = 0``."""
    numerator, denominator = np.asarray(numerator, np.float64), np.asarray(denominator, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
        spread = np.maximum(var_num - 2 * ratio * cov + ratio ** 2 * var_den, 0.0)
        return np.sqrt(spread / max(int(n), 1)) / np.abs(denominator)


def plus_minus(value: float, se: float, digits: int = 3) -> str:
    """``"12.3 ± 1.4"``: the value and the half-width of its 90 % interval."""
    if not np.isfinite(value):
        return "n/a"
    if not np.isfinite(se):
        return f"{value:.{digits}g} ± n/a"
    return f"{value:.{digits}g} ± {Z * se:.2g}"


def noise_mark(value: float, se: float) -> str:
    """``"within noise"`` when the 90 % interval contains 0, else ``""``."""
    return "within noise" if np.isfinite(se) and bool(within_noise(value, se)) else ""
