"""Monthly observed series as extra calibration targets (``python -m validation.calibration
--series EPISODE:PRODUCT:FILE``).

A series file is a CSV with the columns ``month`` (``YYYY-MM``), ``value`` (a positive
number: a price, in any unit, or a volume) and ``source`` (where each number comes from).
Its months must be consecutive: a gap is refused, never interpolated, because a filled
month would be a number nobody observed. Each month after the first becomes one
observation of the world price multiple of ``PRODUCT`` at the month's last day over the
multiple at the end of the first month (``price_ratio`` in :mod:`validation.registry`),
for a **calibration** episode only: held-out episodes never enter the calibration.

Every problem of the file and of the argument is reported at once
(:class:`simcore.schema.errors.InputError`, exit status 2 from the command), before
anything is simulated or written.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
import re
from pathlib import Path

from simcore.schema.errors import InputError, Problems
from validation.registry import HORIZON, Observation, day

MAX_SERIES_BYTES = 1_000_000
COLUMNS = ("month", "value", "source")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def read_monthly_series(path: str | Path, problems: Problems) -> list[tuple[tuple[int, int], float, str]]:
    """The rows ``((year, month), value, source)`` of a series file, in file order; every
    problem goes to ``problems`` (nothing is returned for a file that cannot be read)."""
    path = Path(path)
    where = str(path)
    try:
        if path.stat().st_size > MAX_SERIES_BYTES:
            problems.add(where, f"is larger than {MAX_SERIES_BYTES:,} bytes; a monthly series is a few hundred")
            return []
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.add(where, "file not found")
        return []
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(where, f"cannot be read as UTF-8 text ({exc.__class__.__name__})")
        return []
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        problems.add(f"{where}: columns", f"needs the columns {', '.join(COLUMNS)}; missing {', '.join(missing)}")
        return []
    rows, seen = [], {}
    for line, row in enumerate(reader, start=2):
        at = f"{where}: line {line}"
        text_month = (row.get("month") or "").strip()
        match = _MONTH.match(text_month)
        month = None
        if not match or not 1 <= int(match.group(2)) <= 12:
            problems.add(f"{at}: month", f"must be YYYY-MM, got {text_month!r}")
        else:
            month = (int(match.group(1)), int(match.group(2)))
            if month in seen:
                problems.add(f"{at}: month", f"{text_month} is also on line {seen[month]}; one value per month")
            seen.setdefault(month, line)
        try:
            value = float((row.get("value") or "").strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            problems.add(f"{at}: value", f"must be a positive number, got {(row.get('value') or '')!r}")
        if not (row.get("source") or "").strip():
            problems.add(f"{at}: source", "is empty; give where the number comes from")
        if month is not None:
            rows.append((month, value, (row.get("source") or "").strip()))
    months = sorted({m for m, _, _ in rows})
    if len(months) < 2:
        problems.add(f"{where}: month", "needs at least two months (the first is the base of the ratios)")
        return rows
    if [m for m, _, _ in rows] != sorted(m for m, _, _ in rows):
        problems.add(f"{where}: month", "months must be in increasing order")
    gaps, current = [], months[0]
    for month in months[1:]:
        current = _next(*current)
        while current < month:
            gaps.append(f"{current[0]:04d}-{current[1]:02d}")
            current = _next(*current)
    if gaps:
        shown = ", ".join(gaps[:12]) + (f" and {len(gaps) - 12} more" if len(gaps) > 12 else "")
        problems.add(f"{where}: month", f"missing months {shown}: a calibration series must have every month "
                     "from its first to its last (gaps are not filled in)")
    return rows


def series_observations(argument: str, calibration_episodes: dict, product_names: list[str]) -> list[Observation]:
    """``EPISODE:PRODUCT:FILE`` -> one price-ratio observation per month after the first.
    Raises :class:`InputError` naming every problem."""
    problems = Problems("--series")
    parts = argument.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        problems.add("--series", f"must be EPISODE:PRODUCT:FILE, got {argument!r}")
        problems.raise_if_any()
    episode, product, path = (p.strip() for p in parts)
    if episode not in calibration_episodes:
        problems.add("--series: episode", f"{episode!r} is not a calibration episode (held-out episodes never "
                     f"enter the calibration); allowed: {', '.join(calibration_episodes)}")
    if product not in product_names:
        problems.add("--series: product", f"unknown product {product!r}; allowed: {', '.join(product_names)}")
    rows = read_monthly_series(path, problems)
    if episode in calibration_episodes and len(rows) >= 2 and not problems:
        ep = calibration_episodes[episode]
        first, last = month_end(*rows[0][0]), month_end(*rows[-1][0])
        if not (0 <= day(ep, first) and day(ep, last) < HORIZON):
            problems.add(f"{path}: month", f"the months must lie in the episode's simulated window, "
                         f"{ep.day0.isoformat()} + {HORIZON} days; got {first.isoformat()} to {last.isoformat()}")
    problems.raise_if_any()
    (y0, m0), base, _ = rows[0]
    out = []
    for (year, month), value, source in rows[1:]:
        ratio = value / base
        out.append(Observation(
            f"series-{episode}-{product}-{year:04d}-{month:02d}", episode, "price_ratio", (product,),
            month_end(year, month), ratio, (ratio / 1.25, ratio * 1.25), month_end(y0, m0), source,
            f"{value:g} / {base:g} = {ratio:.4g}", "not registered: a calibration target from --series"))
    return out
