"""Synthetic models of any sector count for the benchmarks (not part of simcore).

:func:`synthetic_io` needs only NumPy, so the BoARIO peer (its own virtual
environment, no JAX) builds the very same input-output table; :func:`build_synthetic`
turns it into a simcore model, events and policy mixes. Everything is drawn from one
seed, so a sector count always gives the same model.

The model: ``S`` sectors with a sparse technical-coefficient matrix (about eight
suppliers per sector, column sums 0.2..0.6 so the Leontief inverse exists),
one or two critical upstream suppliers per sector, ``P = 8`` products from ``O = 4``
origins, each used by about a quarter of the sectors with an exposure share and an
essentiality, and three events (two hazard-driven export restrictions and one fixed
disruption).
"""

from __future__ import annotations

import inspect

import numpy as np

N_PRODUCTS = 8
N_ORIGINS = 4
SUPPLIERS_PER_SECTOR = 8


def synthetic_io(n_sectors: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Input-output table of ``n_sectors`` sectors (NumPy only).

    Returns ``technical_coefficients`` ``[S, S]`` (column sums < 1),
    ``final_demand`` ``[S]`` (currency/year), ``gross_output`` ``[S]`` = (I - A)^-1 f and
    ``critical_upstream`` ``[S, S]`` 0/1 (``[j, s]``: j is a critical supplier of s).
    """
    rng = np.random.default_rng([seed, n_sectors])
    s = n_sectors
    a_matrix = np.zeros((s, s))
    critical = np.zeros((s, s))
    for column in range(s):
        k = min(s, SUPPLIERS_PER_SECTOR)
        suppliers = rng.choice(s, size=k, replace=False)
        weights = rng.random(k)
        a_matrix[suppliers, column] = weights / weights.sum() * rng.uniform(0.2, 0.6)
        others = [j for j in suppliers if j != column]
        if others:
            n_critical = min(len(others), int(rng.integers(1, 3)))
            critical[rng.choice(others, size=n_critical, replace=False), column] = 1.0
    final = rng.uniform(1e3, 1e5, size=s)
    gross = np.linalg.solve(np.eye(s) - a_matrix, final)
    return {"technical_coefficients": a_matrix, "final_demand": final, "gross_output": gross,
            "critical_upstream": critical}


def synthetic_products(n_sectors: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Products, origins and their use by sectors (NumPy only), shapes ``[P]``, ``[P, O]``, ``[P, S]``.

    The products themselves (prices, stocks, lead times, import shares) are the same at
    every sector count, so that the sector counts differ only in the economy; the first
    half of the products get at least half of their imports from origin 0 and the second
    half from origin 1, the origins of the two hazard events.
    """
    rng = np.random.default_rng([seed, 1])
    uses = np.random.default_rng([seed, n_sectors, 2])
    io = synthetic_io(n_sectors, seed)
    p, o, s = N_PRODUCTS, N_ORIGINS, n_sectors
    price = rng.uniform(10.0, 1000.0, size=p)
    # Each product's yearly value is 0.1..1 % of total gross output.
    value_per_year = rng.uniform(1e-3, 1e-2, size=p) * io["gross_output"].sum()
    demand = value_per_year / 365.0 / price
    main_origin = np.eye(o)[np.where(np.arange(p) < p // 2, 0, 1)]
    import_share = (0.5 * main_origin + 0.5 * rng.dirichlet(np.ones(o), size=p)) * rng.uniform(0.6, 0.95, size=(p, 1))
    inventory_days = rng.uniform(10.0, 60.0, size=p)
    lead_time_days = rng.uniform(10.0, 40.0, size=p)
    use_share = np.zeros((p, s))
    exposure = np.zeros((p, s))
    essentiality = np.zeros((p, s))
    for product in range(p):
        users = uses.choice(s, size=max(1, s // 4), replace=False)
        use_share[product, users] = uses.dirichlet(np.ones(len(users)))
        exposure[product, users] = uses.uniform(0.3, 1.0, size=len(users))
        essentiality[product, users] = uses.choice([1.0, 0.5, 0.0], size=len(users), p=[0.5, 0.3, 0.2])
    return {"demand_per_day": demand, "price": price, "import_share": import_share,
            "inventory_days": inventory_days, "lead_time_days": lead_time_days,
            "use_share": use_share, "exposure": exposure, "essentiality": essentiality}


def _accepted(function, kwargs: dict) -> dict:
    """The subset of ``kwargs`` that ``function`` accepts (the engine grows new options)."""
    names = inspect.signature(function).parameters
    return {key: value for key, value in kwargs.items() if key in names}


def build_synthetic(n_sectors: int, n_policies: int = 5, seed: int = 0):
    """``(model, stacked policies, events)`` of the synthetic model (imports simcore/JAX).

    Policy mixes, in order: no policy, stockpile, diversification with spare capacity,
    recycling and efficiency, all three; ``n_policies`` takes the first ones.
    """
    from simcore.core.disruptions import make_events
    from simcore.core.model import build_model, no_policy, stack_policies

    io = synthetic_io(n_sectors, seed)
    products = synthetic_products(n_sectors, seed)
    model = build_model(**_accepted(build_model, {
        **{key: value for key, value in products.items()},
        "technical_coefficients": io["technical_coefficients"], "final_demand": io["final_demand"],
        "critical_upstream": io["critical_upstream"],
    }))
    p, o = N_PRODUCTS, N_ORIGINS
    onehot = np.eye(o)[[0, 1, 2]]
    weight = np.zeros((3, p))
    weight[0, : p // 2] = 1.0
    weight[1, p // 2:] = 1.0
    weight[2, :] = 0.5
    events = make_events(**_accepted(make_events, {
        "origin_onehot": onehot, "product_weight": weight,
        "onset_day": np.array([0.0, 0.0, 30.0]), "hazard_per_year": np.array([1.0, 0.5, 0.0]),
        "duration_median_days": np.array([60.0, 30.0, 20.0]), "duration_sigma": np.array([0.5, 0.5, 0.0]),
        "severity": np.array([1.0, 1.0, 0.5]), "severity_alpha": np.array([3.0, 2.0, 0.0]),
        "severity_beta": np.array([2.0, 2.0, 0.0]), "tightening_days": np.array([10.0, 5.0, 0.0]),
        "max_occurrences": np.array([4, 4, 1]),
    }))

    base = no_policy(model)
    ones = np.ones(p, dtype=np.float32)
    shifted = np.asarray(products["import_share"], dtype=np.float32).copy()
    moved = 0.5 * shifted[:, 0]
    shifted[:, 0] -= moved
    shifted[:, 1:] += moved[:, None] / (o - 1)
    spare = np.zeros((p, o), dtype=np.float32)
    spare[:, 3] = 0.1
    levers = {
        "stockpile": dict(gov_stock_days=60 * ones, release_rate=ones, refill_rate=0.05 * ones,
                          stock_carrying_cost=0.1 * ones, release_delay_days=7 * ones),
        "diversify": dict(import_share=shifted, diversification_premium=0.05 * ones, spare_capacity=spare,
                          qualification_lag_days=30 * ones, spare_ramp_days=10 * ones, spare_premium=0.2 * ones),
        "recycle": dict(recycling_share=0.2 * ones, recycling_ramp_days=90 * ones, recycling_premium=0.1 * ones,
                        efficiency_cut=0.1 * ones, efficiency_ramp_days=60 * ones, efficiency_cost=0.05 * ones),
    }
    levers["all"] = {**levers["stockpile"], **levers["diversify"], **levers["recycle"]}
    fields = set(base._fields)
    mixes = [base] + [base._replace(**{k: v for k, v in changes.items() if k in fields})
                      for changes in levers.values()]
    if not 1 <= n_policies <= len(mixes):
        raise ValueError(f"n_policies must be 1..{len(mixes)}, got {n_policies}")
    return model, stack_policies(mixes[:n_policies]), events
