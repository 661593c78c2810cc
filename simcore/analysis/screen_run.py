"""Running a chokepoint screen: every case (unit x disruption) on the same scenarios, and
the streaming statistics of its losses.

Lanes and cases
    A chunk is ``Cc`` cases x ``Ls`` scenarios. The cases' events (``[C, J, ...]``,
    :func:`simcore.analysis.screen_disruptions.stack_cases`) are mapped over with
    ``vmap``; inside, the scenarios are the engine's trailing lane axis
    (:mod:`simcore.core.lanes`) and the policy mixes its leading ``vmap`` axis. One
    compiled shape serves every chunk (the last case and scenario blocks padded, the
    padding dropped). Scenario ``i`` draws its events from ``fold_in(base_key, i)`` and
    its uncertain model parameters from ``parameter_key(base_key, i)``: every case sees
    the same parameter draws and the same uniforms for its hazard slots (common random
    numbers across units). The scenario axis is sharded over all local devices.

Per lane (case, mix, scenario) the engine gives the vector :data:`LANE_FIELDS`:
value-added loss summed over sectors and the horizon, any shortage (0/1), the days from
the alarm to the first shortage of any product (NaN: none), shortage days per product
row ``[P]`` and value-added loss per sector ``[S]``.

:class:`ScreenStream` reduces each chunk on the host: per (mix, case) the mean and
co-moment of the loss (pairwise update), the shortage counts, the time to survive (sum
and count over lanes with a shortage), the sector losses, a log-bin sketch of the loss
for its 95th percentile and CVaR95 (relative accuracy 1 %), and a *Poisson bootstrap*:
scenario ``i`` carries weights ``w_bi ~ Poisson(1)`` for replicates ``b = 1..B`` drawn
from ``fold_in(PRNGKey(seed), i)``, the same for every case (a paired bootstrap over
scenarios), and the stream keeps ``sum_i w_bi L_ci`` and ``sum_i w_bi``. Memory is
``O(M C (B + P + S))``, flat in the number of scenarios; the results do not depend on the
chunk sizes (up to float64 rounding of the merged sums).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from simcore.analysis.robustness import _Sketch
from simcore.core.compile import engine_jit
from simcore.core.disruptions import draw_leakage, occurrences_from_batch, sample_batch
from simcore.core.engine import drawn_policy_lanes, simulate_lanes
from simcore.core.lanes import lanes_first, model_lanes, policy_lanes
from simcore.core.uncertainty import drawn_fields, parameter_key

LANE_FIELDS = ("value_added_loss", "any_shortage", "time_to_survive")  # then shortage days [P], VA loss [S]
TAIL = 0.05  # CVaR95: the mean of the worst 5 %


def case_lane_metrics(model, policies, cases, base_key, scenario_index, u, columns, horizon: int,
                      points: bool = False):
    """``[C, M, L, 3 + P + S]`` (module doc) of cases ``(events [C, J], share delta
    [C, P, O], domestic kept [C, P], no transit [C, P, O])`` on scenarios ``[L]``.
    ``points`` (static): the lanes' uncertain numbers at the probabilities ``u`` ``[L, d]``
    (a parameter point, :func:`simcore.analysis.sobol_run.lane_metrics`) instead of drawn
    from the scenario's key."""
    drawn = {}
    if model.uncertainty is not None and points:
        from simcore.analysis.sobol_run import _fixed_uncertainty

        drawn = jax.vmap(lambda row, i: drawn_fields(_fixed_uncertainty(model, columns, row),
                                                     parameter_key(base_key, i)))(u, scenario_index)
    elif model.uncertainty is not None:
        drawn = jax.vmap(lambda i: drawn_fields(model, parameter_key(base_key, i)))(scenario_index)
    lane_model = model_lanes(model, drawn)

    def one_case(case):
        events, delta, keep, no_transit = case
        occ = occurrences_from_batch(sample_batch(events, base_key, scenario_index))
        lane_events = draw_leakage(events, base_key, scenario_index)
        # a recipe or domestic case: the domestic share on its carrier origin (screen_units.home_patch)
        central = model._replace(import_share=model.import_share + delta)
        case_model = lane_model._replace(
            import_share=lane_model.import_share + delta[..., None],
            domestic_share=lane_model.domestic_share * keep[:, None],
            transit_days=jnp.where(no_transit[..., None], 0.0, lane_model.transit_days),
            market_sourcing_share=lane_model.market_sourcing_share * keep[:, None])

        def one_policy(policy):
            policy = policy._replace(import_share=policy.import_share + delta)
            lanes = drawn_policy_lanes(central, case_model, policy_lanes(policy))
            metrics, _ = simulate_lanes(case_model, lanes, lane_events, occ, horizon)
            short = lanes_first(metrics.shortage_days).astype(jnp.float32)  # [L, P]
            sectors = lanes_first(metrics.value_added_loss)  # [L, S]
            tts = jnp.nanmin(lanes_first(metrics.time_to_survive), axis=-1)
            head = jnp.stack([jnp.sum(sectors, -1), jnp.any(short > 0, -1).astype(jnp.float32), tts], axis=-1)
            return jnp.concatenate([head, short, sectors], axis=-1)

        return jax.vmap(one_policy)(policies)

    return jax.vmap(one_case)(cases)


