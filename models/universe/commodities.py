"""The commodity table of the universe: which USGS production series become products, the
product unit, how the USGS price is converted to USD per product unit, and the end-use
tier (the exposure assumption) with the end uses behind it. The end uses are NOT in the
USGS data release (it carries no end-use text); they are the commodities' well-known main
uses, stated as the reason of the tier assumption."""

from __future__ import annotations

from dataclasses import dataclass

from japan.base import LB_PER_T

from .assumptions import UNIVERSE_ASSUMPTIONS

# IUPAC standard atomic weights (g/mol), for the stoichiometric conversions below
LI, C, O, V, TA, N, H = 6.94, 12.011, 15.999, 50.9415, 180.94788, 14.007, 1.008
TROY_OZ_PER_T = 32150.7  # USGS gold and silver chapters: "One metric ton (1,000 kilograms) = 32,150.7 troy ounces"
KG_PER_SHORT_TON = 907.18474

PRICE_UNITS = {  # USGS price unit -> (factor to USD per metric ton, text)
    "dollars per metric ton": (1.0, ""),
    "dollars per kilogram": (1000.0, " x 1000 kg/t"),
    "dollars per pound": (LB_PER_T, f" x {LB_PER_T} lb/t"),
    "cents per pound": (LB_PER_T / 100, f" / 100 x {LB_PER_T} lb/t"),
    "dollars per troy ounce": (TROY_OZ_PER_T, f" x {TROY_OZ_PER_T:g} troy oz/t (USGS chapter note)"),
    "dollars per short ton": (1000.0 / KG_PER_SHORT_TON, f" x 1000 / {KG_PER_SHORT_TON} kg per short ton"),
    "dollars per metric ton unit": (100.0, " x 100 metric ton units per metric ton of content"),
}


@dataclass(frozen=True)
class Content:
    """USD per t of the priced form -> USD per t of the production basis: a factor and why;
    ``assumption`` names the universe assumption the factor rests on, if any."""

    factor: float
    text: str
    assumption: str | None = None


SAME = Content(1.0, "")
METAL_PRICE = Content(1.0, "; mine output (content) valued at the refined-metal price: concentrates sell below it")
LI2CO3 = Content((2 * LI + C + 3 * O) / (2 * LI),
                 f" x {(2 * LI + C + 3 * O) / (2 * LI):.4f} t Li2CO3 per t Li (stoichiometric) -> USD/t Li content")
AS2O3 = Content(0.7571, " x 0.7571 t As per t As2O3 (USGS arsenic chapter note: 'arsenic content ... 75.71% for "
                "arsenic trioxide'): the metal price per t of contained arsenic, an upper value for the trioxide")
V2O5 = Content((2 * V + 5 * O) / (2 * V),
               f" x {(2 * V + 5 * O) / (2 * V):.4f} t V2O5 per t V (stoichiometric) -> USD/t V content")
TA2O5 = Content((2 * TA + 5 * O) / (2 * TA),
                f" x {(2 * TA + 5 * O) / (2 * TA):.4f} t Ta2O5 per t Ta (stoichiometric) -> USD/t Ta content")
NH3 = Content((N + 3 * H) / N, f" x {(N + 3 * H) / N:.4f} t NH3 per t N (stoichiometric) -> USD/t N content")
RUTILE = Content(1 / 0.95, " / 0.95 t TiO2 per t rutile (the price series' minimum 95% TiO2) -> USD/t TiO2 content")


def _grade(name: str, what: str, result: str, divide: bool = False) -> Content:
    """A conversion by an assumed grade (the universe assumption ``name``)."""
    value = UNIVERSE_ASSUMPTIONS[name].value
    return Content(1 / value if divide else value,
                   f" {'/' if divide else 'x'} {value:g} {what} (assumption {name}) -> {result}", name)


@dataclass(frozen=True)
class Commodity:
    series_id: str
    name: str
    tier: str  # exposure assumption: uv_exp_<tier>
    end_use: str
    content: Content = SAME
    description: str = ""


