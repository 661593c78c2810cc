"""Shapley attribution of a policy mix's risk reduction to its pillars or levers.

The *players* are the three pillars of a mix (default) or any named set of lever paths
(:mod:`simcore.analysis.levers`). The *coalition* ``S`` is the mix with the levers of
the players in ``S`` at the mix's values and those of the others at no policy (levers
of no player stay at the mix's values, ``rest = "policy"``, or at no policy,
``rest = "reference"``). For a risk metric ``m`` the game is the risk reduction
``v(S) = m(empty) - m(S)`` (positive = less risk), evaluated for every coalition on the
same scenarios (common random numbers) with :func:`simcore.analysis.evaluate.evaluate_mixes`.

* **Exact** (up to :data:`EXACT_MAX_PLAYERS` players): all ``2^n`` coalitions;
  ``phi_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! (v(S + i) - v(S))``.
  Efficiency: ``sum_i phi_i = v(N)``, the all-players effect (exact up to rounding).
  Interactions: the pairwise Shapley interaction index (Grabisch & Roubens 1999)
  ``I_ij = sum_{S in N - {i, j}} |S|! (n - |S| - 2)! / (n - 1)! (v(S+ij) - v(S+i) - v(S+j) + v(S))``
  and the Harsanyi dividends (Moebius transform) of every coalition, e.g. the
  three-pillar term. With additive effects all interactions are 0 and ``phi_i`` is the
  single-player effect ``v({i})``.
* **Permutation sampling** (more players, or on request): ``K`` random orders, each
  player's marginal contribution when it joins (Castro, Gomez & Tejada 2009). The
  estimate is unbiased, its standard error is ``std / sqrt(K)`` over the orders, and
  efficiency still holds exactly (each order telescopes to ``v(N) - v(empty)``). Only
  the coalitions the orders visit are simulated.

Uncertainty: every term (Shapley value, single and all-players effect, interaction
index, dividend) is per scenario a fixed linear combination of the coalitions' gains
(:class:`AttributionContrasts`), streamed by
:func:`simcore.analysis.evaluate.evaluate_mixes_paired`; its paired (common-random-
number) standard error and 90 % interval are stored beside it (``_se``, ``_low``,
``_high``). Sampled Shapley values add the permutation-sampling SE in quadrature.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from simcore.analysis import levers as lever_paths
from simcore.analysis import intervals
from simcore.analysis.evaluate import (RISK_METRICS, RISK_OUTCOMES, PairedRequest, evaluate_mixes_paired,
                                        risk_metrics)
from simcore.core.model import no_policy
from simcore.run.runner import Simulation
from simcore.schema.analysis_spec import MAX_PLAYERS, check_section  # noqa: F401  (MAX_PLAYERS re-exported)
from simcore.schema.config import RunConfig
from simcore.schema.errors import InputError, Problems

EXACT_MAX_PLAYERS = 8
MAX_DIVIDEND_ROWS = 2 ** EXACT_MAX_PLAYERS  # dividends' SEs up to 8 players (C x C weights)


# ----------------------------------------------------------------------------- games on tables

def coalition_masks(n: int) -> np.ndarray:
    """``[2^n, n]`` bool: coalition ``c`` holds player ``i`` iff bit ``i`` of ``c`` is set."""
    return (np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1 == 1


def shapley_exact(v: np.ndarray) -> np.ndarray:
    """Shapley values ``[n, ...]`` of a game given on all coalitions ``v [2^n, ...]``
    (indexed by bit mask, see :func:`coalition_masks`)."""
    v = np.asarray(v, np.float64)
    n = int(round(math.log2(v.shape[0])))
    sizes = coalition_masks(n).sum(axis=1)
    phi = np.zeros((n,) + v.shape[1:])
    for i in range(n):
        without = np.flatnonzero(((np.arange(2 ** n) >> i) & 1) == 0)
        s = sizes[without]
        weight = np.array([math.factorial(k) * math.factorial(n - k - 1) for k in s], np.float64) / math.factorial(n)
        delta = v[without | (1 << i)] - v[without]
        phi[i] = np.tensordot(weight, delta, axes=(0, 0))
    return phi


def interaction_exact(v: np.ndarray) -> np.ndarray:
    """Pairwise Shapley interaction indices ``[n, n, ...]`` (diagonal 0)."""
    v = np.asarray(v, np.float64)
    n = int(round(math.log2(v.shape[0])))
    sizes = coalition_masks(n).sum(axis=1)
    out = np.zeros((n, n) + v.shape[1:])
    for i in range(n):
        for j in range(i + 1, n):
            rest = np.flatnonzero(((np.arange(2 ** n) >> i) & 1 == 0) & ((np.arange(2 ** n) >> j) & 1 == 0))
            s = sizes[rest]
            weight = np.array([math.factorial(k) * math.factorial(n - k - 2) for k in s],
                              np.float64) / math.factorial(n - 1)
            delta = v[rest | (1 << i) | (1 << j)] - v[rest | (1 << i)] - v[rest | (1 << j)] + v[rest]
            out[i, j] = out[j, i] = np.tensordot(weight, delta, axes=(0, 0))
    return out


def mobius(v: np.ndarray) -> np.ndarray:
    """Harsanyi dividends ``[2^n, ...]``: ``m(S) = sum_{T in S} (-1)^{|S|-|T|} v(T)``
    (fast subset transform). ``phi_i = sum_{S containing i} m(S) / |S|``."""
    m = np.array(v, np.float64, copy=True)
    n = int(round(math.log2(m.shape[0])))
    for i in range(n):
        has = ((np.arange(2 ** n) >> i) & 1) == 1
        m[has] = m[has] - m[np.flatnonzero(has) ^ (1 << i)]
    return m


def sample_orders(n: int, k: int, seed: int = 0) -> np.ndarray:
    """``[k, n]`` random player orders."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(k)]) if k else np.zeros((0, n), np.int64)


