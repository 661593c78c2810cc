"""Helpers of the bad-input corpus (tests/test_bad_input_corpus.py) and the generated
inputs (tests/test_generated_inputs.py): a small TOML writer, the base model and config
as dicts, a mutator, and the check of what a refused command prints.

Not a test module: pytest collects nothing here.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from typing import Any

from tests.conftest import tiny_config_text
from tests.shell_fixtures import SMALL_MODEL

DELETE = object()  # mutate(..., DELETE): remove the key

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# ---------------------------------------------------------------- a small TOML writer

def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped, the rest as is."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One TOML value, inline (tables as inline tables, arrays inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {type(value).__name__}")


def dump_toml(document: dict) -> str:
    """A TOML document: top-level scalars first, then one ``[table]`` per table and one
    ``[[array]]`` per array of tables; everything below a table inline."""
    head, body = [], []
    for key, value in document.items():
        if isinstance(value, dict):
            body.append(f"\n[{_key(key)}]")
            body += [f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                body.append(f"\n[[{_key(key)}]]")
                body += [f"{_key(str(k))} = {toml_value(v)}" for k, v in item.items()]
        else:
            head.append(f"{_key(key)} = {toml_value(value)}")
    return "\n".join(head + body) + "\n"


# ---------------------------------------------------------------- base inputs and mutation

def base_model() -> dict:
    """SMALL_MODEL (tests/shell_fixtures.py) as a dict: 2 products, 2 origins, 2 sectors."""
    return tomllib.loads(SMALL_MODEL)


IMPORTER = {"name": "united_states", "demand_share": {"gallium": 0.7},
            "origin_share": {"gallium": {"CN": 0.9, "AU": 0.1}}, "stock_days": {"gallium": 10.0},
            "sources": {"demand_share": "assumption: test", "origin_share": "assumption: test",
                        "stock_days": "assumption: test"}}


def base_model_with_importer() -> dict:
    """base_model with one [[importers]] table (gallium's world demand: 0.3 the country,
    0.7 the importer)."""
    raw = base_model()
    gallium = raw["products"][0]
    gallium["world_demand_weight"] = 0.3
    gallium["sources"]["world_demand_weight"] = "assumption: test"
    raw["importers"] = [copy.deepcopy(IMPORTER)]
    return raw


SEGMENTS = [
    {"name": "direct", "demand_share": 0.4, "import_share": {"CN": 1.0}, "domestic_share": 0.0, "inventory_days": 1.0,
     "sources": {"demand_share": "assumption: test", "import_share": "assumption: test",
                 "domestic_share": "assumption: test", "inventory_days": "assumption: test"}},
    {"name": "pool", "demand_share": 0.6, "sources": {"demand_share": "assumption: test"}},
]


def base_model_with_segments() -> dict:
    """base_model with gallium's users in two segments (direct buyers from CN, the pool)."""
    raw = base_model()
    raw["products"][0]["segments"] = copy.deepcopy(SEGMENTS)
    return raw


def base_config(**run) -> dict:
    """The tiny test config (24 scenarios x 30 days, chunks of 4) as a dict."""
    raw = tomllib.loads(tiny_config_text())
    raw["run"].update(run)
    return raw


def mutate(document: dict, path: tuple, value: Any) -> dict:
    """A deep copy of ``document`` with the value at ``path`` (keys and list indices)
    replaced by ``value`` (or removed with :data:`DELETE`); missing tables are created."""
    out = copy.deepcopy(document)
    node = out
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    last = path[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = copy.deepcopy(value)
    return out


# ---------------------------------------------------------------- what a refusal prints

_HEADER = re.compile(r"^(\d+) problem\(s\) in .+:$")


def message_shape_problem(stderr: str) -> str | None:
    """None if ``stderr`` is what simcore prints for a refused input: one line, or
    :class:`~simcore.schema.errors.InputError`'s list (``N problem(s) in SOURCE:`` then
    N lines ``  - FIELD: MESSAGE``), and no traceback; otherwise what is wrong."""
    if "Traceback" in stderr:
        return "a traceback"
    lines = stderr.rstrip("\n").split("\n")
    if not stderr.strip():
        return "nothing on stderr"
    if len(lines) == 1:
        return None if lines[0].strip() else "an empty line"
    header = _HEADER.match(lines[0])
    if header is None:
        return f"{len(lines)} lines, not one line nor an InputError list"
    if int(header.group(1)) != len(lines) - 1:
        return f"the header counts {header.group(1)} problem(s) but {len(lines) - 1} line(s) follow"
    bad = [line for line in lines[1:] if not line.startswith("  - ")]
    return f"problem lines not of the form '  - FIELD: MESSAGE': {bad[:2]}" if bad else None
