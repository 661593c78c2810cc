"""Japan's 2011 input-output table (13 sectors, ``japan_io_sectors.csv``) in the
import-adjusted domestic-coefficient form the engine uses, with the source text its
numbers cite."""

from __future__ import annotations

from .data import read_csv


SECTOR_NAMES = {
    "01": "agriculture", "02": "mining", "03": "manufacturing", "04": "construction", "05": "utilities",
    "06": "commerce", "07": "finance", "08": "real_estate", "09": "transport", "10": "ict",
    "11": "public_admin", "12": "services", "13": "other",
}


def io_table() -> dict:
    """Domestic-coefficient form of the 2011 Japan table (competitive-import type).

    Japan's table records imports as a negative final-demand column, so ``A = Z / X``
    includes imported inputs and ``f`` (final demand + exports - imports) is negative for
    Mining. The model uses the standard import-adjusted form instead::

        m_i   = M_i / (sum_j Z_ij + Fd_i)          import ratio of domestic demand
        A_d   = (I - diag(m)) Z / X                 domestic input coefficients
        f_d   = (I - diag(m)) Fd + E                domestic final demand + exports
        X     = (I - A_d)^-1 f_d                    exactly the table's gross output

    Values in JPY million per year (2011 prices). Value added = rows 71 + 91..95.
    """
    rows = read_csv("japan_io_sectors.csv")
    codes = sorted({r["row_sector"][:2] for r in rows if r["row_type"] == "industry"})
    index = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    z = [[0.0] * n for _ in range(n)]
    final_domestic, exports, imports, value_added, gross = ([0.0] * n for _ in range(5))
    va_parts: dict[str, float] = {}
    for r in rows:
        v = float(r["value_jpy_million"])
        if r["row_type"] == "industry" and r["col_type"] == "industry":
            z[index[r["row_sector"][:2]]][index[r["col_sector"][:2]]] += v
        elif r["row_type"] == "industry" and r["col_type"] == "finaldemand":
            final_domestic[index[r["row_sector"][:2]]] += v
        elif r["row_type"] == "industry" and r["col_type"] == "export":
            exports[index[r["row_sector"][:2]]] += v
        elif r["row_type"] == "industry" and r["col_type"] == "import":
            imports[index[r["row_sector"][:2]]] -= v  # stored negative in the table
        elif r["row_type"] == "valueadded":
            value_added[index[r["col_sector"][:2]]] += v
            va_parts[r["row_sector"][:2]] = va_parts.get(r["row_sector"][:2], 0.0) + v
        elif r["row_type"] == "derived":
            gross[index[r["col_sector"][:2]]] = v
    domestic_demand = [sum(z[i]) + final_domestic[i] for i in range(n)]
    m = [imports[i] / domestic_demand[i] for i in range(n)]
    a_dom = [[(1.0 - m[i]) * z[i][j] / gross[j] for j in range(n)] for i in range(n)]
    f_dom = [(1.0 - m[i]) * final_domestic[i] + exports[i] for i in range(n)]
    return {"codes": codes, "sectors": [SECTOR_NAMES[c] for c in codes], "a": a_dom, "f": f_dom,
            "value_added": value_added, "gross_output": gross, "import_ratio": m, "va_parts": va_parts}


IO_SOURCE = ("japan_io_sectors.csv (2011 Input-Output Tables for Japan, 13 sectors, producers' prices, JPY million, "
             "e-Stat sid=0003119272, via github:UchidaMizuki/blog-ioanalysis-in-r)")
