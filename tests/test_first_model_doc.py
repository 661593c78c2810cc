"""docs/first-model.md runs as written (issue 18 item 9).

The page's conventions (also in an HTML comment at its top):

* a fenced block whose info string has ``title="NAME"`` is a file: written to NAME in an
  empty folder, with the block's text;
* every ``bash`` block is run there, line by line, in the order of the page (files and
  commands interleaved as a reader meets them); a line is ``simcore ...`` (run as
  ``python -m simcore.cli``) or ``python ...`` (this interpreter); each must exit 0;
* the ``text missing-source`` block is what ``simcore run`` prints when gallium's price
  has no source;
* what the page says about the results (in bold) is checked here against the store,
  never against numbers copied from a run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "first-model.md"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')
PROGRAMS = {"simcore": [sys.executable, "-m", "simcore.cli"], "python": [sys.executable]}
MISSING_SOURCE_LINE = 'price = "assumption: illustration"'  # the line the page says to take out
STORE = "results/first-run.zarr"


@dataclass(frozen=True)
class Block:
    language: str
    flags: tuple[str, ...]
    attributes: dict
    text: str


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks of ``markdown`` in order, with their info string parsed:
    ```` ```toml title="a.toml" ```` -> language toml, attributes {title: a.toml}."""
    found = []
    for match in FENCE.finditer(markdown):
        info, text = match.group(1).strip(), match.group(2)
        attributes = dict(ATTRIBUTE.findall(info))
        words = ATTRIBUTE.sub("", info).split()
        found.append(Block(words[0] if words else "", tuple(words[1:]), attributes, text))
    return found


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """The command lines of a bash block: ``(the line as written, its argument list for
    this interpreter)``."""
    lines = []
    for line in block.text.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[0] in PROGRAMS, f"the page may run only {', '.join(PROGRAMS)} commands, not: {line}"
        lines.append((" ".join(words), PROGRAMS[words[0]] + words[1:]))
    return lines


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}  # the test session's compilation cache is in the environment
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


DOC_TEXT = DOC.read_text()
BLOCKS = blocks(DOC_TEXT)
FILES = {b.attributes["title"]: b.text for b in BLOCKS if "title" in b.attributes}


def test_the_page_has_the_files_and_commands_it_promises():
    assert set(FILES) == {"first-model.toml", "first-run.toml", "read_results.py"}
    ran = [line for b in BLOCKS if b.language == "bash" for line, _ in commands(b)]
    assert ran == ["simcore run first-run.toml", "python read_results.py", "simcore report results/first-run.zarr"]
    # a file must be written before the command that reads it
    order = [b.attributes.get("title") or b.language for b in BLOCKS]
    assert order.index("first-run.toml") < order.index("bash") < order.index("read_results.py")
    # the model file gives the two products and two sectors the title promises
    model = tomllib.loads(FILES["first-model.toml"])
    assert [p["name"] for p in model["products"]] == ["gallium", "cable_repair"]
    assert model["io"]["sectors"] == ["electronics", "services"]


def test_every_relative_link_of_the_page_resolves():
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", DOC_TEXT):
        assert (DOC.parent / target).exists(), target


@dataclass(frozen=True)
class Walk:
    work: Path  # the folder
    printed: dict  # command line as written -> its stdout


@pytest.fixture(scope="module")
def walked_through(tmp_path_factory) -> Walk:
    """An empty folder where the page's files were written and its commands run, in order."""
    work = tmp_path_factory.mktemp("first-model")
    printed = {}
    for block in BLOCKS:
        if "title" in block.attributes:
            (work / block.attributes["title"]).write_text(block.text)
        elif block.language == "bash":
            for line, argv in commands(block):
                done = run(argv, work)
                assert done.returncode == 0, f"{line} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
                printed[line] = done.stdout
    return Walk(work, printed)


def test_the_run_writes_a_store_that_open_datatree_reads(walked_through):
    tree = xr.open_datatree(walked_through.work / STORE, engine="zarr")
    assert {"summary", "effects", "normal_times", "daily"} <= set(tree.children)
    assert tree.attrs["status"] == "complete"
    assert list(tree["policy"].values) == ["no-policy", "stockpile"]
    assert list(tree["product"].values) == ["gallium", "cable_repair"]
    assert list(tree["product_unit"].values) == ["t", "ship-day"]


def test_what_the_page_says_about_the_results_holds(walked_through):
    tree = xr.open_datatree(walked_through.work / STORE, engine="zarr")
    mean = tree["summary"]["shortage_days"].sel(statistic="mean")
    # "gallium's mean shortage days fall under the stockpile mix, while cable_repair's stay exactly the same"
    assert mean.sel(policy="stockpile", product="gallium") < mean.sel(policy="no-policy", product="gallium")
    assert mean.sel(policy="stockpile", product="cable_repair") == mean.sel(policy="no-policy", product="cable_repair")
    assert mean.sel(policy="no-policy", product="cable_repair") > 0  # the fleet outage does happen
    # "the same as the summary's p_positive"
    per_scenario = (tree["shortage_days"] > 0).mean("scenario")
    summary = tree["summary"]["shortage_days"].sel(statistic="p_positive")
    np.testing.assert_allclose(per_scenario.transpose(*summary.dims).values, summary.values, rtol=0, atol=1e-12)
    # "the value added the stockpile saves, more than zero"
    assert tree["effects"]["value_added_loss_mean_reduction"].sel(policy="stockpile") > 0
    # the figure: "the stockpile line stays at or near zero while the no-policy line climbs"
    unmet = tree["daily"]["unmet"].sel(product="gallium").mean("daily_scenario")
    assert unmet.sel(policy="no-policy").max() > 0
    assert unmet.sel(policy="stockpile").max() < unmet.sel(policy="no-policy").max()
    assert unmet.sel(policy="stockpile").sum() < 0.1 * unmet.sel(policy="no-policy").sum()


def test_the_script_prints_and_draws_what_the_page_says(walked_through):
    printed = walked_through.printed["python read_results.py"]
    assert "shortage days [day], mean over the scenarios:" in printed
    assert "value added saved by the stockpile:" in printed and "USD" in printed
    figure = walked_through.work / "gallium-unmet.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 5_000
    report = walked_through.work / "results" / "first-run.zarr.report"
    assert (report / "index.md").is_file() and list(report.glob("*.png"))


def test_a_number_without_a_source_is_refused_as_the_page_shows(tmp_path):
    (shown,) = [b.text for b in BLOCKS if b.language == "text" and "missing-source" in b.flags]
    model = FILES["first-model.toml"]
    assert MISSING_SOURCE_LINE + "\n" in model
    (tmp_path / "first-model.toml").write_text(model.replace(MISSING_SOURCE_LINE + "\n", "", 1))
    (tmp_path / "first-run.toml").write_text(FILES["first-run.toml"])
    done = run(PROGRAMS["simcore"] + ["run", "first-run.toml"], tmp_path)
    assert done.returncode == 2, done.stderr
    for line in shown.strip().splitlines():
        assert line.strip() in done.stderr, f"the page shows {line!r}; simcore printed:\n{done.stderr}"
    assert not (tmp_path / "results").exists()  # nothing computed, nothing written
