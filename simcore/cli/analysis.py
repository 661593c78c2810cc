"""The analysis commands: ``simcore sweep``, ``attribute``, ``optimize``, ``sensitivity``,
``sobol``, ``robustness`` and ``screen`` (docs/analysis.md, docs/screening.md).

Each turns its parsed options into a call of a plain function of
:mod:`simcore.analysis` (config path, store path, settings), prints the result and maps
refused inputs to one line and status 2. The compilation cache is enabled before the
analysis module (and JAX) is imported; ``SIMCORE_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import sys

from simcore.cli.common import enable_cache, fail, input_error, printer, refused

# simcore sobol's options that override a key of the config's [sobol] table as they are
SOBOL_OVERRIDES = ("points", "scenarios", "start", "group_by", "bootstrap", "confidence", "sampling",
                   "chunk_points", "chunk_scenarios", "seed")


def sweep_command(args) -> int:
    """``simcore sweep CONFIG``: the config's [sweep] into a store, the best mixes printed."""
    enable_cache()
    from simcore.analysis.sweep import run_sweep_file
    from simcore.run.store import OutputError
    from simcore.schema.errors import InputError

    try:
        run_sweep_file(args.config, scenarios=args.scenarios, output=args.output, log=printer(args.quiet))
    except (InputError, OutputError) as exc:
        return refused(exc)
    return 0


def attribute_command(args) -> int:
    """``simcore attribute CONFIG POLICY``: the Shapley table, and group ``attribution``
    of ``--store`` (checked before computing: the attribution can take minutes)."""
    enable_cache()
    from simcore.analysis import shapley
    from simcore.run.store import OutputError
    from simcore.schema.errors import InputError

    prog = "simcore attribute"
    if args.store:
        try:
            shapley.check_store_writable(args.store)
        except OutputError as exc:
            return fail(f"--store: {exc}", prog)
    try:
        ds = shapley.attribute_file(args.config, args.policy, args.players or "pillars", scenarios=args.scenarios,
                                    method=args.method, permutations=args.permutations)
    except InputError as exc:
        return input_error(exc)
    print(shapley.format_attribution(ds))
    if args.store:
        try:
            shapley.attribution_to_store(ds, args.store)
        except OSError as exc:  # disk full, permissions changed meanwhile: a runtime failure
            fail(f"writing {args.store} failed: {exc.strerror or exc}", prog)
            return 1
        print(f"wrote group 'attribution' of {args.store}")
    return 0


def optimize_command(args) -> int:
    """``simcore optimize CONFIG``: the config's [optimize] into a store."""
    enable_cache()
    from simcore.analysis.optimize import run_optimize_file
    from simcore.run.store import OutputError
    from simcore.schema.errors import InputError

    try:
        run_optimize_file(args.config, output=args.output, log=printer(args.quiet))
    except (InputError, OutputError) as exc:
        return refused(exc)
    return 0


def sensitivity_command(args) -> int:
    """``simcore sensitivity CONFIG``: the elasticity table, and group ``sensitivity``
    of ``--store``."""
    enable_cache()
    from simcore.analysis import sensitivity
    from simcore.schema.errors import InputError

    # options not given keep the module's defaults (DEFAULT_TEMPERATURE, DEFAULT_FD_STEP)
    given = {key: getattr(args, key) for key in ("temperature", "fd_step") if getattr(args, key) is not None}
    try:
        ds = sensitivity.sensitivity_file(args.config, args.policy, n_scenarios=args.scenarios, **given)
    except (InputError, ValueError) as exc:  # ValueError: an unknown policy
        return refused(exc)
    print(sensitivity.format_sensitivities(ds))
    if args.store:
        sensitivity.sensitivity_to_store(ds, args.store)
        print(f"wrote group 'sensitivity' into {args.store}")
    return 0


def sobol_command(args) -> int:
    """``simcore sobol CONFIG``: the Sobol tables (the design's size on stderr first), and
    group ``sobol`` of ``--out``."""
    if args.resume and not args.out:
        return fail("--resume needs --out STORE (the running sums are kept there)")
    enable_cache()
    from simcore.analysis import sobol
    from simcore.schema.errors import InputError

    overrides = {key: getattr(args, key) for key in SOBOL_OVERRIDES if getattr(args, key) is not None}
    for key in ("metrics", "policies"):  # each value may be a comma-separated list
        if getattr(args, key):
            overrides[key] = tuple(name for part in getattr(args, key) for name in part.split(",") if name)
    try:
        ds = sobol.sobol_file(args.config, overrides, checkpoint_store=args.out if args.resume else None,
                              log=lambda text: print(text, file=sys.stderr))
    except (InputError, ValueError) as exc:  # ValueError: a bad setting of the [sobol] table or the options
        return refused(exc)
    print(sobol.format_sobol(ds, top=args.top))
    print(f"evaluation: {ds.attrs['evaluation_wall_s']:.1f} s")
    if args.out:
        sobol.sobol_to_store(ds, args.out)
        print(f"wrote group 'sobol' into {args.out}")
    return 0


