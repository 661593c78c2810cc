"""The executable cache (simcore.core.executable_cache): compiled programs kept on disk under
a key made before tracing, read back without tracing, the same bits as ``jax.jit``, and
every fallback (off, unkeyable arguments, corrupt files) running the ordinary path."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import compile_cache, executable_cache

from simcore.core.compile import engine_jit
from simcore.core.executable_cache import FILE_PREFIX, output_shapes, program_key, source_digest


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A fresh cache folder as this process's active one, nothing loaded in memory."""
    monkeypatch.setattr(compile_cache, "active_directory", lambda: tmp_path)
    monkeypatch.delenv(executable_cache.ENABLE_ENV, raising=False)  # on by default
    executable_cache.clear_loaded()
    yield tmp_path
    executable_cache.clear_loaded()


def _files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(FILE_PREFIX))


traces = []


def _step(x, y, *, days):
    traces.append(days)  # runs only while JAX traces the function
    total = x
    for _ in range(days):
        total = jnp.sin(total) * y + total
    return {"total": total, "mean": total.mean()}


step = engine_jit(_step, static_argnames=("days",), program="tests.step")
# the same program through the ordinary path (engine_jit without a program name); a
# function of its own, so JAX's trace cache of _step does not serve both
plain_step = engine_jit(lambda x, y, *, days: _step(x, y, days=days), static_argnames=("days",))


