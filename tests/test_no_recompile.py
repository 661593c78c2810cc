"""A second run of the same shape does not trace, lower or compile anything again.

Every tracing, lowering to MLIR and backend compile (a persistent-cache hit included) is
reported through ``jax.monitoring`` as a ``/jax/core/compile/...`` duration event; the
tests count them during a second run that differs from the first only in values (seed,
first scenario index, a shorter last chunk), never in shapes. A new program there means
something in the path leaks a value into the trace (a Python number made static, a weak
type, a fresh jitted function per call), and every chunk or repeated run pays for it.
Tiny model, 20 days, a few scenarios: a few seconds after the first compile.
"""

from __future__ import annotations

import contextlib
from collections import Counter

import jax
import jax.numpy as jnp
import numpy as np
from jax import monitoring

from simcore.core.engine import simulate_batch
from simcore.run.runner import Simulation, iter_chunks
from simcore.schema.config import load_config

HORIZON = 20
CHUNK = 4
COMPILE_EVENTS = "/jax/core/compile/"


@contextlib.contextmanager
def compile_events():
    """A Counter of ``(stage, function)`` for each trace, lowering and compile inside."""
    seen = Counter()

    def listener(event, duration, **kwargs):
        if event.startswith(COMPILE_EVENTS):
            seen[(event.rpartition("/")[2], kwargs.get("fun_name"))] += 1

    monitoring.register_event_duration_secs_listener(listener)
    try:
        yield seen
    finally:
        monitoring.unregister_event_duration_listener(listener)


def _simulation(write_tiny) -> Simulation:
    return Simulation.from_config(load_config(write_tiny(scenarios=8, horizon_days=HORIZON, chunk_size=CHUNK)))


def _run(sim: Simulation, n_scenarios: int, start: int) -> list:
    return [(first, metrics, draws) for first, metrics, draws in iter_chunks(sim, n_scenarios, CHUNK, start=start)]


def test_second_run_of_the_runner_compiles_nothing(write_tiny):
    """``iter_chunks`` (what ``simcore run`` and the store use) twice: the second run has
    another seed, other scenario indices and a shorter last chunk (padded to the chunk)."""
    sim = _simulation(write_tiny)
    first = _run(sim, 8, start=0)  # compiles (or reads the persistent cache)
    assert [f for f, _, _ in first] == [0, 4]
    sim.seed += 1
    with compile_events() as seen:
        second = _run(sim, 7, start=100)
    assert not seen, f"the second run compiled again: {dict(seen)}"
    assert [f for f, _, _ in second] == [100, 104]
    assert next(iter(second[-1][1].values())).shape[1] == 3  # the last chunk's 3 scenarios
    # other values, so it really ran: the second run's scenarios are not the first's
    assert any(not np.array_equal(first[0][2][name], second[0][2][name]) for name in first[0][2])


def test_second_call_of_simulate_batch_compiles_nothing(write_tiny):
    """The engine's batch entry point with another key and other indices of one shape."""
    sim = _simulation(write_tiny)
    model, policies, events = sim.loaded.model, sim.policies, sim.events
    keys = [jax.random.PRNGKey(seed) for seed in (7, 8)]  # made outside the counted call
    indices = [jnp.asarray(np.arange(a, a + CHUNK, dtype=np.uint32)) for a in (0, 50)]
    first, _ = simulate_batch(model, policies, events, keys[0], indices[0], horizon=HORIZON)
    jax.block_until_ready(first)
    with compile_events() as seen:
        second, _ = simulate_batch(model, policies, events, keys[1], indices[1], horizon=HORIZON)
        jax.block_until_ready(second)
    assert not seen, f"the second call compiled again: {dict(seen)}"
    assert second.shortage_days.shape == first.shortage_days.shape
