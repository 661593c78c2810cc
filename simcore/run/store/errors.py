"""The error of an unusable output store.

:class:`OutputError`: the output cannot be used (unwritable, locked, not simcore's to
replace, a mismatching resume). Every part of :mod:`simcore.run.store` raises it, and
the command line prints its message as one line and exits with status 2.
"""

from __future__ import annotations


class OutputError(Exception):
    """The output store cannot be used (unwritable, locked, mismatching resume): the CLI
    prints the message and exits with status 2."""