@functools.lru_cache(maxsize=8)
def _sharded(mesh, horizon: int, points: bool):
    from jax.sharding import PartitionSpec

    from simcore.run.devices import SCENARIO_AXIS

    rep, lanes = PartitionSpec(), PartitionSpec(SCENARIO_AXIS)

    def local(model, policies, cases, base_key, columns, index, u):
        return case_lane_metrics(model, policies, cases, base_key, index, u, columns, horizon, points)

    mapped = jax.shard_map(local, mesh=mesh, in_specs=(rep, rep, rep, rep, rep, lanes, lanes),
                           out_specs=PartitionSpec(None, None, SCENARIO_AXIS), check_vma=False)
    return engine_jit(mapped)


@functools.lru_cache(maxsize=4)
def _weights_fn(replicates: int):
    def weights(key, index):
        return jax.vmap(lambda i: jax.random.poisson(jax.random.fold_in(key, i), 1.0, (replicates,)))(index)

    return jax.jit(weights)


def bootstrap_weights(seed: int, scenario_index: np.ndarray, replicates: int) -> np.ndarray:
    """``[L, B]`` Poisson(1) weights of scenarios ``[L]`` (module doc: one stream per
    scenario, so they do not depend on the chunks)."""
    if replicates == 0:
        return np.zeros((len(scenario_index), 0))
    out = _weights_fn(int(replicates))(jax.random.PRNGKey(int(seed)), jnp.asarray(scenario_index, jnp.uint32))
    return np.asarray(out, np.float64)


