"""One chunk of a stored sweep: plan it, compute it, reduce its statistics, write it.

Both ways of filling a store use these: the local loop of
:class:`simcore.run.job.Job` and a task on a Dask worker
(:mod:`simcore.run.distributed`). They live here, below both, so that neither imports
the other (the job sends chunks to the cluster; a worker needs only this module).

Chunk ``i`` covers scenarios ``i * chunk_size ... (i + 1) * chunk_size - 1`` (the last
one fewer) and is always computed as one full, padded chunk, so its results do not
depend on whether the run was interrupted, resumed or spread over workers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simcore.core.executable_cache import in_background
from simcore.run import stats, store
from simcore.run.fans import FanLayout, FanStats, fan_layout
from simcore.run.finite import MUST_BE_FINITE, check_finite
from simcore.run.paired import SUMMARY_INFO
from simcore.run.runner import Simulation, chunk_dataset, iter_chunks, preload_chunk_program
from simcore.run.stats.device_finish import DeviceChunk, day_bins_for
from simcore.run.stats.route import statistics_on_device


# ---------------------------------------------------------------- plan

@dataclass(frozen=True)
class RunPlan:
    """How a sweep is cut into chunks and what is kept: per-scenario results or only
    statistics (``keep``), and the day-by-day trajectories of scenarios
    ``0 .. daily_scenarios - 1``, of which the first ``riding_scenarios`` (all or none)
    ride along in the chunks (:mod:`simcore.run.riders`)."""

    n_scenarios: int
    chunk_size: int
    keep: str = "per-scenario"
    daily_scenarios: int = 0
    riding_scenarios: int = 0

    @property
    def n_chunks(self) -> int:
        return -(-self.n_scenarios // self.chunk_size)

    @property
    def bucketed(self) -> bool:
        """Whether the chunk's computed lanes are padded to one of a few sizes
        (:func:`simcore.run.devices.bucketed_size`): for a run of one chunk, whose size
        is then its scenario count, which changes from run to run (a run of several
        chunks computes the config's chunk size, the same every time). Nearby scenario
        counts so share one compiled program, for at most 25 % more lanes."""
        return self.n_chunks == 1

    def chunk_range(self, index: int) -> tuple[int, int]:
        """``(first scenario, number of scenarios)`` of chunk ``index``."""
        first = index * self.chunk_size
        return first, min(self.chunk_size, self.n_scenarios - first)


def _blocks(indices) -> list[range]:
    """Sorted chunk indices as runs of consecutive ones: [0, 1, 2, 5, 6] -> [0..2], [5..6]."""
    blocks: list[range] = []
    for index in sorted(set(int(i) for i in indices)):
        if blocks and blocks[-1].stop == index:
            blocks[-1] = range(blocks[-1].start, index + 1)
        else:
            blocks.append(range(index, index + 1))
    return blocks


# ---------------------------------------------------------------- statistics

def storable_mask(sim: Simulation) -> np.ndarray:
    """``[product]`` bool: goods (storable 1.0) vs services (0.0), the materials of
    ``p_any_material_shortage``."""
    return np.asarray(sim.loaded.model.storable) > 0.5


def result_coords(sim: Simulation) -> dict:
    """The coordinates of a run's summary: policy, product, sector."""
    return {"policy": sim.policy_names, "product": sim.loaded.products, "sector": sim.loaded.sectors}


def device_chunk(sim: Simulation, metrics: dict, count: int) -> DeviceChunk:
    """Reduce a chunk's metrics ``[policy, scenario, ...]`` where they lie (the engine's
    device arrays; the first ``count`` scenarios), checking them for NaN and inf there
    too: only the reduced state comes back, and the metrics themselves only where a run
    stores them (``DeviceChunk.host_metrics``) or a check fails (to name the bad value).
    Raises :class:`~simcore.run.finite.NonFiniteResult` as :func:`check_finite` does."""
    return DeviceChunk(metrics, SUMMARY_INFO, storable_mask(sim), count=count,
                       day_bins=day_bins_for(sim.horizon_days), finite_names=MUST_BE_FINITE)


def reduce_chunk_arrays(sim: Simulation, metrics, fans: FanStats | None = None) -> dict[str, np.ndarray]:
    """One chunk's statistics as the flat arrays a store keeps, with its fan histograms
    (keys ``fans_*``, :mod:`simcore.run.fans`) where given. ``metrics``: a
    :class:`~simcore.run.stats.device_finish.DeviceChunk` (a run's chunks: reduced on the
    device, bit for bit the host's numbers) or NumPy metrics (reduced on the host)."""
    if isinstance(metrics, DeviceChunk):
        arrays = metrics.result().to_arrays()
    else:
        arrays = stats.reduce_chunk(metrics, SUMMARY_INFO, storable_mask(sim)).to_arrays()
    if fans is not None:
        arrays.update(fans.to_arrays())
    return arrays


def plan_fans(sim: Simulation) -> FanLayout | None:
    """The fan layout of ``sim`` where it streams the fan quantiles (``run.fan_quantiles``)."""
    return fan_layout(sim) if sim.fan_quantiles else None


# ---------------------------------------------------------------- compute and store

def iter_plan_chunks(sim: Simulation, plan: RunPlan, indices, on_device: bool | None = None, on_dispatch=None
                     ) -> Iterator[tuple[int, int, dict | DeviceChunk, dict, object, dict]]:
    """Yield ``(chunk index, first scenario, metrics, draws, fans, riders)`` for the
    chunks ``indices``: draws ``[scenario, ...]`` NumPy; fans the chunk's
    :class:`~simcore.run.fans.FanStats`, None unless ``sim.fan_quantiles``; riders the
    normal-times lane (chunk 0) and the kept scenarios' days the chunk holds, NumPy
    arrays for its blob (:func:`simcore.run.riders.chunk_rider_arrays`); metrics
    ``[policy, scenario, ...]``, checked to be finite, either NumPy (the host route) or a
    :class:`~simcore.run.stats.device_finish.DeviceChunk` reduced where the engine left
    them (the device route; ``host_metrics()`` for NumPy copies). ``on_device``: the
    route, default :func:`~simcore.run.stats.route.statistics_on_device` (the device
    route on accelerators, the host route on CPU); the stored results are the same bits.

    Every chunk is computed as a full chunk of ``plan.chunk_size`` scenarios (the last
    one's extra scenarios are real, independent ones, dropped here), so a chunk's numbers
    are the same bits whether it is computed in one pass, after a resume or on a worker.
    Consecutive chunks go through one :func:`iter_chunks` call, which keeps the devices
    busy on the next chunk while this one is written. ``on_dispatch``: called once, when
    the first chunk is computing (:func:`iter_chunks`).
    """
    size = plan.chunk_size
    layout = plan_fans(sim)
    on_device = statistics_on_device() if on_device is None else bool(on_device)
    for n, block in enumerate(_blocks(indices)):
        for first, metrics, draws, *fans, riders in iter_chunks(
                sim, len(block) * size, size, start=block.start * size, fans=layout, stop=plan.n_scenarios,
                on_device=on_device, kept=plan.riding_scenarios, bucketed=plan.bucketed,
                on_dispatch=on_dispatch if n == 0 else None):
            index = first // size
            count = plan.chunk_range(index)[1]
            if on_device:
                metrics = device_chunk(sim, metrics, count)
                bad = metrics.non_finite()
                if bad:  # fetch only those, for check_finite to name the first bad value
                    check_finite(metrics.host_metrics(bad), first, sim.policy_names, sim.loaded.products,
                                 sim.loaded.sectors)
            else:
                metrics = {name: value[:, :count] for name, value in metrics.items()}
                check_finite(metrics, first, sim.policy_names, sim.loaded.products, sim.loaded.sectors)
            yield index, first, metrics, {name: value[:count] for name, value in draws.items()}, \
                (fans[0] if fans else None), riders


def preload_plan_program(sim: Simulation, plan: RunPlan, first_chunk: int = 0) -> threading.Thread:
    """Start reading the chunk program of ``plan`` back from the disk cache in a
    background thread (:func:`simcore.run.runner.preload_chunk_program`; the read
    releases the GIL): a warm run's 0.4-0.6 s of loading its program then overlaps the
    store's template and checks, and :func:`iter_plan_chunks` finds it loaded (or waits
    for the read under way). Nothing is traced or compiled for the chunk program; a
    cold cache, another plan or any failure only leaves the work to the first chunk.
    Returns the thread (:func:`simcore.core.executable_cache.in_background`: a process
    does not exit while it runs)."""
    def read_back():
        preload_chunk_program(sim, plan.chunk_size, start=first_chunk * plan.chunk_size, fans=plan_fans(sim),
                              stop=plan.n_scenarios, kept=plan.riding_scenarios, bucketed=plan.bucketed)

    return in_background(read_back)


def store_chunk(sim: Simulation, plan: RunPlan, path: store.Where, index: int, first: int,
                metrics: dict | DeviceChunk, draws: dict, fans: FanStats | None = None,
                riders: dict | None = None) -> int:
    """Write chunk ``index``'s region (``keep = "per-scenario"``: only then do a device
    chunk's per-scenario metrics come back) and its statistics (with its fan histograms
    and its ``riders``' arrays) into the store at ``path``; not its done marker (the
    caller sets it once this returns). Idempotent. Returns the number of scenarios in the chunk."""
    on_device = isinstance(metrics, DeviceChunk)
    if plan.keep == "per-scenario":
        store.write_region(path, chunk_dataset(sim, first, metrics.host_metrics() if on_device else metrics, draws),
                           first)
    store.write_chunk_stats(path, index, {**reduce_chunk_arrays(sim, metrics, fans), **(riders or {})})
    return metrics.count if on_device else next(iter(metrics.values())).shape[1]


def write_chunk(sim: Simulation, plan: RunPlan, path: store.Where, index: int) -> int:
    """Compute and store one chunk (a cluster task); returns its number of scenarios."""
    (item,) = list(iter_plan_chunks(sim, plan, [index]))
    return store_chunk(sim, plan, path, *item)
