"""CF conventions of the results store: resolved units, long names, per-product
coordinates and one dimension order.

Every data variable a run store holds gets a ``units`` string resolved for its model
(:class:`Units`: the product's unit such as ``"t"``, the model's currency such as
``"USD"``, its input-output value unit, ``"1"`` for ratios, shares and probabilities,
``"day"`` for days) and a ``long_name``; per-product metadata (``product_unit``,
``storable``) are non-index coordinates on ``product``; every variable's dimensions
follow :data:`DIMENSION_ORDER`. :func:`describe` applies all of it to one dataset
(one group of the store); the engine and the statistics keep their placeholders
(:mod:`simcore.run.metrics`), so this is the one place that resolves them.

A variable over products of different units (``"t"`` and ``"ship-day"``) has no single
unit: its ``units`` lists the distinct ones in product order (``"t | ship-day"``) and
its attribute ``unit_coordinate = "product_unit"`` names the coordinate holding each
product's own unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from simcore.run.metrics import CURRENCY, DAILY_INFO, IO_VALUE_UNIT, LONG_NAMES, METRIC_INFO, PRODUCT_UNIT

# Every variable's dimensions in this relative order (dimensions not listed keep their
# order, after these): (statistic, policy, product) in the summary, (policy, product) in
# the effects and normal times, (policy, scenario, day, product) in the daily group.
DIMENSION_ORDER = ("statistic", "policy", "scenario", "daily_scenario", "day", "product", "sector", "event",
                   "occurrence", "chunk")
# The daily group's scenario dimension: the root's ``scenario`` spans every scenario of the
# run, the daily group keeps the first few, and one tree cannot give one name two lengths.
DAILY_SCENARIO = "daily_scenario"
PRODUCT_COORDS = ("product_unit", "storable")  # per-product metadata: coordinates on ``product``

_COORD_ATTRS = {
    "statistic": {"long_name": "statistic across scenarios"},
    "policy": {"long_name": "policy mix"},
    "scenario": {"long_name": "scenario index"},
    DAILY_SCENARIO: {"long_name": "scenario index (scenarios kept day by day)"},
    "day": {"long_name": "day of the horizon", "units": "day"},
    "product": {"long_name": "product"},
    "sector": {"long_name": "sector"},
    "event": {"long_name": "disruption event"},
    "occurrence": {"long_name": "occurrence of the event in the horizon"},
    "chunk": {"long_name": "run chunk"},
    "product_unit": {"long_name": "unit of the product's quantities"},
    "storable": {"long_name": "product can be stockpiled (a material, not a service)"},
}
_FIXED = {"days": "day", "bool": "1"}  # units the engine writes in words -> their CF spelling


@dataclass(frozen=True)
class Units:
    """The units a model's placeholders stand for.

    ``products``: product names ``[P]``; ``product_units``: their units ``[P]``
    (``"t"``, ``"ship-day"``); ``storable``: ``[P]`` bool or None where unknown;
    ``currency`` and ``io_value_unit``: the model's (``"USD"``, ``"JPY million"``)."""

    products: tuple[str, ...] = ()
    product_units: tuple[str, ...] = ()
    storable: tuple[bool, ...] | None = None
    currency: str | None = None
    io_value_unit: str | None = None

    @classmethod
    def of(cls, ds: xr.Dataset, attrs: dict | None = None) -> "Units":
        """The units of a dataset holding ``product_unit`` (a variable or coordinate) and,
        in ``attrs`` (default ``ds.attrs``), ``currency`` and ``io_value_unit``."""
        attrs = ds.attrs if attrs is None else attrs
        products, units, storable = (), (), None
        if "product_unit" in ds.variables and "product" in ds.variables:
            products = tuple(str(p) for p in np.asarray(ds["product"].values))
            units = tuple(str(u) for u in np.asarray(ds["product_unit"].values))
            if "storable" in ds.variables:
                storable = tuple(bool(s) for s in np.asarray(ds["storable"].values))
        return cls(products, units, storable, attrs.get("currency"), attrs.get("io_value_unit"))

    @property
    def product_text(self) -> str | None:
        """One unit for quantities over every product: the shared one, else the distinct
        ones in product order joined by ``" | "``; None where the units are unknown."""
        distinct = list(dict.fromkeys(self.product_units))
        return " | ".join(distinct) if distinct else None

    def resolve(self, units: str) -> str:
        """``units`` with its placeholder replaced (left as it is where unknown)."""
        resolved = {PRODUCT_UNIT: self.product_text, CURRENCY: self.currency,
                    IO_VALUE_UNIT: self.io_value_unit or self.currency}.get(units)
        if resolved:
            return resolved
        if units.startswith(CURRENCY + " ") and self.currency:  # "currency / year"
            return self.currency + units[len(CURRENCY):]
        return _FIXED.get(units, units)


