"""Stop a run whose results are not finite, naming the variable, policy and product.

The inputs are checked to be finite in float32 (simcore.schema); a run can still
overflow (a price times a volume summed over years) or meet a defect. A NaN or inf in
a result the user reads must not be printed as NaN with exit code 0: the chunk that
holds it stops the run before it is written.
"""

from __future__ import annotations

import numpy as np

from simcore.run.store import OutputError

# Metrics that are finite by construction (the time-to-survive/recover family is NaN
# by definition where no episode happened, so it is not listed).
MUST_BE_FINITE = (
    "shortage_days", "unmet", "demand", "delivered", "inflow", "initial_stock", "final_stock", "final_gov_stock",
    "gov_release", "spare_used", "undelivered_value", "value_added_loss", "gross_output_loss", "peak_price_change",
    "mean_price_change", "peak_import_price_change", "mean_sector_price_change", "mean_price_index_change",
    "peak_price_index_change",
)

SECTOR_METRICS = {"value_added_loss", "gross_output_loss", "mean_sector_price_change"}  # [..., S]; others [..., P]


class NonFiniteResult(OutputError):
    """A result of the run is NaN or infinite (the run stops before writing it)."""


def check_finite(metrics: dict, first: int, policy_names: list[str], products: list[str], sectors: list[str]) -> None:
    """Raise :class:`NonFiniteResult` at the first non-finite entry of ``metrics``
    (``{name: [policy, scenario, ...]}`` of the chunk starting at scenario ``first``)."""
    for name in MUST_BE_FINITE:
        values = metrics.get(name)
        if values is None:
            continue
        values = np.asarray(values)
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        at = np.argwhere(bad)[0]
        where = [f"policy {policy_names[at[0]]!r}", f"scenario {first + int(at[1])}"]
        if values.ndim > 2:
            kind, labels = ("sector", sectors) if name in SECTOR_METRICS else ("product", products)
            if values.shape[2] == len(labels):
                where.append(f"{kind} {labels[at[2]]!r}")
        raise NonFiniteResult(
            f"the run stopped: {name} is {values[tuple(at)]} ({', '.join(where)}; {int(bad.sum())} such value(s) "
            f"in this chunk); the model's numbers overflow the engine's float32 arithmetic somewhere: rescale the "
            f"units of prices or quantities (e.g. t instead of kg, million instead of units of currency)")
