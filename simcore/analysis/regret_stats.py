"""Streaming regret statistics of policy mixes over lanes grouped in parameter points
(:class:`RegretStream`), with the helpers they need: regret against the lane's best mix,
Wilson intervals and a log-bin quantile sketch. The formulas are in the module doc of
:mod:`simcore.analysis.robustness`, which drives them; memory is ``O(K M^2)`` whatever
the number of lanes.
"""

from __future__ import annotations

import math

import numpy as np

from simcore.analysis.intervals import Z

SKETCH_ACCURACY = 0.01
QUANTILE = 0.95


def regret(loss: np.ndarray) -> np.ndarray:
    """``R = L - min over mixes`` of losses ``[M, ...]`` (mixes first), same shape."""
    loss = np.asarray(loss, np.float64)
    return loss - loss.min(axis=0, keepdims=True)


def wilson(p, n, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval ``(low, high)`` of a share ``p`` from ``n`` trials (90 %)."""
    p, n = np.broadcast_arrays(np.asarray(p, np.float64), np.asarray(n, np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


class LogSketch:
    """Counts of non-negative values in log bins (relative accuracy ``a``), zero kept apart."""

    def __init__(self, n_cells: int, accuracy: float = SKETCH_ACCURACY):
        self.log_gamma = math.log((1 + accuracy) / (1 - accuracy))
        self.zeros = np.zeros(n_cells, np.int64)
        self.bins: list[dict] = [{} for _ in range(n_cells)]

    def add(self, values: np.ndarray) -> None:  # [cells, n]
        for cell, row in enumerate(np.asarray(values, np.float64)):
            positive = row[row > 0]
            self.zeros[cell] += row.size - positive.size
            keys, counts = np.unique(np.ceil(np.log(positive) / self.log_gamma).astype(np.int64), return_counts=True)
            bins = self.bins[cell]
            for key, count in zip(keys.tolist(), counts.tolist()):
                bins[key] = bins.get(key, 0) + count

    def quantile(self, q: float) -> np.ndarray:
        """``[cells]``: the value at rank ``ceil(q n)`` (0 if it is among the zeros)."""
        gamma = math.exp(self.log_gamma)
        out = np.zeros(len(self.bins))
        for cell, bins in enumerate(self.bins):
            total = self.zeros[cell] + sum(bins.values())
            rank = max(1, math.ceil(q * total))
            seen = self.zeros[cell]
            if rank <= seen:
                continue
            for key in sorted(bins):
                seen += bins[key]
                if seen >= rank:
                    out[cell] = 2.0 * gamma ** key / (gamma + 1.0)
                    break
        return out


class RegretStream:
    """Running regret statistics of ``M`` mixes over lanes grouped in ``K`` points.

    :meth:`add` takes one chunk: losses ``[M, C]``, satisficing metric ``[M, C]`` and
    each lane's point ``[C]``; :meth:`result` the arrays of the module doc. Memory
    ``O(K M^2)`` whatever the number of lanes."""

    def __init__(self, n_mixes: int, n_points: int, threshold: float):
        self.m, self.k, self.threshold = int(n_mixes), int(n_points), float(threshold)
        # per point: running mean [K, M] and co-moments [K, M, M] of the losses (Chan et al. 1979)
        self.loss_mean = np.zeros((self.k, self.m))
        self.loss_co = np.zeros((self.k, self.m, self.m))
        self.regret_sum = np.zeros((self.k, self.m))
        self.regret_sq = np.zeros((self.k, self.m))
        self.sat_count = np.zeros((self.k, self.m))
        self.sat_sum = np.zeros((self.k, self.m))
        self.count = np.zeros(self.k, np.int64)
        self.max_regret = np.zeros(self.m)
        self.sketch = LogSketch(self.m)

    def add(self, loss: np.ndarray, satisficing: np.ndarray, point: np.ndarray) -> None:
        loss, satisficing = np.asarray(loss, np.float64), np.asarray(satisficing, np.float64)
        point = np.asarray(point, np.int64)
        r = regret(loss)
        self.max_regret = np.maximum(self.max_regret, r.max(axis=1))
        self.sketch.add(r)
        ok = (satisficing <= self.threshold).astype(np.float64)
        # the chunk's per-point blocks, vectorised over points (np.add.at: no loop over lanes or points)
        n_b = np.bincount(point, minlength=self.k).astype(np.float64)  # [K]
        touched = n_b > 0
        sums = np.zeros((self.k, self.m))
        for acc, values in ((sums, loss), (self.regret_sum, r), (self.regret_sq, r ** 2), (self.sat_count, ok),
                            (self.sat_sum, satisficing)):
            np.add.at(acc, point, values.T)
        mean_b = np.where(touched[:, None], sums / np.maximum(n_b, 1.0)[:, None], 0.0)
        dev = loss.T - mean_b[point]  # [C, M]
        co_b = np.zeros((self.k, self.m, self.m))
        np.add.at(co_b, point, dev[:, :, None] * dev[:, None, :])
        n_a = self.count.astype(np.float64)
        n = n_a + n_b
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, n_b / np.maximum(n, 1.0), 0.0)
            weight = np.where(n > 0, n_a * n_b / np.maximum(n, 1.0), 0.0)
        delta = mean_b - self.loss_mean
        self.loss_co = np.where(touched[:, None, None], self.loss_co + co_b
                                + delta[:, :, None] * delta[:, None, :] * weight[:, None, None], self.loss_co)
        self.loss_mean = np.where(touched[:, None], self.loss_mean + delta * share[:, None], self.loss_mean)
        self.count += n_b.astype(np.int64)

    def result(self) -> dict:
        """Per mix and per (point, mix) statistics (names as the dataset's variables)."""
        if np.any(self.count == 0):
            raise ValueError("every parameter point needs at least one lane")
        n, k = self.count.astype(np.float64), self.k
        point_loss = self.loss_mean.copy()  # [K, M]
        cov = self.loss_co / np.maximum(n - 1.0, 1.0)[:, None, None]  # [K, M, M], ddof 1
        point_regret_lane = self.regret_sum / n[:, None]
        point_sat = self.sat_count / n[:, None]
        point_sat_metric = self.sat_sum / n[:, None]
        total = n.sum()

        def cluster(values):  # [K, M] per-point means -> (mean [M], se [M]) with equal-weight lanes
            mean = (values * n[:, None]).sum(0) / total
            if k >= 2:
                return mean, values.std(axis=0, ddof=1) / math.sqrt(k)
            return mean, np.full(self.m, np.nan)

        out = {}
        out["expected_loss"], se_loss = cluster(point_loss)
        out["expected_regret"], se_regret = cluster(point_regret_lane)
        out["satisficing_share"], se_sat = cluster(point_sat)
        if k < 2:  # one point: the lanes are the independent units
            se_loss = np.sqrt(np.maximum(np.diagonal(cov[0]), 0.0) / n[0])
            var_r = (self.regret_sq[0] - n[0] * point_regret_lane[0] ** 2) / max(n[0] - 1, 1)
            se_regret = np.sqrt(np.maximum(var_r, 0.0) / n[0])
            p = point_sat[0]
            se_sat = np.sqrt(p * (1 - p) / n[0])
        out["expected_loss_se"], out["expected_regret_se"] = se_loss, se_regret
        p = out["satisficing_share"]
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = np.where(se_sat > 0, p * (1 - p) / se_sat ** 2, total)
        out["satisficing_low"], out["satisficing_high"] = wilson(p, np.clip(n_eff, 1.0, total))
        out["q95_regret"] = self.sketch.quantile(QUANTILE)
        out["max_regret"] = self.max_regret.copy()
        # against the mix best in expectation: paired difference of expected losses
        best = int(np.argmin(out["expected_loss"]))
        if k >= 2:
            diff = point_loss - point_loss[:, [best]]
            out["loss_over_best_se"] = diff.std(axis=0, ddof=1) / math.sqrt(k)
        else:
            co = cov[0]
            var = np.diagonal(co) + co[best, best] - 2 * co[:, best]
            out["loss_over_best_se"] = np.sqrt(np.maximum(var, 0.0) / n[0])
        out["loss_over_best"] = out["expected_loss"] - out["expected_loss"][best]
        # across parameter points
        best_k = np.argmin(point_loss, axis=1)  # [K]
        point_regret = point_loss - point_loss[np.arange(k), best_k][:, None]
        point_se = np.zeros((k, self.m))
        for j in range(k):  # per point (K numbers), not per lane
            co, b = cov[j], best_k[j]
            var = np.diagonal(co) + co[b, b] - 2 * co[:, b]
            point_se[j] = np.sqrt(np.maximum(var, 0.0) / n[j])
        worst = np.argmax(point_regret, axis=0)  # [M]
        out["point_loss"], out["point_regret"], out["point_regret_se"] = point_loss, point_regret, point_se
        out["point_best"] = best_k
        out["point_satisficing_metric"] = point_sat_metric
        out["minimax_regret"] = point_regret[worst, np.arange(self.m)]
        out["minimax_regret_se"] = point_se[worst, np.arange(self.m)]
        out["minimax_point"] = worst
        out["mean_point_regret"] = point_regret.mean(axis=0)
        out["mean_point_regret_se"] = (point_regret.std(axis=0, ddof=1) / math.sqrt(k) if k >= 2
                                       else point_se[0])
        share = (point_sat_metric <= self.threshold).mean(axis=0)
        out["point_satisficing_share"] = share
        out["point_satisficing_low"], out["point_satisficing_high"] = wilson(share, k)
        out["lanes"] = int(total)
        return out
