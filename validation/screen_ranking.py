"""Screen-level validation (issue 21, item 4): simcore's chokepoint ranking of the US-like
universe against the published US ranking of critical minerals.

PRE-REGISTRATION (committed before the first run; changing it after a run is a new
registration and must say so):

* **Observation.** ``models/data/universe/usgs_2025_ranking.csv``: the order of the 2025
  draft U.S. List of Critical Minerals (ranks 1-10 secondary: the official release as
  quoted; ranks 11-50 tertiary, unverified; no scores). The USGS ranks commodities by
  probability-weighted GDP loss over >1,200 year-long trade-disruption scenarios.
* **Model run.** ``configs/us_universe_screen.toml``: ``models/us_universe.toml`` (US net
  import reliance, origins from world production outside the US, Japan's IO table and
  demand: the repository has no US table), every product screened under a full loss of
  its imports for 365 days (``rank_by = "full-365"``), no policy, 100 scenarios.
* **Mapping** (:data:`NAME_MAP`): a USGS commodity maps to the model product of the same
  material; neodymium to ``ndpr_oxide`` (praseodymium, the same product, is left out so
  that no product counts twice); silicon to ``silicon_metal``; titanium to
  ``titanium_sponge``; graphite to ``natural_graphite``. Commodities without a model
  product (rhodium, lutetium, gadolinium, yttrium, hafnium, ...) are left out and listed.
* **Statistic.** Spearman's rho between the USGS rank and the screen's rank (by expected
  value-added loss) over the commonly covered commodities, with a one-sided permutation
  p-value (10,000 permutations, seed 0), on all of them and on the top-ten subset (the
  only ranks with a secondary source).
* **Band.** Agreement is rho >= 0.3 with p < 0.05 over the common commodities. We expect
  no more: the USGS weights each disruption by its probability and uses US industries,
  the screen here disrupts every product alike (no probability) on Japan's economy with US
  import reliance, so exposure, not supply risk, drives its order. A rho below 0.3 is
  reported as disagreement, with the largest rank differences explained, not tuned away.

Run: ``python -m validation.screen_ranking [--config PATH] [--store PATH]``: runs the screen
(or reads a screen store given with ``--store``), prints the table and the statistic, and
writes ``results/validation/screen-ranking-<date>.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RANKING = ROOT / "models" / "data" / "universe" / "usgs_2025_ranking.csv"
CONFIG = ROOT / "configs" / "us_universe_screen.toml"
# USGS commodity -> model product, where the names differ (module doc, "Mapping")
NAME_MAP = {"neodymium": "ndpr_oxide", "silicon": "silicon_metal", "titanium": "titanium_sponge",
            "graphite": "natural_graphite"}
LEFT_OUT = {"praseodymium": "the same product as neodymium (ndpr_oxide), counted once"}
RHO_BAND = 0.3
P_BAND = 0.05
PERMUTATIONS = 10_000


def usgs_ranks() -> dict[str, int]:
    """USGS commodity -> rank (1..50; the unranked positions 51-54 are left out)."""
    with open(RANKING, newline="") as handle:
        return {row["commodity"]: int(row["rank"]) for row in csv.DictReader(handle) if row["rank"].strip()}


def spearman(a, b) -> float:
    """Spearman's rho of two equal-length sequences (average ranks for ties)."""
    def ranks(x):
        x = np.asarray(x, np.float64)
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(1, len(x) + 1)
        for value in np.unique(x):  # ties share their mean rank
            tied = x == value
            r[tied] = r[tied].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def permutation_p(a, b, n: int = PERMUTATIONS, seed: int = 0) -> float:
    """One-sided p-value of rho >= observed under random orderings of ``b``."""
    rng = np.random.default_rng(seed)
    observed = spearman(a, b)
    b = np.asarray(b)
    hits = sum(spearman(a, rng.permutation(b)) >= observed for _ in range(n))
    return (hits + 1) / (n + 1)


def compare(screen_ds, disruption: str = "full-365", policy: str = "no-policy") -> dict:
    """Pairs (USGS rank, screen rank) over the common commodities and the statistics."""
    view = screen_ds.sel(policy=policy, disruption=disruption)
    products = [str(p) for p in view["unit_product"].values]
    kinds = [str(k) for k in view["kind"].values]
    loss = {p: float(v) for p, k, v in zip(products, kinds, view["expected_loss"].values) if k in ("product", "service")}
    # the screen's rank among the compared commodities only (1 = largest expected loss)
    usgs = usgs_ranks()
    rows, missing = [], []
    for commodity, rank in sorted(usgs.items(), key=lambda kv: kv[1]):
        if commodity in LEFT_OUT:
            continue
        product = NAME_MAP.get(commodity, commodity)
        if product in loss:
            rows.append({"commodity": commodity, "product": product, "usgs_rank": rank, "loss": loss[product]})
        else:
            missing.append(commodity)
    order = np.argsort([-r["loss"] for r in rows], kind="stable")
    for position, i in enumerate(order, start=1):
        rows[i]["screen_rank"] = position
    usgs_r = [r["usgs_rank"] for r in rows]
    screen_r = [r["screen_rank"] for r in rows]
    top = [r for r in rows if r["usgs_rank"] <= 10]
    out = {"n": len(rows), "rho": spearman(usgs_r, screen_r), "p": permutation_p(usgs_r, screen_r),
           "n_top10": len(top), "rows": rows, "missing": missing, "left_out": LEFT_OUT,
           "disruption": disruption, "policy": policy}
    if len(top) >= 3:
        out["rho_top10"] = spearman([r["usgs_rank"] for r in top], [r["screen_rank"] for r in top])
        out["p_top10"] = permutation_p([r["usgs_rank"] for r in top], [r["screen_rank"] for r in top])
    out["agrees"] = bool(out["rho"] >= RHO_BAND and out["p"] < P_BAND)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(CONFIG))
    parser.add_argument("--store", help="read this screen store instead of running the config")
    parser.add_argument("--out", default=str(ROOT / "results" / "validation"))
    args = parser.parse_args(argv)
    if args.store:
        from simcore.run.store import open_tree

        ds = open_tree(args.store)["screen"].to_dataset().load()
    else:
        from simcore.analysis.screen import screen_file

        ds, _ = screen_file(args.config)
    result = compare(ds)
    print(f"{'commodity':<14}{'USGS':>6}{'screen':>8}  expected VA loss")
    for row in sorted(result["rows"], key=lambda r: r["usgs_rank"]):
        print(f"{row['commodity']:<14}{row['usgs_rank']:>6}{row['screen_rank']:>8}  {row['loss']:.4g}")
    print(f"Spearman rho = {result['rho']:.2f} over {result['n']} commodities (one-sided permutation p = "
          f"{result['p']:.3f}); top ten: rho = {result.get('rho_top10', float('nan')):.2f} over "
          f"{result['n_top10']}; pre-registered band rho >= {RHO_BAND} with p < {P_BAND}: "
          f"{'AGREES' if result['agrees'] else 'DISAGREES'}")
    print(f"not in the model: {', '.join(result['missing'])}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"screen-ranking-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
