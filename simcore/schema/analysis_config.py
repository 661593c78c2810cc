"""Reading a config for an analysis command (``simcore sweep``, ``attribute``,
``optimize``, ``sensitivity``, ``sobol``): the run config and the analysis sections.

The file is checked as :func:`~simcore.schema.config.load_config` checks it: every
analysis section against its schema (:mod:`~simcore.schema.analysis_spec`) with the
rest of the file, every problem at once. The section the command reads (``section``)
is then left to the command: its module checks the section's fields and its rules
against the model in one report (:func:`~simcore.schema.analysis_spec.check_section`,
then pass 2), which needs the run config to be valid first.
"""

from __future__ import annotations

from pathlib import Path

from simcore.schema.analysis_spec import SECTION_SPECS, check_section
from simcore.schema.config import SECTIONS, RunConfig, parse_config
from simcore.schema.config_file import parse_toml_bytes, read_config_bytes, relative_base
from simcore.schema.errors import InputError, Problems
from simcore.schema.problems import sort_problems

ANALYSIS_SECTIONS = tuple(SECTION_SPECS)


def read_analysis_config(path: str | Path, section: str | None = None) -> tuple[RunConfig, dict, bytes]:
    """``(run config, {section name: table as written}, file bytes)`` of the config file
    ``path``; raises :class:`InputError` naming every problem of the run config and of
    the analysis sections other than ``section`` (``section`` too where the rest has
    problems: its fields then, its names against the model once the rest is valid)."""
    path = Path(path)
    problems = Problems(f"config {path}")
    data = read_config_bytes(path, problems)  # read once, bounded: a pipe works, /dev/zero does not hang
    raw = parse_toml_bytes(data, problems)
    sections = {key: raw.pop(key) for key in ANALYSIS_SECTIONS if key in raw}
    config = None
    try:
        config = parse_config(raw, base_dir=relative_base(path), problems=problems)
    except InputError:
        if not problems.items:  # not reported through ``problems``: nothing to add to
            raise
    for key, value in sections.items():
        if key != section or config is None:
            check_section(key, value, problems)
    if problems.items and config is not None and section in sections:
        check_section(section, sections[section], problems)
    sort_problems(problems, SECTIONS)
    problems.raise_if_any()
    assert config is not None
    config.path = str(path)
    config.source = data
    return config, sections, data
