"""Scenario sharding over several devices: same results as one device, same chunks.

JAX fixes its CPU device count at its first computation, so each device count runs in
its own Python subprocess (``SIMCORE_CPU_DEVICES=N``) on the small test model and
saves every per-scenario variable; the parent compares them.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from simcore.run.devices import CPU_DEVICES_ENV, padded_size, requested_cpu_devices
from simcore.schema.errors import InputError
from tests.shell_fixtures import write_small

ROOT = Path(__file__).resolve().parents[1]

# 40 scenarios in chunks of 15: chunks [0, 15), [15, 30), [30, 40); with 2 or 4
# devices the computed range of each chunk is padded to 16 and the extras dropped.
N_SCENARIOS = 40
CHUNK_SIZE = 15

def _chunked_arrays(config_path, n: int, chunk: int) -> tuple[dict, list]:
    """Every per-scenario variable of ``n`` scenarios run in chunks of ``chunk`` on the
    devices JAX has (metrics ``[policy, scenario, ...]``, draws ``[scenario, event]``),
    and the chunks as ``[first, size]``. Run by the child below, and in this process for
    one device."""
    import numpy as np

    from simcore import Simulation, load_config
    from simcore.run.runner import iter_chunks

    sim = Simulation.from_config(load_config(config_path))
    arrays, chunks = {}, []
    for first, metrics, draws in iter_chunks(sim, n, chunk):
        chunks.append([first, int(next(iter(metrics.values())).shape[1])])
        for name, value in [*metrics.items(), *(("event_" + k, v) for k, v in draws.items())]:
            arrays.setdefault(name, []).append(value)
    return ({name: np.concatenate(parts, axis=0 if name.startswith("event_") else 1)
             for name, parts in arrays.items()}, chunks)


_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from simcore.run.devices import configure_cpu_devices
    configured = configure_cpu_devices()          # reads SIMCORE_CPU_DEVICES, before any computation
    import jax
    from tests.test_devices import _chunked_arrays
    config_path, out, n, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    arrays, chunks = _chunked_arrays(config_path, n, chunk)
    np.savez(out, **arrays)
    print(json.dumps({"configured": configured, "devices": jax.device_count(), "chunks": chunks}))
""")