def robustness_command(args) -> int:
    """``simcore robustness CONFIG``: the regret table and the discovery box, and groups
    ``robustness`` and ``discovery`` of the store."""
    enable_cache()
    from pathlib import Path

    from simcore.analysis import discovery, robustness
    from simcore.schema.errors import InputError

    overrides = {key: getattr(args, key) for key in ("points", "scenarios", "chunk_size")
                 if getattr(args, key) is not None}
    if args.policies:  # each value may be a comma-separated list
        overrides["policies"] = tuple(name for part in args.policies for name in part.split(",") if name)
    log = printer(args.quiet)
    try:
        ds, found, settings = robustness.robustness_file(args.config, overrides, discovery=not args.no_discovery,
                                                         log=log)
    except (InputError, ValueError) as exc:  # ValueError: a bad setting
        return refused(exc)
    out = args.output or settings.output or str(Path("results") / (Path(args.config).stem + ".zarr"))
    robustness.to_store(ds, out, "robustness")
    if found is not None:
        robustness.to_store(found, out, "discovery")
    if not args.quiet:
        print(robustness.format_robustness(ds))
        if found is not None:
            print()
            print(discovery.format_discovery(found))
        print(f"evaluation: {ds.attrs['evaluation_wall_s']:.1f} s; wrote group 'robustness'"
              f"{' and discovery' if found is not None else ''} into {out}")
    return 0


def screen_command(args) -> int:
    """``simcore screen CONFIG``: the ranked table of the chokepoint screen, and group
    ``screen`` of the store (nothing is written when the input is refused)."""
    from simcore.run.devices import configure_cpu_devices
    from simcore.schema.errors import InputError

    try:  # before JAX's first computation, as simcore run: one device per core from the command line
        configure_cpu_devices(default="all" if getattr(args, "command_line", False) else None)
    except (InputError, ValueError) as exc:
        return fail(str(exc))
    enable_cache()

    from simcore.analysis import screen, screen_table

    overrides = {key: getattr(args, key) for key in ("scenarios", "bootstrap", "points", "top") if getattr(args, key) is not None}
    for key in ("units", "policies"):  # policies may be comma-separated; unit names hold spaces
        if getattr(args, key):
            values = getattr(args, key)
            overrides[key] = tuple(name for part in values for name in (part.split(",") if key == "policies"
                                                                          else [part]) if name)
    if args.output is not None:
        overrides["output"] = args.output
    if args.scheduler is not None and not args.scheduler.strip():  # '' would silently run locally
        return fail("--scheduler is empty: give the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    from simcore.analysis.screen_resume import ResumeError
    from simcore.run.store import OutputError

    log = printer(args.quiet)
    bar = _LaneProgress() if not args.quiet else None
    try:
        ds, settings = screen.screen_file(args.config, overrides, log=log, progress=bar, checkpoint=True,
                                          resume=args.resume, scheduler=args.scheduler)
    except (InputError, ValueError, ResumeError, OutputError) as exc:  # ValueError: a bad setting
        return refused(exc)
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()  # the bar's last line first, then the message
        print("\ninterrupted: the done blocks of cases stay in the output store; continue with --resume",
              file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.stop()
    out = settings.output
    screen_table.to_store(ds, out)
    if not args.quiet:
        print(screen_table.format_screen(ds, top=settings.top))
        print(f"evaluation: {ds.attrs['evaluation_wall_s']:.1f} s; wrote group 'screen' into {out}")
    return 0


class _LaneProgress:
    """``progress(done, total)`` of the screen (lanes: case x mix x scenario) as the bar of
    ``simcore run`` (:class:`~simcore.cli.progress.RichProgress`: lanes done, lanes per
    second, ETA; the time estimate from the second chunk on: the first one compiles)."""

    def __init__(self):
        from simcore.cli.progress import RichProgress

        self.bar, self.done = RichProgress(unit="lanes", rate="lanes/s"), None

    def __call__(self, done: int, total: int) -> None:
        if self.done is None:
            self.bar.start(total, done, 1)
            self.bar.phase("screening")
        else:
            self.bar.advance(done - self.done)
        self.done = done

    def stop(self) -> None:
        if self.done is not None:
            self.bar.stop()
            self.done = None  # once
