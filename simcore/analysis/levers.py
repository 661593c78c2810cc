"""Policy levers addressed by path, and policy mixes built from them.

A *lever path* names one or more elements of a :class:`~simcore.core.model.Policy`
with the config's words (``[[policies]]`` tables, see ``configs/README.md``)::

    stockpile                                   # a whole pillar (every lever of it)
    stockpile.gov_stock_days                    # one lever, every product
    stockpile.gov_stock_days.gallium            # one lever, one product
    diversification.spare_capacity.gallium.EU   # a (product, origin) lever
    diversification.import_share.gallium.CN     # see "import shares" below
    stockpile.gov_stock_days.ndfeb_magnet       # a product with user segments: all of them
    stockpile.gov_stock_days.ndfeb_magnet.direct_lean   # one segment (product.segment)

Pillars and keys are those of :data:`simcore.schema.config.POLICY_LEVERS` plus
``diversification.import_share`` and ``diversification.spare_capacity``; the text
lever ``recycling.start`` cannot be varied numerically. A stockpile lever without a
product (``stockpile.gov_stock_days``) means every *storable* product (services cannot
be stockpiled).

Import shares: setting origin ``o``'s share of a product rescales the other origins'
shares of that product proportionally so that the import total of the row stays the
model's (the rule the config enforces); a value above that total is refused.

Mixes are built on NumPy copies of the policy fields (``dict`` field -> array) and
stacked into a Policy with a leading ``mix`` axis for the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from simcore.core.model import Policy
from simcore.schema.config import POLICY_LEVERS, STOCKPILED
from simcore.schema.errors import Problems
from simcore.schema.modelfile import LoadedModel
from simcore.schema.spec import DiversificationSpec, RecyclingSpec, StockpileSpec, schema_problems

PILLARS = ("stockpile", "diversification", "recycling")
ORIGIN_LEVERS = {"import_share": "import_share", "spare_capacity": "spare_capacity"}  # diversification, [P, O]
_SPECS = {"stockpile": StockpileSpec, "diversification": DiversificationSpec, "recycling": RecyclingSpec}
TEXT_LEVERS = {("recycling", "start")}


def lever_keys(pillar: str) -> dict[str, str]:
    """Config key -> Policy field of one pillar (numeric levers only)."""
    keys = {k: f for k, f in POLICY_LEVERS[pillar].items() if (pillar, k) not in TEXT_LEVERS}
    if pillar == "diversification":
        keys.update(ORIGIN_LEVERS)
    return keys


def pillar_fields(pillar: str) -> list[str]:
    """Policy fields that belong to a pillar (the text lever ``start`` included)."""
    fields = list(POLICY_LEVERS[pillar].values())
    if pillar == "diversification":
        fields += list(ORIGIN_LEVERS.values())
    return fields


@dataclass(frozen=True)
class Lever:
    """A resolved lever path: the Policy elements it sets.

    ``masks``: Policy field -> boolean mask of that field's shape (``[P]`` or ``[P, O]``).
    ``pillar`` / ``key`` / ``product`` / ``origin`` are the path parts (None if not given).
    """

    path: str
    pillar: str
    key: str | None
    product: str | None
    origin: str | None
    masks: dict

    @property
    def settable(self) -> bool:
        """True if one number can be given to it (a lever key, not a whole pillar)."""
        return self.key is not None

    def overlaps(self, other: "Lever") -> bool:
        return any(field in other.masks and bool(np.any(mask & other.masks[field]))
                   for field, mask in self.masks.items())


def resolve(path, loaded: LoadedModel) -> tuple[Lever | None, str | None]:
    """``(Lever, None)`` or ``(None, reason)`` for a lever path (see the module doc)."""
    if not isinstance(path, str) or not path.strip():
        return None, f"must be a lever path like 'stockpile.gov_stock_days.gallium', got {path!r}"
    parts = path.strip().split(".")
    pillar = parts[0]
    if pillar not in PILLARS:
        return None, f"unknown pillar {pillar!r}; allowed: {', '.join(PILLARS)}"
    products, origins = loaded.products, loaded.origins
    n_products, n_origins = len(products), len(origins)
    storable = np.asarray(loaded.model.storable) > 0.5
    if len(parts) == 1:
        masks = {}
        for field in pillar_fields(pillar):
            masks[field] = np.ones((n_products, n_origins) if field in ORIGIN_LEVERS.values() else n_products, bool)
        return Lever(path, pillar, None, None, None, masks), None
    key = parts[1]
    keys = lever_keys(pillar)
    if key not in keys:
        return None, (f"unknown lever {key!r} of {pillar}; allowed: {', '.join(keys)}"
                      + (" (recycling.start is a text and cannot be varied)" if (pillar, key) in TEXT_LEVERS else ""))
    field = keys[key]
    per_origin = key in ORIGIN_LEVERS
    rest = parts[2:]
    product = None
    if rest:  # a segment's name holds a dot itself: product.segment
        if len(rest) >= 2 and f"{rest[0]}.{rest[1]}" in products:
            product, rest = f"{rest[0]}.{rest[1]}", rest[2:]
        else:
            product, rest = rest[0], rest[1:]
    if len(rest) > (1 if per_origin else 0):
        return None, f"too many parts: {pillar}.{key} takes {'a product and an origin' if per_origin else 'a product'}"
    origin = rest[0] if rest else None
    group = loaded.segments.get(product, [])  # a product with user segments: the lever moves them all
    if product is not None and product not in products and not group:
        return None, f"unknown product {product!r}; allowed: {', '.join(loaded.product_names)}"
    if per_origin and (product is None or origin is None):
        return None, f"{pillar}.{key} needs a product and an origin, e.g. {pillar}.{key}.{products[0]}.{origins[0]}"
    if per_origin and group:
        return None, f"{product} has user segments with their own import shares; name one: {', '.join(group)}"
    if origin is not None and origin not in origins:
        return None, f"unknown origin {origin!r}; allowed: {', '.join(origins)}"
    if per_origin:
        mask = np.zeros((n_products, n_origins), bool)
        mask[products.index(product), origins.index(origin)] = True
    else:
        mask = np.zeros(n_products, bool)
        if product is None:
            mask[:] = storable if key in STOCKPILED else True
        else:
            for name in group or [product]:
                if key in STOCKPILED and not storable[products.index(name)]:
                    return None, f"{name} is a service (storable = false): services cannot be stockpiled"
                mask[products.index(name)] = True
    if key == "import_share":
        baseline_total = float(np.asarray(loaded.model.import_share)[products.index(product)].sum())
        if baseline_total <= 0:
            return None, f"{product} has no imports in the model: its import shares cannot be varied"
    return Lever(path, pillar, key, product, origin, {field: mask}), None


def value_problem(lever: Lever, value, loaded: LoadedModel) -> str | None:
    """Why ``value`` cannot be given to ``lever`` (None if it can): the config schema's
    own range check of the lever, and the import total for import shares."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, got {value!r}"
    if lever.key in ORIGIN_LEVERS:
        table = {lever.key: {lever.product: {lever.origin: value}}}
    else:
        table = {lever.key: value}
    problems = Problems("lever")
    schema_problems(_SPECS[lever.pillar], table, problems)
    if problems.items:
        return problems.items[0][1]
    if lever.key == "import_share":
        total = float(np.asarray(loaded.model.import_share)[loaded.products.index(lever.product)].sum())
        if value > total + 1e-12:
            return (f"must be <= the import total of {lever.product} ({total:.6g}): the other origins' shares are "
                    "rescaled to keep it")
    return None


