"""Running a Sobol design through the engine: the per-lane metric vectors and the
chunked, resumable loop that averages them over the common scenarios.

Lanes are (design point, scenario) pairs: :func:`lane_metrics` runs them with each
distribution collapsed to the lane's design value (:func:`_fixed_uncertainty`), so every
derived quantity is recomputed as for a drawn scenario; :func:`evaluate_design` runs the
design's rows in chunks of one compiled shape over all local devices and keeps one
float64 sum per (policy, design point, metric); :class:`StoreCheckpoint` saves those
sums in a store so an interrupted run continues. The design and the estimators are in
:mod:`simcore.analysis.sobol_design`, the analysis, its settings and the command in
:mod:`simcore.analysis.sobol`, which re-exports these names.
"""

from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np

from simcore.analysis.sobol_design import U_EPS
from simcore.core.compile import engine_jit
from simcore.core.cuts import occurrences_from_batch
from simcore.core.disruptions import draw_leakage, sample_batch
from simcore.core.engine import drawn_policy_lanes, normal_time_markup, simulate_lanes
from simcore.core.lanes import lanes_first, model_lanes, policy_lanes
from simcore.core.model import Model
from simcore.core.uncertainty import UNIFORM, drawn_fields, inverse_cdf, parameter_key


def _fixed_uncertainty(model: Model, columns: dict, u: jnp.ndarray) -> Model:
    """``model`` with every distribution collapsed to its value at design probabilities
    ``u`` ``[d]`` (uniform of width 0): :func:`drawn_fields` then returns those values
    whatever the key, with every derived quantity recomputed."""
    draws = {}
    for name, dist in model.uncertainty.draws.items():
        value = inverse_cdf(dist, jnp.clip(u[columns[name]], U_EPS, 1.0 - U_EPS))
        draws[name] = dist._replace(kind=jnp.full_like(dist.kind, UNIFORM), a=value, b=jnp.zeros_like(value),
                                    c=value)
    return model._replace(uncertainty=model.uncertainty._replace(draws=draws))


def lane_metrics(model: Model, policies, events, base_key, scenario_index, u, columns, horizon: int,
                 without_markup: bool = False):
    """Per-lane metric vectors ``[policy, L, 4 + 2 P]`` for lanes with scenario indices
    ``[L]`` and design probabilities ``u`` ``[L, d]``: shortage days (sum over products),
    any shortage (0/1), value-added loss (sum over sectors), peak price change (mean over
    products), then shortage days ``[P]`` and peak price change ``[P]`` per product.
    ``without_markup`` (static): the peaks without each mix's normal-time markup
    (:func:`packed_lane_metrics`)."""
    occ = occurrences_from_batch(sample_batch(events, base_key, scenario_index))
    lane_events = draw_leakage(events, base_key, scenario_index)
    drawn = jax.vmap(lambda row, i: drawn_fields(_fixed_uncertainty(model, columns, row), parameter_key(base_key, i)))(
        u, scenario_index)
    return packed_lane_metrics(model, model_lanes(model, drawn), policies, lane_events, occ, horizon, without_markup)


def packed_lane_metrics(model: Model, lane_model: Model, policies, lane_events, occ, horizon: int,
                        without_markup: bool = False) -> jnp.ndarray:
    """The metric vectors of :func:`lane_metrics` ``[policy, L, 4 + 2 P]`` of the lanes of
    ``lane_model`` (:mod:`simcore.core.lanes`) with occurrences ``occ`` ``[E, K, L]``.

    ``without_markup`` (static; the robustness ensemble): the peak price changes without
    the mix's normal-time markup ``m`` of each lane (its drawn import shares included),
    ``(1 + peak) / (1 + m) - 1`` (:mod:`simcore.analysis.markups`); the Sobol design keeps
    the engine's peak (markup included; a constant markup leaves its indices unchanged)."""

    def one(policy):
        lanes = drawn_policy_lanes(model, lane_model, policy_lanes(policy))
        metrics, _ = simulate_lanes(lane_model, lanes, lane_events, occ, horizon)
        short = lanes_first(metrics.shortage_days).astype(jnp.float32)  # [L, P]
        peak = lanes_first(metrics.peak_price_change)
        if without_markup:
            markup = jnp.broadcast_to(normal_time_markup(lane_model, lanes), metrics.peak_price_change.shape)
            peak = (1.0 + peak) / (1.0 + lanes_first(markup)) - 1.0
        va = jnp.sum(lanes_first(metrics.value_added_loss), axis=-1)
        head = jnp.stack([jnp.sum(short, -1), jnp.any(short > 0, -1).astype(jnp.float32), va, jnp.mean(peak, -1)],
                         axis=-1)
        return jnp.concatenate([head, short, peak], axis=-1)

    return jax.vmap(one)(policies)


@functools.lru_cache(maxsize=8)
def _sharded_lane_metrics(mesh, horizon: int):
    from jax.sharding import PartitionSpec

    from simcore.run.devices import SCENARIO_AXIS, mesh_signature

    rep = PartitionSpec()

    def local(model, policies, events, base_key, columns, index, u):
        return lane_metrics(model, policies, events, base_key, index, u, columns, horizon)

    mapped = jax.shard_map(local, mesh=mesh, in_specs=(rep, rep, rep, rep, rep, PartitionSpec(SCENARIO_AXIS),
                                                       PartitionSpec(SCENARIO_AXIS)),
                           out_specs=PartitionSpec(None, SCENARIO_AXIS), check_vma=False)
    return engine_jit(mapped, program="sobol_lanes", static=(mesh_signature(mesh), horizon))


