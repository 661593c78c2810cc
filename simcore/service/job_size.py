"""How big a job is, checked before it is queued: what it simulates and what it stores.

Jobs had caps on scenarios and on scenarios x days x policies but none on size: at those
caps the demo model (7 products) wrote a store of about 70 GB. Two caps, like the
assessments' work cap, each refused with 413 naming the fields that set it and the
setting that limits it:

* ``max_job_size``: scenarios x horizon_days x products x policies, the volume the
  engine simulates (its time and memory grow with it);
* ``max_job_store_bytes``: the store estimated before anything is written: every
  scenario's metrics with ``keep = "per-scenario"`` (about 100 bytes per scenario,
  policy and product; none with ``keep = "summary"``) and the day-by-day trajectories
  of ``daily_scenarios`` (independent of the horizon, so short horizons cannot make a
  huge store either); with ``fan_quantiles`` each chunk's fan histograms
  (:mod:`simcore.run.fans`: policies x kept days x (2 products + sectors) cells of
  bins + 2 counts, their minima, maxima and counts at each).
"""

from __future__ import annotations

from simcore.run.metrics import METRIC_INFO

VALUE_BYTES = 4  # metrics and trajectories are float32 / int32


def _per_policy_values(products: int, sectors: int, dims_of) -> int:
    """Values per scenario and policy of a table of ``name -> dims`` (``product``,
    ``sector`` or a scalar)."""
    width = {"product": products, "sector": sectors}
    total = 0
    for dims in dims_of:
        size = 1
        for dim in dims:
            size *= width[dim]
        total += size
    return total


def _daily_dims() -> list[tuple[str, ...]]:
    """The dimensions of each day-by-day trajectory (as :func:`simcore.run.runner.daily_trajectories` lays them out)."""
    from simcore.run import Daily  # the core's, re-exported: loads JAX, so only when asked

    dims = []
    for name in Daily._fields:
        if name.startswith("sector_"):
            dims.append(("sector",))
        elif name == "price_index_change":
            dims.append(())
        else:
            dims.append(("product",))
    return dims


def simulated_volume(config) -> int:
    """scenarios x horizon_days x products x policies (the no-policy baseline included)."""
    return (int(config.scenarios) * int(config.horizon_days) * len(config.loaded.products)
            * len(config.policies))


def estimated_store_bytes(config) -> int:
    """Uncompressed bytes of the per-scenario metrics and daily trajectories a job stores."""
    products, sectors, policies = len(config.loaded.products), len(config.loaded.sectors), len(config.policies)
    total = 0
    if getattr(config, "keep", "per-scenario") == "per-scenario":
        per_policy = _per_policy_values(products, sectors, (dims for dims, *_ in METRIC_INFO.values()))
        total += int(config.scenarios) * policies * per_policy * VALUE_BYTES
    daily = min(int(getattr(config, "daily_scenarios", 0) or 0), int(config.scenarios))
    if daily:
        from simcore.run.riders import riding_scenarios  # loads JAX: only for a job that keeps days

        per_day = _per_policy_values(products, sectors, _daily_dims())
        # the daily group, and the copy in the chunks' blobs while the days ride along
        # in the chunk program (simcore.run.riders: within its budget)
        copies = daily + riding_scenarios(daily, int(config.horizon_days), policies, products, sectors)
        total += copies * int(config.horizon_days) * policies * per_day * VALUE_BYTES
    if getattr(config, "fan_quantiles", False):
        total += _fan_bytes(config, products, sectors, policies)
    return total


