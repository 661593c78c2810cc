"""Issue 17, item 7 (runs): a result that is NaN or infinite stops the run with one
line naming the variable, policy, scenario and product or sector (status 1), instead of
printing NaN with exit code 0; nothing is published."""

from __future__ import annotations

import numpy as np

import simcore.run.chunks as chunks_module
from simcore.cli import main
from tests.shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small


def test_a_nan_result_stops_the_run_naming_where(tmp_path, monkeypatch, capsys):
    real = chunks_module.iter_chunks  # the chunks of a stored run (simcore.run.chunks)

    def with_a_nan(*args, **kwargs):  # the engine overflowing, in one entry of the first chunk
        for first, metrics, *rest in real(*args, **kwargs):  # rest: draws (and fans, riders)
            metrics = dict(metrics, value_added_loss=np.array(metrics["value_added_loss"], copy=True))
            if first == 0:
                metrics["value_added_loss"][1, 2, 0] = np.nan
            yield first, metrics, *rest

    monkeypatch.setattr(chunks_module, "iter_chunks", with_a_nan)
    config = write_small(tmp_path, SMALL_CONFIG, SMALL_MODEL)
    out = tmp_path / "out.zarr"
    status = main(["run", str(config), "--output", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert status == 1, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "value_added_loss is nan" in err and "policy 'stock'" in err and "scenario 2" in err
    assert "sector 'electronics'" in err
    assert not out.exists()
