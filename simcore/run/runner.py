"""Chunked runs over the core returning xarray datasets; normal-times side effects.

The core function is compiled once per (model shape, number of policies, chunk size,
horizon); chunks are padded to the same size so the last one does not recompile.
Scenario ``i`` always comes from ``fold_in(PRNGKey(seed), i)``, so results do not
depend on the chunk size, and every policy sees the same scenarios.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from simcore.schema.config import RunConfig
from simcore.core.compile import engine_jit
from simcore.core.disruptions import EventSet, sample_batch
from simcore.core.engine import policy_markups
from simcore.core.engine import simulate as simulate_engine
from simcore.core.model import stack_policies
from simcore.run.conventions import Units
from simcore.run.costs import CostAssumptions, crisis_weights, policy_fields, price_side_effect, stock_fiscal
from simcore.run.metrics import METRIC_INFO
from simcore.run.riders import NORMAL_FIELDS, NormalLane, chunk_rider_arrays
from simcore.schema.modelfile import LoadedModel


@dataclass
class Simulation:
    """Everything one run needs, with names for the result dimensions."""

    loaded: LoadedModel
    events: EventSet
    event_names: list[str]
    policy_names: list[str]
    policies: object  # stacked Policy, leading axis = policy
    horizon_days: int
    seed: int
    costs: CostAssumptions = CostAssumptions()  # the [costs] assumptions of the fiscal cost
    fan_quantiles: bool = False  # run.fan_quantiles: stream the fan charts' quantiles (simcore.run.fans)

    @classmethod
    def from_config(cls, config: RunConfig) -> "Simulation":
        return cls(
            loaded=config.loaded,
            events=config.events,
            event_names=config.event_names,
            policy_names=[p.name for p in config.policies],
            policies=stack_policies([p.policy for p in config.policies]),
            horizon_days=config.horizon_days,
            seed=config.seed,
            costs=CostAssumptions.of(getattr(config, "costs", None)),
            fan_quantiles=bool(getattr(config, "fan_quantiles", False)),
        )

    @functools.cached_property
    def base_key(self) -> jax.Array:
        # made once: PRNGKey runs a small program of its own (traced and looked up per call)
        return jax.random.PRNGKey(self.seed)


_sample_chunk = engine_jit(sample_batch)


def sample_scenarios(sim: Simulation, n_scenarios: int, start: int = 0) -> xr.Dataset:
    """The sampled events of scenarios ``start .. start + n_scenarios - 1``
    ``(scenario, event, occurrence)``: onset day (``inf``: not within reach), duration in
    days and severity of each occurrence."""
    index = jnp.arange(start, start + n_scenarios, dtype=jnp.uint32)
    draws = _sample_chunk(sim.events, sim.base_key, index)
    return xr.Dataset(
        {name: (("scenario", "event", "occurrence"), np.asarray(value)) for name, value in draws._asdict().items()},
        coords={"scenario": np.arange(start, start + n_scenarios), "event": sim.event_names},
    )


def iter_chunks(sim: Simulation, n_scenarios: int, chunk_size: int, start: int = 0,
                draws: bool = True, fans=None, stop: int | None = None, on_device: bool = False,
                kept: int | None = None, bucketed: bool = False, on_dispatch=None) -> Iterator[tuple]:
    """Yield ``(first index, metrics, scenario draws)`` chunk by chunk as NumPy arrays
    (``draws=False``: no draws, None). The draws come out of the engine's own program
    (:func:`simcore.run.devices.sharded_simulate_batch`), not from a separate sampler.
    With ``on_device`` the metrics stay on the devices as the engine left them (JAX
    arrays of the whole padded chunk; the caller keeps the first ``min(chunk_size,
    end - first)`` scenarios), for the device statistics
    (:class:`simcore.run.stats.device_finish.DeviceChunk`) to reduce them there.
    With ``fans`` (a :class:`simcore.run.fans.FanLayout`) the engine also fills the fan
    histograms on the devices and each item gets a fourth element, the chunk's
    :class:`~simcore.run.fans.FanStats` over its scenarios below ``stop`` (default: the
    end of the range) and below ``first + chunk_size``.
    With ``kept`` (an int >= 0: a stored run's riding kept scenarios) the normal-times lane
    and the days of scenarios ``0 .. kept - 1`` ride along in the same program
    (:mod:`simcore.run.riders`) and each item ends with the NumPy arrays the chunk
    stores of them (:func:`simcore.run.riders.chunk_rider_arrays`; empty for a chunk
    after the kept ones).

    Metrics have leading axes ``[policy, scenario]``; draws ``[scenario, event, occurrence]``.
    Chunks are ``[first, first + chunk_size)`` (the last one shorter), whatever the
    device count. Each chunk's scenarios are split over all local devices
    (:mod:`simcore.run.devices`); the computed index range is padded up to a multiple
    of the device count with real, independent scenarios that are dropped, so every
    chunk reuses one compiled function. The next chunk is started before the current
    one is handed back, so the devices keep working while the caller writes it: at
    most two chunks are on the devices at a time. With ``bucketed`` the computed range
    is padded further, to one of a few sizes (:func:`simcore.run.devices.bucketed_size`),
    so nearby chunk sizes share one compiled program. ``on_dispatch``: called (no
    arguments) once the first chunk's program is running, before its results are
    waited for: host work there overlaps the devices' (a run lays out its store).
    """
    chunk_size = max(1, min(chunk_size, n_scenarios))
    stop = start + n_scenarios if stop is None else stop
    program, arguments = _chunk_program(sim, chunk_size, stop, draws, fans, kept, bucketed)

    def launch(first):  # asynchronous: returns device arrays still being computed
        out = program(*arguments(first))
        if fans is None:
            metrics, *rest = out if draws or kept is not None else (out,)  # metrics alone: not a tuple
            histograms = None
        else:
            metrics, histograms, *rest = out
        drawn = rest.pop(0) if draws else None
        riders = rest.pop(0) if kept is not None else None
        return metrics, drawn, histograms, riders

    firsts = range(start, start + n_scenarios, chunk_size)
    pending = launch(firsts[0]) if len(firsts) else None
    if on_dispatch is not None:
        on_dispatch()
    for position, first in enumerate(firsts):
        metrics, drawn, histograms, riders = pending
        if position + 1 < len(firsts):
            pending = launch(firsts[position + 1])
        count = min(chunk_size, start + n_scenarios - first)
        host = (dict(metrics._asdict()) if on_device
                else {name: np.asarray(value)[:, :count] for name, value in metrics._asdict().items()})
        draws_host = None if drawn is None else {name: np.asarray(value)[:count]
                                                 for name, value in drawn._asdict().items()}
        item = (first, host, draws_host)
        if fans is not None:
            from simcore.run.fans import FanStats

            item += (FanStats.from_devices(histograms),)
        if kept is not None:
            item += (chunk_rider_arrays(riders, first, count, kept),)
        yield item


def _chunk_program(sim: Simulation, chunk_size: int, stop: int, draws: bool, fans, kept: int | None,
                   bucketed: bool):
    """``(program, arguments)``: the chunk program :func:`iter_chunks` runs and
    ``arguments(first)``, its arguments for the chunk starting at scenario ``first``
    (model, policies, events and key copied to every device, the padded scenario index
    split over them; with ``fans`` the end of the chunk's counted scenarios and the fan
    layout too)."""
    from simcore.run import devices  # kept local: this function owns the device layout

    mesh = devices.scenario_mesh()
    padded = (devices.bucketed_size if bucketed else devices.padded_size)(chunk_size, mesh.size)
    replicated = devices.replicate((sim.loaded.model, sim.policies, sim.events, sim.base_key), mesh)
    if fans is None:
        program = devices.sharded_simulate_batch(mesh, sim.horizon_days, draws, kept)
        layout = None
    else:
        program = devices.sharded_fan_batch(mesh, sim.horizon_days, fans.stride, draws, kept)
        layout = devices.replicate(fans.device_arrays(), mesh)

    def arguments(first: int) -> tuple:
        index = devices.shard_index(np.arange(first, first + padded, dtype=np.uint32), mesh)
        if layout is None:
            return (*replicated, index)
        return (*replicated, index, np.uint32(min(first + chunk_size, stop)), *layout)

    return program, arguments


def preload_chunk_program(sim: Simulation, chunk_size: int, start: int = 0, draws: bool = True, fans=None,
                          stop: int | None = None, kept: int | None = None, bucketed: bool = False) -> bool:
    """Read the program :func:`iter_chunks` with these arguments would run back from the
    disk cache into this process, without running it (for a background thread while the
    caller lays out its work: :meth:`simcore.core.compile.EngineFunction.preload`); True
    when it is loaded. ``chunk_size``: the chunks' size as iter_chunks uses it (at most
    the scenario count)."""
    stop = start + chunk_size if stop is None else stop
    program, arguments = _chunk_program(sim, chunk_size, stop, draws, fans, kept, bucketed)
    return program.preload(*arguments(start))


def chunk_dataset(sim: Simulation, first: int, metrics: dict, draws: dict) -> xr.Dataset:
    """One chunk of per-scenario results as an ``xarray.Dataset``."""
    count = next(iter(metrics.values())).shape[1]
    data_vars = {}
    for name, (dims, units, description, kind) in METRIC_INFO.items():
        data_vars[name] = (("policy", "scenario", *dims), metrics[name],
                           {"units": units, "description": description, "kind": kind})
    for name, value in draws.items():
        data_vars[f"event_{name}"] = (("scenario", "event", "occurrence"), value,
                                      {"units": "1" if name == "severity" else "days",
                                       "description": f"sampled event {name.replace('_', ' ')}"})
    ds = xr.Dataset(
        data_vars,
        coords={
            "policy": sim.policy_names,
            "scenario": np.arange(first, first + count, dtype=np.int64),
            "product": sim.loaded.products,
            "sector": sim.loaded.sectors,
            "event": sim.event_names,
        },
    )
    ds["product_unit"] = ("product", sim.loaded.units)
    ds["storable"] = ("product", np.asarray(sim.loaded.model.storable) > 0)
    return ds


def run_units(sim: Simulation) -> Units:
    """The units a run store of ``sim`` holds at its root (``product_unit`` and
    ``storable`` from :func:`chunk_dataset`, ``currency`` and ``io_value_unit`` from
    :func:`run_attributes`), from the model: what
    :func:`simcore.run.store.store_units` reads back, without reading the store."""
    storable = np.asarray(sim.loaded.model.storable) > 0
    return Units(tuple(str(p) for p in sim.loaded.products), tuple(str(u) for u in sim.loaded.units),
                 tuple(bool(s) for s in storable), sim.loaded.currency, sim.loaded.io_value_unit)


def simulate(sim: Simulation, n_scenarios: int, chunk_size: int = 10_000, start: int = 0) -> xr.Dataset:
    """Per-scenario results for ``n_scenarios`` scenarios in memory (small and medium runs).

    Large runs should stream with :func:`iter_chunks` (the CLI writes each chunk to
    zarr) instead of holding everything.
    """
    parts = [chunk_dataset(sim, first, m, d) for first, m, d in iter_chunks(sim, n_scenarios, chunk_size, start)]
    ds = xr.concat(parts, dim="scenario", data_vars="minimal", coords="minimal", compat="override",
                   join="override") if len(parts) > 1 else parts[0]
    ds.attrs.update(run_attributes(sim, n_scenarios))
    return ds


def run_attributes(sim: Simulation, n_scenarios: int) -> dict:
    return {
        "model": sim.loaded.name,
        "horizon_days": sim.horizon_days,
        "seed": sim.seed,
        "scenarios": n_scenarios,
        "currency": sim.loaded.currency,
        "io_value_unit": sim.loaded.io_value_unit,
        "simcore_version": _version(),
        "jax_version": jax.__version__,
    }


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("simcore")
    except Exception:  # not installed (running from a source tree)
        return "unknown"


def daily_trajectories(sim: Simulation, scenario_index) -> xr.Dataset:
    """Day-by-day trajectories of a few scenarios (for plots and inspection)."""
    index = jnp.asarray(scenario_index, dtype=jnp.uint32)
    _, daily = simulate_engine(sim.loaded.model, sim.policies, sim.events, horizon=sim.horizon_days,
                               base_key=sim.base_key, scenario_index=index, save_daily=True)
    return daily_dataset(sim, daily, np.asarray(scenario_index))


def daily_dataset(sim: Simulation, daily, scenario_index: np.ndarray) -> xr.Dataset:
    """The ``daily`` group's dataset of the engine's daily trajectories ``[policy, scenario,
    day, ...]`` (a :class:`~simcore.core.step.Daily` or a mapping of its fields)."""
    dims = {"sector_output_share": "sector", "sector_price_change": "sector", "price_index_change": None}
    data = {}
    for name, value in (daily if isinstance(daily, dict) else daily._asdict()).items():
        last = dims.get(name, "product")
        data[name] = (("policy", "scenario", "day") + ((last,) if last else ()), np.asarray(value))
    return xr.Dataset(data, coords={"policy": sim.policy_names, "scenario": np.asarray(scenario_index),
                                    "day": np.arange(sim.horizon_days), "product": sim.loaded.products,
                                    "sector": sim.loaded.sectors})


class KeptRun:
    """The kept scenarios' daily trajectories and normal times from one engine program of
    their own: lanes ``0 .. kept - 1`` are scenarios ``0 .. kept - 1`` with their days
    saved, the last lane runs normal times (no event, the model's central numbers:
    ``simulate(central=...)``, bit for bit the explicit no-disruption run). Stored runs
    and the service's assessments do not need it: there both ride along in the chunk
    program (:mod:`simcore.run.riders`). It serves callers without chunks
    (:func:`normal_times` alone) and the trajectories of a run whose kept days exceed
    the riding budget (:data:`simcore.run.riders.RIDING_BUDGET_BYTES`)."""

    def __init__(self, sim: Simulation, kept: int = 0):
        self.sim, self.kept = sim, int(kept)
        index = jnp.arange(self.kept + 1, dtype=jnp.uint32)  # the last lane's draws are replaced
        self.metrics, self.daily = simulate_engine(
            sim.loaded.model, sim.policies, sim.events, horizon=sim.horizon_days, base_key=sim.base_key,
            scenario_index=index, save_daily=self.kept > 0, central=index == self.kept)

    def trajectories(self) -> xr.Dataset | None:
        """The ``daily`` group of scenarios ``0 .. kept - 1`` (None when none are kept)."""
        if not self.kept:
            return None
        daily = jax.tree_util.tree_map(lambda x: x[:, :self.kept], self.daily)
        return daily_dataset(self.sim, daily, np.arange(self.kept))

    @property
    def normal(self) -> NormalLane:
        """The normal-times lane's results."""
        return NormalLane(*(np.asarray(getattr(self.metrics, name))[:, -1] for name in NORMAL_FIELDS))


