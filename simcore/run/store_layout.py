"""The run store's template and its size estimate, both from shapes alone (nothing compiled or run).

* :func:`template`: what a store of the run holds, in miniature (a :class:`Template`):
  the per-scenario arrays with a ``scenario`` dimension of length 1 (the metrics
  ``(policy, scenario, ...)``, the sampled events ``(scenario, event, occurrence)``;
  every other dimension and every dtype as the run writes them) and one chunk's
  statistics arrays (``name -> numpy array``, the fan histograms included where the
  run streams them), from which :class:`simcore.run.job.Job` lays out the store. Their
  ``xarray.Dataset`` is made only when asked for (:attr:`Template.dataset`): xarray's
  first variable imports Dask (0.6-0.8 s), which a run does not wait for before its
  first chunk computes (the layout comes after, issue 19 item 1).
* :func:`estimated_bytes`: the store's uncompressed size in bytes (an upper bound for
  it on disk) from that template: the per-scenario arrays times ``n_scenarios``
  (``keep = "per-scenario"`` only), the statistics arrays times ``n_chunks``, and the
  kept trajectories (float32, :func:`simcore.run.riders.kept_bytes`) of the daily
  group plus their copy in the chunks' blobs while they ride along.
* :class:`StoreTooLarge`: the refusal of a run whose estimate is above the limit (in
  bytes), before anything is written (:meth:`simcore.run.job.Job.prepare`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import xarray as xr

from simcore.run import riders
from simcore.run.chunks import RunPlan, plan_fans, reduce_chunk_arrays
from simcore.run.fans import template_arrays
from simcore.run.metrics import METRIC_INFO
from simcore.run.runner import Simulation, chunk_dataset
from simcore.run.store import OutputError


class StoreTooLarge(OutputError):
    """The run's store would exceed the size limit (refused before anything is written)."""

    def __init__(self, estimated_bytes: int, limit_bytes: float, keep: str):
        self.estimated_bytes, self.limit_bytes, self.keep = estimated_bytes, limit_bytes, keep
        super().__init__(f"the store would take about {estimated_bytes / 1e9:,.1f} GB (keep = {keep!r}), above "
                         f"the limit of {limit_bytes / 1e9:g} GB; keep only summaries (keep = \"summary\"), run "
                         f"fewer scenarios, or raise the limit")


@dataclass(frozen=True)
class Template:
    """A store of the run in miniature (see the module doc). ``metrics`` [policy, 1, ...]
    and ``draws`` [1, event, occurrence]: zeros of the run's shapes and dtypes;
    ``stats``: one chunk's statistics arrays."""

    sim: Simulation
    metrics: dict
    draws: dict
    stats: dict

    @functools.cached_property
    def dataset(self) -> xr.Dataset:
        """The per-scenario ``xarray.Dataset`` of one scenario (:func:`chunk_dataset`)."""
        return chunk_dataset(self.sim, 0, self.metrics, self.draws)

    @property
    def bytes_per_scenario(self) -> int:
        """Bytes of one scenario's per-scenario variables: those of :attr:`dataset`
        with a ``scenario`` dimension (every metric of ``METRIC_INFO`` and every draw)."""
        return sum(self.metrics[name].nbytes for name in METRIC_INFO) + sum(v.nbytes for v in self.draws.values())


def template(sim: Simulation, plan: RunPlan) -> Template:
    """The run's :class:`Template`: one scenario's per-scenario arrays and one chunk's
    statistics arrays (with its fan histograms where the run streams them) with the
    run's variables, dims and dtypes, from the engine's output shapes (traced with
    ``jax.eval_shape``, nothing compiled or run, and kept on disk:
    :func:`simcore.core.executable_cache.output_shapes`)."""
    from simcore.core.compile_cache import ensure_compilation_cache
    from simcore.core.disruptions import sample_batch
    from simcore.core.engine import simulate
    from simcore.core.executable_cache import output_shapes

    ensure_compilation_cache()
    index = np.arange(plan.chunk_size, dtype=np.uint32)  # NumPy: jnp.arange compiles a program per size
    # the horizon is a static argument: bound by closure, as jax.eval_shape treats every
    # argument it is given as traced
    def simulate_shapes(model, policies, events, base_key, scenario_index):
        return simulate(model, policies, events, horizon=sim.horizon_days, base_key=base_key,
                        scenario_index=scenario_index)

    # kept on disk with the compiled programs: a warm run does not trace the engine for them
    metrics_shape, _ = output_shapes("simulate", sim.horizon_days, simulate_shapes,
                                     (sim.loaded.model, sim.policies, sim.events, sim.base_key, index))
    draws_shape = output_shapes("sample_batch", (), sample_batch, (sim.events, sim.base_key, index))

    def zeros(shape_struct, scenario_axis):
        shape = list(shape_struct.shape)
        shape[scenario_axis] = 1
        return np.zeros(shape, dtype=shape_struct.dtype)

    metrics = {name: zeros(s, 1) for name, s in metrics_shape._asdict().items()}
    draws = {name: zeros(s, 0) for name, s in draws_shape._asdict().items()}
    arrays = reduce_chunk_arrays(sim, metrics)
    layout = plan_fans(sim)
    if layout is not None:
        arrays.update(template_arrays(layout, len(sim.policy_names)))
    return Template(sim, metrics, draws, arrays)


def estimated_bytes(template: Template, plan: RunPlan, config) -> int:
    """Uncompressed size in bytes of the chunk data and the kept trajectories of the run
    ``plan`` of ``config`` (an upper bound for the store on disk), from its
    :func:`template` (without making its dataset)."""
    total = 0
    if plan.keep == "per-scenario":
        total += template.bytes_per_scenario * plan.n_scenarios
    for value in template.stats.values():
        total += np.asarray(value).nbytes * plan.n_chunks
    kept = plan.daily_scenarios + plan.riding_scenarios  # the daily group, and the blobs' copy while riding
    total += riders.kept_bytes(kept, config.horizon_days, len(config.policies), len(config.loaded.products),
                               len(config.loaded.sectors))
    return total

