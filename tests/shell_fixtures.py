"""Small model and config texts, a run killed at a chunk and a count of compiled programs,
shared by the shell tests (not a test module)."""

import contextlib

SMALL_MODEL = """
[model]
name = "small"
currency = "USD"
origins = ["CN", "AU"]
[model.sources]
origins = "assumption: test"

[[products]]
name = "gallium"
demand_per_day = 10.0
price = 100.0
inventory_days = 5
lead_time_days = 2
import_share = { CN = 0.8, AU = 0.2 }
use = { electronics = 1.0 }
[products.sources]
demand_per_day = "assumption: test"
price = "assumption: test"
inventory_days = "assumption: test"
lead_time_days = "assumption: test"
import_share = "assumption: test"
use = "assumption: test"

[[products]]
name = "repair"
demand_per_day = 1.0
price = 1000.0
storable = false
import_share = { AU = 0.5 }
use = { services = 1.0 }
[products.sources]
demand_per_day = "assumption: test"
price = "assumption: test"
import_share = "assumption: test"
use = "assumption: test"

[io]
sectors = ["electronics", "services"]
technical_coefficients = [[0.15, 0.25], [0.20, 0.05]]
final_demand = [350000.0, 1700000.0]
critical_upstream = [["electronics", "services"]]
[io.sources]
technical_coefficients = "Miller and Blair (2009), Input-Output Analysis, 2nd ed., section 2.3 example"
final_demand = "Miller and Blair (2009) example, scaled by 1000"
"""

SMALL_CONFIG = """
[run]
model = "small.toml"
scenarios = 40
horizon_days = 120
chunk_size = 16
seed = 7
daily_scenarios = 3

[[events]]
name = "CN ban"
origin = "CN"
products = ["gallium"]
hazard_per_year = 2.0
duration_median_days = 30
duration_sigma = 0.5
severity_alpha = 3.0
severity_beta = 2.0
tightening_days = 5

[[events]]
name = "repair fleet"
origin = "AU"
products = { repair = 1.0 }
onset_day = 10
duration_days = 5
severity = 1.0

[[policies]]
name = "stock"
[policies.stockpile]
gov_stock_days = { gallium = 30 }
carrying_cost = 0.1

[[policies]]
name = "diversify"
[policies.diversification]
import_share = { gallium = { CN = 0.4, AU = 0.6 } }
premium = 0.1
spare_capacity = { gallium = { AU = 0.3 } }
qualification_lag_days = 10
"""


def write_small(tmp_path, config_text=SMALL_CONFIG, model_text=SMALL_MODEL):
    (tmp_path / "small.toml").write_text(model_text)
    config = tmp_path / "run.toml"
    config.write_text(config_text)
    return config


# Issue-5 fields on top of SMALL_MODEL (append to the gallium product / the [io] table).
NEW_PRODUCT_FIELDS = {
    "world_share": {"CN": 0.98},
    "world_price_elasticity": 0.2,
    "world_demand_weight": 0.05,
    "cover_horizon_days": 20.0,
    "transit_days": {"CN": 30},
    "storage_room_days": 10.0,
    "exposure": {"electronics": 0.02},
    "essentiality": {"electronics": "important"},
}


def small_model_with_new_fields() -> dict:
    """SMALL_MODEL parsed, with every issue-5 product field on gallium (sourced) and
    an IO value-added row."""
    import tomllib

    raw = tomllib.loads(SMALL_MODEL)
    gallium = raw["products"][0]
    gallium.update(NEW_PRODUCT_FIELDS)
    gallium["sources"].update({key: "assumption: test" for key in NEW_PRODUCT_FIELDS})
    raw["io"]["value_added"] = [100000.0, 900000.0]
    raw["io"]["sources"]["value_added"] = "assumption: test"
    return raw


class ChunkKilled(RuntimeError):
    """Raised by the stand-in of :func:`fail_at_chunk`: the run was "killed" at a chunk."""


def fail_at_chunk(monkeypatch, n: int) -> list[int]:
    """Make a run fail while storing its chunk number ``n`` (0-based, in the order the run
    stores them): replace ``simcore.run.job.store_chunk`` with a stand-in that stores the
    first ``n`` chunks as usual, then raises :class:`ChunkKilled` ("killed at chunk
    <index>"). Returns the indices of the chunks it stored, in order (filled as the run
    goes). ``monkeypatch.undo()`` puts the real one back."""
    from simcore.run import job as job_module  # loads JAX: only for the tests that run a job

    real, calls = job_module.store_chunk, []

    def failing(sim, plan, path, index, *args):
        if len(calls) == n:
            raise ChunkKilled(f"killed at chunk {index}")
        calls.append(index)
        return real(sim, plan, path, index, *args)

    monkeypatch.setattr(job_module, "store_chunk", failing)
    return calls


@contextlib.contextmanager
def backend_compiles():
    """A Counter of the functions compiled for the backend inside (cache hits included)."""
    from collections import Counter

    from jax import monitoring

    seen = Counter()

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            seen[kwargs.get("fun_name")] += 1

    monitoring.register_event_duration_secs_listener(listener)
    try:
        yield seen
    finally:
        monitoring.unregister_event_duration_listener(listener)
