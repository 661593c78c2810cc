"""Input errors that name every bad field at once."""

from __future__ import annotations

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


class Problems:
    """Collects problems while a whole input is checked; raise at the end."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.source, self.items)

    def number(self, table: dict, key: str, field: str, *, default=None, low=None, high=None,
               low_open=False, required=False):
        """Read ``table[key]`` as a float within ``[low, high]`` (``(low, high]`` if
        ``low_open``); record a problem and return ``default`` if it is not."""
        if key not in table:
            if required:
                self.add(field, "is required")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(field, f"must be a number, got {value!r}")
            return default
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            self.add(field, f"must be finite, got {value!r}")
            return default
        if low is not None and (value < low or (low_open and value == low)):
            bound = f"> {low}" if low_open else f">= {low}"
            self.add(field, f"must be {bound}" + (f" and <= {high}" if high is not None else "") + f", got {value}")
            return default
        if high is not None and value > high:
            self.add(field, f"must be <= {high}" + (f" and >= {low}" if low is not None else "") + f", got {value}")
            return default
        return value

    def table(self, parent: dict, key: str, allowed, field: str) -> dict:
        """``parent[key]`` as a table (``{}`` if absent or not a table), with unknown
        keys recorded."""
        value = parent.get(key, {})
        if not isinstance(value, dict):
            self.add(field, "must be a table")
            return {}
        self.unknown_keys(value, allowed, field)
        return value

    def unknown_keys(self, table: dict, allowed, field: str) -> None:
        for key in table:
            if key not in allowed:
                self.add(f"{field}.{key}" if field else key,
                         f"unknown field; allowed: {', '.join(sorted(allowed))}")


def read_toml(path: Path, problems: Problems) -> dict:
    """Parse a TOML file; a missing file or bad syntax raises at once (nothing else
    can be checked without the contents)."""
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        problems.add("path", f"file not found: {path}")
    except tomllib.TOMLDecodeError as exc:
        problems.add("syntax", f"not valid TOML: {exc}")
    problems.raise_if_any()
    raise AssertionError("unreachable")