def order_coalitions(orders: np.ndarray) -> np.ndarray:
    """Bit masks ``[k, n + 1]`` of the coalitions each order visits (empty first)."""
    k, n = orders.shape
    masks = np.zeros((k, n + 1), np.int64)
    for step in range(n):
        masks[:, step + 1] = masks[:, step] | (np.int64(1) << orders[:, step].astype(np.int64))
    return masks


def shapley_sampled(orders: np.ndarray, value_of) -> tuple[np.ndarray, np.ndarray]:
    """Permutation-sampling estimate and standard error ``([n, ...], [n, ...])``.

    ``value_of(mask)`` -> the game's value (array) of the coalition with bit mask ``mask``."""
    k, n = orders.shape
    masks = order_coalitions(orders)
    first = np.asarray(value_of(0), np.float64)
    contributions = np.zeros((k, n) + first.shape)
    for r in range(k):
        previous = first
        for step in range(n):
            current = np.asarray(value_of(int(masks[r, step + 1])), np.float64)
            contributions[r, orders[r, step]] = current - previous
            previous = current
    mean = contributions.mean(axis=0)
    se = contributions.std(axis=0, ddof=1) / math.sqrt(k) if k > 1 else np.full(mean.shape, np.nan)
    return mean, se


# ----------------------------------------------------------------------------- pillars and levers of a mix

def resolve_players(config: RunConfig, players, problems: Problems, where: str = "attribution.players"):
    """``"pillars"`` or a list of lever paths (as the schema checks them,
    :class:`~simcore.schema.analysis_spec.AttributionSectionSpec`) -> list of
    :class:`~simcore.analysis.levers.Lever`; each path checked against the model and
    the others (players set disjoint levers)."""
    if players in (None, "pillars"):
        players = list(lever_paths.PILLARS)
    out = []
    for i, path in enumerate(players):
        lever, reason = lever_paths.resolve(path, config.loaded)
        if lever is None:
            problems.add(f"{where}[{i}]", reason)
            continue
        for k, other in enumerate(out):
            if other.overlaps(lever):
                problems.add(f"{where}[{i}]", f"{path!r} overlaps {other.path!r} ({where}[{k}]): players must "
                             "set disjoint levers")
        out.append(lever)
    return out


