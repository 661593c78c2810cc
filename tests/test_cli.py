"""The CLI: argument and input checks, output checks before compiling, the size cap,
progress, --version, the schema command, and kill / --resume of a real subprocess."""

import json
import random
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from simcore.cli import main
from simcore.run import job as job_module
from simcore.run import store
from simcore.run.store import open_results


def _never_compile(monkeypatch):
    """Fail the test if the run gets as far as tracing or compiling the engine."""
    def refuse(*args, **kwargs):
        raise AssertionError("the engine was traced before the output was checked")
    monkeypatch.setattr(job_module, "_template", refuse)
    monkeypatch.setattr(job_module, "iter_plan_chunks", refuse)


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("simcore ")


@pytest.mark.parametrize("flag", ["--scenarios", "--chunk-size"])
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_scenarios_and_chunk_size_must_be_positive(write_tiny, capsys, flag, value):
    assert main(["run", str(write_tiny()), flag, value]) == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err


def test_bad_input_paths_are_clear_errors(tmp_path, write_tiny, capsys):
    assert main(["run", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes("[run]\nmodel = 'caf\xe9.toml'\n".encode("latin-1"))
    assert main(["run", str(latin1)]) == 2
    assert "not a UTF-8 text file" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
    # a model path that is a directory
    config = write_tiny()
    config.write_text(config.read_text().replace('model = "small.toml"', 'model = "."'))
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()


def test_unwritable_or_locked_output_fails_before_compiling(tmp_path, write_tiny, capsys, monkeypatch):
    _never_compile(monkeypatch)
    config = str(write_tiny())
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["run", config, "--output", str(blocker / "out.zarr")]) == 2
    err = capsys.readouterr().err
    assert "cannot create the output folder" in err and "Traceback" not in err
    output = tmp_path / "out.zarr"
    with store.OutputLock(output):
        assert main(["run", config, "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert "being written by another simcore run" in err and str(store.lock_path(output)) in err


def test_store_size_cap_needs_yes(write_tiny, tmp_path, capsys):
    output = tmp_path / "out.zarr"
    assert main(["run", str(write_tiny()), "--output", str(output), "--max-store-gb", "1e-9"]) == 2
    err = capsys.readouterr().err
    assert "--max-store-gb" in err and "--yes" in err
    assert not store.partial_path(output).exists() or store.done_chunks(store.partial_path(output)).sum() == 0


def test_quiet_run_prints_nothing_and_resume_of_a_complete_run_is_a_no_op(write_tiny, tmp_path, capsys):
    output = tmp_path / "out.zarr"
    assert main(["run", str(write_tiny()), "--output", str(output), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert store.read_attributes(output)["status"] == "complete"
    assert main(["run", str(write_tiny()), "--output", str(output), "--resume"]) == 0
    out = capsys.readouterr().out
    assert "already complete" in out and "Shortage days" in out


def test_progress_and_estimates_are_shown(write_tiny, tmp_path, capsys):
    output = tmp_path / "out.zarr"
    assert main(["run", str(write_tiny()), "--output", str(output), "--chunk-size", "4"]) == 0
    captured = capsys.readouterr()
    assert "store: " in captured.out and "MB uncompressed" in captured.out and "6 chunk(s) of 4" in captured.out
    assert "estimated time for the remaining" in captured.err and "scenario-days/s" in captured.err
    assert "24/24" in captured.err and "done" in captured.err


def test_schema_command(tmp_path, capsys):
    try:
        from simcore.schema import json_schema  # noqa: F401
    except ImportError:
        assert main(["schema", "config"]) == 2
        return
    target = tmp_path / "config.schema.json"
    assert main(["schema", "config", "--output", str(target)]) == 0
    assert isinstance(json.loads(target.read_text()), dict)
    assert main(["schema", "model"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), dict)
    assert main(["schema", "nonsense"]) == 2


# ---------------------------------------------------------------- kill and resume

def _wait_for(predicate, proc, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        if proc.poll() is not None:
            return predicate()
        time.sleep(0.02)
    return False


def _lock_owner(output) -> int | None:
    try:
        return json.loads(store.lock_path(output).read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def _simcore(config, output, env, *extra):
    return subprocess.Popen([sys.executable, "-m", "simcore.cli", "run", str(config), "--output", str(output),
                             "--quiet", *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _inode(path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _done_count(partial) -> int:
    try:
        return int(store.done_chunks(partial).sum())
    except Exception:  # not laid out yet, or a marker being written right now
        return -1


def _kill_and_resume(write_tiny, tmp_path, env, kills_wanted: int, seed: int):
    """Kill ``simcore run`` / ``--resume`` at random moments: while it starts (tracing,
    compiling), while a random chunk is computed and written, or while it summarises;
    check the partial store after every kill, then resume to the end and compare with an
    uninterrupted run. Returns (kills, moments, seconds)."""
    n_scenarios, chunk_size = 24, 2
    n_chunks = n_scenarios // chunk_size
    config = write_tiny(scenarios=n_scenarios, chunk_size=chunk_size)
    started = time.monotonic()

    # uninterrupted reference, timed: how long chunks and the summary take
    reference = tmp_path / "reference.zarr"
    proc = _simcore(config, reference, env)
    ref_partial = store.partial_path(reference)
    assert _wait_for(lambda: _done_count(ref_partial) >= 1, proc, 300)
    first_done = time.monotonic()
    assert _wait_for(lambda: _done_count(ref_partial) == n_chunks, proc, 300)
    chunk_seconds = (time.monotonic() - first_done) / (n_chunks - 1)
    all_done = time.monotonic()
    assert proc.wait(300) == 0, proc.stderr.read().decode()
    summary_seconds = time.monotonic() - all_done
    expected = open_results(reference).load()

    rng = random.Random(seed)
    rest = ["startup", "summary"] + ["chunks"] * (kills_wanted - 3)
    rng.shuffle(rest)
    moments = ["chunks"] + rest  # the first run lays the store out
    output = tmp_path / "killed.zarr"
    partial = store.partial_path(output)
    kills, resume, log = 0, False, []
    while kills < len(moments):
        moment = moments[kills]
        done_before = max(_done_count(partial), 0) if resume else 0
        if moment == "chunks" and done_before == n_chunks:
            resume, done_before = False, 0  # only the summary is left: start over (a plain re-run)
        if moment == "startup" and not resume:
            moment = "chunks"  # a fresh run has no partial store to check yet
        # a fresh run replaces an old partial store: wait for the new one (another inode)
        old_inode = _inode(partial) if not resume else None
        proc = _simcore(config, output, env, *(["--resume"] if resume else []))
        if moment == "startup":
            time.sleep(rng.uniform(0.0, 3.0))
        elif moment == "chunks":
            target = rng.randint(done_before, n_chunks - 1)
            _wait_for(lambda: _done_count(partial) >= target and _lock_owner(output) == proc.pid
                      and _inode(partial) != old_inode, proc, 300)
            time.sleep(rng.uniform(0.0, chunk_seconds))  # somewhere inside the next chunk's compute or write
        else:
            _wait_for(lambda: _done_count(partial) == n_chunks and _lock_owner(output) == proc.pid, proc, 300)
            time.sleep(rng.uniform(0.0, 0.8 * summary_seconds))
        if proc.poll() is not None:  # finished before the kill: start a fresh run
            assert proc.returncode == 0, proc.stderr.read().decode()
            resume = False
            continue
        proc.kill()
        proc.wait()
        if not partial.exists():  # killed after publishing, while exiting: the run is complete
            assert store.read_attributes(output)["status"] == "complete"
            resume = False
            continue
        kills += 1
        resume = True
        # the partial store opens, says it is incomplete, and its done chunks are right;
        # killed inside publish (marked complete, not yet moved onto the output) it says
        # complete, and then every chunk must be done (--resume only publishes it)
        interrupted = open_results(partial)
        done = store.done_chunks(partial)
        assert interrupted.attrs["status"] == "running" or (interrupted.attrs["status"] == "complete" and done.all())
        log.append((moment, int(done.sum())))
        for index in np.flatnonzero(done):
            region = slice(chunk_size * index, chunk_size * (index + 1))
            xr.testing.assert_identical(
                interrupted.isel(scenario=region).drop_vars(["chunk_done", "chunk"]).drop_attrs().load(),
                expected.isel(scenario=region).drop_vars(["chunk_done", "chunk"]).drop_attrs())
        assert not output.exists() or store.read_attributes(output)["status"] == "complete"

    final = _simcore(config, output, env, "--resume")
    assert final.wait(300) == 0, final.stderr.read().decode()
    assert not partial.exists() and not store.lock_path(output).exists()
    result = open_results(output).load()
    xr.testing.assert_identical(result.drop_attrs(), expected.drop_attrs())
    for group in ("summary", "effects", "normal_times"):
        xr.testing.assert_identical(open_results(output, group=group).load().drop_attrs(),
                                    open_results(reference, group=group).load().drop_attrs())
    return kills, log, time.monotonic() - started


def test_killed_runs_resume_to_identical_results(write_tiny, tmp_path, jax_cache_env):
    # a real process killed once at every kind of moment: while it starts, computes a
    # chunk and summarises (each kill is a fresh simcore process, about 5-10 s; the slow
    # twin below kills 30 times at random moments)
    kills, log, seconds = _kill_and_resume(write_tiny, tmp_path, jax_cache_env, kills_wanted=3, seed=1)
    print(f"{kills} kills (moment, chunks done of 12): {log}; {seconds:.0f} s")
    assert {moment for moment, _ in log} == {"startup", "chunks", "summary"}
    assert kills >= 3


@pytest.mark.slow
def test_killed_runs_resume_to_identical_results_many_times(write_tiny, tmp_path, jax_cache_env):
    kills, _, _ = _kill_and_resume(write_tiny, tmp_path, jax_cache_env, kills_wanted=30, seed=2)
    assert kills >= 30


# ---------------------------------------------------------------- one parser (issue 18 item 5, issue 20 item 9)

def _commands():
    from simcore.cli.parser import build_parser, subcommands

    return subcommands(build_parser())


def _options(parser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings if flag not in ("-h", "--help")]


def _minimal_argv(name, parser) -> list[str]:
    """``NAME`` and a value for each of its positional arguments (the first choice, if any)."""
    positionals = [action for action in parser._actions if not action.option_strings]
    return [name] + [str(action.choices[0]) if action.choices else "x.toml" for action in positionals]


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_has_its_own_help_listing_its_options(name, capsys):
    """Every subcommand of the one parser (a new one is covered as it is added):
    ``simcore NAME --help`` exits 0 with argparse's help of that command, which lists its
    options. The analysis commands' help said "unrecognized arguments: --help" before they
    had a parser of their own, then was a separate parser's."""
    options = _options(_commands()[name])
    assert options, f"simcore {name} has no options"
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: simcore {name} ")
    missing = [flag for flag in options if flag not in out]
    assert not missing, f"simcore {name} --help does not list {missing}"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_an_unknown_option_of_a_command_is_one_line_naming_the_command(name, capsys):
    """An unknown option is the command's usage error: one line, status 2, before any
    input is read, naming the command whose help says what it takes."""
    argv = _minimal_argv(name, _commands()[name]) + ["--no-such-option"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"simcore {name}: error: unrecognized arguments: --no-such-option "
                                f"(see simcore {name} --help)"], err


def test_an_unknown_option_before_the_command_is_the_top_level_parsers(capsys):
    assert main(["--no-such-option", "sweep", "x.toml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "simcore: error: unrecognized arguments: --no-such-option (see simcore --help)"]


def test_help_of_every_command_loads_no_heavy_library():
    """``simcore COMMAND --help`` is argparse's alone: no JAX, xarray, pydantic nor
    any of simcore's computing packages (the analysis commands' help used to import
    their module, about 1.5 s)."""
    code = ("import sys\nfrom simcore.cli import main\nfrom simcore.cli.parser import build_parser, subcommands\n"
            "for name in subcommands(build_parser()):\n"
            "    assert main([name, '--help']) == 0, name\n"
            "heavy = ('xarray', 'zarr', 'dask', 'fastapi', 'matplotlib', 'jax', 'pydantic', 'optax', 'simcore.run', "
            "'simcore.analysis', 'simcore.service', 'simcore.report', 'simcore.core', 'simcore.schema.config')\n"
            "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_parsers_copies_of_analysis_names_and_defaults_agree_with_the_modules():
    """The parser writes out what the analysis modules define (importing them would load
    JAX for every ``--help``): the same Sobol choices and metrics, the same sensitivity
    defaults in the help."""
    from simcore.analysis import sensitivity, sobol
    from simcore.cli import parser

    assert parser.SOBOL_GROUP_BY == sobol.GROUP_BY
    assert parser.SOBOL_SAMPLING == sobol.SAMPLING
    assert parser.SOBOL_METRICS == tuple(sobol.METRICS)
    assert parser.SENSITIVITY_TEMPERATURE == sensitivity.DEFAULT_TEMPERATURE
    assert parser.SENSITIVITY_FD_STEP == sensitivity.DEFAULT_FD_STEP
    assert parser.SENSITIVITY_RELATIVE_TOLERANCE == sensitivity.RELATIVE_TOLERANCE
    assert parser.SENSITIVITY_ABSOLUTE_TOLERANCE == sensitivity.ABSOLUTE_TOLERANCE
    assert parser.SENSITIVITY_RANGE_PERCENTILES == sensitivity.RANGE_PERCENTILES
    from simcore.cli.analysis import SOBOL_OVERRIDES

    assert set(SOBOL_OVERRIDES) | {"metrics", "policies"} == sobol.SECTION_KEYS  # every [sobol] key has its option


def test_nothing_outside_the_cli_imports_it():
    """Arrows point down (cli -> analysis -> run -> core): no module of simcore outside
    simcore.cli imports it, at the top or in a function."""
    import ast
    from pathlib import Path

    import simcore

    root = Path(simcore.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.relative_to(root).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [f"{node.module}.{alias.name}" for alias in node.names]
                     if isinstance(node, ast.ImportFrom) and node.module else [])
            offenders += [f"{path.relative_to(root)}: {name}" for name in names
                          if name == "simcore.cli" or name.startswith("simcore.cli.")]
    assert offenders == []
