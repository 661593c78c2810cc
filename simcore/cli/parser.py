"""The one argument parser of ``simcore``: every command and every option, declared once.

Each command is a real subparser, so ``simcore COMMAND --help`` is argparse's own help
(status 0, every option listed) and a usage error is one line, ``simcore COMMAND: error:
MESSAGE (see simcore COMMAND --help)``, status 2
(:class:`~simcore.schema.errors.OneLineArgumentParser`). Each command names its
function (``handler``, ``module:function``), imported only when it runs.

Nothing here imports the packages that compute: ``simcore --help`` loads no JAX,
xarray, pydantic or service code (issue 18). Where an option's choices or default live
in an analysis module (:mod:`simcore.analysis.sobol`, :mod:`simcore.analysis.sensitivity`)
they are written out here and ``tests/test_cli.py`` checks that they agree.
"""

from __future__ import annotations

import argparse
import sys

from simcore.schema.errors import OneLineArgumentParser, positive_float, positive_int, scenario_count

DEFAULT_MAX_STORE_GB = 20.0

# simcore.analysis.sobol's GROUP_BY and METRICS, simcore.analysis.sobol_design's SAMPLING;
# simcore.analysis.sensitivity's DEFAULT_TEMPERATURE and DEFAULT_FD_STEP (for the help text:
# the command passes only the options given, the module keeps its defaults)
SOBOL_GROUP_BY = ("entry", "field", "product")
SOBOL_SAMPLING = ("sobol", "random")
SOBOL_METRICS = ("shortage_days", "p_any_shortage", "value_added_loss", "peak_price_change")
SENSITIVITY_TEMPERATURE = 0.02
SENSITIVITY_FD_STEP = 0.1
# simcore.analysis.sensitivity's RELATIVE_TOLERANCE / ABSOLUTE_TOLERANCE, and
# simcore.analysis.tornado's RANGE_PERCENTILES (for the help text)
SENSITIVITY_RELATIVE_TOLERANCE = 0.10
SENSITIVITY_ABSOLUTE_TOLERANCE = 0.01
SENSITIVITY_RANGE_PERCENTILES = (5.0, 95.0)


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


