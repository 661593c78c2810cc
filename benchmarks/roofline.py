"""Roofline of the engine's day: bytes and flops per lane-day (XLA's cost model), the
time per lane-day, and where the bytes go (issue 19, item 4).

Usage::

    python benchmarks/roofline.py                           # synthetic 5/50/200 sectors + the Japan model
    python benchmarks/roofline.py --sectors 50 --no-japan --top 15

A lane is one (policy, scenario) pair. For each model the batch function
(:func:`simcore.core.engine.simulate_batch`, every policy over ``--scenarios`` scenarios)
is compiled twice: with the day loop's ``lax.scan`` as it ships, and unrolled twice.
XLA's ``cost_analysis`` counts a while-loop body once whatever its trip count, so the
difference of the two programs is one day's body; divided by the lanes it gives
**bytes accessed and flops per lane-day**. Where XLA fuses across the two unrolled days
the difference slightly understates a day. "Bytes accessed" counts every operand an
instruction reads, including model arrays served from cache, so the achieved rate can
exceed the DRAM copy rate: it bounds the traffic from above. **Bytes written** (the
sum of the output shapes of the day body's instructions, from the optimised HLO) is
the size of the intermediate arrays a day materialises: the figure a fused day cuts.

The time per lane-day comes from :func:`common.time_engine` (compile apart, only a
checksum back to the host), with one CPU device. The machine's copy rate (a large
NumPy copy, read + write) and the achieved bytes/s give the memory-bound share.

``--top N`` lists the N instructions of the day body that write the most bytes (their
output shapes in the optimised HLO, per lane-day) with the JAX operation that
produced them: what to fuse or drop next.

The record goes to ``results/benchmarks/roofline-<backend>-<time>.json``. Nothing here
is asserted in tests.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_record, setup_devices, time_engine, write_record  # noqa: E402

_BYTES = {"pred": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "f16": 2, "bf16": 2,
          "s32": 4, "u32": 4, "f32": 4, "s64": 8, "u64": 8, "f64": 8}
_SHAPE = re.compile(r"\b(" + "|".join(_BYTES) + r")\[([\d,]*)\]")


def shape_bytes(text: str) -> int:
    """Bytes of every array shape written in ``text`` (an HLO result type, e.g.
    ``(f32[64,5]{1,0}, s32[])``)."""
    total = 0
    for dtype, dims in _SHAPE.findall(text):
        count = 1
        for dim in filter(None, dims.split(",")):
            count *= int(dim)
        total += count * _BYTES[dtype]
    return total


def _compiled(model, policies, events, key, index, horizon: int, unroll: int):
    """The batch program with the day loop (the scan of length ``horizon``) unrolled
    ``unroll`` times. Call it with a different ``horizon`` per ``unroll``: the engine's
    own jit caches its trace by horizon, so the same horizon would reuse the first."""
    import jax

    from simcore.core import engine

    original = jax.lax.scan

    def scan(f, init, xs=None, length=None, **kwargs):
        if length == horizon:
            kwargs["unroll"] = unroll
        return original(f, init, xs, length=length, **kwargs)

    jax.lax.scan = scan
    try:
        batch = jax.jit(lambda *a: engine.simulate_batch(*a, horizon=horizon))
        return batch.lower(model, policies, events, key, index).compile()
    finally:
        jax.lax.scan = original


def _cost(compiled) -> dict:
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    return {"flops": float(cost.get("flops", 0.0)), "bytes": float(cost.get("bytes accessed", 0.0))}


def day_body_writes(hlo: str, horizon: int, lanes: int, top: int) -> tuple[float, list[dict]]:
    """``(bytes written per lane-day, largest writers)`` of the day loop's body (the while
    with ``known_trip_count`` = ``horizon``): the sum of every instruction's output shape
    (the intermediate arrays a day materialises; a nested loop's body counts once), and
    the ``top`` largest with the JAX operation that produced them."""
    loop = next((m for m in re.finditer(r"while\(.*?body=(%?[\w.\-]+).*", hlo)
                 if f'"known_trip_count":{{"n":"{horizon}"}}' in m.group(0)), None)
    if loop is None:
        return float("nan"), []
    name = loop.group(1).lstrip("%")
    start = re.search(r"^%?" + re.escape(name) + r" .*\{\s*$", hlo, flags=re.M)
    if start is None:
        return float("nan"), []
    body = hlo[start.end():hlo.find("\n}", start.end())]
    rows = []
    for line in body.splitlines():
        match = re.match(r"\s*(?:ROOT )?%?[\w.\-]+ = (.+?) ([a-z][\w\-]*)\(", line)
        if not match or match.group(2) in ("parameter", "get-tuple-element", "tuple", "constant", "bitcast"):
            continue
        # the JAX operation that produced it: the last steps of its op_name path
        where = re.search(r'op_name="([^"]+)"', line)
        rows.append({"bytes_per_lane_day": shape_bytes(match.group(1)) / lanes, "op": match.group(2),
                     "source": "/".join(where.group(1).split("/")[-3:]) if where else "?"})
    rows.sort(key=lambda row: -row["bytes_per_lane_day"])
    return sum(row["bytes_per_lane_day"] for row in rows), rows[:top]


def copy_rate_gb_s(megabytes: int = 256, repeats: int = 5) -> float:
    """Read + write bytes per second of a large NumPy copy (one core): the memory roof."""
    import numpy as np

    source = np.ones(megabytes * 2**20 // 8)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - started)
    return 2 * source.nbytes / best / 1e9


def measure(name: str, model, policies, events, *, scenarios: int, horizon: int, seconds: float,
            top: int) -> dict:
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    index = jnp.arange(scenarios, dtype=jnp.uint32)
    n_policies = int(jax.tree_util.tree_leaves(policies)[0].shape[0])
    lanes = n_policies * scenarios
    once = _compiled(model, policies, events, key, index, horizon, 1)
    twice = _compiled(model, policies, events, key, index, horizon + 2, 2)  # a new trace (see _compiled)
    one, two = _cost(once), _cost(twice)
    per_day = {k: (two[k] - one[k]) / lanes for k in one}
    timing = time_engine(model, policies, events, key, horizon=horizon, chunk_size=scenarios,
                         min_seconds=seconds)
    seconds_per_lane_day = 1.0 / timing["policy_scenario_days_per_second"]
    written, writers = day_body_writes(once.as_text(), horizon, lanes, top)
    return {
        "model": name, "scenarios": scenarios, "policies": n_policies, "horizon_days": horizon,
        "bytes_per_lane_day": per_day["bytes"], "flops_per_lane_day": per_day["flops"],
        "written_bytes_per_lane_day": written,
        "microseconds_per_lane_day": 1e6 * seconds_per_lane_day,
        "achieved_gb_per_s": per_day["bytes"] / seconds_per_lane_day / 1e9,
        "achieved_gflop_per_s": per_day["flops"] / seconds_per_lane_day / 1e9,
        "cores_busy": timing["cores_busy"], "compile_seconds": timing["compile_seconds"],
        "top_writers": writers,
    }


def _japan():
    from simcore.run.runner import Simulation
    from simcore.schema.config import load_config

    sim = Simulation.from_config(load_config(Path(__file__).resolve().parents[1] / "configs" / "japan_outlook.toml"))
    return sim.loaded.model, sim.policies, sim.events


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sectors", type=int, nargs="+", default=[5, 50, 200])
    parser.add_argument("--no-japan", action="store_true", help="leave out the Japan outlook model")
    parser.add_argument("--scenarios", type=int, default=64, help="scenarios per batch (each runs every policy)")
    parser.add_argument("--horizon", type=int, default=30, help="days simulated in the timed batches")
    parser.add_argument("--seconds", type=float, default=5.0, help="least time spent timing each model")
    parser.add_argument("--top", type=int, default=10, help="largest writers of the day body to list")
    args = parser.parse_args(argv)
    setup_devices(1)
    from synthetic import build_synthetic

    copy_rate = copy_rate_gb_s()
    rows = []
    cases = [(f"synthetic-{s}", lambda s=s: build_synthetic(s, 5)) for s in args.sectors]
    if not args.no_japan:
        cases.append(("japan_outlook", _japan))
    for name, build in cases:
        row = measure(name, *build(), scenarios=args.scenarios, horizon=args.horizon, seconds=args.seconds,
                      top=args.top)
        row["memory_bound_share"] = row["achieved_gb_per_s"] / copy_rate
        rows.append(row)
        print(f"{name:>16}: {row['bytes_per_lane_day'] / 1e3:8.1f} kB accessed, "
              f"{row['written_bytes_per_lane_day'] / 1e3:6.2f} kB written, {row['flops_per_lane_day'] / 1e3:8.1f} kflop "
              f"per lane-day; {row['microseconds_per_lane_day']:.3f} us -> {row['achieved_gb_per_s']:.1f} GB/s accessed "
              f"({100 * row['memory_bound_share']:.0f} % of the copy rate {copy_rate:.1f} GB/s)")
        for writer in row["top_writers"]:
            print(f"{'':>18}{writer['bytes_per_lane_day']:10.0f} B  {writer['op']:<14} {writer['source']}")
    record = {"benchmark": "roofline", **machine_record(), "copy_rate_gb_per_s": copy_rate,
              "method": "XLA cost_analysis of the batch program with the day scan unrolled 2x minus 1x, per "
                        "(policy, scenario) lane; time from time_engine on one CPU device",
              "results": rows}
    print(f"record: {write_record(record, 'roofline')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