def _fan_bytes(config, products: int, sectors: int, policies: int) -> int:
    """Bytes of the fan histograms of every chunk, as :meth:`simcore.run.fans.FanStats.to_arrays`
    stores them (counts uint16 while a chunk has fewer than 2**16 scenarios, else int64;
    minima and maxima float32)."""
    from simcore.run.fans import FAN_BINS, FAN_MAX_DAYS  # loads JAX: only for a job that keeps fans

    scenarios, horizon = int(config.scenarios), int(config.horizon_days)
    chunk = max(1, min(int(config.chunk_size or scenarios), scenarios))
    chunks = -(-scenarios // chunk)
    stride = max(1, -(-horizon // FAN_MAX_DAYS))
    cells = policies * (-(-horizon // stride)) * (2 * products + sectors)
    count_bytes = 2 if chunk < 2 ** 16 else 8
    return chunks * cells * ((FAN_BINS + 2) * count_bytes + 2 * VALUE_BYTES + 2 * count_bytes)


def _gb(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"


def size_problems(config, settings) -> list[tuple[str, str]]:
    """``[(field, message)]`` for each size cap ``config`` (a parsed job config) exceeds."""
    problems = []
    products, policies = len(config.loaded.products), len(config.policies)
    volume = simulated_volume(config)
    if volume > settings.max_job_size:
        problems.append(("run.scenarios", (
            f"run.scenarios x run.horizon_days x products x policies (with the no-policy baseline) = "
            f"{config.scenarios:,} x {config.horizon_days:,} x {products} x {policies} = {volume:,} exceeds the "
            f"cap of {settings.max_job_size:,} per job (max_job_size): fewer scenarios, a shorter horizon or "
            "fewer policies")))
    stored = estimated_store_bytes(config)
    if stored > settings.max_job_store_bytes:
        per_scenario = getattr(config, "keep", "per-scenario") == "per-scenario"
        daily = int(getattr(config, "daily_scenarios", 0) or 0)
        parts = ([f'run.scenarios = {config.scenarios:,} with run.keep = "per-scenario"'] if per_scenario else []) + \
                ([f"run.daily_scenarios = {daily:,} over run.horizon_days = {config.horizon_days:,}"] if daily else [])
        problems.append(("run.keep" if per_scenario else "run.daily_scenarios", (
            f"the store would hold about {_gb(stored)} ({' and '.join(parts)}; {policies} policies, {products} "
            f"products), above the cap of {_gb(settings.max_job_store_bytes)} per job (max_job_store_bytes): "
            'fewer scenarios or policies, run.keep = "summary" (statistics only) or fewer daily_scenarios')))
    return problems


def screen_store_bytes(cases: int, mixes: int, lanes: int, bootstrap: int, points: int, products: int,
                       sectors: int) -> int:
    """Bytes a screen job stores, estimated before it runs: its checkpoint (per mix and
    case the stream's arrays, ``bootstrap + points + products + sectors + 8`` float64, and
    its loss sketch, at most one 16-byte bin per lane or per 1 %-wide log bin, about
    2,000 bins) and group ``screen`` (about as large)."""
    per_cell = (bootstrap + points + products + sectors + 8) * 8 + min(int(lanes), 2_000) * 16
    return 2 * int(cases) * int(mixes) * per_cell


def screen_size_problems(config, s, cases: int, settings) -> list[tuple[str, str]]:
    """``[(field, message)]`` for each cap a screen job (``config``, screen settings
    ``s``, ``cases`` unit x disruption pairs) exceeds: the lanes of a case
    (``screen.scenarios`` x parameter points) against ``max_job_scenarios``, the volume
    cases x mixes x lanes x horizon_days x products against ``max_job_size`` (the run
    jobs' unit), the store against ``max_job_store_bytes``."""
    problems = []
    lanes = int(s.scenarios) * max(int(s.points), 1)
    products, sectors, mixes = len(config.loaded.products), len(config.loaded.sectors), len(s.policies)
    if lanes > settings.max_job_scenarios:
        problems.append(("screen.scenarios", f"screen.scenarios x parameter points = {lanes:,} exceeds the cap of "
                                             f"{settings.max_job_scenarios:,} scenarios per job"))
    volume = int(cases) * mixes * lanes * int(config.horizon_days) * products
    if volume > settings.max_job_size:
        problems.append(("screen.scenarios", (
            f"cases x mixes x scenarios x points x run.horizon_days x products = {cases:,} x {mixes} x "
            f"{s.scenarios:,} x {max(int(s.points), 1)} x {config.horizon_days:,} x {products} = {volume:,} exceeds "
            f"the cap of {settings.max_job_size:,} per job (max_job_size): fewer units (screen.units or "
            "screen.kinds), disruptions, mixes or scenarios, or a shorter horizon")))
    stored = screen_store_bytes(cases, mixes, lanes, s.bootstrap, max(int(s.points), 1), products, sectors)
    if stored > settings.max_job_store_bytes:
        problems.append(("screen.bootstrap", (
            f"the store would hold about {_gb(stored)} ({cases:,} cases x {mixes} mixes, {s.bootstrap:,} bootstrap "
            f"replicates), above the cap of {_gb(settings.max_job_store_bytes)} per job (max_job_store_bytes): "
            "fewer units, disruptions, mixes or bootstrap replicates")))
    return problems
