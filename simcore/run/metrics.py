"""Names, dimensions, units and kinds of the per-scenario metrics the engine returns.

One table serves the runner (building datasets), the streaming statistics and the
store. ``kind`` says how a metric is summarised across scenarios:

* ``count``: non-negative integer counts (days, episodes): exact histograms;
* ``amount``: continuous values: exact moments plus a quantile sketch;
* ``survival``: days until something happens, NaN when it never did (the short
  tail is the risk: lower quantiles, P(within X days), lower-tail CVaR);
* ``duration``: days something lasted, NaN when it did not apply (upper tail);
* ``flag``: booleans (share of scenarios).
"""

from __future__ import annotations

QUANTILES = (0.5, 0.9, 0.95, 0.99)

# Per-scenario metric -> (dimensions after (policy, scenario), units, description, kind).
# Units "IO value unit" and "currency" are the model's io_value_unit and currency.
METRIC_INFO = {
    "shortage_days": (("product",), "days", "days with unmet demand above the shortage tolerance", "count"),
    "episodes": (("product",), "1", "supply episodes (alarm to full recovery) that started in the horizon", "count"),
    "unmet": (("product",), "product unit", "demand not served over the horizon", "amount"),
    "demand": (("product",), "product unit", "demand over the horizon (after efficiency cuts and idle users)",
               "amount"),
    "delivered": (("product",), "product unit", "demand served over the horizon", "amount"),
    "inflow": (("product",), "product unit", "supply entering the country (imports, domestic, recycled, spare)",
               "amount"),
    "initial_stock": (("product",), "product unit", "private + government stock at the start", "amount"),
    "final_stock": (("product",), "product unit", "private + government stock at the end", "amount"),
    "final_gov_stock": (("product",), "product unit", "government stock at the end", "amount"),
    "gov_release": (("product",), "product unit", "government stock released", "amount"),
    "spare_used": (("product",), "product unit", "contracted spare capacity used", "amount"),
    "undelivered_value": (("product",), "currency", "value of the demand not served (baseline price x unmet)",
                          "amount"),
    "value_added_loss": (("sector",), "IO value unit", "value added (GDP) lost over the horizon", "amount"),
    "gross_output_loss": (("sector",), "IO value unit", "gross output lost over the horizon (secondary figure: "
                          "sums double-count intermediate inputs)", "amount"),
    "peak_price_change": (("product",), "1", "highest user price relative to baseline, minus 1", "amount"),
    "mean_price_change": (("product",), "1", "mean user price relative to baseline, minus 1", "amount"),
    "peak_import_price_change": (("product",), "1", "highest import (world) price relative to baseline, minus 1",
                                 "amount"),
    "mean_sector_price_change": (("sector",), "1", "mean sector price change (Leontief price model)", "amount"),
    "mean_price_index_change": ((), "1", "mean change of the final-demand price index", "amount"),
    "peak_price_index_change": ((), "1", "peak change of the final-demand price index", "amount"),
    "time_to_survive": (("product",), "days", "first episode: days from the supply alarm to the first shortage "
                        "(0: short on the alarm day; nan: no shortage)", "survival"),
    "worst_time_to_survive": (("product",), "days", "shortest time to survive over the episodes (nan: no "
                              "shortage)", "survival"),
    "time_to_recover": (("product",), "days", "first episode: days from the alarm until supply, stocks and "
                        "deliveries are normal again (nan: no alarm; censored at the horizon end)", "duration"),
    "worst_time_to_recover": (("product",), "days", "longest time to recover over the episodes (nan: no alarm)",
                              "duration"),
    "recovered": (("product",), "bool", "false if still not recovered at the end of the horizon", "flag"),
}

# Placeholders in the units above, resolved per model when a store is written
# (:mod:`simcore.run.conventions`): the product's own unit, the model's currency and its
# input-output value unit.
PRODUCT_UNIT = "product unit"
CURRENCY = "currency"
IO_VALUE_UNIT = "IO value unit"

# Per-scenario metric -> short name for plots (CF ``long_name``); ``description`` keeps the long text.
LONG_NAMES = {
    "shortage_days": "shortage days",
    "episodes": "supply episodes",
    "unmet": "unmet demand",
    "demand": "demand",
    "delivered": "demand served",
    "inflow": "supply inflow",
    "initial_stock": "initial stock",
    "final_stock": "final stock",
    "final_gov_stock": "final government stock",
    "gov_release": "government stock released",
    "spare_used": "spare capacity used",
    "undelivered_value": "value of unmet demand",
    "value_added_loss": "value-added loss",
    "gross_output_loss": "gross output loss",
    "peak_price_change": "peak user price change",
    "mean_price_change": "mean user price change",
    "peak_import_price_change": "peak import price change",
    "mean_sector_price_change": "mean sector price change",
    "mean_price_index_change": "mean price index change",
    "peak_price_index_change": "peak price index change",
    "time_to_survive": "time to survive",
    "worst_time_to_survive": "worst time to survive",
    "time_to_recover": "time to recover",
    "worst_time_to_recover": "worst time to recover",
    "recovered": "recovered by the horizon end",
}

# Daily trajectory (``simcore.core.step.Daily``, kept for ``run.daily_scenarios``
# scenarios) -> (units, long_name); one value per day of the horizon.
DAILY_INFO = {
    "private_stock": (PRODUCT_UNIT, "private stock"),
    "gov_stock": (PRODUCT_UNIT, "government stock"),
    "delivered": (PRODUCT_UNIT, "demand served on the day"),
    "unmet": (PRODUCT_UNIT, "demand not served on the day"),
    "price_change": ("1", "user price relative to baseline, minus 1"),
    "import_price_change": ("1", "import (world) price relative to baseline, minus 1"),
    "scarcity_premium": ("1", "domestic scarcity multiple, minus 1"),
    "world_stock_days": ("day", "world stocks outside the controlling origin, in days of market demand"),
    "world_fill": ("1", "share of world demand the world market delivers"),
    "sector_output_share": ("1", "sector output as a share of baseline output"),
    "sector_price_change": ("1", "sector price change (Leontief price model)"),
    "price_index_change": ("1", "final-demand price index change"),
}