def attribute(config: RunConfig, policy: str, players="pillars", *, scenarios: int | None = None,
              chunk_size: int | None = None, method: str = "auto", permutations: int = 200, seed: int = 0,
              rest: str = "policy", policy_chunk: int = 16) -> xr.Dataset:
    """Shapley attribution of mix ``policy``'s risk reduction to ``players``.

    ``players``: ``"pillars"`` or lever paths. ``method``: ``"exact"``, ``"sampling"`` or
    ``"auto"`` (exact up to :data:`EXACT_MAX_PLAYERS` players). Returns a dataset with,
    for every risk metric ``m`` of :data:`~simcore.analysis.evaluate.RISK_METRICS`
    (units in the attributes): ``m`` (Shapley values, dims ``(player[, product])``),
    ``m_se`` (their standard error: scenario ``m_scenario_se`` and permutation sampling
    ``m_sampling_se``, 0 when exact, in quadrature), ``m_low`` / ``m_high`` (90 %
    interval), ``m_single`` (the player alone),
    ``m_all`` (the all-players effect: the sum of the Shapley values), ``m_level``
    ``(coalition[, product])`` (the metric of each simulated coalition) and, exact only,
    ``m_interaction`` ``(player, other[, product])`` and ``m_dividend``
    ``(coalition[, product])`` and ``m_interaction_order`` ``(order[, product])`` (the
    dividends summed by coalition size). Every term ``t`` has ``t_se``, ``t_low``,
    ``t_high`` and, per product, ``t_summed_se`` (of the sum over products).
    """
    problems = Problems("attribution")
    # the settings as an [attribution] table: checked field by field by its schema
    settings = {"policy": policy, "players": "pillars" if players is None else
                list(players) if isinstance(players, tuple) else players,
                "method": method, "permutations": permutations, "seed": seed, "rest": rest}
    if scenarios is not None:
        settings["scenarios"] = scenarios
    _, clean = check_section("attribution", settings, problems)
    clean = clean if isinstance(clean, dict) else {}
    names = [p.name for p in config.policies]
    if "policy" in clean and policy not in names:
        problems.add("attribution.policy", f"must be one of the config's policies: {', '.join(names)}; got {policy!r}")
    levers = resolve_players(config, clean["players"], problems) if "players" in clean else []
    n = len(levers)
    if method == "exact" and n > 16:
        problems.add("attribution.method", f"exact enumeration of {n} players needs 2^{n} runs; use sampling")
    problems.raise_if_any()
    exact = method == "exact" or (method == "auto" and n <= EXACT_MAX_PLAYERS)
    full = next(p.policy for p in config.policies if p.name == policy)
    reference = no_policy(config.loaded.model)
    if exact:
        masks = np.arange(2 ** n)
        orders = None
    else:
        orders = sample_orders(n, permutations, seed)
        singles = [1 << i for i in range(n)]
        masks = np.unique(np.concatenate([order_coalitions(orders).ravel(), singles, [0, 2 ** n - 1]]))
    member = (masks[:, None] >> np.arange(n)[None, :]) & 1 == 1
    fields = lever_paths.coalition_fields(full, reference, levers, member, rest)
    labels = [coalition_label(row, levers) for row in member]
    sim = Simulation.from_config(config)
    n_scenarios = int(scenarios or config.scenarios)
    position = {int(mask): i for i, mask in enumerate(masks)}
    contrasts = attribution_contrasts(n, masks, orders)
    summary, paired = evaluate_mixes_paired(
        sim, lever_paths.stacked(fields), labels, n_scenarios, chunk_size=int(chunk_size or config.chunk_size),
        policy_chunk=policy_chunk, paired=PairedRequest(reference=position[0], contrasts=contrasts.matrix))
    risk = risk_metrics(summary)
    player_names = [lever.path for lever in levers]
    out = {}
    for name, variable in risk.data_vars.items():
        level = np.asarray(variable.transpose("policy", ...).values, np.float64)  # [C, ...]
        gain = level[position[0]] - level  # v(S) = m(empty) - m(S)
        extra = tuple(d for d in variable.dims if d != "policy")
        attrs = dict(variable.attrs)
        if exact:
            phi, sampling_se = shapley_exact(gain), np.zeros((n,) + gain.shape[1:])
            out[f"{name}_interaction"] = (("player", "other", *extra), interaction_exact(gain), attrs)
            out[f"{name}_dividend"] = (("coalition", *extra), mobius(gain), attrs)
            out[f"{name}_interaction_order"] = (("order", *extra), contrasts.orders_of(gain),
                                                {**attrs, "description": "sum of the Harsanyi dividends of the "
                                                 "coalitions of this size (2: pairwise, 3: three-way interactions)"})
        else:
            phi, sampling_se = shapley_sampled(orders, lambda mask: gain[position[mask]])
        out[name] = (("player", *extra), phi, {**attrs, "description": f"Shapley value: {attrs['description']}"})
        out[f"{name}_single"] = (("player", *extra), np.stack([gain[position[1 << i]] for i in range(n)]), attrs)
        out[f"{name}_all"] = (extra, gain[position[2 ** n - 1]], attrs)
        out[f"{name}_level"] = (("coalition", *extra), level, attrs)
        _add_uncertainty(out, name, extra, attrs, paired, contrasts, position, n, sampling_se)
    coords = {"player": player_names, "other": player_names, "coalition": labels,
              "coalition_mask": ("coalition", masks.astype(np.int64))}
    if exact:
        coords["order"] = contrasts.interaction_orders
    if any("product" in v[0] for v in out.values()):
        coords["product"] = config.loaded.products
    ds = xr.Dataset(out, coords=coords)
    ds.attrs.update({"kind": "attribution", "policy": policy, "method": "exact" if exact else "sampling",
                     "permutations": 0 if exact else int(permutations), "rest": rest, "n_players": n,
                     "n_scenarios": n_scenarios, "seed": int(config.seed), "model": config.loaded.name,
                     "config": str(config.path or ""), "horizon_days": int(config.horizon_days),
                     "io_value_unit": config.loaded.io_value_unit, "currency": config.loaded.currency,
                     "metrics": ",".join(RISK_METRICS), "interval_level": intervals.LEVEL,
                     "interval_method": "paired (common random numbers) normal interval, value -+ 1.645 SE"})
    return ds


