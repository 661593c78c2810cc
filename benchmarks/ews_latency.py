"""Warm latency of POST /v1/assessments (the Early Warning System's question), in process.

Builds the service app (``simcore.service.app.create_app``), waits for its warm-up
(the compiled shapes of the request: model, horizon, chunk size, policy count), then
sends the same assessment ``--repeats`` times with different seeds through the HTTP
stack (FastAPI's test client: no network) and records p50/p95 of the wall time, the
server-side compute time and the scenario-days per second, with machine and versions,
to ``results/benchmarks/ews-latency-<backend>-<date>.json``.

The target use: ``--model japan_critical_minerals --scenarios 10000 --horizon 365``
(the defaults). Quick check: ``--model demo_critical_materials --scenarios 1000 --repeats 3``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine_record, peak_host_mib, setup_devices, write_record  # noqa: E402

KEY = "benchmark-key-000000"


def percentile(values, q):
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="japan_critical_minerals")
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--mixes", default="", help="named mixes, comma-separated (default: none)")
    parser.add_argument("--repeats", type=int, default=10, help="timed requests (bounded: at most 200)")
    parser.add_argument("--chunk-sizes", default="256,2500", help="the server's chunk sizes")
    parser.add_argument("--cpu-devices", default="all", help="CPU devices for JAX (an int or 'all')")
    parser.add_argument("--cache-dir", default=str(Path("results") / "service" / "jax_cache"),
                        help="persistent compilation cache ('' = off)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    setup_devices(args.cpu_devices)
    warnings.filterwarnings("ignore", message=".*httpx2.*")

    from fastapi.testclient import TestClient

    from simcore.service import Settings, create_app

    mixes = [m for m in args.mixes.split(",") if m]
    chunk_sizes = tuple(int(c) for c in args.chunk_sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="ews-latency-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), compilation_cache_dir=args.cache_dir or "",
                            api_keys=(KEY,), rate_per_minute=100_000, assessment_horizons=(args.horizon,),
                            default_horizon_days=args.horizon, chunk_sizes=chunk_sizes,
                            max_assessment_scenarios=max(args.scenarios, 20_000),
                            max_assessment_work=args.scenarios * args.horizon * (1 + len(mixes)),
                            max_mixes=len(mixes), warm_models=(args.model,), warm_horizons=(args.horizon,),
                            job_workers=0)
        started = time.perf_counter()
        with TestClient(create_app(settings)) as client:
            while client.get("/readyz").status_code != 200:
                time.sleep(0.2)
            warm_seconds = time.perf_counter() - started
            warmed = client.app.state.service.warmed
            print(f"ready after {warm_seconds:.1f} s: {warmed}", flush=True)
            model = client.get(f"/v1/models/{args.model}", headers={"X-API-Key": KEY}).json()
            body = {"model": args.model, "scenarios": args.scenarios, "horizon_days": args.horizon, "mixes": mixes,
                    "signals": [{"origin": model["origins"][0], "products": model["products"][:2],
                                 "onset_days_ahead": 30, "announcement_lead_days": 14, "duration_median_days": 120,
                                 "duration_sigma": 0.6, "severity_alpha": 8.0, "severity_beta": 2.0}]}
            first = time.perf_counter()
            answer = client.post("/v1/assessments", json={**body, "seed": 0}, headers={"X-API-Key": KEY})
            first_seconds = time.perf_counter() - first
            answer.raise_for_status()
            print(f"first request {first_seconds:.2f} s", flush=True)
            walls, computes = [], []
            for repeat in range(min(args.repeats, 200)):
                t0 = time.perf_counter()
                response = client.post("/v1/assessments", json={**body, "seed": repeat + 1},
                                       headers={"X-API-Key": KEY})
                walls.append(time.perf_counter() - t0)
                response.raise_for_status()
                computes.append(response.json()["timing"]["seconds"])
                print(f"  request {repeat + 1}: {walls[-1]:.2f} s", flush=True)
    n_policies = 1 + len(mixes)
    record = {
        "benchmark": "ews-latency",
        "request": {"model": args.model, "scenarios": args.scenarios, "horizon_days": args.horizon, "mixes": mixes,
                    "policies": n_policies, "signals": 1, "chunk_sizes": list(chunk_sizes)},
        "warm_up_seconds": warm_seconds, "warmed": warmed, "first_request_seconds": first_seconds,
        "latency_seconds": {"p50": percentile(walls, 50), "p95": percentile(walls, 95), "min": min(walls),
                            "max": max(walls), "all": walls},
        "compute_seconds": {"p50": percentile(computes, 50), "p95": percentile(computes, 95)},
        "scenario_days_per_second": args.scenarios * args.horizon * n_policies / percentile(computes, 50),
        "peak_host_mib": peak_host_mib(),
        **machine_record(),
    }
    path = write_record(record, "ews-latency", args.out)
    print(f"warm latency p50 {record['latency_seconds']['p50']:.2f} s, p95 {record['latency_seconds']['p95']:.2f} s "
          f"({record['scenario_days_per_second']:,.0f} scenario-days/s); record: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
