"""Load test: many concurrent assessments against a running local service (loopback only).

Either against a server you started (``--url http://127.0.0.1:8000 --key KEY``; give it
``SIMCORE_RATE_PER_MINUTE`` and ``SIMCORE_ASSESSMENT_QUEUE`` above ``--requests``) or,
with ``--start``, against one this script starts (``python -m simcore.service`` on a
free loopback port, with a generated key, a temporary data directory and warm-up of
the requested shape) and stops again. Sends ``--requests`` assessments (default 50),
all at once (``--concurrency``), with httpx; records errors (must be 0), latency
p50/p95/max, throughput and, for a started server, its resident memory before and after
(bounded memory: the growth is reported) to ``results/benchmarks/ews-load-<date>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, git_revision, simcore_version  # noqa: E402

MAX_REQUESTS = 1000


def loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args, data_dir: str):
    from simcore.service.auth import new_key

    key, port = new_key(), free_port()
    env = dict(os.environ)
    env.update({"SIMCORE_API_KEYS": key, "SIMCORE_DATA_DIR": data_dir, "SIMCORE_RATE_PER_MINUTE": "1000000",
                "SIMCORE_ASSESSMENT_QUEUE": str(args.requests + 10), "SIMCORE_WARM_MODELS": args.model,
                "SIMCORE_WARM_HORIZONS": str(args.horizon), "SIMCORE_ASSESSMENT_HORIZONS": str(args.horizon),
                "SIMCORE_DEFAULT_HORIZON_DAYS": str(args.horizon),
                "SIMCORE_COMPILATION_CACHE_DIR": args.cache_dir, "SIMCORE_JOB_WORKERS": "0"})
    log = open(Path(data_dir) / "server.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "simcore.service", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    return process, f"http://127.0.0.1:{port}", key


def rss_mib(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:
        return None


async def run_load(url: str, key: str, body: dict, requests: int, concurrency: int) -> dict:
    import httpx

    limit = asyncio.Semaphore(concurrency)
    latencies, errors, computes = [], [], []

    async def one(client, seed):
        async with limit:
            started = time.perf_counter()
            try:
                response = await client.post("/v1/assessments", json={**body, "seed": seed})
                if response.status_code != 200:
                    errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
                else:
                    computes.append(response.json()["timing"]["seconds"])
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=3600, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client, seed) for seed in range(requests)))
        total = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "computes": computes, "total_seconds": total}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running service on this machine (http://127.0.0.1:PORT)")
    parser.add_argument("--key", default=os.environ.get("SIMCORE_API_KEY"), help="API key (or SIMCORE_API_KEY)")
    parser.add_argument("--start", action="store_true", help="start a local server for the test and stop it after")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--model", default="demo_critical_materials")
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--cache-dir", default=str(ROOT / "results" / "service" / "jax_cache"))
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    import numpy as np

    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be in [1, {MAX_REQUESTS}]")
    if args.start == bool(args.url):
        parser.error("give exactly one of --url (a running server) or --start")
    if args.url and not loopback(args.url):
        parser.error("this load test only talks to a server on this machine (127.0.0.1, ::1 or localhost)")
    if args.url and not args.key:
        parser.error("--key (or SIMCORE_API_KEY) is required with --url")

    import httpx

    with tempfile.TemporaryDirectory(prefix="ews-load-") as data_dir:
        process = None
        url, key = args.url, args.key
        if args.start:
            process, url, key = start_server(args, data_dir)
        try:
            deadline = time.monotonic() + 1800
            while True:  # wait until warm (bounded)
                try:
                    if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process is not None and process.poll() is not None:
                    print((Path(data_dir) / "server.log").read_text()[-3000:], file=sys.stderr)
                    return 1
                if time.monotonic() > deadline:
                    print("server not ready in 30 minutes", file=sys.stderr)
                    return 1
                time.sleep(0.5)
            model = httpx.get(f"{url}/v1/models/{args.model}", headers={"X-API-Key": key}, timeout=60).json()
            body = {"model": args.model, "scenarios": args.scenarios, "horizon_days": args.horizon,
                    "signals": [{"origin": model["origins"][0], "products": model["products"][:2],
                                 "onset_days_ahead": 30, "duration_median_days": 90, "duration_sigma": 0.6,
                                 "severity_alpha": 4.0, "severity_beta": 2.0}]}
            rss_before = rss_mib(process.pid) if process else None
            result = asyncio.run(run_load(url, key, body, args.requests, args.concurrency))
            rss_after = rss_mib(process.pid) if process else None
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()

    latencies = np.asarray(result["latencies"])
    record = {
        "benchmark": "ews-load",
        "request": {"model": args.model, "scenarios": args.scenarios, "horizon_days": args.horizon,
                    "requests": args.requests, "concurrency": args.concurrency},
        "server": "started by the script" if args.start else "given (--url)",
        "errors": len(result["errors"]), "error_samples": result["errors"][:5],
        "latency_seconds": {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95)),
                            "max": float(latencies.max())},
        "compute_seconds_p50": float(np.percentile(result["computes"], 50)) if result["computes"] else None,
        "total_seconds": result["total_seconds"],
        "assessments_per_second": args.requests / result["total_seconds"],
        "server_rss_mib": {"before": rss_before, "after": rss_after,
                           "growth": (rss_after - rss_before) if rss_before and rss_after else None},
        "machine": {"cpu_count": os.cpu_count(), "platform": sys.platform},
        "versions": {"python": sys.version.split()[0], "httpx": httpx.__version__, "simcore": simcore_version(),
                     "git": git_revision()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"ews-load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    import json

    path.write_text(json.dumps(record, indent=2))
    print(f"{args.requests} assessments, {record['errors']} errors, latency p50 {record['latency_seconds']['p50']:.2f} "
          f"s p95 {record['latency_seconds']['p95']:.2f} s, server RSS {rss_before} -> {rss_after} MiB; "
          f"record: {path}")
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