def commodities() -> list[Commodity]:
    """The new products, in the model's order (after the Japan model's 14)."""
    chromite = _grade("uv_chromite_cr_content", "t Cr per t chromite", "USD/t Cr content", divide=True)
    mn_ore = _grade("uv_mn_ore_grade", "t Mn per t ore", "USD/t ore (gross weight, the production basis)")
    fenb = _grade("uv_fenb_nb_content", "t Nb per t ferroniobium", "USD/t Nb content", divide=True)
    return [
        # battery materials
        Commodity("lithium", "lithium", "medium", "lithium-ion battery cathodes and electrolytes, glass and ceramics, "
                  "greases", LI2CO3, "Lithium (t Li content)"),
        Commodity("cobalt", "cobalt", "medium", "lithium-ion battery cathodes, superalloys, cemented carbides, "
                  "catalysts", METAL_PRICE, "Cobalt (t Co content)"),
        Commodity("nickel", "nickel", "broad", "stainless steel, alloy steels and superalloys, plating, battery "
                  "cathodes", METAL_PRICE, "Nickel (t Ni content)"),
        Commodity("manganese", "manganese", "broad", "steelmaking (deoxidiser and alloy), aluminium alloys, battery "
                  "cathodes", mn_ore, "Manganese ore (t gross weight)"),
        # semiconductor and electronics materials
        Commodity("silicon_silicon_metal", "silicon_metal", "medium", "aluminium casting alloys, silicones, "
                  "polysilicon for semiconductors and solar cells", SAME, "Silicon metal (t Si content)"),
        Commodity("indium", "indium", "medium", "indium tin oxide for flat-panel displays, solders, compound "
                  "semiconductors", SAME, "Refined indium (t)"),
        Commodity("arsenic", "arsenic", "narrow", "gallium-arsenide semiconductors (high-purity metal), wood "
                  "preservatives, glass, lead alloys", AS2O3, "Arsenic trioxide (t gross weight)"),
        Commodity("tantalum", "tantalum", "narrow", "tantalum capacitors in electronics, superalloys, sputtering "
                  "targets", TA2O5, "Tantalum (t Ta content)"),
        Commodity("fluorspar", "fluorspar", "medium", "hydrofluoric acid for fluorochemicals and semiconductor "
                  "etching, lithium-battery electrolyte salt, steel and aluminium fluxes", SAME,
                  "Fluorspar (t; all grades, valued at the acid-grade price)"),
        Commodity("selenium", "selenium", "narrow", "glass, metallurgy, agriculture and feed, pigments, "
                  "photoconductors", SAME, "Refined selenium (t Se)"),
        Commodity("cadmium", "cadmium", "narrow", "nickel-cadmium batteries, pigments, coatings, CdTe solar cells",
                  SAME, "Refined cadmium (t)"),
        # fertilizer and chemical inputs
        Commodity("potash", "potash", "medium", "fertilizers (about nine tenths of use), potassium chemicals; Japan's "
                  "fertilizer and chemical makers are in Manufacturing, farms get it through the IO table", SAME,
                  "Potash (t K2O equivalent)"),
        Commodity("phosphate_rock", "phosphate_rock", "medium", "phosphoric acid for fertilizers, feed and "
                  "industrial phosphates, LFP battery cathodes", SAME, "Marketable phosphate rock (t)"),
        Commodity("nitrogen_fixed_ammonia", "ammonia", "medium", "nitrogen fertilizers (urea, ammonium sulfate), "
                  "nitric acid, plastics and fibres, explosives", NH3, "Ammonia (t N content)"),
        Commodity("sulfur", "sulfur", "medium", "sulfuric acid for phosphate fertilizers, chemicals, metal leaching",
                  SAME, "Sulfur, all forms (t S content)"),
        Commodity("iodine", "iodine", "narrow", "X-ray contrast media, LCD polarizing film, biocides, catalysts",
                  SAME, "Crude iodine (t I)"),
        Commodity("bromine", "bromine", "narrow", "flame retardants, drilling fluids, chemical intermediates", SAME,
                  "Bromine (t Br content)"),
        # steel alloys and base metals
        Commodity("chromium", "chromium", "broad", "stainless and alloy steels, superalloys, chemicals, refractories",
                  chromite, "Chromium (t Cr content)"),
        Commodity("silicon_ferrosilicon", "ferrosilicon", "broad", "steelmaking deoxidiser and electrical steel, "
                  "cast iron", SAME, "Ferrosilicon (t Si content)"),
        Commodity("molybdenum", "molybdenum", "medium", "alloy and stainless steels, catalysts, lubricants",
                  Content(1.0, "; read as per kg of contained molybdenum (the series names no form)"),
                  "Molybdenum (t Mo content)"),
        Commodity("vanadium", "vanadium", "medium", "high-strength low-alloy steel, titanium alloys, catalysts, "
                  "redox-flow batteries", V2O5, "Vanadium (t V content)"),
        Commodity("niobium_columbium", "niobium", "medium", "high-strength low-alloy steel (ferroniobium), "
                  "superalloys, superconducting magnets", fenb, "Niobium (t Nb content)"),
        Commodity("copper_mine", "copper", "broad", "electrical wiring and motors, electronics, construction, "
                  "vehicles", METAL_PRICE, "Copper, mine output (t Cu content)"),
        Commodity("aluminum", "aluminum", "broad", "vehicles, packaging, construction, electrical", SAME,
                  "Primary aluminium (t)"),
        Commodity("alumina", "alumina", "broad", "aluminium smelting, refractories, abrasives, ceramics", SAME,
                  "Alumina (t dry)"),
        Commodity("bauxite", "bauxite", "broad", "alumina refining (then aluminium), refractories, abrasives, cement",
                  SAME, "Bauxite (t dry)"),
        Commodity("zinc", "zinc", "medium", "galvanized steel for vehicles and construction, die-cast alloys, brass",
                  METAL_PRICE, "Zinc, mine output (t Zn content)"),
        Commodity("lead", "lead", "medium", "lead-acid batteries, cable sheathing, radiation shielding",
                  METAL_PRICE, "Lead, mine output (t Pb content)"),
        Commodity("tin", "tin", "medium", "solder in electronics, tinplate, chemicals", METAL_PRICE,
                  "Tin, mine output (t Sn content)"),
        Commodity("magnesium_metal", "magnesium", "medium", "aluminium alloys, die castings, steel desulfurisation, "
                  "titanium reduction", SAME, "Primary magnesium metal (t)"),
        Commodity("titanium_sponge_metal", "titanium_sponge", "medium", "titanium metal for aircraft, chemical "
                  "plant, medical and industrial uses", SAME, "Titanium sponge (t)"),
        Commodity("titanium_mineral_concentrates_rutile", "rutile", "medium", "TiO2 pigment (chloride route), "
                  "titanium sponge feed, welding-rod fluxes", RUTILE, "Rutile (t TiO2 content)"),
        Commodity("zirconium", "zircon", "medium", "ceramics and tiles, refractories, foundry sands, zirconium "
                  "chemicals and metal", SAME, "Zircon concentrate (t gross weight)"),
        Commodity("beryllium", "beryllium", "narrow", "beryllium-copper alloys for connectors and springs, aerospace "
                  "and defence, X-ray windows", SAME, "Beryllium (t Be content)"),
        Commodity("bismuth", "bismuth", "narrow", "pharmaceuticals and chemicals, lead-free alloys and solders, "
                  "metallurgical additives", SAME, "Refined bismuth (t)"),
        Commodity("rhenium", "rhenium", "narrow", "nickel superalloys for jet-engine turbine blades, reforming "
                  "catalysts", SAME, "Rhenium (kg Re content)"),
        Commodity("mercury", "mercury", "narrow", "chlor-alkali and vinyl-chloride catalysts, lamps, dental amalgam "
                  "(phased down under the Minamata Convention)", SAME, "Mercury (t Hg content)"),
        # precious metals
        Commodity("platinum", "platinum", "medium", "vehicle exhaust catalysts, fuel cells, glass fibre, chemical "
                  "catalysts, electronics", SAME, "Platinum, mine output (kg)"),
        Commodity("palladium", "palladium", "medium", "gasoline-vehicle exhaust catalysts, electronic components "
                  "(MLCCs), dental alloys", SAME, "Palladium, mine output (kg)"),
        Commodity("silver", "silver", "medium", "electrical contacts and pastes (including solar cells), brazing "
                  "alloys, catalysts", SAME, "Silver, mine output (t Ag content)"),
        # industrial minerals
        Commodity("barite", "barite", "narrow", "drilling-mud weighting, fillers, barium chemicals, radiation "
                  "shielding", SAME, "Barite (t)"),
        Commodity("garnet_industrial", "garnet", "narrow", "waterjet cutting and blasting abrasives, water "
                  "filtration", SAME, "Industrial garnet (t)"),
    ]
