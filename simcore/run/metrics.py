"""Names, dimensions and units of the per-scenario metrics the engine returns.

One table serves the runner (building datasets), the statistics and the store.
"""

from __future__ import annotations

QUANTILES = (0.5, 0.9, 0.95, 0.99)

# Per-scenario metric -> (dimensions after (policy, scenario), units, description)
METRIC_INFO = {
    "shortage_days": (("product",), "days", "days with unmet demand above the shortage tolerance"),
    "unmet": (("product",), "product unit", "demand not served over the horizon"),
    "demand": (("product",), "product unit", "demand over the horizon (after efficiency cuts)"),
    "delivered": (("product",), "product unit", "demand served over the horizon"),
    "inflow": (("product",), "product unit", "supply entering the country (imports, domestic, recycled, spare)"),
    "initial_stock": (("product",), "product unit", "private + government stock at the start"),
    "final_stock": (("product",), "product unit", "private + government stock at the end"),
    "final_gov_stock": (("product",), "product unit", "government stock at the end"),
    "gov_release": (("product",), "product unit", "government stock released"),
    "spare_used": (("product",), "product unit", "contracted spare capacity used"),
    "lost_output": (("sector",), "IO value unit", "sector output lost over the horizon"),
    "peak_price_change": (("product",), "1", "highest price relative to baseline, minus 1"),
    "mean_price_change": (("product",), "1", "mean price relative to baseline, minus 1"),
    "mean_sector_price_change": (("sector",), "1", "mean sector price change (Leontief price model)"),
    "mean_price_index_change": ((), "1", "mean change of the final-demand price index"),
    "peak_price_index_change": ((), "1", "peak change of the final-demand price index"),
    "time_to_survive": (("product",), "days", "days from the first supply alarm to the first shortage (nan: none)"),
    "time_to_recover": (("product",), "days", "days from the first alarm until supply, stocks and deliveries are "
                        "normal again (nan: no alarm; censored at the horizon when recovered is false)"),
    "recovered": (("product",), "bool", "false if still not recovered at the end of the horizon"),
}


