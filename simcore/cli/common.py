"""What every command of the CLI shares: its error lines and the compilation cache.

A refused input or output is one line on stderr and status 2, never a traceback; an
:class:`~simcore.schema.errors.InputError` with several problems is their list (every
bad field at once).
"""

from __future__ import annotations

import sys


def fail(message: str, prog: str = "simcore") -> int:
    """Print ``PROG: error: MESSAGE`` on stderr; the exit status of a refused input (2)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def input_error(exc) -> int:
    """An :class:`~simcore.schema.errors.InputError`: one problem on one line, several as
    the list of them; status 2."""
    print(exc.for_terminal(), file=sys.stderr)
    return 2


def refused(exc) -> int:
    """A refused input or output of any kind (:func:`~simcore.schema.errors.error_text`:
    an InputError's own form, else ``simcore: error: MESSAGE``); status 2."""
    from simcore.schema.errors import error_text

    print(error_text(exc), file=sys.stderr)
    return 2


def enable_cache(enabled: bool = True) -> None:
    """The persistent compilation cache for this process (off: ``run --no-cache`` or
    ``SIMCORE_NO_CACHE=1``); a folder it cannot use prints one warning line and the
    command goes on without it. Called by every computing command before its first
    import of JAX code."""
    from simcore.core.compile_cache import enable_compilation_cache

    enable_compilation_cache(enabled=enabled)


def printer(quiet: bool):
    """``print``, or a function that prints nothing (``--quiet``)."""
    return (lambda *args, **kwargs: None) if quiet else print
