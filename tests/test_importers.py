"""Other importing regions (``[[importers]]``, simcore.schema.importers, docs/model.md
section 4d): hand-computed destination shares and world stocks, a control aimed at one
importer against the same control on the country (common random numbers), bad input."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import simulate_batch, stack_policies
from simcore.schema.config import parse_config
from simcore.schema.errors import InputError
from simcore.schema.modelfile import parse_model
from tests.shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small

# One product; the country buys 0.2 of the traded market, all of it from CN (import
# shares 0.5 CN + 0.5 domestic). Importer "US" buys 0.3, 0.4 of it from CN; "EU" 0.5 at
# the world mix (CN 0.6, AU 0.4).
IMPORTERS = """
[model]
name = "importers"
origins = ["CN", "AU"]
[model.sources]
origins = "assumption: test"

[[products]]
name = "gallium"
demand_per_day = 10.0
price = 100.0
inventory_days = 20
import_share = { CN = 0.5 }
domestic_share = 0.5
world_share = { CN = 0.6, AU = 0.4 }
world_demand_weight = 0.2
world_stock_days = 10
world_storage_elasticity = 0.5
market_sourcing_share = 1.0
[products.sources]
demand_per_day = "assumption: test"
price = "assumption: test"
inventory_days = "assumption: test"
import_share = "assumption: test"
domestic_share = "assumption: test"
world_share = "assumption: test"
world_demand_weight = "assumption: test"
world_stock_days = "assumption: test"
world_storage_elasticity = "assumption: test"
market_sourcing_share = "assumption: test"

[[importers]]
name = "US"
demand_share = { gallium = 0.3 }
origin_share = { gallium = { CN = 0.4, AU = 0.6 } }
stock_days = { gallium = 40 }
[importers.sources]
demand_share = "assumption: test"
origin_share = "assumption: test"
stock_days = "assumption: test"

[[importers]]
name = "EU"
demand_share = { gallium = 0.5 }
[importers.sources]
demand_share = "assumption: test"
"""


def _loaded(text: str = IMPORTERS):
    return parse_model(tomllib.loads(text))


def test_destination_shares_and_world_stocks_by_hand():
    """CN's traded sales go 0.2 x 1 (country), 0.3 x 0.4 (US), 0.5 x 0.6 (EU): 0.2, 0.12
    and 0.30 of 0.62; AU's: 0, 0.18, 0.20 of 0.38. The US's 40 days of its own demand are
    0.3 x 40 = 12 days of market demand on top of the traders' 10."""
    loaded = _loaded()
    assert loaded.importers == ["US", "EU"]
    cn, au = 0, 1
    np.testing.assert_allclose(loaded.buyers["country"][0, cn], 0.2 / 0.62, rtol=1e-6)
    np.testing.assert_allclose(loaded.buyers["US"][0, cn], 0.12 / 0.62, rtol=1e-6)
    np.testing.assert_allclose(loaded.buyers["EU"][0, cn], 0.30 / 0.62, rtol=1e-6)
    np.testing.assert_allclose(loaded.buyers["US"][0, au], 0.18 / 0.38, rtol=1e-6)
    np.testing.assert_allclose(loaded.buyers["rest"][0], 0.0, atol=1e-12)
    for o in (cn, au):
        assert sum(share[0, o] for share in loaded.buyers.values()) == pytest.approx(1.0)
    np.testing.assert_allclose(np.asarray(loaded.model.world_stock_days), [22.0], rtol=1e-6)


def _config(destinations, loss=None, loaded=None):
    event = {"name": "ban", "origin": "CN", "products": ["gallium"], "onset_day": 20, "duration_days": 200,
             "severity": 1.0, "destinations": destinations}
    if loss is not None:
        event["world_loss_share"] = loss
    raw = {"run": {"scenarios": 8, "horizon_days": 240, "chunk_size": 8}, "events": [event]}
    return parse_config(raw, loaded=loaded or _loaded())


@pytest.mark.parametrize("destinations, loss, country, world", [
    ("all", None, 1.0, 1.0),
    ("country", None, 1.0, 0.0),
    ("country", 1.0, 1.0, 0.2 / 0.62),
    ("others", None, 0.0, 0.42 / 0.62),
    (["US"], None, 0.0, 0.0),
    (["US"], 0.5, 0.0, 0.5 * 0.12 / 0.62),
    (["US", "country"], 1.0, 1.0, 0.32 / 0.62),
])
def test_event_weights_from_the_destinations(destinations, loss, country, world):
    events = _config(destinations, loss).events
    assert float(events.country_weight[0]) == country
    np.testing.assert_allclose(np.asarray(events.world_weight)[0, 0], world, rtol=1e-6)


def _outcome(destinations, loss):
    config = _config(destinations, loss)
    model = config.loaded.model
    metrics, _ = simulate_batch(model, stack_policies([p.policy for p in config.policies]), config.events,
                                jax.random.key(0), jnp.arange(8), horizon=config.horizon_days)
    return (float(np.asarray(metrics.shortage_days)[0].mean()),
            float(np.asarray(metrics.peak_import_price_change)[0].max()))


def test_a_ban_on_one_importer_moves_the_world_price_only_through_what_is_not_diverted():
    """Fully diverted (the default), a full ban on the US changes nothing for the country;
    the same ban lost to the world market raises its import price but never hurts it as
    much as the same ban on the country itself (one scenario set)."""
    base = _outcome(["US"], None)
    assert base == (0.0, 0.0)
    lost = _outcome(["US"], 1.0)
    on_country = _outcome("country", 1.0)
    assert lost[1] > 0.0
    assert lost[0] <= on_country[0] and lost[1] <= on_country[1] + 1e-6


def test_bad_importers_are_refused_naming_every_field():
    text = IMPORTERS.replace("demand_share = { gallium = 0.5 }", "demand_share = { gallium = 0.4, tin = 0.1 }")
    text = text.replace('name = "EU"', 'name = "others"')
    text = text.replace("origin_share = { gallium = { CN = 0.4, AU = 0.6 } }",
                        "origin_share = { gallium = { CN = 0.7, XX = 0.6 } }")
    with pytest.raises(InputError) as info:
        _loaded(text)
    message = str(info.value)
    for expected in ("demand_share.gallium", "must sum to 1, got 0.9", "importers[1] (others).name",
                     "demand_share.tin", "origin_share.gallium.XX", "at most 1"):
        assert expected in message, (expected, message)


def test_importer_stock_on_a_drawn_world_stock_is_refused():
    text = IMPORTERS.replace("world_stock_days = 10", 'world_stock_days = { dist = "uniform", low = 5, high = 15 }')
    with pytest.raises(InputError, match="stock_days.gallium.*drawn world_stock_days"):
        _loaded(text)


def test_unknown_destination_is_refused_with_exit_2_and_no_store(tmp_path):
    config_text = SMALL_CONFIG.replace('name = "CN ban"', 'name = "CN ban"\ndestinations = ["US", "mars"]')
    config = write_small(tmp_path, config_text, SMALL_MODEL)
    out = tmp_path / "out.zarr"
    proc = subprocess.run([sys.executable, "-m", "simcore.cli", "run", str(config), "--output", str(out), "--quiet"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "events[0].destinations" in proc.stderr and "'mars'" in proc.stderr and "'US'" in proc.stderr
    assert not out.exists()
