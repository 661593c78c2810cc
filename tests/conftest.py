"""Shared pytest setup: one JAX compilation cache for the session, JAX's strict promotion
rules for the core tests (tests/test_core_*.py), and the tiny run used by the store, CLI
and cluster tests."""

import os
import shutil
import tempfile
from collections import Counter

import pytest

from tests.shell_fixtures import SMALL_CONFIG, write_small

# One persistent JAX compilation cache for the whole session, shared by every simcore
# subprocess (CLI runs, device-count children, Dask workers, service servers): they
# inherit the environment set here, so a shape compiled once in any of them is read back
# by the next instead of compiled again. The folder is SIMCORE_TEST_CACHE_DIR when given
# (kept: a later session starts warm), else a session-temporary one; never the user's own
# cache. SIMCORE_CACHE_DIR points simcore's rule (simcore.core.compile_cache) at it; the
# JAX_* variables carry it to processes that get only those (the Dask workers of
# test_distributed) and cache every program.
#
# The pytest processes themselves (the xdist workers) keep their programs in memory
# only, unless SIMCORE_TEST_WORKER_CACHE=1 or SIMCORE_TEST_CACHE_DIR is given: reading a
# program back maps it into memory as compiling it does (see release_compiled_programs
# below), and the read-backs saved nothing measurable (the default suite took 1,126 s
# without them, 1,177 s with them, 2026-12-07).
TEST_CACHE_ENV = "SIMCORE_TEST_CACHE_DIR"
WORKER_CACHE_ENV = "SIMCORE_TEST_WORKER_CACHE"
_CACHE_SETTINGS = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                   "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
_own_cache_dir = None


def pytest_configure(config):
    global _own_cache_dir
    if not os.environ.get("JAX_COMPILATION_CACHE_DIR"):  # set already in an xdist worker
        given = os.environ.get(TEST_CACHE_ENV, "").strip()
        if given:
            os.makedirs(given, exist_ok=True)
        else:
            _own_cache_dir = given = tempfile.mkdtemp(prefix="simcore-test-jax-cache-")
        os.environ["JAX_COMPILATION_CACHE_DIR"] = given
    os.environ["SIMCORE_CACHE_DIR"] = os.environ["JAX_COMPILATION_CACHE_DIR"]
    os.environ.pop("SIMCORE_NO_CACHE", None)
    for name, value in _CACHE_SETTINGS.items():
        os.environ.setdefault(name, value)
    import jax  # after the environment: subprocesses inherit it, this process is set here before any compile

    from simcore.core.compile_cache import enable_compilation_cache

    if not worker_cache_wanted():
        # JAX read JAX_COMPILATION_CACHE_DIR at import: undo it for this process only
        jax.config.update("jax_compilation_cache_dir", None)
        enable_compilation_cache(enabled=False)  # the engine's lazy call keeps "off"
        return
    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs",
                      float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes",
                      int(os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"]))
    enable_compilation_cache()  # adopts JAX's folder: the engine's lazy call keeps it


def worker_cache_wanted(environ=None) -> bool:
    """Whether the pytest processes also use the session's persistent cache (see above)."""
    environ = os.environ if environ is None else environ
    return bool(environ.get(TEST_CACHE_ENV, "").strip()) or environ.get(WORKER_CACHE_ENV, "") == "1"


def pytest_unconfigure(config):
    if _own_cache_dir is not None:
        shutil.rmtree(_own_cache_dir, ignore_errors=True)


# Each test module's compiled programs are dropped when the module ends (jax.clear_caches).
# XLA:CPU maps every kernel of a loaded program into memory on its own (code, constants),
# so a pytest worker that kept every program of its share of the suite reached tens of
# thousands of memory mappings; at the kernel's limit (vm.max_map_count, 65,530 by
# default) a mapping fails inside XLA and the worker dies of a segmentation fault or an
# abort wherever it was compiling or loading a program (docs/running.md, "The CI
# segmentation fault"). Modules rarely share shapes, so little is compiled twice. simcore's
# loaded whole executables go too (kept only where the worker uses the cache on disk).
@pytest.fixture(autouse=True, scope="module")
def release_compiled_programs():
    yield
    import gc

    import jax

    from simcore.core import executable_cache

    jax.clear_caches()
    executable_cache.clear_loaded()
    gc.collect()


# The core tests (tests/test_core_*.py) run under JAX's strict promotion rules: no implicit
# dtype promotion (float32 with bool or float64, int with float) and no implicit rank
# promotion (broadcasting [n] against [m, n] without an explicit axis). An implicit
# promotion in simcore.core is then an error, not a silently wider program. The rules are
# part of JAX's trace context: these tests compile programs of their own. The fixture is
# module-scoped and autouse, so the module-scoped fixtures that run the engine once for a
# whole module (test_core_closed_form's grid) run under the rules too.
STRICT_PROMOTION_PREFIX = "test_core_"


@pytest.fixture(autouse=True, scope="module")
def strict_core_promotion(request):
    """``jax.numpy_dtype_promotion("strict")`` and ``jax.numpy_rank_promotion("raise")``
    around each core test module (see above); every other test runs under the default rules."""
    module = request.module.__name__.rpartition(".")[2]
    if not module.startswith(STRICT_PROMOTION_PREFIX):
        yield
        return
    import jax

    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        yield


def pytest_collection_modifyitems(config, items):
    """Refuse to run tests that share a node id: pytest-xdist schedules by node id (the
    README's test command uses it) and would silently run only one of them. Schemathesis
    4 names each API operation's test apart only under pytest 8 (hence ``pytest<9``)."""
    duplicated = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items()
                        if count > 1)
    if duplicated:
        raise pytest.UsageError(f"tests with the same node id: {duplicated}")


def tiny_config_text(scenarios: int = 24, horizon_days: int = 30, chunk_size: int = 4, seed: int = 7,
                     daily_scenarios: int = 0) -> str:
    """The small test config with a tiny run: few scenarios, a short horizon, small chunks."""
    run = (f'[run]\nmodel = "small.toml"\nscenarios = {scenarios}\nhorizon_days = {horizon_days}\n'
           f'chunk_size = {chunk_size}\nseed = {seed}\ndaily_scenarios = {daily_scenarios}\n')
    rest = SMALL_CONFIG[SMALL_CONFIG.index("[[events]]"):]
    return run + "\n" + rest


@pytest.fixture
def write_tiny(tmp_path):
    """``write_tiny(**run settings)`` -> path of a tiny config (and its model) in tmp_path."""
    def write(**settings):
        return write_small(tmp_path, tiny_config_text(**settings))
    return write


@pytest.fixture(scope="session")
def jax_cache_env():
    """Environment for simcore subprocesses sharing the session's persistent JAX
    compilation cache with this process: ``pytest_configure`` put it in ``os.environ``."""
    assert os.environ.get("JAX_COMPILATION_CACHE_DIR") == os.environ.get("SIMCORE_CACHE_DIR")
    return dict(os.environ)
