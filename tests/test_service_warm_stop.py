"""A stopping service stops its warm-up: no compile of one app runs on after it (nor
beside the next app in the same process). No engine runs here: the warm-up is replaced
by a stand-in that blocks until it is told to stop, or counts the shapes it would warm."""

from __future__ import annotations

import threading

from simcore.service import Settings, state as state_module
from simcore.service.state import ServiceState
from simcore.service.assess import warm_up
from simcore.service.registry import Registry
from simcore.service.settings import REPO_ROOT


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, compilation_cache_dir="", api_keys=("test-key-warm-0001",),
                    warm_models=("demo_critical_materials",), warm_horizons=(90,), assessment_horizons=(90,),
                    default_horizon_days=90, chunk_sizes=(32,), max_mixes=1)


def test_the_last_stop_ends_and_waits_for_the_warm_up(tmp_path, monkeypatch):
    entered, seen = threading.Event(), {}

    def blocking_warm_up(registry, settings, log=print, stop=None, after_shape=None):
        seen["stop"] = stop
        entered.set()
        assert stop.wait(30), "the warm-up was never told to stop"
        return []

    monkeypatch.setattr(state_module, "warm_up", blocking_warm_up)
    state = ServiceState(_settings(tmp_path))
    state.start()
    state.start()  # a second lifespan (a server and a test client): one service
    assert entered.wait(30)
    thread = state._warm_thread
    state.stop()  # not the last stop: the warm-up goes on
    assert thread.is_alive() and not seen["stop"].is_set()
    state.stop()
    assert seen["stop"].is_set() and not thread.is_alive()
    assert state.ready.is_set()  # served from here on without the warm-up (requests compile on first use)


def test_a_set_stop_event_warms_no_shape(tmp_path):
    settings = _settings(tmp_path)
    registry = Registry.scan(REPO_ROOT / "models", REPO_ROOT / "configs")
    stop = threading.Event()
    stop.set()
    assert warm_up(registry, settings, log=lambda message: None, stop=stop) == []
