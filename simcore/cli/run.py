"""``simcore run CONFIG`` -> zarr store under ``results/`` + summary table.

Exit status: 0 done, 2 bad input or unusable output (a message, never a traceback),
1 a failure while running (disk full: one line; the partial store stays, ``--resume``
continues it), 130 interrupted (the partial store stays; ``--resume`` continues it).
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

from simcore.cli.common import enable_cache, fail, input_error, printer
from simcore.cli.progress import RichProgress
from simcore.cli.summary import format_summary


def _cluster_address(config) -> str | None:
    """The scheduler address of the config's ``[cluster]`` section, if any."""
    cluster = getattr(config, "cluster", None)
    if cluster is None:
        return None
    if isinstance(cluster, dict):
        return cluster.get("scheduler") or cluster.get("address")
    return getattr(cluster, "scheduler", None) or getattr(cluster, "address", None)


def _exists(where) -> bool:
    """Whether a store location (path or URL) exists; False where that cannot be told."""
    from simcore.run.store import as_location

    try:
        return as_location(str(where)).exists()
    except Exception:  # each filesystem raises its own errors; this only shapes a message
        return False


def run_command(args) -> int:
    """``simcore run CONFIG``: the config's scenarios for every policy mix into a store,
    then the summary table."""
    from simcore.run.devices import configure_cpu_devices
    from simcore.schema.errors import InputError

    try:  # before JAX's first computation: one device per core (SIMCORE_CPU_DEVICES overrides).
        # Only from the command line: a call of simcore.cli.main from Python leaves the caller's JAX as it is.
        configure_cpu_devices(default="all" if args.command_line else None)
    except (InputError, ValueError) as exc:
        return fail(str(exc))
    enable_cache(not args.no_cache)

    from simcore.run import store
    from simcore.run.finite import NonFiniteResult
    from simcore.run.job import Job, StoreTooLarge
    from simcore.run.store import OutputError
    from simcore.schema.config import load_config

    say = printer(args.quiet)
    try:  # the config is read once here (a pipe works), with a size limit
        config = load_config(args.config)
    except InputError as exc:
        return input_error(exc)
    except (OSError, UnicodeDecodeError) as exc:  # e.g. the model file is a directory or not UTF-8
        return fail(f"cannot read an input of {args.config}: {exc}")
    except RecursionError:  # the model file's TOML nested hundreds of levels deep
        return fail(f"an input of {args.config} (its model file) has arrays or inline tables nested too deeply "
                    f"(hundreds of levels); a model file needs a few")
    scenarios = args.scenarios or config.scenarios
    # a path or an fsspec URL: kept as text (Path() would fold the '//' of a URL)
    output = str(args.output if args.output is not None
                 else config.output or Path("results") / f"{Path(args.config).stem}.zarr")  # '' is refused, not ignored
    if args.scheduler is not None and not args.scheduler.strip():  # '' would silently run locally
        return fail("--scheduler is empty: give the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    scheduler = args.scheduler or _cluster_address(config)
    loaded = config.loaded
    say(f"simcore: model {loaded.name!r} ({len(loaded.products)} products, {len(loaded.origins)} origins, "
        f"{len(loaded.sectors)} sectors), {len(config.event_names)} event(s), "
        f"{len(config.policies)} policy mix(es), {scenarios:,d} scenarios x {config.horizon_days} days")
    try:
        store.refuse_process_memory(output)
        with Job(config, output, scenarios=scenarios, chunk_size=args.chunk_size, keep=args.keep,
                 resume=args.resume, log=say, max_store_bytes=None if args.yes else args.max_store_gb * 1e9) as job:
            job.prepare(scheduler=scheduler)  # size, output, lock, cluster checked; nothing compiled yet
            size_gb = job.estimated_store_bytes() / 1e9
            plan = job.plan
            if not job.already_complete:
                resumed = plan.n_chunks - len(job.todo)
                say(f"store: {output} (about {size_gb * 1000:,.1f} MB uncompressed, keep = {plan.keep}), "
                    f"{plan.n_chunks:,d} chunk(s) of {plan.chunk_size:,d}"
                    + (f"; resuming with {resumed:,d} chunk(s) done" if args.resume and resumed else "")
                    + (f"; scheduler {scheduler}" if scheduler else ""))
            progress = None if args.quiet else RichProgress()
            summary, effects = job.run(progress=progress, scheduler=scheduler)
    except StoreTooLarge as exc:  # refused before anything was written
        return fail(f"the store would take about {exc.estimated_bytes / 1e9:,.1f} GB (keep = {exc.keep!r}), above "
                    f"--max-store-gb {args.max_store_gb:g}; use --keep summary, fewer scenarios, a higher "
                    f"--max-store-gb, or --yes")
    except NonFiniteResult as exc:  # a runtime failure: status 1, the partial stays for inspection
        print(f"simcore: error: {exc}", file=sys.stderr)
        return 1
    except OutputError as exc:
        return fail(str(exc))
    except InputError as exc:
        return input_error(exc)
    except OSError as exc:  # disk full, I/O error, permissions changed while running: a runtime failure
        where = f" ({exc.filename})" if exc.filename else ""
        kept = ""
        if _exists(store.partial_path(output)):
            kept = (f"; the interrupted run stays at {store.partial_path(output)}: "
                    f"{'free some space, then ' if exc.errno == errno.ENOSPC else ''}continue with --resume")
        print(f"simcore: error: writing the store failed: {exc.strerror or exc}{where}{kept}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if _exists(store.partial_path(output)):
            print(f"\ninterrupted: the partial store stays at {output}.partial; continue with --resume",
                  file=sys.stderr)
        else:  # stopped before the first chunk computed: its store was never laid out
            print(f"\ninterrupted before anything was written to {output}; run it again", file=sys.stderr)
        return 130
    if not args.quiet:
        print()
        print(format_summary(summary, effects))
        print(f"\nresults written to {output} (groups: root per-scenario, summary, effects, normal_times"
              f"{', daily' if getattr(config, 'daily_scenarios', 0) else ''})")
        print(f"figures and an index page: simcore report {output}")
    return 0
