"""The engine's XLA:CPU options (simcore.core.compile): the choices and their errors, that
they are CPU-only and part of a program's disk key, and that LLVM level 1
(``SIMCORE_XLA_OPT_LEVEL=1``) gives the numbers of XLA's level 3 (the default) to
float32 rounding."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import compile as engine_compile
from simcore.core.compile import engine_compiler_options, engine_jit
from simcore.core.engine import simulate

NO_YNN = {"xla_cpu_experimental_ynn_fusion_type": ""}


def test_every_bad_choice_is_named_with_the_allowed_values():
    with pytest.raises(ValueError) as raised:
        engine_compiler_options({"SIMCORE_XLA_LIBRARY_FUSIONS": "some", "SIMCORE_XLA_OPT_LEVEL": "4"})
    assert str(raised.value) == ("SIMCORE_XLA_LIBRARY_FUSIONS must be one of default, off, got 'some'; "
                                 "SIMCORE_XLA_OPT_LEVEL must be one of 0, 1, 2, 3, default, got '4'")


def test_choices():
    assert engine_compiler_options({}) == NO_YNN  # users: YNNPACK off, XLA's own level
    assert engine_compiler_options({"SIMCORE_XLA_OPT_LEVEL": " Default "}) == NO_YNN
    assert engine_compiler_options({"SIMCORE_XLA_OPT_LEVEL": ""}) == NO_YNN
    assert engine_compiler_options({"SIMCORE_XLA_OPT_LEVEL": "1"}) == {**NO_YNN, "xla_backend_optimization_level": 1}
    assert engine_compiler_options({"SIMCORE_XLA_LIBRARY_FUSIONS": "default", "SIMCORE_XLA_OPT_LEVEL": "0"}) == \
        {"xla_backend_optimization_level": 0}


@pytest.fixture
def backend_options(monkeypatch):
    """``set(level, backend=None)``: the engine's options under ``SIMCORE_XLA_OPT_LEVEL=level``
    (and another default backend's name), the lookup cleared so the next compile looks
    again. Afterwards the process's own options and a cleared lookup."""
    def set_options(level: str, backend: str | None = None) -> tuple:
        monkeypatch.setattr(engine_compile, "ENGINE_COMPILER_OPTIONS",
                            engine_compiler_options({"SIMCORE_XLA_OPT_LEVEL": level}))
        if backend is not None:
            monkeypatch.setattr(jax, "default_backend", lambda: backend)
        engine_compile._backend_options.cache_clear()
        return engine_compile._backend_options()

    yield set_options
    monkeypatch.undo()
    engine_compile._backend_options.cache_clear()


def test_no_options_off_the_cpu(backend_options):
    # other backends keep their own options: the level would change a GPU's code too
    assert backend_options("1", backend="gpu") == ()
    assert dict(backend_options("1", backend="cpu")) == {**NO_YNN, "xla_backend_optimization_level": 1}


def test_the_options_reach_the_program_and_its_disk_key(backend_options):
    """The options of this process's backend are looked up once, at the first compile; a
    program compiled under them runs, and its disk key names them (a program compiled
    under other options is never read back for it)."""
    def key(level):
        backend_options(level)
        function = engine_jit(lambda x: 2.0 * x + 1.0, program="tests.xla_options.affine")
        assert float(function(jnp.float32(3.0))) == 7.0
        return function._split({})[0]

    zero, three, default = key("0"), key("3"), key("default")
    assert ("xla_backend_optimization_level", 0) in zero[2] and ("xla_backend_optimization_level", 3) in three[2]
    assert len({str(zero), str(three), str(default)}) == 3
    assert dict(default[2]) == NO_YNN


def test_level_one_gives_level_threes_numbers(write_tiny):
    """The tiny run's metrics at LLVM level 1 equal level 3's: integers exactly, floats to
    1e-5 relative (the two may round a few sums apart: ``benchmarks/xla_options.py`` found
    38 of the 480,000 values in the 8 arrays that differ on the quickstart apart, by at
    most 2.3e-7 relative, and 199 of 416,000 on the Japan outlook, by at most 1.9e-6)."""
    from simcore import Simulation, load_config

    sim = Simulation.from_config(load_config(write_tiny(horizon_days=60)))
    arguments = (sim.loaded.model, sim.policies, sim.events)
    keywords = dict(horizon=sim.horizon_days, base_key=sim.base_key, scenario_index=jnp.arange(64))
    runs = []
    for level in (1, 3):
        program = jax.jit(simulate._fun, **simulate._jit_kwargs,  # simulate's own static arguments
                          compiler_options={**NO_YNN, "xla_backend_optimization_level": level})
        runs.append(jax.device_get(program(*arguments, **keywords)[0])._asdict())
    one, three = runs
    assert one.keys() == three.keys()
    for name in one:
        if np.issubdtype(three[name].dtype, np.floating):
            np.testing.assert_allclose(one[name], three[name], rtol=1e-5, atol=0, err_msg=name)
        else:
            np.testing.assert_array_equal(one[name], three[name], err_msg=name)
    assert any(np.count_nonzero(three[name]) for name in three)  # the run is not all zeros
