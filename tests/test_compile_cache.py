"""The persistent compilation cache (simcore.core.compile_cache): where it lives, how it
is turned off and bounded, that an unusable folder never stops a run, and that a second
process reads the engine's programs back (cache hits and files, never timings)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from simcore.core import compile_cache
from simcore.core.compile_cache import cache_dir, cache_disabled, max_cache_bytes, prune
from simcore.run import store
from simcore.service.settings import Settings

HIT = "Persistent compilation cache hit for"


def test_cache_dir_rule_env_then_xdg_then_home(tmp_path):
    both = {"SIMCORE_CACHE_DIR": str(tmp_path / "given"), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
            "HOME": str(tmp_path / "home")}
    assert cache_dir(both) == tmp_path / "given"
    assert cache_dir({**both, "SIMCORE_CACHE_DIR": " "}) == tmp_path / "xdg" / "simcore"
    assert cache_dir({"HOME": str(tmp_path / "home")}) == tmp_path / "home" / ".cache" / "simcore"
    assert cache_dir({"SIMCORE_CACHE_DIR": "~/elsewhere", "HOME": str(tmp_path)}).is_absolute()


def test_off_switch_and_size_bound_settings():
    assert cache_disabled({"SIMCORE_NO_CACHE": "1"}) and cache_disabled({"SIMCORE_NO_CACHE": "yes"})
    assert not cache_disabled({}) and not cache_disabled({"SIMCORE_NO_CACHE": "0"})
    assert max_cache_bytes({}) == int(compile_cache.DEFAULT_MAX_GB * 1e9)
    assert max_cache_bytes({"SIMCORE_CACHE_MAX_GB": "0.5"}) == 500_000_000
    for bad in ("0", "-1", "lots", "inf", "nan"):
        with pytest.raises(ValueError, match="SIMCORE_CACHE_MAX_GB must be a positive number"):
            max_cache_bytes({"SIMCORE_CACHE_MAX_GB": bad})


def test_prune_removes_least_recently_used_entries_down_to_the_bound(tmp_path):
    now = time.time()
    for age, name in enumerate(("newest", "middle", "oldest")):
        entry = tmp_path / f"jit_{name}-cache"
        entry.write_bytes(b"x" * 100)
        os.utime(entry, (now - 100 * age, now - 100 * age))
    (tmp_path / "not-an-entry").write_bytes(b"y" * 1000)
    assert prune(tmp_path, 250) == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jit_middle-cache", "jit_newest-cache", "not-an-entry"]
    assert prune(tmp_path, 1000) == 0


def test_service_settings_follow_the_same_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMCORE_CACHE_DIR", str(tmp_path / "shared"))
    monkeypatch.delenv("SIMCORE_NO_CACHE", raising=False)
    assert Settings(data_dir=tmp_path).cache_dir == tmp_path / "shared"
    assert Settings(data_dir=tmp_path, compilation_cache_dir=tmp_path / "own").cache_dir == tmp_path / "own"
    assert Settings(data_dir=tmp_path, compilation_cache_dir="").cache_dir is None
    assert Settings.from_env({"SIMCORE_COMPILATION_CACHE_DIR": ""}, data_dir=tmp_path).cache_dir is None
    monkeypatch.setenv("SIMCORE_NO_CACHE", "1")
    assert Settings(data_dir=tmp_path).cache_dir is None


# ------------------------------------------------------------- real runs, fresh processes

def _env(cache: Path | str, **extra) -> dict:
    """This session's environment without its JAX cache settings (so simcore's own rule
    decides), pointing SIMCORE_CACHE_DIR at ``cache``, logging JAX's compiles."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JAX_PERSISTENT_CACHE") and k not in ("JAX_COMPILATION_CACHE_DIR", "SIMCORE_NO_CACHE")}
    env.update(SIMCORE_CACHE_DIR=str(cache), JAX_LOG_COMPILES="1", SIMCORE_CPU_DEVICES="1", **extra)
    return env