# ----------------------------------------------------------------------------- uncertainty

class AttributionContrasts:
    """The attribution's terms as fixed linear combinations of the coalitions' gains.

    Shapley values, interaction indices and dividends are linear in the game ``v``, so
    applying them to the identity game ``v = I [C, C]`` gives their weights ``[term, C]``;
    per scenario a term is ``sum_c W_c g_c`` with ``g_c`` the coalition's per-scenario
    gain, and its paired SE is the SE of that combination (streamed by
    :func:`simcore.analysis.evaluate.evaluate_mixes_paired`). Rows: ``n`` Shapley values,
    then (exact only) ``n x n`` interaction indices, ``C`` dividends and one sum of
    dividends per coalition size ``2 .. n``. Sampled Shapley values use the sampled
    orders' weights: their scenario SE is conditional on the orders."""

    def __init__(self, n: int, masks: np.ndarray, orders):
        c = masks.size
        identity = np.eye(c)
        position = {int(mask): i for i, mask in enumerate(masks)}
        if orders is None:
            sizes = coalition_masks(n)[masks].sum(axis=1)
            self.interaction_orders = list(range(2, n + 1))
            # sum of the dividends of size k: sum_T v(T) (-1)^(k - |T|) binom(n - |T|, k - |T|)
            self._order_rows = np.array([[(-1) ** (k - t) * math.comb(n - t, k - t) if t <= k else 0 for t in sizes]
                                         for k in self.interaction_orders], np.float64).reshape(-1, c)
            self.with_dividends = c <= MAX_DIVIDEND_ROWS
            dividends = mobius(identity) if self.with_dividends else np.zeros((0, c))
            blocks = [shapley_exact(identity), interaction_exact(identity).reshape(n * n, c), dividends,
                      self._order_rows]
        else:
            phi, _ = shapley_sampled(orders, lambda mask: identity[position[mask]])
            self.interaction_orders = []
            self._order_rows = np.zeros((0, c))
            self.with_dividends = False
            blocks = [phi]
        self.n, self.c = n, c
        self.matrix = np.concatenate(blocks, axis=0)
        self.exact = orders is None

    def orders_of(self, v: np.ndarray) -> np.ndarray:
        """Sum of the game ``v [C, ...]``'s dividends by coalition size ``[order, ...]``."""
        return np.tensordot(self._order_rows, v, axes=(1, 0))

    def rows(self, term: str) -> slice:
        n, c = self.n, self.c
        d = c if self.with_dividends else 0
        start = {"shapley": 0, "interaction": n, "dividend": n + n * n, "order": n + n * n + d}[term]
        size = {"shapley": n, "interaction": n * n, "dividend": d, "order": len(self.interaction_orders)}[term]
        return slice(start, start + size)


def attribution_contrasts(n: int, masks: np.ndarray, orders) -> AttributionContrasts:
    return AttributionContrasts(n, masks, orders)


