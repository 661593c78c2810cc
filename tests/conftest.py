"""Shared pytest setup: markers and the tiny run used by the store, CLI and cluster tests."""

import os

import pytest

from tests.shell_fixtures import SMALL_CONFIG, write_small


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running variants (deselect with -m 'not slow')")


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
def jax_cache_env(tmp_path_factory):
    """Environment for simcore subprocesses sharing one persistent JAX compilation cache
    (each process would otherwise compile the same functions again)."""
    env = dict(os.environ)
    env.update({"JAX_COMPILATION_CACHE_DIR": str(tmp_path_factory.mktemp("jax_cache")),
                "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"})
    return env