def _run(config: Path, output: Path, env: dict, *extra) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "simcore.cli", "run", str(config), "--output", str(output),
                           "--quiet", *extra], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.endswith("-cache")} if folder.exists() else set()


@pytest.fixture
def tiny(write_tiny):
    return write_tiny(scenarios=8, horizon_days=30, chunk_size=8, daily_scenarios=2)


def test_second_process_reads_the_engine_programs_from_the_cache(tiny, tmp_path):
    cache = tmp_path / "cache"
    jax_alone = _env(cache, SIMCORE_EXECUTABLE_CACHE="0")  # JAX's cache only, no whole executables
    _run(tiny, tmp_path / "a.zarr", jax_alone)
    written = {name.removesuffix("-cache") for name in _entries(cache) if not name.startswith("simcore-exec-")}
    # the engine's program (compiled with simcore's XLA options) is among those written: one
    # chunk program, with the scenarios' draws, normal times and the kept scenarios'
    # trajectories riding along (issue 19 item 2: no separate sampler, no second engine program)
    names = {key.split("-")[0] for key in written}
    assert "jit_simulate_chunk" in names, written
    assert not names & {"jit_sample_batch", "jit_simulate"}, written
    assert not [n for n in _entries(cache) if n.startswith("simcore-exec-simulate")]  # executables: asked off
    second = _run(tiny, tmp_path / "b.zarr", jax_alone)
    hits = {line.split("with key '")[1].rstrip("'") for line in second.stderr.splitlines() if HIT in line}
    assert "jit_simulate_chunk" in {key.split("-")[0] for key in hits}, hits
    assert "compilation cache off" not in second.stderr
    for group in (None, "summary", "effects"):  # programs read back give the same numbers, bit for bit
        xr.testing.assert_identical(store.open_results(tmp_path / "a.zarr", group=group).load().drop_attrs(),
                                    store.open_results(tmp_path / "b.zarr", group=group).load().drop_attrs())


def test_second_process_reads_whole_executables_by_default(tiny, tmp_path):
    cache = tmp_path / "cache"
    env = _env(cache)  # whole executables kept: the default
    env.pop("SIMCORE_EXECUTABLE_CACHE", None)
    first = _run(tiny, tmp_path / "a.zarr", env)
    written = {name.removesuffix("-cache") for name in _entries(cache)}
    # the engine's program (compiled with simcore's XLA options) is among those written: the
    # chunk program, with the draws, normal times and the kept trajectories riding along
    names = {key.split("-")[0] for key in written}
    assert "jit_simulate_chunk" in names, written
    assert not names & {"jit_sample_batch", "jit_simulate"}, written  # one program a run (issue 19 item 2)
    # ... and kept whole under simcore's own key (simcore.core.executable_cache), with the
    # store layout's output shapes
    kept = {name for name in written if name.startswith("simcore-exec-")}
    for program in ("simulate_chunk", "shapes_simulate"):
        assert any(name.startswith(f"simcore-exec-{program}-") for name in kept), (program, kept)
    assert not [name for name in kept if name.startswith("simcore-exec-simcore.core.engine.simulate-")], kept
    assert "Finished tracing simulate_chunk" in first.stderr
    second = _run(tiny, tmp_path / "b.zarr", env)
    # a warm process neither traces nor compiles the engine: its programs come back whole
    for program in ("simulate_chunk", "simulate ", "simulate_shapes"):
        assert f"Finished tracing {program}" not in second.stderr, program
    assert "Finished XLA compilation of jit(simulate" not in second.stderr
    assert "compilation cache off" not in second.stderr
    for group in (None, "summary", "effects"):  # programs read back give the same numbers, bit for bit
        xr.testing.assert_identical(store.open_results(tmp_path / "a.zarr", group=group).load().drop_attrs(),
                                    store.open_results(tmp_path / "b.zarr", group=group).load().drop_attrs())
    # JAX's cache holds the programs but simcore's files are gone (an upgrade of simcore changes
    # their keys): the process that writes them again compiles afresh (an executable read back
    # from JAX's cache does not survive being written again: the next process failed at its
    # first chunk, "Function ... not found"), and the one after runs from them
    for path in cache.iterdir():
        if path.name.startswith("simcore-exec-"):
            path.unlink()
    _run(tiny, tmp_path / "c.zarr", env)
    assert any(p.name.startswith("simcore-exec-simulate_chunk-") for p in cache.iterdir())
    _run(tiny, tmp_path / "d.zarr", env)
    for group in (None, "summary", "effects"):
        xr.testing.assert_identical(store.open_results(tmp_path / "a.zarr", group=group).load().drop_attrs(),
                                    store.open_results(tmp_path / "d.zarr", group=group).load().drop_attrs())


