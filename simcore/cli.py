"""Command line: ``simcore run CONFIG`` -> zarr store under ``results/`` + summary table.

Exit status: 0 done, 2 bad input or unusable output (a message, never a traceback),
1 a failure while running (disk full: one line; the partial store stays, ``--resume``
continues it), 130 interrupted (the partial store stays; ``--resume`` continues it).

Imports are lazy, inside the commands: ``simcore --help`` loads no JAX, xarray, pydantic
or service code (issue 18). Every computing command enables the persistent compilation
cache first (:mod:`simcore.core.compile_cache`; ``run --no-cache`` or
``SIMCORE_NO_CACHE=1`` runs without it).
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import time
from pathlib import Path

from simcore.schema.errors import OneLineArgumentParser, positive_float, positive_int, scenario_count

DEFAULT_MAX_STORE_GB = 20.0


def format_summary(summary, effects) -> str:
    """A readable table: per product and policy, then policy-level effects."""
    from simcore.schema.config import BASELINE_POLICY

    def stat(var, name):
        return float(var.sel(statistic=name)) if name in list(var.statistic.values) else float("nan")

    lines = []
    header = (f"{'product':<22} {'policy':<26} {'mean short.':>11} {'P(short.)':>9} {'q95 days':>8} "
              f"{'CVaR95':>8} {'peak price':>10}")
    lines.append("Shortage days and prices per product (across scenarios)")
    lines.append(header)
    lines.append("-" * len(header))
    for product in summary["product"].values:
        for policy in summary.policy.values:
            row = summary.sel(policy=policy, product=product)
            short = row["shortage_days"]
            lines.append(
                f"{str(product):<22} {str(policy):<26} {stat(short, 'mean'):>11.1f} "
                f"{stat(short, 'p_positive'):>9.1%} {stat(short, 'q95'):>8.0f} "
                f"{stat(short, 'cvar95'):>8.1f} "
                f"{stat(row['peak_price_change'], 'mean'):>+10.0%}"
            )
    lines.append("")
    def plus_minus(e, label, fmt, width):  # "value ±half-width of the 90 % interval", or the value alone
        value = float(e[f"{label}_reduction"].sum()) if f"{label}_reduction" in e else float("nan")
        if f"{label}_reduction_se" not in e:
            return f"{value:{fmt}}".rjust(width)
        half = 1.6448536269514722 * float(e[f"{label}_reduction_se"])
        return f"{value:{fmt}} ±{half:{fmt}}".rjust(width)

    header = (f"{'policy':<24} {'short.days':>10} {'reduction (90 %)':>17} {'P(any)':>7} {'P(mat.)':>7} "
              f"{'VA loss':>10} {'VA saved (90 %)':>21} {'not deliv.':>10} {'ratio':>6} {'index chg':>9} "
              f"{'normal-time':>11} {'fiscal/yr':>10}")
    lines.append("Policy mixes against the no-policy baseline (same scenarios; means over scenarios, sums over "
                 "products and sectors)")
    lines.append(header)
    lines.append("-" * len(header))
    for policy in effects.policy.values:
        e = effects.sel(policy=policy)
        value_added = float(e["value_added_loss_mean"].sum())
        undelivered = float(e["undelivered_value_mean"].sum())
        ratio = value_added / undelivered if undelivered > 0 else float("nan")
        total = "shortage_days_total" if "shortage_days_total_reduction" in e else "shortage_days_mean"
        lines.append(
            f"{str(policy):<24} {float(e['shortage_days_mean'].sum()):>10.1f} "
            f"{plus_minus(e, total, '.1f', 17)} "
            f"{float(summary['p_any_shortage'].sel(policy=policy)):>7.1%} "
            f"{float(summary['p_any_material_shortage'].sel(policy=policy)):>7.1%} "
            f"{value_added:>10.3g} {plus_minus(e, 'value_added_loss_mean', '.3g', 21)} "
            f"{undelivered:>10.3g} {ratio:>6.0f} "
            f"{float(e['price_index_change_mean']):>+9.4%} {float(e['normal_price_index_change']):>+11.4%} "
            f"{float(e['stockpile_fiscal_cost_per_year']):>10.3g}"
        )
    lines.append("")
    io_unit = summary.attrs.get("io_value_unit", "IO value unit")
    currency = summary.attrs.get("currency", "currency")
    lines.append(f"short. = shortage; P(any) / P(mat.) = probability of a shortage of any product / any material "
                 f"(storable product) in a scenario; VA loss = value added lost ({io_unit}); not deliv. = value of the "
                 f"demand not served ({currency}, baseline prices); ratio = VA loss / not deliv.; index chg = mean "
                 f"final-demand price index change over the horizon; normal-time = the policy's price side effect "
                 f"with no disruption; baseline policy: {BASELINE_POLICY}. reduction, VA saved = no-policy minus "
                 f"the mix on the same scenarios, ± the half-width of the 90 % interval (paired standard error); an "
                 f"interval that contains 0 is within noise.")
    return "\n".join(lines)


# ---------------------------------------------------------------- progress

def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class RichProgress:
    """Progress on stderr: a line while compiling, a bar with scenarios done,
    scenario-days per second and ETA, a line while summarising."""

    def __init__(self):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.progress = None
        self.task = None
        self.horizon_days = 1
        self._marks: list[tuple[float, int]] = []
        self._estimated = False

    def start(self, total: int, done: int, horizon_days: int) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        horizon = self.horizon_days = max(1, int(horizon_days))

        class ScenarioDaysPerSecond(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text(f"{speed * horizon:,.0f} scen-days/s" if speed else "- scen-days/s")

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<12}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("scenarios"), ScenarioDaysPerSecond(),
                                 TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
                                 console=self.console, transient=False)
        self.progress.start()
        self.task = self.progress.add_task("starting", total=total, completed=done)
        self._total = total
        self._marks = [(time.perf_counter(), done)]

    def phase(self, text: str | None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=text or "running")

    def advance(self, scenarios: int) -> None:
        self.progress.advance(self.task, scenarios)
        now = time.perf_counter()
        done = self._marks[-1][1] + scenarios
        self._marks.append((now, done))
        # the first chunk includes compiling: estimate from the second one on
        if not self._estimated and len(self._marks) >= 3 and done < self._total:
            (t1, d1), (t2, d2) = self._marks[-2], self._marks[-1]
            rate = (d2 - d1) / max(t2 - t1, 1e-9)
            self._estimated = True
            self.console.print(f"estimated time for the remaining {self._total - done:,d} scenarios: "
                               f"{_duration((self._total - done) / rate)} "
                               f"({rate * self.horizon_days:,.0f} scenario-days/s)")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description="done")
            self.progress.stop()


# ---------------------------------------------------------------- argument checks

def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {value}")
    return value


def _version() -> str:
    """The installed package's version, read without importing simcore's modules (they
    load JAX): ``--version`` and ``--help`` stay fast."""
    try:
        from importlib.metadata import version
        return version("simcore")
    except Exception:  # not installed (running from a source tree)
        return "unknown"


def _enable_cache(enabled: bool = True) -> None:
    """The persistent compilation cache for this process (off: ``--no-cache`` or
    ``SIMCORE_NO_CACHE=1``); a folder it cannot use prints one warning line and the
    command goes on without it."""
    from simcore.core.compile_cache import enable_compilation_cache

    enable_compilation_cache(enabled=enabled)


def _cluster_address(config) -> str | None:
    """The scheduler address of the config's ``[cluster]`` section, if any."""
    cluster = getattr(config, "cluster", None)
    if cluster is None:
        return None
    if isinstance(cluster, dict):
        return cluster.get("scheduler") or cluster.get("address")
    return getattr(cluster, "scheduler", None) or getattr(cluster, "address", None)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="simcore", description="Stochastic supply-disruption simulator.")
    parser.add_argument("--version", action="version", version=f"simcore {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a configured sweep and write a zarr store")
    run.add_argument("config", help="config file (TOML), e.g. configs/quickstart.toml")
    run.add_argument("--scenarios", type=scenario_count, help="override run.scenarios (1 to 100,000,000)")
    run.add_argument("--chunk-size", type=positive_int, help="override run.chunk_size (>= 1)")
    run.add_argument("--output", help="zarr store: a path or an fsspec URL such as s3://bucket/runs/a.zarr "
                                      "(default: run.output or results/<config name>.zarr)")
    run.add_argument("--keep", choices=("per-scenario", "summary"),
                     help="store per-scenario arrays, or only per-chunk statistics (override run.keep)")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted run of the same config from its done chunks")
    run.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): run chunks on a cluster "
                                         "(override the [cluster] section)")
    run.add_argument("--max-store-gb", type=positive_float, default=DEFAULT_MAX_STORE_GB,
                     help=f"refuse runs whose store would exceed this size unless --yes (default "
                          f"{DEFAULT_MAX_STORE_GB:g})")
    run.add_argument("--yes", "-y", action="store_true", help="run even above --max-store-gb")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary table (scripts)")
    run.add_argument("--no-cache", action="store_true",
                     help="compile without the persistent compilation cache (default: $SIMCORE_CACHE_DIR, "
                          "$XDG_CACHE_HOME/simcore or ~/.cache/simcore; SIMCORE_NO_CACHE=1 does the same)")
    report = sub.add_parser("report", help="write figures and an index page next to a results store")
    report.add_argument("store", help="a results store written by simcore run or simcore sweep: a path or an "
                                      "fsspec URL (read with the filesystem's usual credentials)")
    report.add_argument("--out", help="output folder (default: next to a local store; NAME.report in the "
                                      "current folder for a URL)")
    for name, text in (("sweep", "run a config's [sweep] of policy levers on common random numbers "
                                 "(python -m simcore.analysis.sweep --help)"),
                       ("attribute", "Shapley attribution of a mix's risk reduction to its pillars or levers "
                                     "(python -m simcore.analysis.shapley --help)"),
                       ("optimize", "optimise a config's [optimize] levers under a budget with optax "
                                    "(python -m simcore.analysis.optimize --help)"),
                       ("sensitivity", "elasticities of the expected metrics to model parameters, gradients "
                                       "checked against finite differences "
                                       "(python -m simcore.analysis.sensitivity --help)"),
                       ("sobol", "Sobol indices (first order and total, bootstrap intervals) of the headline "
                                 "metrics over the model's uncertain numbers (simcore sobol --help)")):
        forward = sub.add_parser(name, help=text, add_help=False)
        forward.add_argument("arguments", nargs=argparse.REMAINDER)
    serve = sub.add_parser("serve", help="run the Early Warning System HTTP service (docs/service.md)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    schema = sub.add_parser("schema", help="print the JSON schema of model files or run configs")
    schema.add_argument("kind", choices=("model", "config"))
    schema.add_argument("--output", help="write the schema to this file instead of stdout")
    return parser


# ---------------------------------------------------------------- commands

def _fail(message: str) -> int:
    print(f"simcore: error: {message}", file=sys.stderr)
    return 2


def _exists(where) -> bool:
    """Whether a store location (path or URL) exists; False where that cannot be told."""
    from simcore.run.store import as_location

    try:
        return as_location(str(where)).exists()
    except Exception:  # each filesystem raises its own errors; this only shapes a message
        return False


def _input_error(exc) -> int:
    """An :class:`~simcore.schema.errors.InputError`: one problem on one line, several as
    the list of them (every bad field at once)."""
    print(exc.for_terminal(), file=sys.stderr)
    return 2


def _schema_command(args) -> int:
    try:
        from simcore.schema import json_schema
    except ImportError:
        return _fail("JSON schemas are not available in this version")
    text = json.dumps(json_schema(args.kind), indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
    return 0


def _run_command(args) -> int:
    from simcore.run import store
    from simcore.run.finite import NonFiniteResult
    from simcore.run.job import Job, StoreTooLarge
    from simcore.run.store import OutputError
    from simcore.schema.config import load_config
    from simcore.schema.errors import InputError

    say = (lambda *a, **k: None) if args.quiet else print
    try:  # the config is read once here (a pipe works), with a size limit
        config = load_config(args.config)
    except InputError as exc:
        return _input_error(exc)
    except (OSError, UnicodeDecodeError) as exc:  # e.g. the model file is a directory or not UTF-8
        return _fail(f"cannot read an input of {args.config}: {exc}")
    except RecursionError:  # the model file's TOML nested hundreds of levels deep
        return _fail(f"an input of {args.config} (its model file) has arrays or inline tables nested too deeply "
                     f"(hundreds of levels); a model file needs a few")
    scenarios = args.scenarios or config.scenarios
    # a path or an fsspec URL: kept as text (Path() would fold the '//' of a URL)
    output = str(args.output if args.output is not None
                 else config.output or Path("results") / f"{Path(args.config).stem}.zarr")  # '' is refused, not ignored
    if args.scheduler is not None and not args.scheduler.strip():  # '' would silently run locally
        return _fail("--scheduler is empty: give the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
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
        return _fail(f"the store would take about {exc.estimated_bytes / 1e9:,.1f} GB (keep = {exc.keep!r}), above "
                     f"--max-store-gb {args.max_store_gb:g}; use --keep summary, fewer scenarios, a higher "
                     f"--max-store-gb, or --yes")
    except NonFiniteResult as exc:  # a runtime failure: status 1, the partial stays for inspection
        print(f"simcore: error: {exc}", file=sys.stderr)
        return 1
    except OutputError as exc:
        return _fail(str(exc))
    except InputError as exc:
        return _input_error(exc)
    except OSError as exc:  # disk full, I/O error, permissions changed while running: a runtime failure
        where = f" ({exc.filename})" if exc.filename else ""
        kept = ""
        if _exists(store.partial_path(output)):
            kept = (f"; the interrupted run stays at {store.partial_path(output)}: "
                    f"{'free some space, then ' if exc.errno == errno.ENOSPC else ''}continue with --resume")
        print(f"simcore: error: writing the store failed: {exc.strerror or exc}{where}{kept}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: the partial store stays at {output}.partial; continue with --resume",
              file=sys.stderr)
        return 130
    if not args.quiet:
        print()
        print(format_summary(summary, effects))
        print(f"\nresults written to {output} (groups: root per-scenario, summary, effects, normal_times"
              f"{', daily' if getattr(config, 'daily_scenarios', 0) else ''})")
        print(f"figures and an index page: simcore report {output}")
    return 0


# Subcommands with a parser of their own: their arguments go to it untouched (argparse's
# REMAINDER swallowed nothing when the first one was an option, so `simcore sweep --help`
# was "unrecognized arguments").
FORWARDED = {"sweep": "simcore.analysis.sweep", "attribute": "simcore.analysis.shapley",
             "optimize": "simcore.analysis.optimize", "sensitivity": "simcore.analysis.sensitivity",
             "sobol": "simcore.analysis.sobol"}


def _forward(command: str, arguments: list[str]) -> int:
    import importlib

    try:
        if not any(flag in ("-h", "--help") for flag in arguments):  # help compiles nothing
            _enable_cache()  # SIMCORE_NO_CACHE=1 turns it off: their parsers have no --no-cache
        return importlib.import_module(FORWARDED[command]).main(arguments)
    except SystemExit as exc:  # --help (0), usage errors (one line, status 2)
        return int(exc.code or 0)


def main(argv=None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if given and given[0] in FORWARDED:
        return _forward(given[0], given[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (status 2)
        return int(exc.code or 0)
    if args.command == "schema":
        return _schema_command(args)
    if args.command == "report":  # draws figures, compiles nothing (the engine's lazy call would cover it)
        from simcore.report import main_report
        return main_report(args.store, args.out)
    if args.command == "serve":
        try:
            from simcore.service import serve
        except ImportError as exc:  # fastapi/uvicorn missing from a partial install
            return _fail(f"the service needs fastapi and uvicorn ({exc}); pip install -e .")
        return serve(args.host, args.port, log_level=args.log_level)
    if args.command in FORWARDED:  # reached only through a global option before the command
        return _forward(args.command, args.arguments)
    from simcore.run.devices import configure_cpu_devices
    from simcore.schema.errors import InputError

    try:  # before JAX's first computation: one device per core (SIMCORE_CPU_DEVICES overrides).
        # Only from the command line (argv None): a call from Python leaves the caller's JAX as it is.
        configure_cpu_devices(default="all" if argv is None else None)
    except (InputError, ValueError) as exc:
        return _fail(str(exc))
    _enable_cache(not args.no_cache)
    return _run_command(args)


if __name__ == "__main__":
    sys.exit(main())
