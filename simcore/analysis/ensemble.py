"""An ensemble of lanes for robustness and scenario discovery: every policy mix on the
same (parameter values, scenario) pairs, streamed in chunks.

A *lane* is one scenario index (its events and drawn leakage shares, common random
numbers: the same index gives the same futures to every mix and every parameter
value) run with one set of values of the model's uncertain numbers, given as
probabilities ``u`` ``[d]`` (one column per model-file number, the columns of
:func:`simcore.analysis.sobol.parameters`) and mapped through each entry's inverse CDF
exactly as a Sobol design point is (:func:`simcore.analysis.sobol_run.lane_metrics`).
Per lane it returns

* the metric vector of every mix ``[policy, 4 + 2 P]`` in the layout of
  :func:`~simcore.analysis.sobol_run.lane_metrics` (shortage days summed over products
  [days], any shortage [0/1], value-added loss summed over sectors [IO value unit], mean
  peak price change [1], then shortage days ``[P]`` and peak price change ``[P]``), the
  peaks without each mix's normal-time markup (crisis peaks, as the risk metrics of
  :mod:`simcore.analysis.evaluate`; ``without_markup`` of
  :func:`~simcore.analysis.sobol_run.packed_lane_metrics`);
* the drawn event inputs ``[5 E]`` (:data:`EVENT_FEATURES`, feature-major): per event
  the occurrences starting within the horizon, the first onset day (the horizon if
  none), the disrupted days (each occurrence's duration cut at the horizon, summed),
  the largest severity, and the leakage share.

:func:`run_ensemble` runs lanes ``0 .. n - 1`` in chunks of one compiled shape over all
local devices (``jax.shard_map`` over the lane axis, like the Sobol design), the next
chunk launched before the current one is read back, and hands each chunk's arrays to a
``consume`` callback: the caller reduces them (memory flat in the lane count) or keeps
what it needs. A model without uncertain numbers runs at its central values (``d = 0``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from simcore.analysis.sobol_run import lane_metrics, packed_lane_metrics
from simcore.core.compile import engine_jit
from simcore.core.cuts import occurrences_from_batch
from simcore.core.disruptions import draw_leakage, sample_batch
from simcore.core.lanes import model_lanes

EVENT_FEATURES = ("occurrences", "first_onset_day", "disrupted_days", "max_severity", "leakage_share")
EVENT_FEATURE_UNITS = ("1", "day", "days", "1", "1")


def _central_metrics(model, policies, events, base_key, scenario_index, horizon: int):
    """:func:`lane_metrics` of a model without uncertain numbers: ``[policy, L, 4 + 2 P]``."""
    occ = occurrences_from_batch(sample_batch(events, base_key, scenario_index))
    lane_events = draw_leakage(events, base_key, scenario_index)
    return packed_lane_metrics(model, model_lanes(model), policies, lane_events, occ, horizon, without_markup=True)


def event_features(events, base_key, scenario_index, horizon: int) -> jnp.ndarray:
    """Drawn event inputs ``[L, 5 E]`` of scenario indices ``[L]`` (module doc; the
    order of :data:`EVENT_FEATURES`, each over the events)."""
    s = sample_batch(events, base_key, scenario_index)  # [L, E, K]
    h = float(horizon)
    on = s.onset_day < h
    count = jnp.sum(on, axis=-1).astype(jnp.float32)
    first = jnp.min(jnp.where(on, s.onset_day, h), axis=-1)
    days = jnp.sum(jnp.where(on, jnp.minimum(s.duration_days, h - jnp.where(on, s.onset_day, 0.0)), 0.0), axis=-1)
    severity = jnp.max(jnp.where(on, s.severity, 0.0), axis=-1)
    n_events = events.leakage_share.shape[0]
    leakage = jnp.broadcast_to(draw_leakage(events, base_key, scenario_index).leakage_share,
                               (n_events, scenario_index.shape[0])).T  # [L, E]
    return jnp.concatenate([count, first, days, severity, leakage.astype(jnp.float32)], axis=-1)


def lane_outputs(model, policies, events, base_key, scenario_index, u, columns, horizon: int):
    """``(metrics [policy, L, 4 + 2 P], features [L, 5 E])`` of lanes with scenario
    indices ``[L]`` and parameter probabilities ``u`` ``[L, d]`` (module doc)."""
    if model.uncertainty is None:
        metrics = _central_metrics(model, policies, events, base_key, scenario_index, horizon)
    else:
        metrics = lane_metrics(model, policies, events, base_key, scenario_index, u, columns, horizon,
                               without_markup=True)
    return metrics, event_features(events, base_key, scenario_index, horizon)


@functools.lru_cache(maxsize=8)
def _sharded(mesh, horizon: int):
    from jax.sharding import PartitionSpec

    from simcore.run.devices import SCENARIO_AXIS, mesh_signature

    rep, lanes = PartitionSpec(), PartitionSpec(SCENARIO_AXIS)

    def local(model, policies, events, base_key, columns, index, u):
        return lane_outputs(model, policies, events, base_key, index, u, columns, horizon)

    mapped = jax.shard_map(local, mesh=mesh, in_specs=(rep, rep, rep, rep, rep, lanes, lanes),
                           out_specs=(PartitionSpec(None, SCENARIO_AXIS), lanes), check_vma=False)
    return engine_jit(mapped, program="ensemble_lanes", static=(mesh_signature(mesh), horizon))


def run_ensemble(model, policies, events, base_key, columns: dict, n_lanes: int, lane_inputs, consume, *,
                 horizon: int, chunk: int = 256, progress=None) -> None:
    """Run lanes ``0 .. n_lanes - 1`` in chunks of ``chunk`` lanes (one compiled shape;
    the last chunk padded with copies of its last lane, dropped before ``consume``).

    ``lane_inputs(lo, hi)`` gives the lanes' scenario indices ``[hi - lo]`` and parameter
    probabilities ``[hi - lo, d]``; ``consume(lo, hi, metrics, features)`` gets the
    chunk's float64 metric vectors ``[policy, hi - lo, 4 + 2 P]`` and event inputs
    ``[hi - lo, 5 E]``; ``progress(done, total)`` is called per chunk."""
    from simcore.run import devices

    chunk = max(1, min(int(chunk), int(n_lanes)))
    mesh = devices.scenario_mesh()
    width = devices.padded_size(chunk, mesh.size)
    batch = _sharded(mesh, int(horizon))
    rep = devices.replicate((model, policies, events, base_key, {k: jnp.asarray(v) for k, v in columns.items()}),
                            mesh)
    lane_sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(devices.SCENARIO_AXIS))
    starts = list(range(0, int(n_lanes), chunk))

    def launch(lo):
        hi = min(lo + chunk, n_lanes)
        index, u = lane_inputs(lo, hi)
        pad = width - (hi - lo)
        index = np.concatenate([np.asarray(index, np.uint32), np.repeat(np.asarray(index, np.uint32)[-1:], pad)])
        u = np.asarray(u, np.float32).reshape(hi - lo, -1)
        u = np.concatenate([u, np.repeat(u[-1:], pad, axis=0)])
        return batch(*rep, devices.shard_index(index, mesh), jax.device_put(u, lane_sharding))

    pending = launch(starts[0]) if starts else None
    for k, lo in enumerate(starts):
        out = pending
        if k + 1 < len(starts):
            pending = launch(starts[k + 1])
        hi = min(lo + chunk, n_lanes)
        metrics, features = (np.asarray(x, np.float64) for x in out)
        consume(lo, hi, metrics[:, :hi - lo], features[:hi - lo])
        if progress is not None:
            progress(k + 1, len(starts))
