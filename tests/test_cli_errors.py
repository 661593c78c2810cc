"""Bad inputs on the command line are one line on stderr and an exit status, never a
traceback, and leave no store behind (issue 17, items 5, 10 and 11).

Each test runs ``python -m simcore.cli`` as a user would (a subprocess), on the tiny
test config.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simcore.run import store
from tests.conftest import tiny_config_text
from tests.shell_fixtures import write_small


def simcore(*args, timeout: float = 180, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simcore.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def one_line(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    """The single stderr line of a refused command (asserting status, one line, no traceback)."""
    assert proc.returncode == status, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def no_store(output: Path) -> None:
    for path in (output, store.partial_path(output), store.lock_path(output),
                 Path(str(store.partial_path(output)) + ".new")):
        assert not Path(path).exists(), path


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_small(tmp_path, tiny_config_text())


# ---------------------------------------------------------------- item 5: size before layout

def test_an_oversize_run_is_refused_before_anything_is_written(tiny, tmp_path):
    """Issue 17, item 5: 20M scenarios laid the store out for minutes (GBs of memory, a
    '.partial' left) before the size check refused it. Now refused from the estimate,
    in seconds, with nothing on disk (not even the output's folder)."""
    output = tmp_path / "new-folder" / "big.zarr"
    proc = simcore("run", tiny, "--output", output, "--scenarios", 20_000_000, "--quiet", timeout=120)
    line = one_line(proc)
    assert "--max-store-gb" in line and "GB" in line
    no_store(output)
    assert not output.parent.exists()
