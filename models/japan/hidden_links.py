"""Hidden suppliers (tier 3 and below): which product from which origin depends on another
origin's supply, and by how much. No data exist below tier 3, so every link is a labelled
assumption with its reason and a triangular range; ``NOT_MODELLED_LINKS`` keeps the
candidate links deliberately left out, with why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HiddenLink:
    """A hidden supplier (tier 3 and below): ``share`` (triangular low/mode/high) of
    ``product``'s supply from ``origin`` depends on ``on_origin``'s supply of ``on_product``
    (None: the same product). Always a labelled assumption with its reason."""

    product: str
    origin: str
    on_origin: str
    on_product: str | None
    low: float
    mode: float
    high: float
    reason: str


_HREE = ("China separates about 90% of the world's Dy, Tb and Sm (assumption hree_separation_cn, range "
         "0.8-0.99), so material bought outside China is largely Chinese-separated oxide or metal traded on "
         "or processed elsewhere")
HIDDEN_LINKS = (
    HiddenLink("ndfeb_magnet_direct", "VN", "CN", "dysprosium", 0.2, 0.45, 0.8,
               "Vietnamese NdFeB plants serving Japanese users: the heat-resistant grades (about half of "
               "output, the weight 0.5 the configs give magnets in the 2025-04 rule) need Dy, and " + _HREE),
    HiddenLink("ndfeb_magnet_direct", "VN", "CN", "terbium", 0.05, 0.15, 0.4,
               "the top heat-resistant grades of Vietnamese NdFeB use Tb (grain-boundary diffusion) besides "
               "or instead of Dy; " + _HREE),
    HiddenLink("ndfeb_magnet_direct", "VN", "CN", "ndpr_oxide", 0.1, 0.3, 0.6,
               "every NdFeB magnet needs NdPr; Vietnam separates some light rare earths and buys Australian "
               "oxide separated in Malaysia, the rest is Chinese oxide, metal or alloy"),
    HiddenLink("ndfeb_magnet_direct", "ROW", "CN", "dysprosium", 0.2, 0.45, 0.8,
               "magnets from other origins (other Asian, European makers; ROW in the model) need Dy for "
               "the heat-resistant grades like Vietnam's; " + _HREE),
    HiddenLink("ndfeb_magnet_direct", "ROW", "CN", "ndpr_oxide", 0.1, 0.3, 0.6,
               "magnet makers outside China buy part of their NdPr metal and alloy from China (non-Chinese "
               "metal-making capacity is small)"),
    HiddenLink("smco_magnet", "ROW", "CN", "samarium", 0.3, 0.6, 0.9,
               "every SmCo magnet needs samarium, and " + _HREE),
    HiddenLink("dysprosium", "ROW", "CN", None, 0.2, 0.5, 0.8, "Dy imported from non-Chinese origins: " + _HREE),
    HiddenLink("terbium", "ROW", "CN", None, 0.2, 0.5, 0.8, "Tb imported from non-Chinese origins: " + _HREE),
    HiddenLink("samarium", "ROW", "CN", None, 0.2, 0.5, 0.8, "Sm imported from non-Chinese origins: " + _HREE),
    HiddenLink("germanium", "ROW", "CN", None, 0.05, 0.2, 0.5,
               "refiners outside China (Belgium, Canada, ... grouped as ROW) treat zinc concentrates, scrap and "
               "germanium concentrate, part of it of Chinese origin; no trade data on the feed in models/data"),
    HiddenLink("natural_graphite", "KR", "CN", None, 0.1, 0.3, 0.6,
               "graphite bought from Korea is mostly processed (anode) material, and Korea's anode makers "
               "depend on Chinese spherical graphite; Korea's own mine output (the proxy share) is small"),
)


# Candidate links left OUT of the model: Korean (0.2/0.5/0.8: Korea mines no antimony, its
# ingot is refined from imported, historically largely Chinese feed) and Vietnamese (0.1/0.3/
# 0.6) antimony on Chinese antimony. They act on the 2024-09 Sb episode itself (through
# Japan's weight in world demand), which validation/ uses to calibrate the world market;
# adding them should go together with that calibration (not done yet).
NOT_MODELLED_LINKS = (
    HiddenLink("antimony", "KR", "CN", None, 0.2, 0.5, 0.8,
               "Korea mines no antimony (not in the USGS table); its ingot is refined from imported concentrate "
               "and crude antimony, historically largely from China"),
    HiddenLink("antimony", "VN", "CN", None, 0.1, 0.3, 0.6,
               "Vietnamese smelters treat domestic and imported concentrate, part of it traded through or from "
               "China"),
)
