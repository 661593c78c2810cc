"""Fault injection: kill ``simcore run`` with SIGKILL at random moments, resume, compare.

Each trial starts ``simcore run`` on a small config (the quickstart scenario shrunk:
few scenarios, short horizon, small chunks), kills it with ``kill -9`` at a moment
drawn uniformly over an uninterrupted run's duration (start-up, compiling, chunks,
summary, publish), checks what the kill left, then runs ``simcore run --resume`` to the
end and compares every array of every group with an uninterrupted run. A trial
survives if

* after the kill, the output is absent or a complete store identical to the reference
  (an older result is never damaged), and the partial store, if any, opens, says
  ``running`` (or ``complete`` with every chunk done) and holds the reference's bytes in
  every done chunk;
* the resumed run exits 0, leaves no partial store, lock or ``.old-PID`` folder, and its
  store equals the reference in every array, coordinate and group (root, summary,
  effects, normal_times, daily).

Odd trials restart over the previous trial's complete store (a replace killed half-way);
even trials start in an empty folder. A run that finishes before its kill moment is not
a trial: the window shrinks to that run's duration and another moment is drawn. Prints ``survived/total`` and writes a JSON record
to ``results/benchmarks/fault-injection-<backend>-<date>.json``::

    python benchmarks/fault_injection.py --kills 24
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine_record, write_record

BASE_CONFIG = ROOT / "configs" / "quickstart.toml"
GROUPS = (None, "summary", "effects", "normal_times", "daily")
TIME_ATTRIBUTES = ("started", "completed")  # differ between runs by nature


def small_config(folder: Path, scenarios: int, chunk_size: int, horizon_days: int) -> Path:
    """The quickstart config with a small [run] section, written into ``folder``."""
    text = BASE_CONFIG.read_text()
    settings = {"model": f'"{(BASE_CONFIG.parent / "../models/demo_critical_materials.toml").resolve()}"',
                "scenarios": scenarios, "chunk_size": chunk_size, "horizon_days": horizon_days,
                "daily_scenarios": 2}
    for key, value in settings.items():
        text, count = re.subn(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text, count=1)
        assert count == 1, key
    path = folder / "fault.toml"
    path.write_text(text)
    return path


def simcore_run(config: Path, output: Path, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simcore.cli", "run", str(config), "--output", str(output),
                             "--quiet", *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def load_groups(output: Path) -> dict:
    from simcore.run.store import open_results

    groups = {}
    for group in GROUPS:
        ds = open_results(output, group=group).load()
        ds.attrs = {k: v for k, v in ds.attrs.items() if k not in TIME_ATTRIBUTES}
        groups[group] = ds
    return groups


def differences(groups: dict, reference: dict) -> list[str]:
    """Names of the groups that differ from the reference (data, coordinates, attributes)."""
    import xarray as xr

    differ = []
    for group, ds in groups.items():
        try:
            xr.testing.assert_identical(ds, reference[group])
        except AssertionError:
            differ.append(str(group or "root"))
    return differ


def check_after_kill(output: Path, reference: dict, chunk_size: int) -> tuple[list[str], dict]:
    """Problems with what a kill left (empty: none), and what it left."""
    import numpy as np
    import xarray as xr

    from simcore.run import store

    problems, seen = [], {}
    partial = Path(store.partial_path(output))
    seen["output_exists"] = output.exists()
    if output.exists():
        try:
            if (problem := differences(load_groups(output), reference)):
                problems.append(f"the output differs from the reference in {problem}")
        except Exception as exc:  # an output that does not open is a failure
            problems.append(f"the output does not open: {type(exc).__name__}: {exc}")
    seen["partial_exists"] = partial.exists()
    if partial.exists():
        try:
            interrupted = store.open_results(partial)
            done = store.done_chunks(partial)
        except Exception as exc:
            problems.append(f"the partial store does not open: {type(exc).__name__}: {exc}")
        else:
            seen["chunks_done"] = int(done.sum())
            status = interrupted.attrs.get("status")
            if not (status == "running" or (status == "complete" and done.all())):
                problems.append(f"the partial store says {status!r} with {int(done.sum())}/{done.size} chunks done")
            expected = reference[None]
            for index in np.flatnonzero(done):
                region = slice(chunk_size * index, chunk_size * (index + 1))
                try:
                    xr.testing.assert_identical(
                        interrupted.isel(scenario=region).drop_vars(["chunk_done", "chunk"]).drop_attrs().load(),
                        expected.isel(scenario=region).drop_vars(["chunk_done", "chunk"]).drop_attrs())
                except AssertionError:
                    problems.append(f"done chunk {index} of the partial store differs from the reference")
    return problems, seen


def leftovers(output: Path) -> list[str]:
    from simcore.run import store

    found = [str(path) for path in (store.partial_path(output), store.lock_path(output)) if Path(path).exists()]
    return found + [str(path) for path in output.parent.glob(f"{output.name}.old-*")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=24, help="trials, one kill each (default 24)")
    parser.add_argument("--seed", type=int, default=17, help="seed of the kill moments (default 17)")
    parser.add_argument("--scenarios", type=int, default=48)
    parser.add_argument("--chunk-size", type=int, default=4)
    parser.add_argument("--horizon-days", type=int, default=90)
    parser.add_argument("--no-record", action="store_true", help="print only, write no JSON record")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="simcore-fault-"))
    env = dict(os.environ)
    # one persistent compilation cache for every run: a resume compiles from the cache,
    # which is what a user's restarted run does on the same machine
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(work / "jax-cache"))
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.monotonic()
    try:
        config = small_config(work, args.scenarios, args.chunk_size, args.horizon_days)
        # uninterrupted reference (twice: the first fills the compilation cache)
        for attempt in range(2):
            reference_path = work / f"reference-{attempt}.zarr"
            t0 = time.monotonic()
            proc = simcore_run(config, reference_path, env)
            _, err = proc.communicate(timeout=1800)
            run_seconds = time.monotonic() - t0
            if proc.returncode != 0:
                print(err.decode(), file=sys.stderr)
                return 1
        reference = load_groups(reference_path)
        print(f"reference run: {args.scenarios} scenarios x {args.horizon_days} days, chunks of {args.chunk_size}, "
              f"{run_seconds:.1f} s uninterrupted (compilation cached)")

        rng = random.Random(args.seed)
        trials = []
        output = None
        window, finished_first = run_seconds, 0
        while len(trials) < args.kills:
            trial = len(trials)
            if trial % 2 == 0 or output is None:
                output = work / f"trial-{trial}" / "out.zarr"  # an empty folder
                output.parent.mkdir(exist_ok=True)
            over_old = output.exists()
            moment = rng.uniform(0.0, window)
            t0 = time.monotonic()
            proc = simcore_run(config, output, env)
            while proc.poll() is None and time.monotonic() - t0 < moment:
                time.sleep(0.005)
            if proc.poll() is not None:  # finished before the kill: no kill, not a trial
                assert proc.returncode == 0, proc.stderr.read().decode()
                window = min(window, time.monotonic() - t0)  # runs are faster than the reference was
                finished_first += 1
                continue
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            problems, seen = check_after_kill(output, reference, args.chunk_size)
            t0 = time.monotonic()
            resumed = simcore_run(config, output, env, "--resume")
            _, err = resumed.communicate(timeout=1800)
            resume_seconds = time.monotonic() - t0
            if resumed.returncode != 0:
                problems.append(f"--resume exited {resumed.returncode}: {err.decode().strip()[-500:]}")
            else:
                if (left := leftovers(output)):
                    problems.append(f"left behind: {left}")
                if (differ := differences(load_groups(output), reference)):
                    problems.append(f"the resumed store differs from the reference in {differ}")
            survived = not problems
            trials.append({"trial": trial, "kill_after_s": round(moment, 3), "over_old_result": over_old, **seen,
                           "resume_seconds": round(resume_seconds, 2), "survived": survived, "problems": problems})
            print(f"trial {trial + 1:>2}/{args.kills}: kill -9 after {moment:5.2f} s, over an old result: "
                  f"{over_old}, partial: {seen.get('partial_exists')} ({seen.get('chunks_done', '-')} chunks done), "
                  f"output: {seen.get('output_exists')}, resumed in {resume_seconds:.1f} s: "
                  f"{'survived' if survived else 'FAILED ' + '; '.join(problems)}", flush=True)
        survived = sum(t["survived"] for t in trials)
        print(f"survived {survived}/{len(trials)} kills (and {finished_first} run(s) that finished before their "
              f"kill moment, not counted; kill window {window:.1f} s)")
        if not args.no_record:
            import jax

            from simcore.run.runner import _version  # noqa: F401  (simcore importable from ROOT)
            record = {"benchmark": "fault-injection", "config": str(BASE_CONFIG.relative_to(ROOT)),
                      "scenarios": args.scenarios, "chunk_size": args.chunk_size,
                      "horizon_days": args.horizon_days, "seed": args.seed, "kills": len(trials),
                      "survived": survived, "finished_before_kill_not_counted": finished_first,
                      "kill_window_seconds": round(window, 2),
                      "uninterrupted_seconds": round(run_seconds, 2),
                      "total_seconds": round(time.monotonic() - started, 1),
                      "check": ("after each SIGKILL: output absent or identical to the reference, partial store "
                                "opens with status running (or complete, all chunks done) and reference bytes in "
                                "every done chunk; after --resume: exit 0, no partial/lock/old-PID left, every "
                                "array of every group identical to an uninterrupted run"),
                      **machine_record(), "zarr": __import__("zarr").__version__, "jax_backend": jax.default_backend(),
                      "trials": trials}
            print(f"record: {write_record(record, 'fault-injection')}")
        return 0 if survived == len(trials) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
