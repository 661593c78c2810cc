"""Use every local device: the scenario axis of a chunk is sharded over a 1-D mesh.

Scenarios are independent, so each device simulates its own slice of a chunk's
scenario indices (``jax.shard_map``, no communication between devices) and the
results come back as one array sharded along the scenario axis. Scenario ``i`` is
still drawn from ``fold_in(base_key, i)``, so the results are the same on one device
or many, and do not depend on how scenarios are split.

Devices are JAX's local devices of the default backend: the GPUs (or TPUs) of this
machine, or on a CPU-only machine as many CPU devices as asked for. JAX creates a
single CPU device unless told otherwise before its first computation, so a CPU run
uses several cores only when one of these is set before anything runs:

- ``SIMCORE_CPU_DEVICES=N`` (or ``all`` = one per core) in the environment, read by
  :func:`configure_cpu_devices`, which a program (the ``simcore`` CLI, the benchmarks)
  calls before its first computation, or
- the XLA flag ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (any program).

Imports ``simcore.core``, the riders' layout (:mod:`simcore.run.riders`) and the
schema's error type; never the store or the CLI.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Mapping

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from simcore.core.compile import engine_jit
from simcore.core.disruptions import sample_batch
from simcore.core.engine import simulate
from simcore.run.riders import Riders, daily_lanes, split_normal_lane, with_normal_lane
from simcore.schema.errors import InputError

CPU_DEVICES_ENV = "SIMCORE_CPU_DEVICES"
SCENARIO_AXIS = "scenario"
_FORCE_FLAG = "--xla_force_host_platform_device_count"


def requested_cpu_devices(environ: Mapping[str, str] | None = None) -> int | None:
    """The CPU device count asked for in ``SIMCORE_CPU_DEVICES``; ``None`` when unset.

    Accepted values: a positive integer, or ``all`` / ``auto`` for one device per core
    (``os.cpu_count()``). Anything else raises :class:`InputError` naming the variable
    and the allowed values.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(CPU_DEVICES_ENV, "").strip()
    if not raw:
        return None
    if raw.lower() in ("all", "auto"):
        return max(1, os.cpu_count() or 1)
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if count < 1:
        raise InputError("the environment", [(CPU_DEVICES_ENV, f"must be a positive integer, 'all' or 'auto', "
                                                                f"got {raw!r}")])
    return count


def configure_cpu_devices(count: int | None = None, *, default: int | str | None = None) -> int | None:
    """Ask JAX for ``count`` CPU devices; without ``count``, for ``SIMCORE_CPU_DEVICES``,
    and where that is unset for ``default`` (an int, ``"all"``, or None: leave JAX alone).

    Must run before JAX's first computation (importing simcore is fine; building a
    model is not). Returns the count set, or ``None`` when nothing was asked for or
    JAX was already running (then a warning says so if the count was asked for
    explicitly and differs). ``default`` never overrides ``XLA_FLAGS=--xla_force_host_platform_device_count``.
    Only affects the CPU backend: on a GPU machine the GPUs are the devices.
    """
    explicit = count is not None or requested_cpu_devices() is not None
    if count is None:
        count = requested_cpu_devices()
    if count is None and default is not None and _FORCE_FLAG not in os.environ.get("XLA_FLAGS", ""):
        count = requested_cpu_devices({CPU_DEVICES_ENV: str(default)})  # an explicit XLA flag wins
    if count is None:
        return None
    if count < 1:
        raise ValueError(f"the CPU device count must be >= 1, got {count}")
    try:
        jax.config.update("jax_num_cpu_devices", int(count))
    except RuntimeError:  # JAX's backends already exist: too late to change
        current = len(jax.devices("cpu"))
        if explicit and current != count:
            warnings.warn(f"{CPU_DEVICES_ENV}: JAX is already running with {current} CPU device(s); "
                          f"set it before the first computation to get {count}", stacklevel=2)
        return None
    return int(count)


def scenario_mesh(devices=None) -> Mesh:
    """A 1-D mesh named ``scenario`` over ``devices`` (default: all local devices)."""
    devices = jax.local_devices() if devices is None else list(devices)
    return Mesh(np.asarray(devices), (SCENARIO_AXIS,))