def _add_uncertainty(out: dict, name: str, extra: tuple, attrs: dict, paired, contrasts: AttributionContrasts,
                     position: dict, n: int, sampling_se: np.ndarray) -> None:
    """``<term>_se``, ``<term>_low`` / ``_high`` (90 %) of every term of metric ``name`` and,
    per product, ``<term>_summed_se`` (of the sum over products, which needs the
    per-scenario sum, not the per-product SEs)."""
    unit = {**attrs, "description": f"standard error of {name} (paired over scenarios)"}
    c_se = {summed: paired.risk_se(paired.contrasts, name, summed) for summed in (False, True)}
    g_se = {summed: paired.risk_se(paired.gains, name, summed) for summed in (False, True)}
    per_product = RISK_OUTCOMES[name][1] is not None
    singles = [position[1 << i] for i in range(n)]
    full = position[2 ** n - 1]
    terms = {"": (("player", *extra), lambda se: se[contrasts.rows("shapley")]),
             "_single": (("player", *extra), lambda se: se[singles]),
             "_all": (extra, lambda se: se[full])}
    if contrasts.exact:
        terms["_interaction"] = (("player", "other", *extra),
                                 lambda se: se[contrasts.rows("interaction")].reshape((n, n) + se.shape[1:]))
        terms["_dividend"] = (("coalition", *extra), lambda se: se[contrasts.rows("dividend")]
                              if contrasts.with_dividends else np.full((contrasts.c,) + se.shape[1:], np.nan))
        terms["_interaction_order"] = (("order", *extra), lambda se: se[contrasts.rows("order")])
    for suffix, (dims, pick) in terms.items():
        source = g_se if suffix in ("_single", "_all") else c_se
        se = pick(source[False])
        value = out[f"{name}{suffix}"][1]
        if suffix == "":
            out[f"{name}_scenario_se"] = (dims, se, {**unit, "description": "scenario (Monte Carlo) standard error "
                                                     "of the Shapley values, paired over coalitions"})
            out[f"{name}_sampling_se"] = (dims, sampling_se, {**unit, "description": "permutation-sampling standard "
                                                              "error of the Shapley values (0 when exact)"})
            se = np.sqrt(se ** 2 + sampling_se ** 2)
        low, high = intervals.interval(value, se)
        out[f"{name}{suffix}_se"] = (dims, se, unit)
        out[f"{name}{suffix}_low"] = (dims, low, {**attrs, "description": "lower end of the 90 % interval"})
        out[f"{name}{suffix}_high"] = (dims, high, {**attrs, "description": "upper end of the 90 % interval"})
        if per_product:
            summed_dims = tuple(d for d in dims if d != "product")
            summed = pick(source[True])
            if suffix == "":
                summed = np.sqrt(summed ** 2 + sampling_se.sum(axis=-1) ** 2)  # sampling: bound, products together
            out[f"{name}{suffix}_summed_se"] = (summed_dims, summed,
                                                {**unit, "description": f"standard error of {name}{suffix} summed "
                                                 "over products"})


def coalition_label(member, levers) -> str:
    present = [lever.path for lever, on in zip(levers, member) if on]
    return "+".join(present) if present else "(none)"


def efficiency_gap(ds: xr.Dataset, metric: str) -> xr.DataArray:
    """``sum of Shapley values - all-players effect`` (0 up to rounding)."""
    return ds[metric].sum("player") - ds[f"{metric}_all"]


