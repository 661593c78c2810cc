"""The commands that compute no scenarios: ``simcore report``, ``serve`` and ``schema``.

None of them enables the compilation cache: report draws figures, serve's jobs run in
the service (which enables it itself), schema prints text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simcore.cli.common import fail


def report_command(args) -> int:
    """``simcore report STORE``: figures and an index page next to a results store."""
    from simcore.report import main_report

    return main_report(args.store, args.out, getattr(args, "hold", None))


def serve_command(args) -> int:
    """``simcore serve``: the Early Warning System HTTP service."""
    try:
        from simcore.service import serve
    except ImportError as exc:  # fastapi/uvicorn missing from a partial install
        return fail(f"the service needs fastapi and uvicorn ({exc}); pip install -e .")
    return serve(args.host, args.port, log_level=args.log_level)


def schema_command(args) -> int:
    """``simcore schema model|config``: the JSON schema, on stdout or into ``--output``."""
    try:
        from simcore.schema import json_schema
    except ImportError:
        return fail("JSON schemas are not available in this version")
    text = json.dumps(json_schema(args.kind), indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
    return 0
