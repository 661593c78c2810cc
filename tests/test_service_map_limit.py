"""The service warns at start when the kernel's memory-mapping limit is low
(simcore.service.map_limit; docs/running.md says why). No engine runs here."""

from __future__ import annotations

import logging

from simcore.service import Settings, state as state_module
from simcore.service.state import ServiceState
from simcore.service.map_limit import RECOMMENDED_MAP_COUNT, map_limit_warning, max_map_count


def test_the_limit_is_read_from_the_file_or_unknown(tmp_path):
    limit = tmp_path / "max_map_count"
    limit.write_text("65530\n")
    assert max_map_count(limit) == 65530
    limit.write_text("not a number")
    assert max_map_count(limit) is None
    assert max_map_count(tmp_path / "missing") is None


def test_a_low_limit_gives_one_line_naming_it_and_the_fix():
    line = map_limit_warning(65530)
    assert "\n" not in line and "65,530" in line and f"vm.max_map_count={RECOMMENDED_MAP_COUNT}" in line
    assert map_limit_warning(RECOMMENDED_MAP_COUNT) is None
    assert map_limit_warning(10**7) is None
    assert map_limit_warning(None) is None  # not Linux: nothing to say


def test_the_service_logs_it_at_start(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(state_module, "warm_up", lambda *a, **k: [])
    monkeypatch.setattr(state_module, "max_map_count", lambda: 65530)
    state = ServiceState(Settings(data_dir=tmp_path, compilation_cache_dir="", api_keys=("test-key-maps-0001",),
                                  warm_models=()))
    with caplog.at_level(logging.WARNING):
        state.start()
        state.stop()
    assert [r.getMessage() for r in caplog.records if "vm.max_map_count" in r.getMessage()] == [map_limit_warning(65530)]