def format_attribution(ds: xr.Dataset) -> str:
    """A Markdown table per metric: each player's Shapley value and single-player effect
    with their 90 % intervals (``value ± half-width``) and share of the all-players
    effect; then (exact attributions) the interaction terms — the Harsanyi dividend of
    every pair and triple of players, so that singles + pairwise + three-way (+ higher)
    terms add up to the all-players effect — and the all-players effect. ``within noise``
    marks a term whose 90 % interval contains 0. Per-product metrics are summed over
    products (with the SE of the sum)."""
    method = ds.attrs.get("method")
    lines = [f"Shapley attribution of {ds.attrs.get('policy')} ({method}, {ds.attrs.get('n_scenarios')} scenarios): "
             "risk reduction against no policy; ± = 90 % interval (paired over scenarios"
             + (", with the permutation sampling error" if method == "sampling" else "") + ")", "",
             "| metric [unit] | term | effect | single alone | share of all | |", "|---|---|---:|---:|---:|---|"]
    players = [str(p) for p in ds["player"].values]
    for metric in RISK_METRICS:
        if metric not in ds:
            continue
        label = f"{metric} [{ds[metric].attrs.get('units', '')}]"
        value, se = _summed(ds, metric)
        single, single_se = _summed(ds, f"{metric}_single")
        everything, everything_se = _summed(ds, f"{metric}_all")
        total = float(value.sum("player"))
        for player in players:
            phi, phi_se = float(value.sel(player=player)), float(se.sel(player=player))
            share = phi / total if total else float("nan")
            alone = intervals.plus_minus(float(single.sel(player=player)), float(single_se.sel(player=player)))
            lines.append(f"| {label} | {player} | {intervals.plus_minus(phi, phi_se)} | {alone} | {share:.1%} | "
                         f"{intervals.noise_mark(phi, phi_se)} |")
        if f"{metric}_dividend" in ds:
            dividend, dividend_se = _summed(ds, f"{metric}_dividend")
            sizes = np.array([bin(int(m)).count("1") for m in ds["coalition_mask"].values])
            for k in np.flatnonzero((sizes == 2) | (sizes == 3)):
                name = " × ".join(str(ds["coalition"].values[k]).split("+"))
                kind = "pairwise" if sizes[k] == 2 else "three-way"
                term, term_se = float(dividend.values[k]), float(dividend_se.values[k])
                lines.append(f"| {label} | {kind}: {name} | {intervals.plus_minus(term, term_se)} | | | "
                             f"{intervals.noise_mark(term, term_se)} |")
            if len(players) > 3:
                order, order_se = _summed(ds, f"{metric}_interaction_order")
                high = order.sel(order=order["order"] > 3).sum("order")
                high_se = np.sqrt((order_se.sel(order=order["order"] > 3) ** 2).sum("order"))  # bound
                lines.append(f"| {label} | higher-order interactions (4+) | "
                             f"{intervals.plus_minus(float(high), float(high_se))} | | | |")
        lines.append(f"| {label} | **all together** | {intervals.plus_minus(float(everything), float(everything_se))}"
                     f" | | 100.0% | {intervals.noise_mark(float(everything), float(everything_se))} |")
    return "\n".join(lines)


def _summed(ds: xr.Dataset, name: str) -> tuple[xr.DataArray, xr.DataArray]:
    """``(value, se)`` of a term, summed over products where it has them (the SE of the
    sum from ``<name>_summed_se``); SE NaN where the dataset has none (older stores)."""
    value = ds[name]
    if "product" in value.dims:
        value = value.sum("product")
        se = ds.get(f"{name}_summed_se")
    else:
        se = ds.get(f"{name}_se")
    if se is None:
        se = xr.full_like(value, np.nan, dtype=np.float64)
    return value, se


def attribution_to_store(ds: xr.Dataset, store_path: str | Path, group: str = "attribution") -> None:
    """Write an attribution dataset as a group of an existing (run or sweep) store, in the
    store's conventions (:func:`simcore.run.store.write_group`: resolved units, a
    ``long_name`` on every variable, one dimension order)."""
    import warnings

    import zarr

    from simcore.run.store import write_group

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Zarr V3.*|.*Consolidated metadata.*|.*does not have a Zarr.*")
        write_group(ds, str(store_path), group)
        zarr.consolidate_metadata(str(store_path))


def attribute_file(path: str | Path, policy: str, players="pillars", **options) -> xr.Dataset:
    """:func:`attribute` for the run config of file ``path`` (its analysis sections left
    out); ``options`` as for :func:`attribute` (``scenarios``, ``method``,
    ``permutations``, ...). What ``simcore attribute`` runs."""
    from simcore.analysis.sweep import _config_without_analysis

    return attribute(_config_without_analysis(path), policy, players, **options)


def check_store_writable(path) -> None:
    """Refuse (:class:`~simcore.run.store.OutputError`) a ``--store`` the attribution could
    not be written into: a file, a folder simcore did not write, a folder that cannot be
    created or written (checked before computing, with nothing left on disk)."""
    import os

    from simcore.run import store
    from simcore.run.store import OutputError

    store.check_writable(path, create=False)
    local = store.as_location(path).local_path
    if local is not None and local.is_dir() and not os.access(local, os.W_OK | os.X_OK):
        raise OutputError(f"store {path} is not writable (permission denied)")


if __name__ == "__main__":  # the command is simcore attribute (one parser: simcore.cli)
    sys.exit("run this as: simcore attribute CONFIG POLICY (simcore attribute --help)")
