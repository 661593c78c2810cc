"""Cold against warm persistent compilation cache: the same ``simcore run`` twice.

Why
    Compiling was most of a short run's wall time and every run paid it again (issue 19).
    With the cache (``simcore.core.compile_cache``) a second process of the same config
    shape reads the compiled programs back. This measures what an analyst sees: the wall
    time of ``simcore run CONFIG --scenarios N`` in a fresh subprocess with an empty cache
    folder (cold), then again in another fresh subprocess with the folder the first one
    filled (warm), ``--repeats`` times, each repeat with its own new folder. Alongside,
    from JAX's compile log (``JAX_LOG_COMPILES=1``) of each run: the cache hits, and the
    seconds spent tracing, lowering and compiling or loading programs (what is left of
    start-up on a warm run: JAX traces and lowers before it can look a program up), and
    the time to import the run layer (``python -c "import simcore.run.job"``).

Writes ``results/benchmarks/compile-cache-<backend>-<date>.json``::

    python benchmarks/compile_cache.py                      # quickstart, 200 scenarios, 3 repeats
    python benchmarks/compile_cache.py --scenarios 2000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine_record, write_record

HIT = "Persistent compilation cache hit for"
PHASES = {"trace": re.compile(r"Finished tracing .* in ([0-9.eE+-]+) sec"),
          "lower": re.compile(r"Finished jaxpr to MLIR module conversion .* in ([0-9.eE+-]+) sec"),
          "compile_or_load": re.compile(r"Finished XLA compilation of .* in ([0-9.eE+-]+) sec")}


def _env(cache: Path) -> dict:
    """The caller's environment with simcore's rule pointed at ``cache`` (JAX's own cache
    variables removed so they cannot override it) and JAX's compile log on."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JAX_PERSISTENT_CACHE") and k not in ("JAX_COMPILATION_CACHE_DIR", "SIMCORE_NO_CACHE")}
    env.update(SIMCORE_CACHE_DIR=str(cache), JAX_LOG_COMPILES="1")
    if EXECUTABLES:
        env.pop("SIMCORE_EXECUTABLE_CACHE", None)  # the default: whole executables kept
    else:
        env["SIMCORE_EXECUTABLE_CACHE"] = "0"
    return env


EXECUTABLES = True  # --jax-cache-only: False (SIMCORE_EXECUTABLE_CACHE=0, JAX's cache alone)


# ``simcore run`` from the command line, with two marks on its timeline (seconds from the
# driver's first line): when the config is loaded, and when the first chunk program has been
# dispatched (an engine call returns as soon as its program is running: from there the
# devices compute). Printed to stderr at exit.
DRIVER = """
import sys, time
start = time.perf_counter()
import atexit, json
import simcore.core.compile as compile_module
import simcore.schema.config as config_module
marks = {}
engine_call, load_config = compile_module.EngineFunction.__call__, config_module.load_config
def call(self, *args, **kwargs):
    out = engine_call(self, *args, **kwargs)
    if "chunk" in str(getattr(self, "_program", "")):
        marks.setdefault("first_chunk_dispatched", time.perf_counter() - start)
    return out
def load(*args, **kwargs):
    out = load_config(*args, **kwargs)
    marks.setdefault("config_loaded", time.perf_counter() - start)
    return out
compile_module.EngineFunction.__call__, config_module.load_config = call, load
atexit.register(lambda: print("SIMCORE_TIMELINE " + json.dumps(marks), file=sys.stderr))
from simcore.cli import main
sys.argv = ["simcore", *sys.argv[1:]]
sys.exit(main())
"""
TIMELINE = re.compile(r"^SIMCORE_TIMELINE (.*)$", re.M)


