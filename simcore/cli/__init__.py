"""Command line: ``simcore run / report / sweep / attribute / optimize / sensitivity /
sobol / serve / schema``, a thin layer over the packages below it (nothing imports it).

One parser declares every command and option (:mod:`simcore.cli.parser`); each command
is a function of one module here (``run``; ``analysis``; ``tools`` for report, serve and
schema) that calls plain functions of :mod:`simcore.run` and :mod:`simcore.analysis`.

Exit status: 0 done (``--help`` and ``--version`` included), 2 bad input or unusable
output (one line, never a traceback), 1 a failure while running, 130 interrupted.

Imports are lazy, inside the commands: ``simcore --help`` and ``simcore COMMAND --help``
load no JAX, xarray, pydantic or service code (issue 18). Every computing command
enables the persistent compilation cache first (:mod:`simcore.core.compile_cache`;
``run --no-cache`` or ``SIMCORE_NO_CACHE=1`` runs without it).
"""

from __future__ import annotations

import importlib


def main(argv=None) -> int:
    """Run ``simcore ARGV`` (``sys.argv[1:]`` when None); returns the exit status."""
    from simcore.cli.parser import parse

    try:
        args = parse(argv)
    except SystemExit as exc:  # --help, --version (0); usage errors, after their one line (2)
        return int(exc.code or 0)
    # run sets one JAX CPU device per core only when started from the command line: a call
    # from Python leaves the caller's JAX as it is
    args.command_line = argv is None
    module, function = args.handler.split(":")
    return getattr(importlib.import_module(module), function)(args)