def order_dims(dims: tuple) -> tuple:
    """``dims`` in :data:`DIMENSION_ORDER` (unlisted dimensions last, in their order)."""
    rank = {dim: i for i, dim in enumerate(DIMENSION_ORDER)}
    return tuple(sorted(dims, key=lambda d: (rank.get(d, len(rank)), dims.index(d))))


def _variable_attrs(name: str, var: xr.DataArray, units: Units, group: str | None) -> dict:
    attrs = dict(var.attrs)
    known_units = known_name = None
    if group == "daily" and name in DAILY_INFO:
        known_units, known_name = DAILY_INFO[name]
    elif name in METRIC_INFO:
        known_units, known_name = METRIC_INFO[name][1], LONG_NAMES.get(name)
    raw = attrs.get("units", known_units)
    if raw is not None:
        attrs["units"] = units.resolve(str(raw))
        if raw == PRODUCT_UNIT and len(set(units.product_units)) > 1:
            attrs["unit_coordinate"] = "product_unit"
    attrs.setdefault("long_name", known_name or attrs.get("description") or name.replace("_", " "))
    return attrs


def describe(ds: xr.Dataset, units: Units | None = None, group: str | None = None) -> xr.Dataset:
    """``ds`` (one group of a run store: the root, ``summary``, ``effects``,
    ``normal_times``, ``daily``) as the store holds it: per-product metadata as
    coordinates (from ``ds`` itself, else from ``units``), every data variable's
    dimensions in :data:`DIMENSION_ORDER`, resolved ``units`` and a ``long_name`` on every
    data variable and index coordinate; the daily group's ``scenario`` named
    :data:`DAILY_SCENARIO`. Values are untouched (lazy arrays stay lazy).

    ``units``: default :meth:`Units.of` ``ds``."""
    units = Units.of(ds) if units is None else units
    if group == "daily" and "scenario" in ds.dims:
        ds = ds.rename({"scenario": DAILY_SCENARIO})
    ds = ds.set_coords([name for name in PRODUCT_COORDS if name in ds.data_vars])
    if "product" in ds.dims and units.products and "product_unit" not in ds.coords:
        known = {"product_unit": units.product_units, "storable": units.storable}
        for name, values in known.items():
            if values is not None:  # by name: the group's products in its own order
                by_name = dict(zip(units.products, values))
                ds = ds.assign_coords({name: ("product", [by_name[str(p)] for p in ds["product"].values])})
    # the variables first, then one Dataset: assigning them one by one aligns the whole
    # dataset each time (0.1-0.3 s for a group of 30-80 variables)
    variables = {}
    for name, var in ds.data_vars.items():
        ordered = var.variable.transpose(*order_dims(var.dims))
        # a transposed variable's encoding (zarr chunks, in the old order) no longer fits
        encoding = dict(var.encoding) if ordered.dims == var.dims else {}
        variables[name] = xr.Variable(ordered.dims, ordered.data, _variable_attrs(name, var, units, group),
                                      encoding=encoding)
    coords = ds.coords.to_dataset().copy()
    for name, extra in _COORD_ATTRS.items():
        if name in coords.variables:
            coords[name].attrs = {**extra, **coords[name].attrs}
    return coords.assign(variables).assign_attrs(ds.attrs)
