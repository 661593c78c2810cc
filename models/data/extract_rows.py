"""One-off: copy the rows the Japan model uses from the team's shared dataset.

Run from the repository root with the shared data beside it::

    python models/data/extract_rows.py ../shared/data

Rows are copied verbatim (every column, ``source`` included); nothing is edited.
Users who clone the project get the copies in ``models/data/`` and never need
``../shared``. ``models/build_japan.py`` reads only the copies.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

WORLD_MATERIALS = {"gallium", "germanium", "graphite (natural)", "antimony", "tungsten", "tellurium",
                   "rare earths (REO)", "dysprosium", "terbium"}
PRICE_SERIES_PREFIX = {
    "gallium": ("Ga metal",),
    "germanium": ("Ge metal",),
    "antimony": ("Sb metal",),
    "tungsten": ("WO3 concentrate",),
    "graphite (natural)": ("Flake",),
    "tellurium": ("Te min 99.99%",),
    "rare earths": ("NdPr oxide", "Dy oxide", "Tb oxide"),
}
IMPORT_KEEP = {
    # (material, period) pairs; None = every period of that material
    ("graphite (natural)", None),
    ("gallium/germanium (mixed)", None),
    ("rare earths", None),
    ("rare earths (yttrium oxide)", None),
    ("graphite", None),
    ("antimony (ingot)", None),
    ("antimony (oxide)", None),
    ("antimony (unwrought)", None),
    ("gallium", None),
    ("gallium / germanium", None),
    ("natural graphite", None),
    ("rare-earth metals", None),
    ("rare-earth compounds", None),
    ("tungsten", None),
    ("antimony", None),
}


def _copy(src: Path, dst: Path, keep) -> int:
    with src.open(newline="", encoding="utf-8") as fin:
        reader = csv.DictReader(fin)
        rows = [r for r in reader if keep(r)]
        fields = reader.fieldnames
    with dst.open("w", newline="", encoding="utf-8") as fout:
        writer = csv.DictWriter(fout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main(shared: Path) -> None:
    n = _copy(shared / "world_production_shares.csv", HERE / "world_production_shares.csv",
              lambda r: r["material"] in WORLD_MATERIALS and r["year"] in ("2024", ""))
    print("world_production_shares.csv", n)

    def keep_price(r):
        prefixes = PRICE_SERIES_PREFIX.get(r["material"], ())
        return any(r["series"].startswith(p) for p in prefixes) and "vintage" not in r["series"]
    print("prices.csv", _copy(shared / "prices.csv", HERE / "prices.csv", keep_price))
    print("japan_import_shares.csv", _copy(shared / "japan_import_shares.csv", HERE / "japan_import_shares.csv",
                                           lambda r: (r["material"], None) in IMPORT_KEEP))
    print("japan_io_sectors.csv", _copy(shared / "japan_io_sectors.csv", HERE / "japan_io_sectors.csv",
                                        lambda r: True))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