def run_cases(model, policies, cases, base_key, *, n_scenarios: int, start: int, horizon: int, chunk_cases: int,
              chunk_scenarios: int, consume, progress=None, point_u=None, columns=None) -> None:
    """Run every case on scenarios ``start .. start + n_scenarios - 1`` in chunks;
    ``consume(case_lo, case_hi, scenario_index, out, point)`` gets each chunk's float64
    ``[hi - lo, M, L, K]`` and each lane's parameter point (0 without points);
    ``progress(done, total)`` per chunk. ``point_u`` ``[K, d]``: run every scenario at
    each of ``K`` parameter points (lanes ``K x n_scenarios``, point-major)."""
    from simcore.run import devices

    n_cases = int(np.shape(cases[0].hazard_per_year)[0])
    n_points = 1 if point_u is None else int(point_u.shape[0])
    n_lanes = n_points * int(n_scenarios)
    chunk_cases = max(1, min(int(chunk_cases), n_cases))
    chunk_scenarios = max(1, min(int(chunk_scenarios), n_lanes))
    mesh = devices.scenario_mesh()
    width = devices.padded_size(chunk_scenarios, mesh.size)
    batch = _sharded(mesh, int(horizon), point_u is not None)
    u_all = np.zeros((n_points, 0), np.float32) if point_u is None else np.asarray(point_u, np.float32)
    rep = devices.replicate((model, policies, base_key, {k: jnp.asarray(v) for k, v in (columns or {}).items()}),
                            mesh)
    lane_sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(devices.SCENARIO_AXIS))
    tasks = [(c, s) for c in range(0, n_cases, chunk_cases) for s in range(0, n_lanes, chunk_scenarios)]

    def lanes(lo, hi):
        lane = np.arange(lo, hi)
        return start + lane % int(n_scenarios), lane // int(n_scenarios)

    def launch(task):
        c, s = task
        take = np.minimum(np.arange(c, c + chunk_cases), n_cases - 1)
        block = jax.tree_util.tree_map(lambda x: x[take], cases)
        index, point = lanes(s, s + width)
        index, point = np.where(np.arange(width) < n_lanes - s, index, index[0]), np.minimum(point, n_points - 1)
        u = jax.device_put(u_all[point], lane_sharding)
        return batch(rep[0], rep[1], devices.replicate(block, mesh), rep[2], rep[3],
                     devices.shard_index(index.astype(np.uint32), mesh), u)

    pending = launch(tasks[0]) if tasks else None
    for k, (c, s) in enumerate(tasks):
        out = pending
        if k + 1 < len(tasks):
            pending = launch(tasks[k + 1])
        hi, s_hi = min(c + chunk_cases, n_cases), min(s + chunk_scenarios, n_lanes)
        host = np.asarray(out, np.float64)[:hi - c, :, :s_hi - s]
        consume(c, hi, *lanes(s, s_hi), host)
        if progress is not None:
            progress(k + 1, len(tasks))