def padded_size(count: int, n_devices: int) -> int:
    """``count`` rounded up to a multiple of ``n_devices`` (each device gets as many)."""
    return -(-max(1, count) // n_devices) * n_devices


# Lanes per device up to this many are rounded up to a power of two (a few lanes cost
# little); above it to a quarter-octave step, 2^k x {1, 1.25, 1.5, 1.75}: at most 25 %
# more lanes (a count just past a step), 10 % on average over counts 17 to 5,000.
EXACT_POWER_LANES = 16


def bucketed_size(count: int, n_devices: int) -> int:
    """``count`` lanes rounded up to one of a few shapes, a multiple of ``n_devices``:
    each device's share ``ceil(count / n_devices)`` goes up to the next power of two up
    to :data:`EXACT_POWER_LANES`, above it to the next ``2^k x {1, 1.25, 1.5, 1.75}``.
    So runs whose scenario count differs a little compile one program (issue 19 item
    1); the extra lanes are real, independent scenarios that are dropped."""
    per_device = -(-max(1, int(count)) // n_devices)
    if per_device <= EXACT_POWER_LANES:
        bucket = 1 << (per_device - 1).bit_length()
    else:
        step = 1 << ((per_device - 1).bit_length() - 3)  # a quarter of the octave's base
        bucket = -(-per_device // step) * step
    return bucket * n_devices


def shard_index(index: np.ndarray, mesh: Mesh) -> jax.Array:
    """Put scenario indices ``[N]`` (N a multiple of the mesh size) on the mesh, split
    evenly along the scenario axis."""
    return jax.device_put(np.asarray(index, dtype=np.uint32), NamedSharding(mesh, PartitionSpec(SCENARIO_AXIS)))


def replicate(tree, mesh: Mesh):
    """Copy every array of ``tree`` (model, policies, events, key) to each device of the
    mesh once, rather than on every call of the sharded batch."""
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


@functools.lru_cache(maxsize=16)
def sharded_simulate_batch(mesh: Mesh, horizon: int, draws: bool = False, kept: int | None = None):
    """``f(model, policies, events, base_key, index) -> Metrics`` over the mesh; with
    ``draws`` ``-> (Metrics, ScenarioBatch)``: the scenarios' sampled events
    ``[N, event, occurrence]`` come out of the same program (the engine samples them
    anyway; XLA computes them once), so a run compiles no separate sampler. With
    ``kept`` (an int >= 0) the outputs end with the run's
    :class:`~simcore.run.riders.Riders`: the normal-times lane and the days of the first
    ``kept`` lanes ride along (:mod:`simcore.run.riders`), so a run compiles no other
    program.

    ``index`` ``[N]`` uint32 is split along the mesh (N a multiple of its size); every
    other argument is copied to each device. Metrics come back ``[policy, N, ...]``,
    sharded along the scenario axis. Compiled once per (mesh, horizon, draws, kept, shapes).
    """
    replicated, along = PartitionSpec(), PartitionSpec(SCENARIO_AXIS)

    def simulate_chunk(model, policies, events, base_key, index):  # the name keys the compilation cache
        metrics, riders = _simulate_with_riders(model, policies, events, base_key, index, horizon, kept)
        out = (metrics, _draws(events, base_key, index, kept)) if draws else (metrics,)
        out = out + ((riders,) if kept is not None else ())
        return out if len(out) > 1 else out[0]

    # No collectives inside: each device's slice is an ordinary single-device batch.
    metrics_spec = PartitionSpec(None, SCENARIO_AXIS)
    out_specs = (metrics_spec,) + ((along,) if draws else ()) + ((_riders_spec(),) if kept is not None else ())
    mapped = jax.shard_map(simulate_chunk, mesh=mesh, in_specs=(replicated, replicated, replicated, replicated, along),
                           out_specs=out_specs if len(out_specs) > 1 else out_specs[0], check_vma=False)
    static = (mesh_signature(mesh), horizon, draws) + ((kept,) if kept is not None else ())
    return engine_jit(mapped, program="simulate_chunk", static=static)


@functools.lru_cache(maxsize=16)
def sharded_fan_batch(mesh: Mesh, horizon: int, stride: int, draws: bool = False, kept: int | None = None):
    """``f(model, policies, events, base_key, index, stop, lo, width, log) -> (Metrics, fans)``
    over the mesh: :func:`sharded_simulate_batch` with the fan histograms of
    :func:`simcore.run.fans.simulate_fans` (scenarios ``index < stop``). The fans come
    back with a leading device axis (one part per device, merged on the host). With
    ``draws``, ``-> (Metrics, fans, ScenarioBatch)`` (as :func:`sharded_simulate_batch`);
    with ``kept``, the :class:`~simcore.run.riders.Riders` last."""
    from simcore.run.fans import simulate_fans

    replicated, along = PartitionSpec(), PartitionSpec(SCENARIO_AXIS)

    def simulate_fan_chunk(model, policies, events, base_key, index, stop, lo, width, log):
        if kept is None:
            metrics, fans, _ = simulate_fans(model, policies, events, base_key, index, stop, lo, width, log,
                                             horizon=horizon, stride=stride)
        else:
            lanes, central = with_normal_lane(index)
            metrics, fans, daily = simulate_fans(model, policies, events, base_key, lanes, stop, lo, width, log,
                                                 horizon=horizon, stride=stride, central=central,
                                                 daily_lanes=daily_lanes(kept, index.shape[0]))
            metrics, riders = split_normal_lane(metrics, daily)
        out = (metrics, jax.tree_util.tree_map(lambda x: x[None], fans))
        out = out + ((_draws(events, base_key, index, kept),) if draws else ())
        return out + ((riders,) if kept is not None else ())

    out_specs = ((PartitionSpec(None, SCENARIO_AXIS), along) + ((along,) if draws else ())
                 + ((_riders_spec(),) if kept is not None else ()))
    mapped = jax.shard_map(simulate_fan_chunk, mesh=mesh, in_specs=(replicated,) * 4 + (along,) + (replicated,) * 4,
                           out_specs=out_specs, check_vma=False)
    static = (mesh_signature(mesh), horizon, stride, draws) + ((kept,) if kept is not None else ())
    return engine_jit(mapped, program="simulate_fan_chunk", static=static)


def _simulate_with_riders(model, policies, events, base_key, index, horizon: int, kept: int | None):
    """One device's slice: ``(metrics [policy, N, ...], Riders or None)``; with ``kept``
    the normal-times lane and the first lanes' days ride along (:mod:`simcore.run.riders`)."""
    if kept is None:
        metrics, _ = simulate(model, policies, events, horizon=horizon, base_key=base_key, scenario_index=index)
        return metrics, None
    lanes, central = with_normal_lane(index)
    m = daily_lanes(kept, index.shape[0])
    metrics, daily = simulate(model, policies, events, horizon=horizon, base_key=base_key, scenario_index=lanes,
                              central=central, save_daily=m is not None, daily_lanes=m)
    return split_normal_lane(metrics, daily)


def _draws(events, base_key, index, kept: int | None):
    """The sampled events of the scenarios ``index`` as the engine sampled them: with
    riders the engine sampled ``index`` plus the normal-times lane, so the same
    expression is sliced (XLA computes it once; sampled on its own, ``[N]`` instead of
    ``[N + 1]``, it is compiled apart and a floor can land one day off: Japan outlook,
    scenario 29, an onset of 3,286 against 3,285 days)."""
    if kept is None:
        return sample_batch(events, base_key, index)
    sampled = sample_batch(events, base_key, with_normal_lane(index)[0])
    return jax.tree_util.tree_map(lambda x: x[:-1], sampled)


def _riders_spec():
    """Out spec of :class:`~simcore.run.riders.Riders`: the kept lanes concatenated along
    the scenario axis (``[policy, devices x m, ...]``), the normal lane along a leading
    device axis."""
    return Riders(PartitionSpec(None, SCENARIO_AXIS), PartitionSpec(SCENARIO_AXIS))


def mesh_signature(mesh: Mesh) -> tuple:
    """Axis names, shape and device ids of ``mesh`` (a key of its compiled programs)."""
    return tuple(mesh.axis_names), mesh.devices.shape, tuple(int(d.id) for d in mesh.devices.flat)


def device_summary(mesh: Mesh | None = None) -> dict:
    """Backend, device kind and count of ``mesh`` (default: all local devices), for records."""
    devices = list(mesh.devices.flat) if mesh is not None else jax.local_devices()
    return {"backend": jax.default_backend(), "device_kind": str(devices[0].device_kind),
            "device_count": len(devices)}
