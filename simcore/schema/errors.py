"""Input errors that name every bad field at once."""

from __future__ import annotations

import argparse
import math
import tomllib
from pathlib import Path


class InputError(ValueError):
    """Bad input (model file, config, API request): carries every problem found.

    ``problems`` is a list of ``(field, message)``; ``str()`` lists them one per line.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in {source}:"]
        lines += [f"  - {field}: {message}" for field, message in self.problems]
        super().__init__("\n".join(lines))

    def for_terminal(self) -> str:
        """What a command prints: one problem on one line, several as the list."""
        if len(self.problems) == 1:
            (where, message), = self.problems
            return f"simcore: error: {self.source}: {where}: {message}"
        return str(self)


def error_text(exc: Exception) -> str:
    """What a command prints for a refused input or output: an :class:`InputError`'s own
    form (:meth:`InputError.for_terminal`), else ``simcore: error: MESSAGE``."""
    return exc.for_terminal() if isinstance(exc, InputError) else f"simcore: error: {exc}"


class Problems:
    """Collects problems while a whole input is checked; raise at the end.

    The checks themselves live in :mod:`simcore.schema.spec` (field by field) and the
    loaders (across fields)."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.source, self.items)


def read_toml(path: Path, problems: Problems) -> dict:
    """Parse a TOML file; a missing file or bad syntax raises at once (nothing else
    can be checked without the contents)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add("path", f"file not found: {path}")
    except IsADirectoryError:
        problems.add("path", f"is a directory, not a TOML file: {path}")
    except PermissionError:
        problems.add("path", f"cannot be read (permission denied): {path}")
    except UnicodeDecodeError as exc:
        problems.add("path", f"is not UTF-8 text (byte {exc.start}): {path}")
    except tomllib.TOMLDecodeError as exc:
        problems.add("syntax", f"not valid TOML: {exc}")
    problems.raise_if_any()
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- command-line value types

class OneLineArgumentParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (``PROG: error: MESSAGE (see
    PROG --help)``) with status 2, instead of the usage text and then the error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")



def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (``--scenarios 0`` is an error, not "unset")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


MAX_SCENARIOS = 100_000_000  # run.scenarios' cap (simcore.schema.spec.RunSpec)


def scenario_count(text: str) -> int:
    """argparse type for ``--scenarios``: a whole number in [1, MAX_SCENARIOS], the same
    rule as ``run.scenarios`` in a config (a command-line override must not skip it)."""
    value = positive_int(text)
    if value > MAX_SCENARIOS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SCENARIOS:,} (the cap of run.scenarios), got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {value}")
    return value
