"""Share of a chunk's time spent on its statistics: host reduction against device reduction.

Why
    Issue 19 item 3: the host-side statistics (:func:`simcore.run.stats.reduce_chunk`)
    cost a fixed ~0.08 s per call and grew with the scenario count; the target is
    statistics at most 5 % of a 365-day chunk's engine time on CPU. The device reduction
    (:mod:`simcore.run.stats.device_finish`) reduces the chunk where the engine left it
    and brings back only the reduced state.

What it times, per round (rounds alternate the three, so a loaded machine weighs on
each alike): the engine on one chunk (``sharded_simulate_batch``, dispatch to ready),
the host statistics (fetch the metrics, then ``reduce_chunk(...).to_arrays()``, what
``simcore.run.chunks.reduce_chunk_arrays`` did) and the device statistics
(``DeviceChunk(...).result().to_arrays()`` on the engine's device arrays). Both give the
same arrays bit for bit (checked every round). The first call of each is left out
(compilation). Reports each round's shares (statistics / engine) and their medians.

Writes ``results/benchmarks/stats-share-<backend>-<date>.json``::

    python benchmarks/stats_share.py configs/quickstart.toml --scenarios 2000 --rounds 3
    python benchmarks/stats_share.py configs/japan_outlook.toml --scenarios 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import machine_record, setup_devices, write_record


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="+", help="run configs (TOML)")
    parser.add_argument("--scenarios", type=int, default=2000, help="scenarios in the chunk")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds after the warm-up")
    parser.add_argument("--cpu-devices", default=None, help="CPU devices (default: the environment's)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    setup_devices(args.cpu_devices)

    import jax
    import numpy as np

    from simcore.run import devices, stats
    from simcore.run.chunks import storable_mask
    from simcore.run.paired import SUMMARY_INFO
    from simcore.run.runner import Simulation
    from simcore.run.stats.device_finish import DeviceChunk, day_bins_for
    from simcore.schema.config import load_config

    runs = []
    for config in args.configs:
        sim = Simulation.from_config(load_config(config))
        mesh = devices.scenario_mesh()
        batch = devices.sharded_simulate_batch(mesh, sim.horizon_days, False)
        model, policies, events, key = devices.replicate((sim.loaded.model, sim.policies, sim.events, sim.base_key),
                                                         mesh)
        index = devices.shard_index(np.arange(devices.padded_size(args.scenarios, mesh.size), dtype=np.uint32), mesh)
        storable, day_bins = storable_mask(sim), day_bins_for(sim.horizon_days)

        def engine():
            out = batch(model, policies, events, key, index)._asdict()
            jax.block_until_ready(out)
            return out

        def host(metrics):
            fetched = {name: np.asarray(value)[:, :args.scenarios] for name, value in metrics.items()}
            return stats.reduce_chunk(fetched, SUMMARY_INFO, storable).to_arrays()

        def device(metrics):
            return DeviceChunk(metrics, SUMMARY_INFO, storable, count=args.scenarios, day_bins=day_bins,
                               finite_names=tuple(metrics)).result().to_arrays()

        start = time.perf_counter()
        metrics = engine()
        warm = {"engine": time.perf_counter() - start}
        for name, fn in (("host", host), ("device", device)):
            start = time.perf_counter()
            fn(metrics)
            warm[name] = time.perf_counter() - start
        rounds = []
        for _ in range(args.rounds):
            row = {}
            start = time.perf_counter()
            metrics = engine()
            row["engine_s"] = time.perf_counter() - start
            start = time.perf_counter()
            by_host = host(metrics)
            row["host_stats_s"] = time.perf_counter() - start
            start = time.perf_counter()
            by_device = device(metrics)
            row["device_stats_s"] = time.perf_counter() - start
            same = list(by_host) == list(by_device) and all(
                by_host[k].dtype == by_device[k].dtype and by_host[k].shape == by_device[k].shape
                and by_host[k].tobytes() == by_device[k].tobytes() for k in by_host)
            if not same:
                raise AssertionError(f"{config}: device statistics differ from the host's")
            row["host_share"] = row["host_stats_s"] / row["engine_s"]
            row["device_share"] = row["device_stats_s"] / row["engine_s"]
            row["device_over_host"] = row["device_stats_s"] / row["host_stats_s"]
            rounds.append(row)
            print(f"{config}: engine {row['engine_s']:.3f} s, host stats {row['host_stats_s']:.4f} s "
                  f"({row['host_share']:.2%}), device stats {row['device_stats_s']:.4f} s "
                  f"({row['device_share']:.2%}), identical", flush=True)
        first = next(iter(metrics.values()))
        runs.append({
            "config": config, "scenarios": args.scenarios, "horizon_days": sim.horizon_days,
            "policies": int(first.shape[0]), "metrics": len(metrics), "day_bins": day_bins,
            "warm_up_s": warm, "rounds": rounds, "bit_identical": True,
            "median": {key: statistics.median(r[key] for r in rounds) for key in rounds[0]},
        })
    record = {"benchmark": "stats_share", **machine_record(), "load_average_at_end": os.getloadavg(), "runs": runs,
              "target": "statistics at most 5 % of a 365-day chunk's engine time on CPU (issue 19 item 3)"}
    if not args.no_write:
        print("wrote", write_record(record, "stats-share"))


if __name__ == "__main__":
    main()