def evaluate_design(model: Model, policies, events, base_key, columns: dict, rows: np.ndarray, *,
                    n_scenarios: int, start: int = 0, horizon: int = 365, chunk_points: int = 8,
                    chunk_scenarios: int = 200, progress=None, checkpoint=None,
                    checkpoint_every_s: float = 60.0) -> np.ndarray:
    """Mean metric vectors ``[policy, R, K]`` (float64) of design rows ``[R, d]`` over
    scenarios ``start .. start + n_scenarios - 1`` (the same for every row), in chunks of
    ``chunk_points`` rows x ``chunk_scenarios`` scenarios (one compiled shape; the last
    chunks padded and the padding dropped).

    ``checkpoint`` (e.g. :class:`StoreCheckpoint`): ``load() -> (sums, done) | None``
    gives the sums and the finished chunks of an earlier run of the same design, which are
    skipped; ``save(sums, done)`` is called at most every ``checkpoint_every_s`` seconds
    and at the end."""
    from simcore.run import devices

    rows = np.asarray(rows, np.float32)
    n_rows, _ = rows.shape
    chunk_points = max(1, min(chunk_points, n_rows))
    chunk_scenarios = max(1, min(chunk_scenarios, n_scenarios))
    mesh = devices.scenario_mesh()
    lanes = devices.padded_size(chunk_points * chunk_scenarios, mesh.size)
    batch = _sharded_lane_metrics(mesh, horizon)
    rep = devices.replicate((model, policies, events, base_key,
                             {k: jnp.asarray(v) for k, v in columns.items()}), mesh)
    tasks = [(r, s) for r in range(0, n_rows, chunk_points) for s in range(start, start + n_scenarios, chunk_scenarios)]
    n_metrics = 4 + 2 * int(np.shape(model.demand_per_day)[0])
    n_policies = int(jax.tree_util.tree_leaves(policies)[0].shape[0])
    sums = np.zeros((n_policies, n_rows, n_metrics))
    done = np.zeros(len(tasks), bool)
    earlier = checkpoint.load() if checkpoint is not None else None
    if earlier is not None and earlier[0].shape == sums.shape and earlier[1].shape == done.shape:
        sums, done = np.array(earlier[0], np.float64), np.array(earlier[1], bool)
    todo = [k for k in range(len(tasks)) if not done[k]]
    saved = time.perf_counter()

    def launch(task):
        r, s = task
        point = np.arange(lanes) // chunk_scenarios  # lane -> row within the chunk (pad lanes: past the end)
        scen = s + np.arange(lanes) % chunk_scenarios
        row = np.minimum(r + point, n_rows - 1)
        index = devices.shard_index(scen.astype(np.uint32), mesh)
        u = jax.device_put(rows[row], jax.sharding.NamedSharding(
            mesh, jax.sharding.PartitionSpec(devices.SCENARIO_AXIS)))
        return batch(*rep, index, u)

    pending = launch(tasks[todo[0]]) if todo else None
    for position, k in enumerate(todo):
        out = pending
        if position + 1 < len(todo):
            pending = launch(tasks[todo[position + 1]])
        host = np.asarray(out, np.float64)  # [policy, lanes, K]
        r, s = tasks[k]
        n_points = min(chunk_points, n_rows - r)
        n_scen = min(chunk_scenarios, start + n_scenarios - s)
        used = host[:, :chunk_points * chunk_scenarios].reshape(host.shape[0], chunk_points, chunk_scenarios, -1)
        sums[:, r:r + n_points] += used[:, :n_points, :n_scen].sum(axis=2)
        done[k] = True
        if checkpoint is not None and (time.perf_counter() - saved >= checkpoint_every_s
                                       or position + 1 == len(todo)):
            checkpoint.save(sums, done)
            saved = time.perf_counter()
        if progress is not None:
            progress(len(tasks) - len(todo) + position + 1, len(tasks))
    return sums / n_scenarios


class StoreCheckpoint:
    """The running sums of a design in group ``sobol_partial`` of a zarr store, tagged
    with a fingerprint of everything that decides them (config bytes, design settings,
    chunk sizes): a run with the same fingerprint continues where the last one stopped;
    another fingerprint starts afresh (and overwrites the group)."""

    GROUP = "sobol_partial"

    def __init__(self, store, fingerprint: str):
        self.store, self.fingerprint = str(store), fingerprint

    def load(self):
        import zarr

        try:
            group = zarr.open_group(self.store, mode="r")[self.GROUP]
        except (KeyError, FileNotFoundError, ValueError, TypeError, zarr.errors.GroupNotFoundError):
            return None
        if group.attrs.get("fingerprint") != self.fingerprint:
            return None
        return np.asarray(group["sums"][:]), np.asarray(group["done"][:], bool)

    def save(self, sums, done) -> None:
        import zarr

        group = zarr.open_group(self.store, mode="a").require_group(self.GROUP)
        group.attrs["fingerprint"] = ""  # invalid while the arrays are being replaced
        group.create_array("sums", data=np.asarray(sums, np.float64), overwrite=True)
        group.create_array("done", data=np.asarray(done, np.uint8), overwrite=True)
        group.attrs["fingerprint"] = self.fingerprint
