"""The numbers of a model file that sensitivities are taken to, and where each one goes.

A sensitivity is reported per **number of the model file** (``products.gallium.
inventory_days``, ``products.gallium.import_share.CN``, ...), not per field of the core
:class:`~simcore.core.model.Model`: one number may fill several Model elements (a
``price_elasticity`` drives ``Model.price_elasticity`` and, when the file gives no
``world_price_elasticity``, ``Model.world_price_elasticity`` too; an import share also
sets the derived domestic share and the default world shares; a segmented product's
number fills every segment that inherits it).

Where a number goes is read off the model builder itself: the file is rebuilt with that
number changed (:func:`file_numbers`) and every Model array that moves is recorded as
a direction ``d field / d number`` (per unit of the number). The builder is linear in
these numbers (copies, defaults, ``1 - sum`` of shares); this is checked by rebuilding
at two different values, and a number that maps non-linearly is refused by name.
A changed model is then ``model + sum_j directions_j x (theta_j - theta0_j)``
(:func:`shifted_model`, traceable).

Each number's own **uncertainty range** comes from its distribution in the file
(``{low, mode, high}`` triangular, ``{dist = "uniform", low, high}``,
``{dist = "lognormal", median, sigma}``; docs/uncertainty.md): :func:`percentile`
is the distribution's inverse CDF (numpy, the same formulas as
:func:`simcore.core.uncertainty.inverse_cdf`). A plain number has no range.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

# Model-file keys covered, per product (and per user segment): scalar numbers and
# tables of numbers (one number per entry).
SCALAR_KEYS = ("inventory_days", "price_elasticity", "world_price_elasticity")
TABLE_KEYS = ("import_share", "exposure")
GROUPS = SCALAR_KEYS + TABLE_KEYS
# the values a number is rebuilt at (factors of its central value): the direction is
# taken at the first and checked at the second
_PROBE_FACTORS = (0.5, 0.8)
_LINEAR_RTOL = 1e-3


@dataclass(frozen=True)
class FileNumber:
    """One number of a model file.

    ``name``: its place in the file (``products.gallium.import_share.CN``,
    ``products.ndfeb_magnet.segments.direct_lean.inventory_days``); ``group``: the key
    (``import_share``); ``value``: its central value (a distribution's mode, midpoint or
    median), in the file's units; ``directions``: ``{Model field: array of the field's
    shape}``, the change of each Model element per unit of the number;
    ``distribution``: the file's table (``{"dist": "triangular", "low", "mode", "high"}``,
    ...) or None for a plain number."""

    name: str
    group: str
    value: float
    directions: dict = field(compare=False)
    distribution: dict | None = None

    @property
    def fields(self) -> list[str]:
        """The Model fields this number fills."""
        return sorted(self.directions)


def central(value) -> float:
    """The central value of a file entry: a number, or a distribution table's mode
    (triangular), midpoint (uniform) or median (lognormal)."""
    if not isinstance(value, dict):
        return float(value)
    kind = value.get("dist", "triangular")
    if kind == "lognormal":
        return float(value["median"])
    if kind == "uniform":
        return 0.5 * (float(value["low"]) + float(value["high"]))
    return float(value["mode"])


def percentile(dist: dict, q: float) -> float:
    """The ``q`` quantile (``0 < q < 1``) of a model-file distribution table
    (inverse CDF; the same formulas as :func:`simcore.core.uncertainty.inverse_cdf`,
    without the field's clipping, which the schema makes moot for triangular and
    uniform tables)."""
    kind = dist.get("dist", "triangular")
    if kind == "lognormal":
        return float(dist["median"]) * math.exp(float(dist["sigma"]) * NormalDist().inv_cdf(q))
    low, high = float(dist["low"]), float(dist["high"])
    if kind == "uniform":
        return low + q * (high - low)
    mode = float(dist["mode"])
    if high <= low:
        return low
    split = (mode - low) / (high - low)
    if q < split:
        return low + math.sqrt(q * (high - low) * (mode - low))
    return high - math.sqrt((1.0 - q) * (high - low) * (high - mode))


def _entries(raw: dict, groups) -> list[tuple[str, str, tuple]]:
    """``(name, group, path)`` of every covered entry of a raw model file (``path``: the
    keys and list indices that reach it)."""
    out = []

    def visit(table: dict, prefix: str, path: tuple):
        for key in groups:
            if key not in table:
                continue
            if key in TABLE_KEYS:
                if isinstance(table[key], dict):
                    for entry in table[key]:
                        out.append((f"{prefix}.{key}.{entry}", key, path + (key, entry)))
            else:
                out.append((f"{prefix}.{key}", key, path + (key,)))

    for i, product in enumerate(raw.get("products") or []):
        if not isinstance(product, dict):
            continue
        prefix = f"products.{product.get('name', i)}"
        visit(product, prefix, ("products", i))
        for s, segment in enumerate(product.get("segments") or []):
            if isinstance(segment, dict):
                visit(segment, f"{prefix}.segments.{segment.get('name', s)}", ("products", i, "segments", s))
    return out


def _get(raw, path):
    for key in path:
        raw = raw[key]
    return raw


def _set(raw, path, value):
    _get(raw, path[:-1])[path[-1]] = value


def model_arrays(raw: dict) -> dict:
    """``{Model field: float64 array}`` of the model a raw model file builds, without
    the cross-field checks (pass 2) so that one number can move alone; uncertain numbers
    at their central values."""
    from simcore.schema.errors import Problems
    from simcore.schema.modelfile import MODEL_HINTS
    from simcore.schema.model_build import model_from_spec
    from simcore.schema.segments import expand_segments, segment_groups
    from simcore.schema.spec import ModelFileSpec, schema_problems

    problems = Problems("model")
    spec, _ = schema_problems(ModelFileSpec, raw, problems, hints=MODEL_HINTS)
    problems.raise_if_any()
    spec, expansion = expand_segments(spec)
    model, _, _ = model_from_spec(spec, expansion)
    if expansion.segments:
        model = model._replace(**segment_groups([p.name for p in spec.products], expansion.segments))
    return {name: np.asarray(value, np.float64) for name, value in model._asdict().items()
            if hasattr(value, "dtype") and np.issubdtype(np.asarray(value).dtype, np.floating)}


def file_numbers(raw: dict, groups=GROUPS) -> list[FileNumber]:
    """The non-zero numbers of ``groups`` in a raw (parsed TOML) model file, with their
    directions in the Model (module doc), in file order.

    Raises ``ValueError`` naming every number that maps non-linearly into the Model."""
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown sensitivity groups {unknown}; allowed: {', '.join(GROUPS)}")
    plain = copy.deepcopy(raw)
    entries = _entries(plain, groups)
    for _, _, path in entries:  # every covered number at its central value (a plain number)
        _set(plain, path, central(_get(plain, path)))
    base = model_arrays(plain)
    out, nonlinear = [], []
    for name, group, path in entries:
        value = float(_get(plain, path))
        if value == 0.0:
            continue
        found = []
        for factor in _PROBE_FACTORS:
            moved = copy.deepcopy(plain)
            _set(moved, path, value * factor)
            arrays = model_arrays(moved)
            delta = value * (factor - 1.0)
            found.append({f: (arrays[f] - base[f]) / delta for f in base
                          if arrays[f].shape == base[f].shape and not np.array_equal(arrays[f], base[f])})
        first, second = found
        same = set(first) == set(second) and all(
            np.allclose(first[f], second[f], rtol=_LINEAR_RTOL, atol=_LINEAR_RTOL * np.max(np.abs(first[f])))
            for f in first)
        if not same:
            nonlinear.append(name)
            continue
        original = _get(raw, path)
        out.append(FileNumber(name=name, group=group, value=value,
                              directions={f: d.astype(np.float32) for f, d in first.items()},
                              distribution=dict(original) if isinstance(original, dict) else None))
    if nonlinear:
        raise ValueError(f"model-file numbers that the builder maps non-linearly (not covered): {', '.join(nonlinear)}")
    return out


def directions_by_field(numbers: list[FileNumber]) -> dict[str, np.ndarray]:
    """``{field: [n, *shape] float32}``: number ``j``'s direction in each field (0 where
    it does not reach), for :func:`shifted_model`."""
    out: dict[str, np.ndarray] = {}
    for j, number in enumerate(numbers):
        for f, d in number.directions.items():
            if f not in out:
                out[f] = np.zeros((len(numbers),) + d.shape, np.float32)
            out[f][j] = d
    return out


def shifted_model(model, directions: dict, shifts):
    """``model`` with number ``j`` moved by ``shifts[j]`` (file units; traceable):
    ``field + sum_j shifts[j] x directions[field][j]``."""
    import jax.numpy as jnp

    return model._replace(**{f: getattr(model, f) + jnp.tensordot(shifts, jnp.asarray(d), axes=1).astype(
        getattr(model, f).dtype) for f, d in directions.items()})