class ScreenStream:
    """Running statistics of ``M`` mixes x ``C`` cases (module doc)."""

    def __init__(self, n_policies: int, n_cases: int, n_products: int, n_sectors: int, replicates: int, seed: int,
                 n_points: int = 1):
        m, c = n_policies, n_cases
        self.point_sum = np.zeros((n_points, m, c))
        self.point_n = np.zeros((n_points, c))
        self.m, self.c, self.p, self.s = m, c, n_products, n_sectors
        self.replicates, self.seed = int(replicates), int(seed)
        self.count = np.zeros(c)
        self.mean = np.zeros((m, c))
        self.m2 = np.zeros((m, c))
        self.short = np.zeros((m, c))
        self.tts_sum = np.zeros((m, c))
        self.tts_count = np.zeros((m, c))
        self.row_short = np.zeros((m, c, n_products))
        self.sector_sum = np.zeros((m, c, n_sectors))
        self.boot_sum = np.zeros((m, self.replicates, c))
        self.boot_n = np.zeros((self.replicates, c))
        self.sketch = _Sketch(m * c)

    def add(self, lo: int, hi: int, scenario_index: np.ndarray, point: np.ndarray, out: np.ndarray) -> None:
        """One chunk: cases ``lo .. hi - 1``, lanes' scenarios and parameter points ``[L]``,
        ``out`` ``[hi - lo, M, L, K]``."""
        cases = slice(lo, hi)
        loss = np.moveaxis(out[..., 0], 0, 1)  # [M, c, L]
        by_point = np.zeros((self.point_sum.shape[0], self.m, hi - lo))
        np.add.at(by_point, np.asarray(point, np.int64), np.moveaxis(loss, 2, 0))  # lanes -> their point
        self.point_sum[:, :, cases] += by_point
        self.point_n[:, cases] += np.bincount(point, minlength=self.point_sum.shape[0])[:, None]
        n_b = loss.shape[-1]
        n_a = self.count[cases]
        mean_b = loss.mean(-1)
        m2_b = ((loss - mean_b[..., None]) ** 2).sum(-1)
        n = n_a + n_b
        delta = mean_b - self.mean[:, cases]
        self.m2[:, cases] += m2_b + delta ** 2 * n_a * n_b / n
        self.mean[:, cases] += delta * n_b / n
        self.count[cases] = n
        self.short[:, cases] += np.moveaxis(out[..., 1], 0, 1).sum(-1)
        tts = np.moveaxis(out[..., 2], 0, 1)
        finite = np.isfinite(tts)
        self.tts_sum[:, cases] += np.where(finite, tts, 0.0).sum(-1)
        self.tts_count[:, cases] += finite.sum(-1)
        p = self.p
        self.row_short[:, cases] += np.moveaxis((out[..., 3:3 + p] > 0).sum(2), 0, 1)
        self.sector_sum[:, cases] += np.moveaxis(out[..., 3 + p:].sum(2), 0, 1)
        cells = (np.arange(self.m)[:, None] * self.c + np.arange(lo, hi)[None, :]).ravel()
        part = _Sketch(len(cells), 0.01)
        part.add(loss.reshape(-1, n_b))
        for k, cell in enumerate(cells):  # per (mix, case) cell, not per scenario
            self.sketch.zeros[cell] += part.zeros[k]
            bins = self.sketch.bins[cell]
            for key, value in part.bins[k].items():
                bins[key] = bins.get(key, 0) + value
        if self.replicates:
            w = bootstrap_weights(self.seed, scenario_index, self.replicates)  # [L, B]
            self.boot_sum[:, :, cases] += np.einsum("lb,mcl->mbc", w, loss)
            self.boot_n[:, cases] += w.sum(0)[:, None]

    def result(self) -> dict:
        n = np.maximum(self.count, 1.0)
        out = {"expected_loss": self.mean.copy(),
               "expected_loss_se": np.sqrt(np.maximum(self.m2 / np.maximum(n - 1.0, 1.0), 0.0) / n),
               "p_shortage": self.short / n, "row_p_shortage": self.row_short / n[None, :, None],
               "sector_loss": self.sector_sum / n[None, :, None]}
        with np.errstate(invalid="ignore", divide="ignore"):
            out["time_to_survive"] = np.where(self.tts_count > 0, self.tts_sum / self.tts_count, np.nan)
            out["replicate_loss"] = self.boot_sum / self.boot_n[None]  # [M, B, C]
        q95, cvar = sketch_tail(self.sketch, TAIL)
        out["q95_loss"], out["cvar95_loss"] = q95.reshape(self.m, self.c), cvar.reshape(self.m, self.c)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["point_loss"] = self.point_sum / self.point_n[:, None, :]  # [K, M, C]
        out["scenarios"] = int(self.count.max()) if self.c else 0
        return out


def sketch_tail(sketch: _Sketch, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """``(quantile 1 - tail, CVaR)`` ``[cells]`` of a sketch: the value at rank
    ``ceil((1 - tail) n)`` and the mean of the worst ``ceil(tail n)`` values (bins at
    their representative value, the bin at the boundary counted in part)."""
    gamma = math.exp(sketch.log_gamma)
    quantile = sketch.quantile(1.0 - tail)
    cvar = np.zeros(len(sketch.bins))
    for cell, bins in enumerate(sketch.bins):
        total = int(sketch.zeros[cell]) + sum(bins.values())
        want = max(1, math.ceil(tail * total))
        taken, acc = 0, 0.0
        for key in sorted(bins, reverse=True):
            take = min(bins[key], want - taken)
            acc += take * 2.0 * gamma ** key / (gamma + 1.0)
            taken += take
            if taken >= want:
                break
        cvar[cell] = acc / want  # zeros fill the rest of the tail
    return quantile, cvar
