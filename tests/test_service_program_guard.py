"""The service drops its compiled programs before the process nears the kernel's
memory-mapping limit (simcore.service.program_guard): the guard by hand with a fake
count, the count and the drop on this process, and a service whose guard drops its
programs after every assessment still answering the same (the demo model, one small
shape: the engine compiles twice)."""

from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import pytest
from fastapi.testclient import TestClient

from simcore.service import create_app, state as state_module
from simcore.service.program_guard import GUARD_SHARE, ProgramGuard, clear_programs, mapping_count
from tests.test_service import A, assessment, small_settings


class Fake:
    """A mapping count that falls to ``after`` once the programs are dropped."""

    def __init__(self, before: int, after: int):
        self.value, self.after, self.clears = before, after, 0

    def count(self) -> int:
        return self.value

    def clear(self) -> None:
        self.clears += 1
        self.value = self.after


def test_below_the_threshold_nothing_is_dropped():
    fake = Fake(before=32_764, after=700)
    guard = ProgramGuard(65_530, count=fake.count, clear=fake.clear)
    assert guard.threshold == int(GUARD_SHARE * 65_530) == 32_765
    assert not guard.check() and fake.clears == 0 and guard.clears == 0


def test_past_the_threshold_the_programs_are_dropped_once_with_a_line_naming_the_counts():
    fake, lines = Fake(before=32_765, after=700), []
    guard = ProgramGuard(65_530, count=fake.count, clear=fake.clear, log=lines.append)
    assert guard.check() and fake.clears == 1 and guard.clears == 1
    assert not guard.check()  # back under it
    assert len(lines) == 1 and "32,765 memory mappings" in lines[0] and "65,530" in lines[0] \
        and "700 mappings now" in lines[0]


def test_an_unknown_limit_or_count_does_nothing():
    fake = Fake(before=10**6, after=0)
    assert not ProgramGuard(None, count=fake.count, clear=fake.clear).check()
    assert not ProgramGuard(65_530, count=lambda: None, clear=fake.clear).check()
    assert fake.clears == 0


def test_concurrent_checks_drop_the_programs_once():
    fake = Fake(before=50_000, after=700)
    guard = ProgramGuard(65_530, count=fake.count, clear=fake.clear)
    start = threading.Barrier(8)

    def check():
        start.wait()
        guard.check()

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.clears == 1 == guard.clears


def test_the_count_is_this_process_s_and_dropping_programs_lowers_it(tmp_path):
    assert mapping_count(tmp_path / "missing") is None
    functions = [jax.jit(lambda x, k=k: jnp.sin(x * k) @ x.T) for k in range(20)]
    for f in functions:
        f(jnp.ones((32, 32))).block_until_ready()
    before = mapping_count()
    assert before is not None and before > 0
    clear_programs()
    assert mapping_count() < before  # each program's kernels were mapped on their own


def test_a_service_that_drops_its_programs_answers_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(state_module, "max_map_count", lambda: 2)  # threshold 1: every check drops
    app = create_app(small_settings(tmp_path, warm_models=()))
    with TestClient(app) as client:
        answers = []
        for _ in range(2):
            response = client.post("/v1/assessments", json=assessment(scenarios=8), headers=A)
            assert response.status_code == 200, response.text
            answers.append({k: v for k, v in response.json().items() if k != "timing"})
        guard = app.state.service.programs
        assert guard.limit == 2 and guard.clears == 2  # after each assessment
    assert answers[0] == answers[1]  # the dropped shape compiled again gives the same numbers


@pytest.mark.parametrize("limit", [None, 10**9])
def test_a_service_far_from_the_limit_keeps_its_programs(limit, tmp_path, monkeypatch):
    monkeypatch.setattr(state_module, "warm_up", lambda *a, **k: [])
    monkeypatch.setattr(state_module, "max_map_count", lambda: limit)
    app = create_app(small_settings(tmp_path, warm_models=()))
    with TestClient(app):
        guard = app.state.service.programs
        assert guard.limit == limit and not guard.check() and guard.clears == 0
