"""The disruption family of a chokepoint screen and the engine events of its cases.

A *disruption* is what happens to a unit (:mod:`simcore.analysis.screen_units`):

``loss``     a given event from day 0: severity ``severity`` (1 = full loss) for
             ``duration_days``, tightening over ``tightening_days``; with
             ``licence_delay_days``, ``approval_easing`` and ``easing_days`` a licensing
             regime (nothing licensed for the delay, then the severity, of which the
             approval share is licensed after all, linearly over the easing days;
             docs/model.md, section 4a). An export stop to everyone: the cut leaves the
             world market too (``world_weight`` 1).
``hazard``   the unit's own stochastic hazard: the config's ``[[events]]`` that hit the
             unit's supply (a product: every event on it; a link: the events at its
             origin; a hidden link: the events on its upstream supply, reaching the
             country through the link), each restricted to the unit's rows, with its
             own rate, occurrences, duration, severity and regime (given events, with
             a fixed onset, are no hazard and are left out). A recipe link
             (``P needs Q``) inherits the hazard of the events on its input's supply:
             an event at origin ``o`` with weight ``w`` on ``Q`` cuts the share
             ``s_Qo w`` of the makers' input (the most-hit row of ``Q``), so the slot
             cuts that share of ``P``'s domestic output on the unit's carrier origin
             (a critical input binds in Leontief fashion). A domestic producer has none:
             a config event names an import origin, and domestic production is not one.

A *case* is one (unit, disruption) pair. Its events are ``J`` slots (``J``: the most any
case needs; unused slots have weight 0 and cut nothing), stacked over cases into one
:class:`~simcore.core.disruptions.EventSet` with fields ``[C, J, ...]`` that the run maps
over (``vmap``): one compiled engine for every case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.core.disruptions import EventSet


@dataclass(frozen=True)
class Disruption:
    name: str
    kind: str = "loss"  # "loss" or "hazard"
    severity: float = 1.0
    duration_days: float = 90.0
    tightening_days: float = 0.0
    licence_delay_days: float = 0.0
    approval_easing: float = 0.0
    easing_days: float = 0.0


# The standard family (issue 21). The licensing regime is an ASSUMPTION shaped on the
# 2023 gallium/germanium and 2025 rare-earth controls: licence reviews of about 45
# (working) days (market_parameters.csv ga_licence_days, mag_licence_working_days in
# models/data) with nothing licensed meanwhile, then 60 % of the withheld volume licensed
# over the next 90 days (magnet approvals rose from about 25 % to 60 % within months in
# 2025, docs/model.md section 4a), the control in force for 180 days.
DEFAULT_FAMILY = (
    Disruption("full-30", severity=1.0, duration_days=30),
    Disruption("full-90", severity=1.0, duration_days=90),
    Disruption("full-365", severity=1.0, duration_days=365),
    Disruption("partial-90", severity=0.5, duration_days=90),
    Disruption("licence-180", severity=1.0, duration_days=180, licence_delay_days=45, approval_easing=0.6,
               easing_days=90),
    Disruption("hazard", kind="hazard"),
)


def hazard_slots(events: EventSet, unit, n_origins: int, import_share=None) -> list[dict]:
    """The unit's hazard as slot dicts (fields of one event each, module doc); ``[]``
    where no config event hits the unit's supply. ``import_share`` ``[P, O]``: the
    model's, for a recipe link (the share of its input from each event's origin)."""
    if unit.hazard_key is None:  # domestic units: no config event names domestic production
        return []
    if unit.kind == "recipe":
        return _recipe_hazard(events, unit, n_origins, import_share)
    rows, origin = unit.hazard_key
    weight = np.asarray(events.product_weight, np.float64)
    event_origin = np.argmax(np.asarray(events.origin_onehot), axis=1)
    slots = []
    for e in range(weight.shape[0]):
        w = weight[e, list(rows)].max()
        if w <= 0 or float(events.hazard_per_year[e]) <= 0 or (origin is not None and event_origin[e] != origin):
            continue
        slot = {name: np.asarray(getattr(events, name))[e] for name in EventSet._fields}
        pw = np.zeros(weight.shape[1])
        world = np.zeros(weight.shape[1])
        if unit.kind == "hidden":  # the upstream cut reaches the country through the dependent supply
            slot_origin = unit.slots[0][0]
            for r, share in unit.slots[0][1].items():
                pw[r] = share * w
                world[r] = float(np.asarray(events.world_weight)[e, list(rows)].max())
        else:
            slot_origin = int(event_origin[e])
            for r in rows:
                pw[r] = weight[e, r]
                world[r] = float(np.asarray(events.world_weight)[e, r])
        slot["origin_onehot"] = np.eye(n_origins)[slot_origin]
        slot["product_weight"] = pw
        slot["world_weight"] = world
        slots.append(slot)
    return slots


def _recipe_hazard(events: EventSet, unit, n_origins: int, import_share) -> list[dict]:
    """A recipe link's hazard (module doc): each config hazard event on the input ``Q``
    as a slot on the unit's carrier origin cutting ``max_q s_qo w_eq`` of the makers'
    rows, withholding nothing from the world market."""
    if import_share is None or not unit.slots:
        return []
    inputs, _ = unit.hazard_key
    share = np.asarray(import_share, np.float64)
    weight = np.asarray(events.product_weight, np.float64)
    event_origin = np.argmax(np.asarray(events.origin_onehot), axis=1)
    carrier = unit.slots[0][0]
    slots = []
    for e in range(weight.shape[0]):
        cut = float(max(share[q, event_origin[e]] * weight[e, q] for q in inputs))
        if cut <= 0 or float(events.hazard_per_year[e]) <= 0:
            continue
        slot = {name: np.asarray(getattr(events, name))[e] for name in EventSet._fields}
        pw = np.zeros(weight.shape[1])
        for r in unit.home:
            pw[r] = min(cut, 1.0)
        slot["origin_onehot"] = np.eye(n_origins)[carrier]
        slot["product_weight"] = pw
        slot["world_weight"] = np.zeros(weight.shape[1])
        slots.append(slot)
    return slots


def loss_slots(unit, disruption: Disruption, n_products: int, n_origins: int, n_occ: int) -> list[dict]:
    """The unit's given-event slots of a ``loss`` disruption (module doc); a unit that cuts
    domestic production (its carrier origin, :mod:`~simcore.analysis.screen_units`)
    withholds nothing from the world market."""
    slots = []
    for origin, weights in unit.slots:
        pw = np.zeros(n_products)
        for r, w in weights.items():
            pw[r] = w
        world = np.zeros(n_products) if unit.home else np.ones(n_products)
        slots.append(dict(
            origin_onehot=np.eye(n_origins)[origin], product_weight=pw, hazard_per_year=0.0, onset_day=0.0,
            duration_median_days=float(disruption.duration_days), duration_sigma=0.0,
            severity=float(disruption.severity), severity_alpha=0.0, severity_beta=0.0,
            tightening_days=float(disruption.tightening_days), announcement_lead_days=0.0,
            occurrence_allowed=np.arange(n_occ) < 1, country_weight=1.0, world_weight=world,
            licence_delay_days=float(disruption.licence_delay_days), approval_easing=float(disruption.approval_easing),
            easing_days=float(disruption.easing_days), leakage_share=0.0, leakage_delay_days=0.0, leakage_kind=0,
            leakage_low=0.0, leakage_high=0.0))
    return slots


def _empty_slot(n_products: int, n_origins: int, n_occ: int) -> dict:
    slot = loss_slots(_OneSlot(), Disruption("none", severity=0.0, duration_days=1), n_products, n_origins, n_occ)[0]
    slot["product_weight"] = np.zeros(n_products)
    return slot


class _OneSlot:
    slots = [(0, {})]
    home: dict = {}


def stack_cases(case_slots: list[list[dict]], n_products: int, n_origins: int, n_occ: int) -> EventSet:
    """``EventSet`` with fields ``[C, J, ...]`` of the cases' slot lists (padded with
    empty slots to the longest)."""
    import jax.numpy as jnp

    width = max(1, max((len(s) for s in case_slots), default=1))
    empty = _empty_slot(n_products, n_origins, n_occ)
    fields = {}
    for name in EventSet._fields:
        rows = []
        for slots in case_slots:
            padded = list(slots) + [empty] * (width - len(slots))
            values = []
            for slot in padded:
                v = np.asarray(slot[name])
                if name == "occurrence_allowed":  # a config event's K may be shorter than n_occ
                    v = np.concatenate([v, np.zeros(n_occ - v.shape[0], bool)])[:n_occ]
                values.append(v)
            rows.append(np.stack(values))
        array = np.stack(rows)
        dtype = (jnp.bool_ if name == "occurrence_allowed" else jnp.int32 if name == "leakage_kind"
                 else jnp.float32)
        fields[name] = jnp.asarray(array, dtype=dtype)
    return EventSet(**fields)


def hazard_rate(slots: list[dict]) -> float:
    """Occurrences per year of a unit's hazard (the sum of its events' rates)."""
    return float(sum(float(s["hazard_per_year"]) for s in slots))
