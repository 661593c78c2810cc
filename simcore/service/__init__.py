"""The Early Warning System service: simcore over HTTP (FastAPI + uvicorn).

``create_app(settings)`` (in :mod:`simcore.service.app`) builds the ASGI app;
:func:`serve` runs it with uvicorn (``simcore serve``). See ``docs/service.md``.
"""

from __future__ import annotations

import logging
import sys

from simcore.service.settings import Settings

__all__ = ["Settings", "create_app", "serve"]


def create_app(settings: Settings | None = None):
    """The ASGI app (see :func:`simcore.service.app.create_app`)."""
    from simcore.service.app import create_app as build

    return build(settings)


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None, *,
          log_level: str = "info") -> int:
    """Run the service with uvicorn until stopped; returns an exit status.

    ``settings`` default: :meth:`Settings.from_env` (``SIMCORE_API_KEYS``, ...). Refuses to
    start without API keys (status 2). Uses every CPU core as a JAX device unless
    ``SIMCORE_CPU_DEVICES`` or ``XLA_FLAGS`` say otherwise.
    """
    import uvicorn

    from simcore.run.devices import configure_cpu_devices
    from simcore.service.auth import read_key_file

    settings = settings or Settings.from_env()
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        keys = len(settings.api_keys) + (len(read_key_file(settings.api_key_file)) if settings.api_key_file else 0)
    except OSError as exc:
        print(f"simcore serve: error: cannot read the key file {settings.api_key_file}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    if not keys:
        print("simcore serve: error: no API keys: set SIMCORE_API_KEYS (comma-separated) or SIMCORE_API_KEY_FILE",
              file=sys.stderr)
        return 2
    configure_cpu_devices(default="all")
    # uvicorn's access log would show every request line; the app logs its own (with key ids, never keys)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False)
    return 0


def main(argv=None) -> int:
    """``python -m simcore.service [--host H] [--port N]``, the same as ``simcore serve``."""
    import argparse

    parser = argparse.ArgumentParser(prog="simcore serve", description="Run the Early Warning System service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    args = parser.parse_args(argv)
    return serve(args.host, args.port, log_level=args.log_level)