def build_parser() -> argparse.ArgumentParser:
    """The ``simcore`` parser with one subparser per command."""
    parser = OneLineArgumentParser(prog="simcore", description="Stochastic supply-disruption simulator.")
    parser.add_argument("--version", action="version", version=f"simcore {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    _run(sub)
    _report(sub)
    _sweep(sub)
    _attribute(sub)
    _optimize(sub)
    _sensitivity(sub)
    _sobol(sub)
    _robustness(sub)
    _screen(sub)
    _serve(sub)
    _schema(sub)
    return parser


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """``{command name: its parser}`` of the ``simcore`` parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The parsed command line; raises :class:`SystemExit` as argparse does (``--help``
    and ``--version`` 0, usage errors 2 after their one line)."""
    parser = build_parser()
    given = sys.argv[1:] if argv is None else list(argv)
    args, extra = parser.parse_known_args(given)
    if extra:
        # argparse blames the top-level parser for a command's unknown option; name the
        # command (its usage and --help say what it takes), unless the option came first
        before = given[:given.index(args.command)] if args.command in given else []
        owner = parser if any(word in before for word in extra) else subcommands(parser)[args.command]
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


# ---------------------------------------------------------------- run, report

def _run(sub) -> None:
    run = sub.add_parser("run", help="run a configured sweep and write a zarr store",
                         description="Run a config's scenarios for every policy mix and write a zarr store "
                                     "and a summary table.")
    run.set_defaults(handler="simcore.cli.run:run_command")
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


def _report(sub) -> None:
    report = sub.add_parser("report", help="write figures and an index page next to a results store",
                            description="Write figures and an index page for a results store.")
    report.set_defaults(handler="simcore.cli.tools:report_command")
    report.add_argument("store", help="a results store written by simcore run or simcore sweep: a path or an "
                                      "fsspec URL (read with the filesystem's usual credentials)")
    report.add_argument("--out", help="output folder (default: next to a local store; NAME.report in the "
                                      "current folder for a URL)")
    report.add_argument("--hold", action="append", metavar="LEVER=VALUE",
                        help="a sweep's response figure: hold this lever (one not on its axes) at this value "
                             "(the nearest grid value; repeatable; default: the sweep's base mix)")


# ---------------------------------------------------------------- analysis (docs/analysis.md)

def _sweep(sub) -> None:
    sweep = sub.add_parser("sweep", help="run a config's [sweep] of policy levers on common random numbers",
                           description="Policy sweeps: vary levers over a grid or a random design on common "
                                       "random numbers (the config's [sweep] section).")
    sweep.set_defaults(handler="simcore.cli.analysis:sweep_command")
    sweep.add_argument("config", help="a run config with a [sweep] section")
    sweep.add_argument("--scenarios", type=scenario_count, default=None,
                       help="scenarios per mix (default: sweep.scenarios, else run.scenarios)")
    sweep.add_argument("--output", default=None,
                       help="zarr store (default: sweep.output, else results/<config name>.zarr)")
    sweep.add_argument("--quiet", action="store_true", help="print nothing (scripts)")


def _attribute(sub) -> None:
    attribute = sub.add_parser("attribute",
                               help="Shapley attribution of a mix's risk reduction to its pillars or levers",
                               description="Shapley attribution of a policy mix's risk reduction")
    attribute.set_defaults(handler="simcore.cli.analysis:attribute_command")
    attribute.add_argument("config", help="a run config")
    attribute.add_argument("policy", help="the policy mix to attribute (a name in the config's policies)")
    attribute.add_argument("--players", nargs="*", default=None, help='lever paths (default: the three pillars)')
    attribute.add_argument("--scenarios", type=scenario_count, default=None,
                           help="common scenarios of every coalition (default: run.scenarios)")
    attribute.add_argument("--method", default="auto",
                           help="exact (every coalition), sampling (random orders of the players) or auto "
                                "(exact up to 8 players; default auto)")
    attribute.add_argument("--permutations", type=int, default=200,
                           help="random orders of the sampling method (default 200)")
    attribute.add_argument("--store", default=None, help="write the result as group 'attribution' of this store")


def _optimize(sub) -> None:
    optimize = sub.add_parser("optimize", help="optimise a config's [optimize] levers under a budget with optax",
                              description="Choose lever levels under a yearly budget with optax, on the smoothed "
                                          "engine (the config's [optimize] section).")
    optimize.set_defaults(handler="simcore.cli.analysis:optimize_command")
    optimize.add_argument("config", help="a run config with an [optimize] section")
    optimize.add_argument("--output", default=None,
                          help="zarr store (default: optimize.output, else results/<config name>.zarr)")
    optimize.add_argument("--quiet", action="store_true", help="print nothing (scripts)")


def _sensitivity(sub) -> None:
    low, high = SENSITIVITY_RANGE_PERCENTILES
    sensitivity = sub.add_parser(
        "sensitivity",
        help="elasticities of the expected metrics to each model-file number (gradient where it agrees with "
             "finite differences, else the finite difference) and a tornado over each number's own range",
        description="Elasticities d ln metric / d ln number of the expected shortage days, value-added loss and "
                    "peak price change to each number of the model file (inventory days, price elasticities, "
                    "import shares, exposures; one parameter per number). The smoothed engine's gradient is "
                    "reported where it agrees with the exact engine's central finite difference on the same "
                    f"scenarios within {SENSITIVITY_ABSOLUTE_TOLERANCE:g} + {SENSITIVITY_RELATIVE_TOLERANCE:g} "
                    "|fd|, otherwise the finite difference, and the table says which. The tornado runs the exact "
                    f"engine with each number at the {low:g}th and {high:g}th percentiles of its distribution in "
                    "the model file; numbers without one have no range (docs/analysis.md, 'Sensitivities').")
    sensitivity.set_defaults(handler="simcore.cli.analysis:sensitivity_command")
    sensitivity.add_argument("config", help="a run config")
    sensitivity.add_argument("--policy", default="no-policy",
                             help="the policy mix to differentiate at (default no-policy)")
    sensitivity.add_argument("--scenarios", type=scenario_count, default=None,
                             help="common scenarios (default: run.scenarios)")
    sensitivity.add_argument("--temperature", type=positive_float, default=None,
                             help=f"temperature of the smoothed engine (default {SENSITIVITY_TEMPERATURE:g})")
    sensitivity.add_argument("--fd-step", type=positive_float, default=None,
                             help=f"step h in ln parameter of the finite-difference check (default "
                                  f"{SENSITIVITY_FD_STEP:g})")
    sensitivity.add_argument("--store", default=None, help="write group 'sensitivity' into this store")


def _sobol(sub) -> None:
    sobol = sub.add_parser(
        "sobol", help="Sobol indices (first order and total, bootstrap intervals) of the headline metrics over "
                      "the model's uncertain numbers",
        description="Variance-based global sensitivity: first-order and total Sobol indices (bootstrap intervals) "
                    "of the headline metrics over the model file's uncertain numbers, every design point on the same "
                    "scenarios (docs/analysis.md, 'Global sensitivity (Sobol)').")
    sobol.set_defaults(handler="simcore.cli.analysis:sobol_command")
    sobol.add_argument("config", help="a run config; its optional [sobol] table sets the options below")
    sobol.add_argument("--points", type=positive_int, default=None,
                       help="base sample size N (design points: N x (groups + 2); default 128)")
    sobol.add_argument("--scenarios", type=scenario_count, default=None,
                       help="common scenarios per design point (default 200)")
    sobol.add_argument("--start", type=int, default=None, help="first scenario index (default 0)")
    sobol.add_argument("--metrics", nargs="+", default=None,
                       help=f"metrics ({', '.join(SOBOL_METRICS)}, or shortage_days:PRODUCT, "
                            f"peak_price_change:PRODUCT)")
    sobol.add_argument("--policies", nargs="+", default=None, help="policy mixes (default: no-policy)")
    sobol.add_argument("--group-by", dest="group_by", choices=SOBOL_GROUP_BY, default=None,
                       help="one group per model-file number (entry), per field or per product (default entry)")
    sobol.add_argument("--bootstrap", type=positive_int, default=None, help="bootstrap resamples (default 500)")
    sobol.add_argument("--confidence", type=float, default=None, help="interval level (default 0.9)")
    sobol.add_argument("--sampling", choices=SOBOL_SAMPLING, default=None, help="design sequence (default sobol)")
    sobol.add_argument("--chunk-points", dest="chunk_points", type=positive_int, default=None,
                       help="design points per chunk (default 8)")
    sobol.add_argument("--chunk-scenarios", dest="chunk_scenarios", type=positive_int, default=None,
                       help="scenarios per chunk (default 200)")
    sobol.add_argument("--seed", type=int, default=None, help="seed of the design (default 0)")
    sobol.add_argument("--top", type=positive_int, default=10, help="rows per printed table (default 10)")
    sobol.add_argument("--out", default=None, help="write group 'sobol' into this zarr store")
    sobol.add_argument("--resume", action="store_true",
                       help="keep the running sums in --out (group sobol_partial, saved every minute) and "
                            "continue an interrupted run of the same design")


def _robustness(sub) -> None:
    robustness = sub.add_parser(
        "robustness", help="regret, minimax regret and satisficing of the mixes across scenarios and parameter "
                           "points, and scenario discovery (PRIM) of when a mix fails",
        description="Robustness of the config's policy mixes: regret across the scenario ensemble and across "
                    "parameter points of the model's uncertain numbers (minimax regret, satisficing share), and "
                    "scenario discovery (PRIM boxes with coverage and density) for [robustness.discovery] "
                    "(docs/analysis.md, 'Robustness and scenario discovery').")
    robustness.set_defaults(handler="simcore.cli.analysis:robustness_command")
    robustness.add_argument("config", help="a run config; its optional [robustness] table sets the options below")
    robustness.add_argument("--points", type=positive_int, default=None,
                            help="parameter points (Latin hypercube; 1: the medians; default 16)")
    robustness.add_argument("--scenarios", type=scenario_count, default=None,
                            help="common scenarios per parameter point (default 200)")
    robustness.add_argument("--policies", nargs="+", default=None,
                            help="mixes compared (default: every mix of the config)")
    robustness.add_argument("--chunk-size", dest="chunk_size", type=positive_int, default=None,
                            help="lanes per compiled chunk (default 256)")
    robustness.add_argument("--no-discovery", dest="no_discovery", action="store_true",
                            help="skip the scenario discovery of [robustness.discovery]")
    robustness.add_argument("--output", default=None,
                            help="zarr store for groups 'robustness' and 'discovery' (default: robustness.output, "
                                 "else results/<config name>.zarr)")
    robustness.add_argument("--quiet", action="store_true", help="print nothing (scripts)")


def _screen(sub) -> None:
    screen = sub.add_parser(
        "screen", help="chokepoint screen: every product, supply link, hidden link and service under a family of "
                       "disruptions, ranked with intervals, and the single points of failure",
        description="Screen every unit of the config's model (products, services, (product, origin) links, "
                    "hidden-dependence links) under a disruption family (full and partial losses, a licensing "
                    "regime, the unit's own hazard) on common scenarios: expected value-added loss, CVaR95, "
                    "P(shortage), time to survive, annual loss; ranked with paired-bootstrap rank intervals "
                    "(docs/screening.md).")
    screen.set_defaults(handler="simcore.cli.analysis:screen_command")
    screen.add_argument("config", help="a run config; its optional [screen] table sets the options below")
    screen.add_argument("--scenarios", type=scenario_count, default=None, help="common scenarios (default 200)")
    screen.add_argument("--units", nargs="+", default=None,
                        help="units screened by name, e.g. 'gallium' 'gallium from CN' (default: every unit)")
    screen.add_argument("--policies", nargs="+", default=None, help="mixes in force (default: no-policy)")
    screen.add_argument("--bootstrap", type=int, default=None, help="bootstrap replicates (default 200)")
    screen.add_argument("--points", type=int, default=None,
                        help="parameter points of the model's uncertain numbers, each on the same scenarios: rank "
                             "intervals over them too (default 0: each scenario draws its own)")
    screen.add_argument("--top", type=positive_int, default=None, help="rows of the ranked table (default 25)")
    screen.add_argument("--output", default=None,
                        help="zarr store for group 'screen' (default: screen.output, else results/<config name>.zarr)")
    screen.add_argument("--resume", action="store_true",
                        help="continue an interrupted screen of the same config into the same --output: its done "
                             "blocks of cases are loaded, not rerun (the results equal an uninterrupted run)")
    screen.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786): run blocks of cases on a "
                                            "cluster (pip install 'simcore[cluster]')")
    screen.add_argument("--quiet", action="store_true", help="print nothing (scripts)")


# ---------------------------------------------------------------- service, schema

def _serve(sub) -> None:
    serve = sub.add_parser("serve", help="run the Early Warning System HTTP service (docs/service.md)",
                           description="Run the Early Warning System HTTP service (docs/service.md).")
    serve.set_defaults(handler="simcore.cli.tools:serve_command")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"),
                       help="the server's log level (default info)")


def _schema(sub) -> None:
    schema = sub.add_parser("schema", help="print the JSON schema of model files or run configs",
                            description="Print the JSON schema of model files or run configs.")
    schema.set_defaults(handler="simcore.cli.tools:schema_command")
    schema.add_argument("kind", choices=("model", "config"), help="model files or run configs")
    schema.add_argument("--output", help="write the schema to this file instead of stdout")
