"""The products of the Japan model, one builder per product family: the six minerals
(``minerals``), the rare-earth oxides (``rare_earths``), the magnets (``magnets``) and the
two services (``services``). :func:`build_products` puts them in the model's order, labels
their essentiality, turns the assumption ranges into draws, adds the world market and
(by default) the calibrated market factors."""

from __future__ import annotations

from ..calibration import apply_calibration
from ..market import world_market
from ..uncertainty import make_uncertain
from .essentiality import label_essentiality
from .magnets import magnets
from .minerals import antimony, gallium, germanium, natural_graphite, tellurium, tungsten
from .rare_earths import rare_earths
from .services import services


def build_products(calibrated: bool = True) -> list[dict]:
    """Every product as a table of sourced numbers. ``calibrated=False``: the world market as
    the sources give it, before the calibrated factors (what the calibration itself scales)."""
    products = [gallium(), germanium(), natural_graphite(), antimony(), tungsten(), tellurium(),
                *rare_earths(), *magnets(), *services()]
    label_essentiality(products)
    make_uncertain(products)
    world_market(products)
    if calibrated:
        apply_calibration(products)
    return products