def policy_fields(policy: Policy) -> dict[str, np.ndarray]:
    """A Policy as ``{field: float64 array}`` (copies)."""
    return {name: np.array(value, dtype=np.float64) for name, value in policy._asdict().items()}


def mixes_from_values(base: Policy, levers: list[Lever], values: np.ndarray) -> dict[str, np.ndarray]:
    """``M`` mixes: ``base`` with lever ``j`` set to ``values[m, j]`` in mix ``m``.

    Returns ``{field: array [M, ...]}``. Import-share levers rescale the row's other
    origins (see the module doc)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(levers))
    n_mixes = values.shape[0]
    fields = {name: np.repeat(value[None], n_mixes, axis=0) for name, value in policy_fields(base).items()}
    for j, lever in enumerate(levers):
        (field, mask), = lever.masks.items()
        if lever.key == "import_share":
            p, o = np.argwhere(mask)[0]
            row = fields[field][:, p, :]  # [M, O]
            total = row.sum(axis=1)
            others = total - row[:, o]
            new = values[:, j]
            scale = np.where(others > 0, (total - new) / np.where(others > 0, others, 1.0), 0.0)
            rest = row * scale[:, None]
            if np.any((others <= 0) & (total - new > 1e-12)):
                # no other origin to move volume to: spread the rest evenly over the other origins
                spread = (total - new) / (row.shape[1] - 1)
                rest = np.where((others <= 0)[:, None], spread[:, None], rest)
            rest[:, o] = new
            fields[field][:, p, :] = rest
        else:
            target = fields[field]
            target[:, mask] = values[:, j][:, None]
    return fields


def coalition_fields(full: Policy, reference: Policy, players: list[Lever], coalitions: np.ndarray,
                     rest: str = "policy") -> dict[str, np.ndarray]:
    """Mixes for coalitions of ``players``: ``coalitions`` ``[C, n]`` bool; a present
    player's elements take ``full``'s values, an absent one's ``reference``'s. Elements
    of no player take ``full``'s values (``rest = "policy"``) or ``reference``'s
    (``rest = "reference"``). Returns ``{field: [C, ...]}``."""
    coalitions = np.asarray(coalitions, dtype=bool).reshape(-1, len(players))
    high, low = policy_fields(full), policy_fields(reference)
    base = high if rest == "policy" else low
    out = {}
    for name in high:
        covered = [(i, player.masks[name]) for i, player in enumerate(players) if name in player.masks]
        value = np.repeat(base[name][None], coalitions.shape[0], axis=0)
        for i, mask in covered:
            chosen = np.where(coalitions[:, i].reshape((-1,) + (1,) * mask.ndim), high[name][None], low[name][None])
            value = np.where(mask[None], chosen, value)
        out[name] = value
    return out


def stacked(fields: dict[str, np.ndarray], rows=None) -> Policy:
    """A Policy with a leading mix axis from ``{field: [M, ...]}`` (rows ``rows`` only)."""
    if rows is not None:
        fields = {k: v[rows] for k, v in fields.items()}
    return Policy(**{k: jnp.asarray(v, dtype=jnp.float32) for k, v in fields.items()})