def normal_times(sim: Simulation, normal: NormalLane | KeptRun | None = None) -> xr.Dataset:
    """Each policy's standing side effects without any disruption (dims ``(policy[, product])``).

    Price changes from the engine on a scenario with no event (``normal``: the
    normal-times lane of a run's chunk program, :mod:`simcore.run.riders`, or of a
    :class:`KeptRun` of ``sim``; without it, a KeptRun is run); the normal-time markup
    ``normal_markup`` (:func:`simcore.core.engine.normal_time_markup`, a fraction of the
    baseline price: users pay ``(1 + markup)`` times the crisis price, so a peak price
    change ``c`` is ``(1 + c) / (1 + markup) - 1`` without it); the fiscal cost and the
    price side effect per year, both as :mod:`simcore.run.costs` defines them for run,
    analysis and service under ``sim.costs``; and the crisis premium weights
    (``spare_premium x price``) that turn the expected spare volume used into a cost.
    """
    normal = KeptRun(sim) if normal is None else normal
    lane = normal.normal if isinstance(normal, KeptRun) else normal
    model = sim.loaded.model
    fields = policy_fields(sim.policies)
    markup = np.asarray(policy_markups(model, sim.policies), np.float64)
    fiscal = stock_fiscal(model, fields, sim.costs)
    per_product = fiscal["fiscal_stock_capital"] + fiscal["fiscal_stock_carrying"]
    currency = sim.loaded.currency
    per_year = f"{currency} / year"
    pp = ("policy", "product")
    a = sim.costs
    ds = xr.Dataset(
        {
            "normal_price_change": (pp, np.asarray(lane.mean_price_change),
                                    {"units": "1", "description": "mean product price change with no disruption"}),
            "normal_price_index_change": (("policy",), np.asarray(lane.mean_price_index_change),
                                          {"units": "1", "description": "price index change with no disruption"}),
            "normal_markup": (pp, markup, {"units": "1", "description": "normal-time markup of the user price "
                                           "(users pay 1 + markup times the crisis price)"}),
            "gov_stock_value": (pp, fiscal["gov_stock_value"],
                                {"units": currency, "description": "value of the government stock"}),
            "fiscal_stock_capital": (pp, fiscal["fiscal_stock_capital"], {
                "units": per_year, "description": "financing of the government stock: purchase annuitised at the "
                "discount rate, net of resale"}),
            "fiscal_stock_carrying": (pp, fiscal["fiscal_stock_carrying"], {
                "units": per_year, "description": "carrying cost of the government stock (storage, rotation, "
                "insurance; carrying_cost x stock value)"}),
            "stockpile_fiscal_cost_per_year": (pp, per_product, {
                "units": per_year, "description": "fiscal cost of the government stock: financing + carrying "
                "(simcore.run.costs; the cost analysis's fiscal)"}),
            "fiscal_cost_per_year": (("policy",), per_product.sum(axis=1), {
                "units": per_year, "description": "fiscal cost, all products: financing + carrying"}),
            "price_side_effect_per_year": (("policy",), price_side_effect(model, markup), {
                "units": per_year, "description": "normal-time price side effect: price index change of the "
                "markups x final demand (central Leontief price operator)"}),
            "crisis_premium_weight": (pp, crisis_weights(model, fields), {
                "units": f"{currency} / product unit", "description": "spare premium x price: the crisis premium "
                "per unit of spare volume used"}),
        },
        coords={"policy": sim.policy_names, "product": sim.loaded.products},
        attrs={"discount_rate": a.discount_rate, "stock_life_years": a.stock_life_years,
               "stock_residual_share": a.stock_residual_share, "currency": currency,
               "horizon_days": int(sim.horizon_days)},
    )
    return ds