def test_no_cache_flag_reaches_the_cache_switch(write_tiny, tmp_path, monkeypatch):
    from simcore import cli
    from simcore.schema import config as config_module

    class Reached(Exception):
        """Raised where the run would read its config: the switch only, nothing runs."""

    asked = []
    monkeypatch.setattr(compile_cache, "enable_compilation_cache", lambda enabled=True: asked.append(enabled))
    monkeypatch.setattr(config_module, "load_config", lambda *a, **k: (_ for _ in ()).throw(Reached()))
    config = write_tiny()
    with pytest.raises(Reached):
        cli.main(["run", str(config), "--quiet", "--no-cache"])
    with pytest.raises(Reached):
        cli.main(["run", str(config), "--quiet"])
    assert asked == [False, True]


def test_off_decisions_keep_the_cache_off(monkeypatch):
    monkeypatch.setattr(compile_cache, "_decided", False)
    monkeypatch.setattr(compile_cache, "_directory", None)
    assert compile_cache.enable_compilation_cache(enabled=False) is None
    compile_cache.ensure_compilation_cache()  # the engine's lazy call keeps the first decision
    assert compile_cache.enable_compilation_cache() is None
    monkeypatch.setattr(compile_cache, "_decided", False)
    assert compile_cache.enable_compilation_cache(environ={"SIMCORE_NO_CACHE": "1"}) is None


def test_unusable_cache_folder_warns_once_and_the_cache_stays_off(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # a folder under a file cannot be made, even as root
    code = ("from simcore.core.compile_cache import enable_compilation_cache as e; "
            "print(e(), e())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=_env(blocker / "cache"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simcore: warning: compilation cache off") and "Traceback" not in done.stderr


@pytest.mark.slow  # a full run in a subprocess (about 45 s on 2 busy cores); the warning: the test above
def test_unusable_cache_folder_warns_once_and_the_run_goes_on(tiny, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # a folder under a file cannot be made, even as root
    done = _run(tiny, tmp_path / "a.zarr", _env(blocker / "cache"))
    warnings = [line for line in done.stderr.splitlines() if "compilation cache off" in line]
    assert len(warnings) == 1, done.stderr[-2000:]
    assert warnings[0].startswith("simcore: warning: compilation cache off: cannot use ")
    assert "SIMCORE_CACHE_DIR" in warnings[0] and "Traceback" not in done.stderr
    assert (tmp_path / "a.zarr").exists()


def test_bad_size_bound_warns_and_runs_without_the_cache(tmp_path):
    code = ("from simcore.core.compile_cache import enable_compilation_cache as e; "
            "print(e(), e())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=_env(tmp_path / "cache", SIMCORE_CACHE_MAX_GB="lots"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None"
    assert done.stderr.strip() == ("simcore: warning: compilation cache off: SIMCORE_CACHE_MAX_GB must be a "
                                   "positive number of GB, got 'lots'")


def test_help_loads_no_run_analysis_or_service_code():
    code = ("import sys\nfrom simcore.cli import main\nmain(['--help'])\n"
            "heavy = ('xarray', 'zarr', 'dask', 'fastapi', 'matplotlib', 'jax', 'pydantic', 'simcore.run', "
            "'simcore.analysis', 'simcore.service', 'simcore.report', 'simcore.core', 'simcore.schema.config')\n"
            "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