def timed_run(config: Path, scenarios: int, output: Path, cache: Path) -> dict:
    """One ``simcore run`` in a fresh process: wall seconds, cache hits, compile phases, and
    the seconds from its start to the config loaded and to the first chunk computing."""
    command = [sys.executable, "-c", DRIVER, "run", str(config), "--scenarios", str(scenarios),
               "--output", str(output), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, env=_env(cache), capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"simcore run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    phases = {name: round(sum(float(x) for x in pattern.findall(done.stderr)), 3) for name, pattern in PHASES.items()}
    entries = [p for p in cache.iterdir() if p.name.endswith("-cache")] if cache.exists() else []
    marks = json.loads(TIMELINE.findall(done.stderr)[-1]) if TIMELINE.search(done.stderr) else {}
    timeline = {name: round(value, 3) for name, value in marks.items()}
    if {"config_loaded", "first_chunk_dispatched"} <= set(marks):
        timeline["config_to_first_chunk"] = round(marks["first_chunk_dispatched"] - marks["config_loaded"], 3)
    kept = [p for p in entries if p.name.startswith("simcore-exec-")]
    return {"seconds": round(seconds, 3), "cache_hits": done.stderr.count(HIT), "jax_seconds": phases,
            "timeline_seconds": timeline, "cache_entries": len(entries),
            "cache_bytes": sum(p.stat().st_size for p in entries), "simcore_executables": len(kept)}


def import_seconds() -> float:
    """Wall time of a fresh ``python -c "import simcore.run.job"`` (what every run imports)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import simcore.run.job"], check=True, cwd=ROOT)
    return round(time.perf_counter() - started, 3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "quickstart.toml"))
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="cold+warm pairs, each with a new cache folder")
    parser.add_argument("--out", default=None, help="record folder (default results/benchmarks)")
    parser.add_argument("--jax-cache-only", action="store_true",
                        help="SIMCORE_EXECUTABLE_CACHE=0: JAX's cache alone, no whole executables (kept by default)")
    args = parser.parse_args(argv)
    global EXECUTABLES
    EXECUTABLES = not args.jax_cache_only
    config = Path(args.config).resolve()
    pairs = []
    with tempfile.TemporaryDirectory(prefix="simcore-compile-cache-") as work:
        work = Path(work)
        for repeat in range(args.repeats):
            cache = work / f"cache-{repeat}"
            cold = timed_run(config, args.scenarios, work / f"cold-{repeat}.zarr", cache)
            warm = timed_run(config, args.scenarios, work / f"warm-{repeat}.zarr", cache)
            pairs.append({"cold": cold, "warm": warm, "ratio": round(cold["seconds"] / warm["seconds"], 2)})
            print(f"repeat {repeat}: cold {cold['seconds']:.1f} s, warm {warm['seconds']:.1f} s "
                  f"({pairs[-1]['ratio']:.1f}x; {warm['cache_hits']} cache hits, warm JAX seconds "
                  f"{warm['jax_seconds']}; timeline cold {cold['timeline_seconds']}, warm "
                  f"{warm['timeline_seconds']})", flush=True)
        imports = import_seconds()
    cold_s = statistics.median(p["cold"]["seconds"] for p in pairs)
    warm_s = statistics.median(p["warm"]["seconds"] for p in pairs)
    record = {
        "benchmark": "compile-cache",
        "config": str(config.relative_to(ROOT)) if config.is_relative_to(ROOT) else str(config),
        "scenarios": args.scenarios,
        "command": f"simcore run CONFIG --scenarios {args.scenarios} --quiet (fresh subprocess each)",
        "cli_devices": "one CPU device per core (the CLI's default; 'machine' below is this script's own process)",
        "executable_cache": EXECUTABLES,
        "cold_seconds_median": round(cold_s, 3),
        "warm_seconds_median": round(warm_s, 3),
        "ratio_of_medians": round(cold_s / warm_s, 2),
        "target": "warm >= 3x faster than cold (issue 19)",
        "import_run_layer_seconds": imports,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "pairs": pairs,
        "warm_config_to_first_chunk_median": statistics.median(
            p["warm"]["timeline_seconds"].get("config_to_first_chunk", float("nan")) for p in pairs),
        "warm_start_to_first_chunk_median": statistics.median(
            p["warm"]["timeline_seconds"].get("first_chunk_dispatched", float("nan")) for p in pairs),
        "note": "jax_seconds sums JAX's compile log (trace, lower, XLA compile or load from JAX's cache); the "
                "engine's programs kept whole by simcore.core.executable_cache are neither traced nor lowered on a "
                "warm run and do not appear there. timeline_seconds: from the driver's first line (Python started) "
                "to the config loaded and to the first chunk program dispatched (its devices computing)",
        **machine_record(),
    }
    path = write_record(record, "compile-cache", args.out or ROOT / "results" / "benchmarks")
    print(f"cold {cold_s:.1f} s, warm {warm_s:.1f} s: {cold_s / warm_s:.1f}x; record {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