def _run_with_devices(tmp_path: Path, config: Path, n_devices: int) -> tuple[dict, dict]:
    out = tmp_path / f"metrics-{n_devices}.npz"
    env = {**os.environ, CPU_DEVICES_ENV: str(n_devices), "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)  # the variable alone decides the device count
    done = subprocess.run([sys.executable, "-c", _CHILD, str(config), str(out), str(N_SCENARIOS), str(CHUNK_SIZE)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads(done.stdout.strip().splitlines()[-1])
    with np.load(out) as data:
        return info, {name: data[name] for name in data.files}


def _run_here(config: Path) -> tuple[dict, dict]:
    """The one-device reference in this process when it has one CPU device (it saves a
    fresh Python, JAX and compile); a child like the others otherwise."""
    import jax

    if jax.device_count() != 1:
        return _run_with_devices(config.parent, config, 1)
    arrays, chunks = _chunked_arrays(config, N_SCENARIOS, CHUNK_SIZE)
    return {"configured": None, "devices": 1, "chunks": chunks}, arrays


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One device (here) and two (a child): 2 devices pad the 15-scenario chunks to 16
    and shard them, the property the 4-device slow twin checks once more."""
    tmp_path = tmp_path_factory.mktemp("devices")
    config = write_small(tmp_path)
    return {1: _run_here(config), 2: _run_with_devices(tmp_path, config, 2)}


def _assert_sharded_equal_one_device(one_device, sharded, n_devices):
    info_one, one = one_device
    info, many = sharded
    assert info_one["devices"] == 1
    assert info["configured"] == n_devices and info["devices"] == n_devices
    assert sorted(many) == sorted(one) and len(one) > 10
    for name, expected in one.items():
        got = many[name]
        assert got.shape == expected.shape, name
        if expected.dtype.kind in "biu":  # counts and flags: exact
            np.testing.assert_array_equal(got, expected, err_msg=name)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=name)


def test_sharded_results_equal_one_device(runs):
    _assert_sharded_equal_one_device(runs[1], runs[2], 2)


@pytest.mark.slow  # a third fresh process compiling for 4 devices; 2 devices (above) pad and shard too
def test_four_devices_give_the_same_results_and_chunks(runs, tmp_path):
    four = _run_with_devices(tmp_path, write_small(tmp_path), 4)
    _assert_sharded_equal_one_device(runs[1], four, 4)
    assert four[0]["chunks"] == [[0, 15], [15, 15], [30, 10]]  # the last chunk padded to 12, the extras dropped


def test_results_are_not_trivial(runs):
    # The comparison above means something only if the scenarios differ and events bite.
    _, one = runs[1]
    shortage = one["shortage_days"]  # [policy, scenario, product]
    assert shortage.shape[1] == N_SCENARIOS
    assert shortage.sum() > 0
    assert len(np.unique(one["event_onset_day"][:, 0])) > 1


def test_chunks_do_not_depend_on_device_count(runs):
    expected = [[0, 15], [15, 15], [30, 10]]
    for n_devices, (info, _) in runs.items():
        assert info["chunks"] == expected, n_devices


def test_requested_cpu_devices_reads_the_environment():
    assert requested_cpu_devices({}) is None
    assert requested_cpu_devices({CPU_DEVICES_ENV: ""}) is None
    assert requested_cpu_devices({CPU_DEVICES_ENV: " 3 "}) == 3
    assert requested_cpu_devices({CPU_DEVICES_ENV: "all"}) == (os.cpu_count() or 1)
    assert requested_cpu_devices({CPU_DEVICES_ENV: "AUTO"}) == (os.cpu_count() or 1)


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_bad_device_count_names_the_variable_and_allowed_values(bad):
    with pytest.raises(InputError) as error:
        requested_cpu_devices({CPU_DEVICES_ENV: bad})
    message = str(error.value)
    assert CPU_DEVICES_ENV in message and "positive integer" in message and "'all'" in message and repr(bad) in message


@pytest.mark.parametrize("count, n_devices, expected", [(15, 1, 15), (15, 2, 16), (15, 4, 16), (16, 4, 16),
                                                        (1, 4, 4), (0, 2, 2)])
def test_padded_size_is_the_next_multiple_of_the_device_count(count, n_devices, expected):
    assert padded_size(count, n_devices) == expected


def test_configure_after_jax_started_warns_only_when_asked_explicitly(monkeypatch):
    import warnings

    import jax

    from simcore.run.devices import configure_cpu_devices

    monkeypatch.delenv(CPU_DEVICES_ENV, raising=False)
    current = len(jax.devices("cpu"))  # starts JAX's backends if nothing had
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert configure_cpu_devices() is None  # nothing asked
        assert configure_cpu_devices(default=current + 1) is None  # a default is silent
        assert configure_cpu_devices(current) is None  # already so
    with pytest.warns(UserWarning, match=f"already running with {current} CPU device"):
        assert configure_cpu_devices(current + 1) is None
    monkeypatch.setenv(CPU_DEVICES_ENV, str(current + 2))
    with pytest.warns(UserWarning, match=CPU_DEVICES_ENV):
        assert configure_cpu_devices() is None


@pytest.mark.parametrize("xla_flags, expected", [(None, os.cpu_count() or 1),
                                                 ("--xla_force_host_platform_device_count=3", 3)])
def test_default_gives_every_core_unless_the_xla_flag_says_otherwise(xla_flags, expected):
    child = ("from simcore.run.devices import configure_cpu_devices\n"
             "configure_cpu_devices(default='all')\n"
             "import jax; print(jax.device_count())")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(CPU_DEVICES_ENV, None)
    env.pop("XLA_FLAGS", None)
    if xla_flags:
        env["XLA_FLAGS"] = xla_flags
    done = subprocess.run([sys.executable, "-c", child], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) == expected
