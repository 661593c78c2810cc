"""Shared helpers of the benchmark scripts: machine and version records, peak memory,
device setup, and writing a JSON record to ``results/benchmarks/``.

Import this before JAX is used: :func:`setup_devices` must run before the first JAX
computation to give a CPU-only machine more than one device.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "benchmarks"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_devices(cpu_devices: str | int | None) -> int | None:
    """Ask for ``cpu_devices`` CPU devices (an int, ``"all"``, or None: leave
    ``SIMCORE_CPU_DEVICES`` / ``XLA_FLAGS`` decide). Call before any JAX computation."""
    from simcore.run.devices import CPU_DEVICES_ENV, configure_cpu_devices, requested_cpu_devices

    if cpu_devices is None:
        return configure_cpu_devices()
    count = requested_cpu_devices({CPU_DEVICES_ENV: str(cpu_devices)})
    return configure_cpu_devices(count)


def peak_host_mib() -> float:
    """Peak resident memory of this process so far (MiB; ``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_device_mib() -> float | None:
    """Largest ``peak_bytes_in_use`` over the local devices (MiB), None where the backend
    does not report it (the CPU backend does not)."""
    import jax

    peaks = []
    for device in jax.local_devices():
        try:
            stats = device.memory_stats()
        except Exception:
            stats = None
        if stats and "peak_bytes_in_use" in stats:
            peaks.append(stats["peak_bytes_in_use"] / 2**20)
    return max(peaks) if peaks else None


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def compiled_memory(compiled) -> dict | None:
    """XLA's static memory plan of a compiled function (bytes per device): temporaries,
    arguments, outputs. None where the backend does not provide it."""
    try:
        analysis = compiled.memory_analysis()
    except Exception:
        return None
    if analysis is None:
        return None
    fields = ("temp_size_in_bytes", "argument_size_in_bytes", "output_size_in_bytes",
              "generated_code_size_in_bytes")
    return {name: int(getattr(analysis, name)) for name in fields if hasattr(analysis, name)}


def simcore_version() -> str:
    try:
        from importlib.metadata import version
        return version("simcore")
    except Exception:
        return "unknown"


def git_revision() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (head + ("+dirty" if dirty else "")) or None
    except Exception:
        return None


def machine_record() -> dict:
    """Machine, backend, devices and versions, for every benchmark record."""
    import jax
    import numpy

    devices = jax.local_devices()
    return {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "backend": jax.default_backend(),
            "device": str(devices[0].device_kind),
            "device_count": len(devices),
        },
        "versions": {"python": platform.python_version(), "jax": jax.__version__,
                     "jaxlib": getattr(jax.lib, "__version__", None) or jax.__version__,
                     "numpy": numpy.__version__, "simcore": simcore_version(), "git": git_revision()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_record(record: dict, stem: str, out_dir: str | Path = RESULTS) -> Path:
    """Write ``record`` as ``out_dir/STEM-BACKEND-DATE.json`` and return the path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    backend = record.get("machine", {}).get("backend", "unknown")
    path = out_dir / f"{stem}-{backend}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=2))
    return path


def last_json_line(text: str) -> dict:
    """The last line of ``text`` that parses as a JSON object (children print their result last)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON result line in the output:\n" + text[-2000:])


def time_engine(model, policies, events, base_key, *, horizon: int, chunk_size: int,
                n_scenarios: int | None = None, min_seconds: float | None = None, max_chunks: int = 1000,
                warmup: bool = True, log=None, routes: dict | None = None) -> dict:
    """Compile (timed apart), then time chunks of the sharded batch over all local devices.

    Either ``n_scenarios`` (as many chunks as needed) or ``min_seconds`` (chunks until
    that much time has passed, at most ``max_chunks``). ``chunk_size`` is rounded up to
    a multiple of the device count. Only a checksum (total shortage days) comes back to
    the host, so the time is the engine's; the next chunk is dispatched before the
    previous one is waited for, as in ``iter_chunks``. ``warmup`` runs one untimed chunk
    first. Returns seconds, counts, rates and memory.

    ``routes``: name -> ``consume(metrics)``, what a run does with a chunk once the
    engine has it (copy it back, reduce its statistics; ``metrics`` the engine's dict of
    device arrays ``[policy, scenario, ...]``). Each route then runs the same chunks
    again with the same compiled program, ``consume`` taking the place of the checksum
    (the next chunk dispatched before the previous one is consumed, as in a run): its
    wall time is the end-to-end figure, in ``result["routes"][name]["run_seconds"]``
    with whatever ``consume`` keeps in its own ``timings`` attribute (if any).
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    from simcore.run.devices import padded_size, replicate, scenario_mesh, shard_index, sharded_simulate_batch

    mesh = scenario_mesh()
    model, policies, events, base_key = replicate((model, policies, events, base_key), mesh)
    chunk = padded_size(chunk_size, mesh.size)
    batch = sharded_simulate_batch(mesh, horizon)

    def index(c):
        return shard_index(np.arange(c * chunk, (c + 1) * chunk, dtype=np.uint32), mesh)

    def checksum(metrics):
        leaf = getattr(metrics, "shortage_days", None)
        return jnp.sum(jnp.nan_to_num(jnp.asarray(leaf if leaf is not None else jax.tree_util.tree_leaves(metrics)[0],
                                                  dtype=jnp.float32)))

    started = time.perf_counter()
    compiled = batch.lower(model, policies, events, base_key, index(0)).compile()
    compile_seconds = time.perf_counter() - started
    if warmup:
        jax.block_until_ready(compiled(model, policies, events, base_key, index(0)))
    n_chunks = -(-n_scenarios // chunk) if n_scenarios is not None else max_chunks
    total = 0.0
    pending = None
    done = 0
    cpu_started = _cpu_seconds()
    started = time.perf_counter()
    for c in range(n_chunks):
        current = checksum(compiled(model, policies, events, base_key, index(c)))  # dispatched, not waited for
        if pending is not None:
            total += float(pending)
        pending = current
        done += 1
        if log:
            log(f"  chunk {done}/{n_chunks if n_scenarios is not None else '?'} "
                f"({time.perf_counter() - started:.1f} s)")
        if n_scenarios is None and time.perf_counter() - started >= (min_seconds or 0.0):
            break
    total += float(pending)
    run_seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    n_policies = int(jax.tree_util.tree_leaves(policies)[0].shape[0])
    scenarios = done * chunk
    by_route = {}
    for name, consume in (routes or {}).items():
        if warmup:  # the route's own first call (its compiles) left out, like the engine's
            consume(compiled(model, policies, events, base_key, index(0))._asdict())
            getattr(consume, "timings", {}).clear()
        started = time.perf_counter()
        pending = None
        for c in range(done):
            current = compiled(model, policies, events, base_key, index(c))._asdict()  # dispatched
            if pending is not None:
                consume(pending)
            pending = current
        consume(pending)
        seconds = time.perf_counter() - started
        by_route[name] = {"run_seconds": seconds, "over_engine_only": seconds / run_seconds,
                          "scenario_days_per_second": scenarios * horizon / seconds,
                          **{f"{k}_seconds": v for k, v in getattr(consume, "timings", {}).items()}}
        if log:
            log(f"  route {name}: {seconds:.2f} s end to end ({seconds / run_seconds:.2f}x the engine alone)")
    return {
        "devices": mesh.size,
        "scenarios": scenarios,
        "chunk_size": chunk,
        "chunks": done,
        "horizon_days": horizon,
        "policies": n_policies,
        "compile_seconds": compile_seconds,
        "run_seconds": run_seconds,
        "scenario_days_per_second": scenarios * horizon / run_seconds,
        "policy_scenario_days_per_second": n_policies * scenarios * horizon / run_seconds,
        "microseconds_per_policy_scenario_day": 1e6 * run_seconds / (n_policies * scenarios * horizon),
        # cores kept busy on average (process CPU time / wall time): shows the parallelism
        # even on a machine shared with other work, where wall-clock ratios are noisy.
        "cpu_seconds": cpu_seconds,
        "cores_busy": cpu_seconds / run_seconds,
        "scenario_days_per_cpu_second": scenarios * horizon / cpu_seconds if cpu_seconds > 0 else None,
        "compiled_memory_per_device": compiled_memory(compiled),
        "peak_host_rss_mib": peak_host_mib(),
        "peak_device_mib": peak_device_mib(),
        "checksum_shortage_days": total,
        "routes": by_route,
    }


def alternate_rounds(base: str, rounds: int, measure, describe) -> list[dict]:
    """Time a git revision against the working tree in alternating rounds (base, current,
    base, current, ...), so that a machine getting busier or quieter affects both alike.

    ``base``: the revision, checked out as a temporary git worktree (removed afterwards);
    ``measure(tree, label, scratch)``: one measurement in ``tree`` (the worktree or
    :data:`ROOT`), ``label`` ``"base-i"`` / ``"current-i"``, ``scratch`` a temporary
    folder, returning a dict; ``describe(i, base, current)``: the line printed after
    round ``i``. Returns ``[{"base": ..., "current": ...}]`` per round."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        tree = scratch / "base-tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-f", "--detach", str(tree), base],
                       check=True, capture_output=True)
        try:
            out = []
            for i in range(rounds):
                before = measure(tree, f"base-{i}", scratch)
                after = measure(ROOT, f"current-{i}", scratch)
                out.append({"base": before, "current": after})
                print(describe(i, before, after), flush=True)
            return out
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)