class _NoJit:
    """Stands in for an engine function's jit: any use (a trace, a lowering, a call)
    fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the jit was used ({name}): the program did not come from the cache")

    def __call__(self, *args, **kwargs):
        raise AssertionError("the jit was called: the program did not come from the cache")


def test_a_second_process_reads_the_program_without_tracing_and_gets_the_same_bits(folder, monkeypatch):
    x, y = jnp.linspace(0.0, 1.0, 7, dtype=jnp.float32), jnp.float32(0.3)
    reference = plain_step(x, y, days=3)
    traces.clear()
    first = step(x, y, days=3)
    assert traces == [3] and len(_files(folder)) == 1
    executable_cache.clear_loaded()  # as a new process: only the file is left
    monkeypatch.setattr(step, "_tuned", _NoJit())
    second = step(x, y, days=3)  # read back: neither traced, lowered nor compiled
    for out in (first, second):
        for name in ("total", "mean"):
            assert np.asarray(out[name]).tobytes() == np.asarray(reference[name]).tobytes()
    step(x, y, days=3)  # loaded in memory now: still no trace, no new file
    assert traces == [3] and len(_files(folder)) == 1


def test_shapes_dtypes_static_values_and_structure_make_other_programs(folder):
    x, y = jnp.ones(4, jnp.float32), jnp.float32(2.0)
    keys = {program_key("p", 3, (x, y), {}), program_key("p", 4, (x, y), {}),
            program_key("p", 3, (jnp.ones(5, jnp.float32), y), {}),
            program_key("p", 3, (x.astype(jnp.float16), y), {}),
            program_key("p", 3, ((x,), y), {}), program_key("p", 3, (x, 2.0), {}),
            program_key("p", 3, (x, y), {"z": x}), program_key("q", 3, (x, y), {})}
    assert len(keys) == 8
    with jax.enable_x64(True):  # a setting scoped to a block of code is read at the call
        wide = program_key("p", 3, (x, y), {})
    assert wide != program_key("p", 3, (x, y), {})
    assert program_key("p", 3, (jnp.zeros(4, jnp.float32), jnp.float32(5.0)), {}) == program_key("p", 3, (x, y), {})
    step(x, y, days=2)
    step(jnp.ones(6, jnp.float32), y, days=2)
    step(x, y, days=1)
    assert len(_files(folder)) == 3


def test_an_edited_source_tree_gives_another_digest(tmp_path):
    package = tmp_path / "pkg"
    (package / "core").mkdir(parents=True)
    (package / "core" / "step.py").write_text("x = 1\n")
    before = source_digest(package)
    assert source_digest(package) == before
    (package / "core" / "step.py").write_text("x = 2\n")
    assert source_digest(package) != before
    (package / "core" / "step.py").write_text("x = 1\n")
    (package / "new.py").write_text("")
    assert source_digest(package) != before


def test_a_corrupt_file_is_removed_and_the_program_compiled_again(folder):
    x, y = jnp.arange(3, dtype=jnp.float32), jnp.float32(0.5)
    expected = np.asarray(step(x, y, days=2)["total"])
    (path,) = folder.iterdir()
    path.write_bytes(b"not an executable")
    executable_cache.clear_loaded()
    again = step(x, y, days=2)  # compiled again
    assert np.asarray(again["total"]).tobytes() == expected.tobytes()
    assert path.read_bytes() != b"not an executable"  # and written again


def test_off_when_asked_under_disable_jit_and_for_unkeyable_arguments(monkeypatch, tmp_path):
    x, y = jnp.ones(3, jnp.float32), jnp.float32(1.0)
    monkeypatch.setattr(compile_cache, "active_directory", lambda: tmp_path)
    monkeypatch.setenv(executable_cache.ENABLE_ENV, "0")
    assert executable_cache.executable("p", (), None, (x, y), {}) is None  # asked off
    assert executable_cache.enabled({}) and executable_cache.enabled({"SIMCORE_EXECUTABLE_CACHE": "1"})
    for off in ("0", "false", " OFF ", "no"):
        assert not executable_cache.enabled({"SIMCORE_EXECUTABLE_CACHE": off}), off
    monkeypatch.delenv(executable_cache.ENABLE_ENV)
    monkeypatch.setattr(compile_cache, "active_directory", lambda: None)
    assert executable_cache.executable("p", (), None, (x, y), {}) is None  # cache off
    assert np.allclose(step(x, y, days=1)["total"], np.sin(1.0) + 1.0)
    monkeypatch.setattr(compile_cache, "active_directory", lambda: tmp_path)
    with jax.disable_jit():
        assert executable_cache.executable("p", (), None, (x, y), {}) is None
    assert executable_cache.executable("p", (), None, (x, object()), {}) is None
    # inside another transformation the outer jit compiles: nothing is kept here
    assert np.allclose(jax.vmap(lambda v: step(v, y, days=1)["total"])(x[:, None])[:, 0], np.sin(1.0) + 1.0)
    assert not _files(tmp_path)


def test_an_unserialisable_program_still_runs(folder, monkeypatch):
    from jax.experimental import serialize_executable

    def refuse(compiled):
        raise NotImplementedError("closed-over constants")

    monkeypatch.setattr(serialize_executable, "serialize", refuse)
    out = step(jnp.ones(2, jnp.float32), jnp.float32(1.0), days=1)
    assert np.allclose(out["total"], np.sin(1.0) + 1.0)
    assert not list(folder.iterdir())  # nothing written, no partial file left


def test_output_shapes_are_kept_and_equal_eval_shape(folder):
    calls = []

    def make():  # a new function object each time: JAX's own trace cache cannot serve it
        def fun(a, b):
            calls.append(1)
            return {"m": a[:, None] * b[None, :], "s": (a.sum() > 0)}
        return fun

    args = (jnp.ones(3, jnp.float32), jnp.ones(5, jnp.int32))
    expected = jax.eval_shape(make(), *args)
    first = output_shapes("fun", 1, make(), args)
    second = output_shapes("fun", 1, make(), args)
    assert len(calls) == 2  # the reference and the first: the second came from the file
    for got in (first, second):
        assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(expected)
        assert all(g.shape == e.shape and g.dtype == e.dtype
                   for g, e in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected)))
    output_shapes("fun", 2, make(), args)  # another static value: traced again
    assert len(calls) == 3


def test_the_engine_entry_point_reads_back_the_same_bits(folder, write_tiny):
    from simcore.core.engine import simulate
    from simcore.run.runner import Simulation
    from simcore.schema.config import load_config

    sim = Simulation.from_config(load_config(write_tiny()))
    call = functools.partial(simulate, sim.loaded.model, sim.policies, sim.events, horizon=20,
                             base_key=sim.base_key, scenario_index=jnp.arange(6, dtype=jnp.uint32))
    first, _ = call()
    assert any("simcore.core.engine.simulate" in name for name in _files(folder))
    executable_cache.clear_loaded()
    second, _ = call()
    for a, b in zip(first, second):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


def test_dropped_executables_are_freed_and_load_again_from_their_file(folder, monkeypatch):
    import gc
    import weakref

    from simcore.service.program_guard import clear_programs

    x, y = jnp.linspace(0.0, 1.0, 5, dtype=jnp.float32), jnp.float32(0.7)
    expected = np.asarray(step(x, y, days=2)["total"]).tobytes()
    (loaded,) = executable_cache._loaded.values()
    alive = weakref.ref(loaded)
    del loaded
    clear_programs()  # the service's mapping guard: JAX's programs and the loaded executables
    gc.collect()
    assert alive() is None and not executable_cache._loaded  # freed, not kept until exit
    tuned = step._tuned
    monkeypatch.setattr(step, "_tuned", _NoJit())
    assert np.asarray(step(x, y, days=2)["total"]).tobytes() == expected  # from its file
    # beyond the in-memory bound the least recently used is dropped (and freed)
    monkeypatch.setattr(executable_cache, "_MEMORY_SIZE", 1)
    monkeypatch.setattr(step, "_tuned", tuned)
    step(x, y, days=3)
    assert len(executable_cache._loaded) == 1 and len(_files(folder)) == 2


def test_a_preloaded_program_is_called_without_reading_its_file_again(folder, monkeypatch):
    """preload reads the program a call would run back into memory (nothing traced or
    compiled); the call then finds it loaded. A miss (no file yet) loads nothing and
    leaves the compile to the call."""
    x, y = jnp.linspace(0.0, 1.0, 6, dtype=jnp.float32), jnp.float32(0.4)
    assert step.preload(x, y, days=4) is False and not executable_cache._loaded  # nothing on disk yet
    expected = np.asarray(step(x, y, days=4)["total"]).tobytes()  # compiled and written
    executable_cache.clear_loaded()  # as a new process
    reads = []
    real_read = executable_cache._read
    monkeypatch.setattr(executable_cache, "_read", lambda path: reads.append(path) or real_read(path))
    monkeypatch.setattr(step, "_tuned", _NoJit())
    assert step.preload(x, y, days=4) is True and len(reads) == 1
    assert step.preload(x, y, days=4) is True and len(reads) == 1  # loaded already: not read again
    assert np.asarray(step(x, y, days=4)["total"]).tobytes() == expected
    assert len(reads) == 1  # the call found it loaded


def test_a_call_during_a_preload_waits_for_it_and_an_exit_waits_too(folder, monkeypatch):
    """A call of a program whose preload is under way (in another thread) waits for it
    and reads nothing itself; the exit handler waits for a preload under way before it
    drops the loaded programs (one loaded after them would outlive JAX's backends)."""
    import threading

    x, y = jnp.linspace(0.0, 1.0, 6, dtype=jnp.float32), jnp.float32(0.6)
    expected = np.asarray(step(x, y, days=5)["total"]).tobytes()
    executable_cache.clear_loaded()
    real_read, reading, release = executable_cache._read, threading.Event(), threading.Event()
    reads = []

    def slow_read(path):  # the preload's read, held until the test lets it go
        reads.append(threading.current_thread().name)
        reading.set()
        release.wait(30)
        return real_read(path)

    monkeypatch.setattr(executable_cache, "_read", slow_read)
    monkeypatch.setattr(step, "_tuned", _NoJit())

    def held_preload():
        reading.clear()
        release.clear()
        thread = threading.Thread(target=step.preload, args=(x, y), kwargs={"days": 5}, name="preload")
        thread.start()
        assert reading.wait(30)
        return thread

    preloading = held_preload()
    results = []
    caller = threading.Thread(target=lambda: results.append(step(x, y, days=5)), name="caller")
    caller.start()
    caller.join(0.5)
    assert caller.is_alive() and not results  # waiting for the preload, not reading the file itself
    release.set()
    for thread in (preloading, caller):
        thread.join(30)
    assert reads == ["preload"] and np.asarray(results[0]["total"]).tobytes() == expected

    executable_cache.clear_loaded()
    preloading = held_preload()
    exiting = threading.Thread(target=executable_cache._release, name="exit")
    exiting.start()
    exiting.join(0.5)
    assert exiting.is_alive()  # the exit handler waits for the preload
    release.set()
    for thread in (preloading, exiting):
        thread.join(30)
    assert not executable_cache._loaded and not executable_cache._loading  # dropped after the preload


def test_the_exit_handler_waits_for_a_background_preload_thread(folder):
    """A thread of in_background (a preload and the device copies it makes first) is
    waited for at exit, whatever it is doing; an exception in it is dropped."""
    import threading

    started, release = threading.Event(), threading.Event()

    def work():
        started.set()
        release.wait(30)

    thread = executable_cache.in_background(work, name="test-preload")
    assert started.wait(30) and thread.daemon
    exiting = threading.Thread(target=executable_cache._release)
    exiting.start()
    exiting.join(0.5)
    assert exiting.is_alive()  # still waiting for the background thread
    release.set()
    exiting.join(30)
    assert not exiting.is_alive() and not thread.is_alive()
    failing = executable_cache.in_background(lambda: 1 / 0, name="test-failing")
    failing.join(30)
    assert not failing.is_alive()  # the error stayed in the thread (pytest would report it otherwise)
