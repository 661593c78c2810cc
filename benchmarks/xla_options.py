"""The engine's XLA:CPU options side by side: compile time, run time and the results.

Why
    ``simcore.core.compile`` compiles the engine with XLA:CPU options of its own
    (YNNPACK library fusions off; the LLVM optimisation level XLA's, 3, unless
    ``SIMCORE_XLA_OPT_LEVEL`` says otherwise). Each is a trade: an option may make
    compiling faster and the compiled day slower, or change the results' last bits. This
    measures all three for each choice, so the choice can be checked on any machine and
    jaxlib:

    - **compile**: XLA's own compile time of the run's programs (JAX's
      ``/jax/core/compile/backend_compile_duration`` events), no persistent cache;
    - **run**: seconds per chunk after the first (the same program again), and
      scenario-days per second;
    - **results**: every stored array of the run (metrics and draws of all scenarios)
      compared with the first variant's, bit for bit; where they differ, the largest
      relative difference.

    Every (config, variant, repeat) is its own fresh subprocess, so nothing compiled in one
    is reused by another; variants alternate within each repeat, so a machine's drift
    falls on all of them alike. Variants are set by ``SIMCORE_XLA_LIBRARY_FUSIONS`` and
    ``SIMCORE_XLA_OPT_LEVEL``; the first variant is the reference.

Writes ``results/benchmarks/xla-options-<backend>-<date>.json``::

    python benchmarks/xla_options.py                              # quickstart and Japan outlook
    python benchmarks/xla_options.py --configs configs/quickstart.toml --scenarios 400 --repeats 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import ROOT, last_json_line, machine_record, write_record

# name -> (library fusions, LLVM optimisation level): the engine's variables
VARIANTS = {
    "xla-defaults": ("default", "default"),   # XLA's own choices (YNNPACK on, level 3)
    "o3": ("off", "3"),                       # YNNPACK off, LLVM level 3 (XLA's level)
    "o2": ("off", "2"),
    "o1": ("off", "1"),
    "o0": ("off", "0"),
}
DEFAULT_VARIANTS = ("o3", "o1", "o2", "xla-defaults")
DEFAULT_CONFIGS = ("configs/quickstart.toml", "configs/japan_outlook.toml")


def child(config: str, scenarios: int, chunk: int, arrays_out: str) -> dict:
    """One run in this process: the first chunk (compiles), then the rest (compiled);
    every stored array of all scenarios saved to ``arrays_out`` (.npz)."""
    import jax
    from jax import monitoring

    compile_seconds = []
    monitoring.register_event_duration_secs_listener(
        lambda event, seconds, **_: compile_seconds.append(seconds)
        if event == "/jax/core/compile/backend_compile_duration" else None)

    import simcore
    from simcore.core.compile import ENGINE_COMPILER_OPTIONS

    sim = simcore.Simulation.from_config(simcore.load_config(config))
    horizon = sim.horizon_days
    t0 = time.perf_counter()
    first = simcore.simulate(sim, chunk, chunk_size=chunk)
    t1 = time.perf_counter()
    rest = simcore.simulate(sim, scenarios - chunk, chunk_size=chunk, start=chunk)
    t2 = time.perf_counter()
    arrays = {}
    for name in sorted(first.data_vars):
        if first[name].dtype.kind in "fiub" and "scenario" in first[name].dims:
            axis = first[name].dims.index("scenario")
            arrays[name] = np.concatenate([np.asarray(first[name]), np.asarray(rest[name])], axis=axis)
    np.savez(arrays_out, **arrays)
    digest = hashlib.sha256()
    for name, value in arrays.items():
        digest.update(name.encode() + np.ascontiguousarray(value).tobytes())
    per_chunk = (t2 - t1) / ((scenarios - chunk) / chunk)
    return {"options": {k: str(v) for k, v in ENGINE_COMPILER_OPTIONS.items()},
            "backend": jax.default_backend(),
            "compile_s": sum(compile_seconds), "programs_compiled": len(compile_seconds),
            "first_chunk_s": t1 - t0, "run_s_per_chunk": per_chunk,
            "scenario_days_per_s": chunk * horizon / per_chunk,
            "horizon_days": horizon, "arrays": len(arrays), "sha256": digest.hexdigest()}


def _run_child(config: str, variant: str, args, arrays_out: Path) -> dict:
    fusions, level = VARIANTS[variant]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}
    env.update(SIMCORE_NO_CACHE="1", SIMCORE_EXECUTABLE_CACHE="0",
               SIMCORE_XLA_LIBRARY_FUSIONS=fusions, SIMCORE_XLA_OPT_LEVEL=level,
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    command = [sys.executable, __file__, "--child", config, "--scenarios", str(args.scenarios),
               "--chunk", str(args.chunk), "--arrays-out", str(arrays_out)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{variant} on {config} failed:\n{done.stderr[-3000:]}")
    return last_json_line(done.stdout)


def _largest_relative_difference(a: Path, b: Path) -> dict:
    """Per array where two runs differ: the largest |x - y| / max(|y|, tiny) and the count;
    under ``"values_compared"`` the number of values of all arrays."""
    out = {"values_compared": 0}
    with np.load(a) as left, np.load(b) as right:
        for name in left.files:
            out["values_compared"] += int(left[name].size)
            x, y = left[name].astype(np.float64), right[name].astype(np.float64)
            differ = ~((x == y) | (np.isnan(x) & np.isnan(y)))
            if differ.any():
                scale = np.maximum(np.abs(y), np.finfo(np.float32).tiny)
                out[name] = {"values_differing": int(differ.sum()), "of": int(x.size),
                             "largest_relative": float(np.max(np.abs(x - y)[differ] / scale[differ]))}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS))
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                        help=f"comma-separated, the first is the reference; of {', '.join(VARIANTS)}")
    parser.add_argument("--scenarios", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="folder for the record (default results/benchmarks)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--arrays-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.scenarios, args.chunk, args.arrays_out)))
        return
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or args.scenarios < 2 * args.chunk or args.scenarios % args.chunk:
        raise SystemExit(f"unknown variants {unknown} (of {', '.join(VARIANTS)}) or --scenarios not a "
                         f"multiple of --chunk of at least two chunks")
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    results = {}
    with tempfile.TemporaryDirectory(prefix="simcore-xla-options-") as tmp:
        for config in configs:
            runs = {v: [] for v in variants}
            for repeat in range(args.repeats):
                for variant in variants:
                    arrays = Path(tmp) / f"{Path(config).stem}-{variant}-{repeat}.npz"
                    runs[variant].append(_run_child(config, variant, args, arrays))
                    print(f"{config} {variant} #{repeat}: compile {runs[variant][-1]['compile_s']:.2f} s, "
                          f"{runs[variant][-1]['run_s_per_chunk']:.3f} s per chunk", file=sys.stderr)
            reference = variants[0]
            summary = {}
            for variant in variants:
                rows = runs[variant]
                summary[variant] = {
                    "library_fusions": VARIANTS[variant][0], "opt_level": VARIANTS[variant][1],
                    "options": rows[0]["options"],
                    "compile_s_median": statistics.median(r["compile_s"] for r in rows),
                    "compile_s": [r["compile_s"] for r in rows],
                    "programs_compiled": rows[0]["programs_compiled"],
                    "run_s_per_chunk_median": statistics.median(r["run_s_per_chunk"] for r in rows),
                    "run_s_per_chunk": [r["run_s_per_chunk"] for r in rows],
                    "scenario_days_per_s_median": statistics.median(r["scenario_days_per_s"] for r in rows),
                    "identical_to_reference": all(r["sha256"] == runs[reference][0]["sha256"] for r in rows),
                    "same_across_repeats": len({r["sha256"] for r in rows}) == 1,
                    "differences_from_reference": _largest_relative_difference(
                        Path(tmp) / f"{Path(config).stem}-{variant}-0.npz",
                        Path(tmp) / f"{Path(config).stem}-{reference}-0.npz"),
                }
                ref = summary[reference]
                summary[variant]["compile_vs_reference"] = summary[variant]["compile_s_median"] / ref["compile_s_median"]
                summary[variant]["run_vs_reference"] = (summary[variant]["run_s_per_chunk_median"]
                                                        / ref["run_s_per_chunk_median"])
            results[config] = {"reference": reference, "horizon_days": runs[reference][0]["horizon_days"],
                               "arrays_compared": runs[reference][0]["arrays"], "variants": summary}
    record = {"benchmark": "xla_options", **machine_record(), "scenarios": args.scenarios, "chunk": args.chunk,
              "repeats": args.repeats, "results": results}
    for config, result in results.items():
        print(f"\n{config} ({args.scenarios} scenarios x {result['horizon_days']} days, chunks of {args.chunk}; "
              f"medians of {args.repeats}; reference {result['reference']})")
        print(f"{'variant':<14}{'compile s':>10}{'x ref':>7}{'s/chunk':>9}{'x ref':>7}  results")
        for variant, row in result["variants"].items():
            differing = {k: v for k, v in row["differences_from_reference"].items() if k != "values_compared"}
            same = "identical" if row["identical_to_reference"] else \
                f"{sum(v['values_differing'] for v in differing.values())} of " \
                f"{row['differences_from_reference']['values_compared']} values differ (largest relative " \
                f"{max(v['largest_relative'] for v in differing.values()):.1e})"
            print(f"{variant:<14}{row['compile_s_median']:>10.2f}{row['compile_vs_reference']:>7.2f}"
                  f"{row['run_s_per_chunk_median']:>9.3f}{row['run_vs_reference']:>7.2f}  {same}")
    path = write_record(record, "xla-options", **({"out_dir": args.out} if args.out else {}))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
