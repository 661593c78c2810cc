"""Scenario discovery: which input conditions make a policy mix fail (PRIM).

For a chosen mix and failure criterion (``metric > threshold`` over the horizon, e.g.
more than 30 shortage days of magnets), the Patient Rule Induction Method (Friedman &
Fisher 1999; as used for scenario discovery by Bryant & Lempert 2010 and the EMA
Workbench, Kwakkel 2017) finds a box ``lo_j <= x_j <= hi_j`` in the space of inputs that
holds most failures (coverage) and few successes (density).

Inputs per scenario
    The ensemble draws every scenario with its own values of the model's uncertain
    numbers (probabilities drawn uniformly, mapped through each entry's inverse CDF as in
    :mod:`simcore.analysis.ensemble`: the model's own joint distribution) and its events;
    the inputs are the drawn values of each uncertain model-file number (its first
    entry, in the number's units) and per event the occurrences within the horizon, the
    first onset day, the disrupted days, the largest severity and the leakage share.
    Inputs that do not vary over the ensemble are left out. Scenario indices are those of
    every run (common random numbers); failures are recorded for every mix compared.

PRIM (:func:`prim`)
    Peeling: from the box of all scenarios, repeatedly remove the ``alpha`` share
    (default 0.05) below the lower or above the upper ``alpha``-quantile of one input
    (of the scenarios in the box; on ties at least the extreme value), whichever gains
    the most density per share of scenarios removed (Friedman & Fisher's criterion, so
    a discrete input that would remove half the box must gain ten times as much), until
    the box would hold fewer than ``min_support`` of all scenarios. Each step is
    recorded: coverage (failures in the box / all failures), density (failures in the
    box / scenarios in the box), support (scenarios in the box / all), the limits and
    the number of restricted inputs: the trajectory traces the coverage-density
    trade-off. The chosen box is the densest step with coverage at
    least ``min_coverage`` (default 0.5); pasting (optional, default on) then widens one
    limit at a time by ``alpha`` of the box's scenarios while the density rises; then
    (``simplify``, a density tolerance, default 0.05) restrictions are dropped one at a
    time, the least needed first, while the density stays within the tolerance: with
    hundreds of inputs peeling also restricts inputs that only fit noise, and the few
    restrictions left are the conditions that explain the failures.

Uncertainty
    PRIM is fitted on a training share of the scenarios; the chosen box's coverage and
    density are re-measured on the held-out rest (``holdout``, default 0.3) with Wilson
    90 % intervals, so an over-fitted box shows as a drop out of sample. Each restriction
    of the chosen box is reported with the density and coverage of the box without it
    (on the training scenarios): a restriction whose removal costs no density is not
    needed to explain the failures.

References: Friedman, J. H. & Fisher, N. I. (1999), Bump hunting in high-dimensional
data, Statistics and Computing 9, 123-143. Bryant, B. P. & Lempert, R. J. (2010),
Thinking inside the box, Technological Forecasting & Social Change 77, 34-49. Kwakkel,
J. H. (2017), The Exploratory Modeling Workbench, Environmental Modelling & Software 96,
239-250.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from simcore.analysis.intervals import LEVEL


@dataclass
class PrimResult:
    """The peeling trajectory ``[T]`` (step 0: all scenarios) and the chosen box.

    ``low``, ``high`` ``[T, d]``: limits of each step (``-inf`` / ``inf`` where an input
    is not restricted); ``chosen``: the step chosen; ``box_low``, ``box_high`` ``[d]``:
    the chosen box after pasting."""

    names: list
    coverage: np.ndarray
    density: np.ndarray
    support: np.ndarray
    restricted: np.ndarray
    low: np.ndarray
    high: np.ndarray
    chosen: int
    box_low: np.ndarray
    box_high: np.ndarray
    pasted: bool
    dropped: int = 0


def in_box(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``[n]`` True where every input of ``x`` ``[n, d]`` lies within ``[low, high]``."""
    return np.all((x >= low) & (x <= high), axis=1)


def box_stats(x: np.ndarray, y: np.ndarray, low, high) -> tuple[float, float, float, int]:
    """``(coverage, density, support, scenarios in the box)`` of a box on ``x``, ``y``."""
    inside = in_box(x, low, high)
    n_in, fails = int(inside.sum()), float(y[inside].sum())
    total = float(y.sum())
    coverage = fails / total if total > 0 else float("nan")
    density = fails / n_in if n_in > 0 else float("nan")
    return coverage, density, n_in / len(y), n_in


def _peel_candidates(xi: np.ndarray, alpha: float):
    """``(input, side, new limit, kept mask)`` of every one-sided peel of the box's
    scenarios ``xi`` ``[m, d]`` (side 0: raise the lower limit, 1: lower the upper)."""
    for j in range(xi.shape[1]):
        col = xi[:, j]
        lo, hi = col.min(), col.max()
        if lo == hi:
            continue
        keep = col >= np.quantile(col, alpha)
        if keep.all():
            keep = col > lo
        yield j, 0, col[keep].min(), keep
        keep = col <= np.quantile(col, 1.0 - alpha)
        if keep.all():
            keep = col < hi
        yield j, 1, col[keep].max(), keep


def _paste(x, y, low, high, alpha: float):
    """Widen one limit at a time by ``alpha`` of the box's scenarios while density rises."""
    low, high = low.copy(), high.copy()
    _, density, _, n_in = box_stats(x, y, low, high)
    changed = False
    while True:
        best = None
        step = max(1, math.ceil(alpha * n_in))
        for j in range(x.shape[1]):
            others = np.ones(x.shape[1], bool)
            others[j] = False
            near = in_box(x[:, others], low[others], high[others])
            for side in (0, 1):
                col = x[near, j]
                out = np.sort(col[col < low[j]])[::-1] if side == 0 else np.sort(col[col > high[j]])
                if out.size == 0:
                    continue
                limit = out[min(step, out.size) - 1]
                trial_low, trial_high = low.copy(), high.copy()
                if side == 0:
                    trial_low[j] = -np.inf if limit <= x[:, j].min() else limit
                else:
                    trial_high[j] = np.inf if limit >= x[:, j].max() else limit
                _, d_new, _, n_new = box_stats(x, y, trial_low, trial_high)
                if d_new > density and (best is None or d_new > best[0]):
                    best = (d_new, n_new, trial_low, trial_high)
        if best is None:
            return low, high, changed
        density, n_in, low, high = best
        changed = True


def prim(x: np.ndarray, y: np.ndarray, names=None, *, alpha: float = 0.05, min_support: float = 0.05,
         min_coverage: float = 0.5, paste: bool = True, simplify_tolerance: float = 0.0) -> PrimResult:
    """PRIM on inputs ``x`` ``[n, d]`` and failures ``y`` ``[n]`` (bool); module doc."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, bool)
    n, d = x.shape
    names = list(names) if names is not None else [f"x{j}" for j in range(d)]
    low, high = np.full(d, -np.inf), np.full(d, np.inf)
    inside = np.ones(n, bool)
    steps = [(low.copy(), high.copy())]
    while True:
        idx = np.flatnonzero(inside)
        xi, yi = x[idx], y[idx]
        best = None
        for j, side, limit, keep in _peel_candidates(xi, alpha):
            kept = int(keep.sum())
            if kept < min_support * n or kept == 0:
                continue
            # Friedman & Fisher's patient criterion: density gained per share of scenarios removed
            # (a discrete input's peel that removes half the box must gain ten times a 5 % peel's)
            gain = (float(yi[keep].mean()) - float(yi.mean())) / ((len(yi) - kept) / n)
            score = (gain, kept)
            if best is None or score > best[0]:
                best = (score, j, side, limit, keep)
        if best is None:
            break
        _, j, side, limit, keep = best
        if side == 0:
            low[j] = limit
        else:
            high[j] = limit
        inside[idx[~keep]] = False
        steps.append((low.copy(), high.copy()))
    lows, highs = np.stack([s[0] for s in steps]), np.stack([s[1] for s in steps])
    stats = np.array([box_stats(x, y, lo, hi)[:3] for lo, hi in steps])
    coverage, density, support = stats[:, 0], stats[:, 1], stats[:, 2]
    restricted = (np.isfinite(lows) | np.isfinite(highs)).sum(axis=1)
    eligible = np.flatnonzero(np.nan_to_num(coverage, nan=1.0) >= min_coverage)
    chosen = int(eligible[np.argmax(np.nan_to_num(density[eligible], nan=-1.0))]) if eligible.size else 0
    box_low, box_high, pasted = lows[chosen], highs[chosen], False
    if paste and chosen > 0:
        box_low, box_high, pasted = _paste(x, y, box_low, box_high, alpha)
    dropped = 0
    if simplify_tolerance > 0:
        box_low, box_high, dropped = simplify(x, y, box_low, box_high, simplify_tolerance)
    return PrimResult(names, coverage, density, support, restricted, lows, highs, chosen, box_low, box_high, pasted,
                      dropped)


def simplify(x, y, low, high, tolerance: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Drop restrictions of a box one at a time, the one whose removal loses the least
    density first, while the density stays within ``tolerance`` of the box's (the box
    then also covers at least as many failures). Returns the limits and the number of
    restrictions dropped."""
    low, high = low.copy(), high.copy()
    _, start, _, _ = box_stats(x, y, low, high)
    dropped = 0
    while True:
        best = None
        for j in np.flatnonzero(np.isfinite(low) | np.isfinite(high)):
            trial_low, trial_high = low.copy(), high.copy()
            trial_low[j], trial_high[j] = -np.inf, np.inf
            _, density, _, _ = box_stats(x, y, trial_low, trial_high)
            if density >= start - tolerance and (best is None or density > best[0]):
                best = (density, trial_low, trial_high)
        if best is None:
            return low, high, dropped
        _, low, high = best
        dropped += 1


def restrictions(x, y, result: PrimResult) -> list[dict]:
    """The chosen box's restricted inputs, each with the box's density and coverage
    without it, ordered by the density lost when it is dropped (most needed first)."""
    rows = []
    for j in np.flatnonzero(np.isfinite(result.box_low) | np.isfinite(result.box_high)):
        low, high = result.box_low.copy(), result.box_high.copy()
        low[j], high[j] = -np.inf, np.inf
        coverage, density, _, _ = box_stats(x, y, low, high)
        rows.append({"input": result.names[j], "index": int(j), "low": float(result.box_low[j]),
                     "high": float(result.box_high[j]), "coverage_without": coverage, "density_without": density})
    _, density, _, _ = box_stats(x, y, result.box_low, result.box_high)
    return sorted(rows, key=lambda r: -(density - np.nan_to_num(r["density_without"])))


# ----------------------------------------------------------------------------- on the model

def discovery_inputs(config, ens, features: np.ndarray, u: np.ndarray, which: str = "all"):
    """``(names [F], units [F], x [n, F])`` of the drawn inputs: uncertain numbers (values
    of probabilities ``u`` ``[n, d]``) and event inputs ``features`` ``[n, 5 E]``; inputs
    that do not vary are left out."""
    from simcore.analysis.ensemble import EVENT_FEATURE_UNITS, EVENT_FEATURES

    names, units, cols = [], [], []
    if which in ("all", "events"):
        n_events = features.shape[1] // len(EVENT_FEATURES)
        events = list(config.event_names)
        for f, (feature, unit) in enumerate(zip(EVENT_FEATURES, EVENT_FEATURE_UNITS)):
            for e in range(n_events):
                names.append(f"{events[e]}: {feature}")
                units.append(unit)
                cols.append(features[:, f * n_events + e])
    if which in ("all", "parameters") and ens.column_names:
        from simcore.analysis.robustness import _first_entry_values, _Params
        from simcore.analysis.sobol import design_values

        values = _first_entry_values(design_values(config.loaded, _Params(ens.columns), u), ens.columns,
                                     len(ens.column_names))
        for j, name in enumerate(ens.column_names):
            names.append(name)
            units.append("model units")
            cols.append(values[:, j])
    x = np.stack(cols, axis=1) if cols else np.zeros((features.shape[0], 0))
    varies = x.min(axis=0) < x.max(axis=0) if x.size else np.zeros(0, bool)
    return [n for n, v in zip(names, varies) if v], [u_ for u_, v in zip(units, varies) if v], x[:, varies]


def discovery_analysis(config, s, d) -> xr.Dataset:
    """Scenario discovery for settings ``d`` (:class:`~simcore.analysis.robustness.
    DiscoverySettings`) on the mixes of robustness settings ``s``: the ensemble, PRIM on
    the training scenarios, the chosen box re-measured on the held-out ones."""
    import jax

    from simcore.analysis.ensemble import run_ensemble
    from simcore.analysis.regret_stats import wilson
    from simcore.analysis.robustness import ensemble_of, metric_values
    from simcore.analysis.sobol_design import U_EPS

    ens = ensemble_of(config, s.policies)
    n, n_par = int(d.scenarios), len(ens.column_names)
    rng = np.random.default_rng(d.seed)
    u = np.clip(rng.random((n, n_par)), U_EPS, 1.0 - U_EPS)
    test = rng.random(n) < d.holdout
    values = np.zeros((len(ens.names), n))
    features = None

    def lane_inputs(lo, hi):
        return d.start + np.arange(lo, hi), u[lo:hi]

    def consume(lo, hi, metrics, feats):
        nonlocal features
        if features is None:
            features = np.zeros((n, feats.shape[1]))
        features[lo:hi] = feats
        values[:, lo:hi] = metric_values(metrics, d.metric, ens)

    run_ensemble(config.loaded.model, ens.policies, config.events, jax.random.PRNGKey(config.seed), ens.columns, n,
                 lane_inputs, consume, horizon=config.horizon_days, chunk=s.chunk_size)
    fail = values > d.threshold  # [M, n]
    y = fail[ens.names.index(d.policy)]
    names, units, x = discovery_inputs(config, ens, features, u, d.inputs)
    train = ~test
    result = prim(x[train], y[train], names, alpha=d.peel_alpha, min_support=d.min_support,
                  min_coverage=d.min_coverage, paste=d.paste, simplify_tolerance=d.simplify)
    table = restrictions(x[train], y[train], result)
    lo_data, hi_data = x.min(axis=0), x.max(axis=0)

    def finite(limits, fill):
        return np.where(np.isfinite(limits), limits, fill)

    cov_tr, den_tr, sup_tr, n_in_tr = box_stats(x[train], y[train], result.box_low, result.box_high)
    cov_te, den_te, sup_te, n_in_te = box_stats(x[test], y[test], result.box_low, result.box_high)
    fails_tr, fails_te = int(y[train].sum()), int(y[test].sum())
    share = fail.mean(axis=1)
    share_low, share_high = wilson(share, n)
    R = ("restriction",)
    data = {
        "coverage": (("step",), result.coverage, {"units": "1", "long_name": "failures in the box / all failures"}),
        "density": (("step",), result.density, {"units": "1", "long_name": "failures in the box / scenarios in it"}),
        "support": (("step",), result.support, {"units": "1", "long_name": "scenarios in the box / all scenarios"}),
        "restricted": (("step",), result.restricted, {"units": "1", "long_name": "inputs restricted"}),
        "box_low": (("step", "input"), finite(result.low, lo_data), {"long_name": "lower limit of each step's box"}),
        "box_high": (("step", "input"), finite(result.high, hi_data), {"long_name": "upper limit of each step's box"}),
        "is_restricted": (("step", "input"), np.isfinite(result.low) | np.isfinite(result.high),
                          {"long_name": "the step's box restricts the input"}),
        "chosen_low": (("input",), finite(result.box_low, lo_data), {"long_name": "lower limit of the chosen box"}),
        "chosen_high": (("input",), finite(result.box_high, hi_data), {"long_name": "upper limit of the chosen box"}),
        "input_min": (("input",), lo_data, {"long_name": "smallest value in the ensemble"}),
        "input_max": (("input",), hi_data, {"long_name": "largest value in the ensemble"}),
        "input_units": (("input",), np.asarray(units), {"long_name": "units of each input"}),
        "restriction_input": (R, np.asarray([r["input"] for r in table], dtype=str), {"long_name": "input"}),
        "restriction_low": (R, np.asarray([finite(np.array(r["low"]), lo_data[r["index"]]) for r in table],
                                          np.float64), {"long_name": "lower limit"}),
        "restriction_high": (R, np.asarray([finite(np.array(r["high"]), hi_data[r["index"]]) for r in table],
                                           np.float64), {"long_name": "upper limit"}),
        "restriction_density_without": (R, np.asarray([r["density_without"] for r in table], np.float64),
                                        {"units": "1", "long_name": "density of the box without this restriction"}),
        "restriction_coverage_without": (R, np.asarray([r["coverage_without"] for r in table], np.float64),
                                         {"units": "1", "long_name": "coverage of the box without this restriction"}),
        "failure_share": (("policy",), share, {"units": "1", "long_name": f"share of scenarios with {d.metric} > "
                                                                           f"{d.threshold:g}"}),
        "failure_share_low": (("policy",), share_low[0] if share_low.ndim > 1 else share_low,
                              {"units": "1", "long_name": "lower end of the 90 % Wilson interval"}),
        "failure_share_high": (("policy",), share_high[0] if share_high.ndim > 1 else share_high,
                               {"units": "1", "long_name": "upper end of the 90 % Wilson interval"}),
    }
    ds = xr.Dataset(data, coords={"step": np.arange(len(result.coverage)), "input": names,
                                  "restriction": np.arange(len(table)), "policy": ens.names})
    (dl_tr, dh_tr), (dl_te, dh_te) = wilson(den_tr, n_in_tr), wilson(den_te, max(n_in_te, 1))
    (cl_tr, ch_tr), (cl_te, ch_te) = wilson(cov_tr, max(fails_tr, 1)), wilson(cov_te, max(fails_te, 1))
    base = float(y.mean())
    ds.attrs.update({
        "kind": "discovery", "model": config.loaded.name, "config": str(config.path or ""), "policy": d.policy,
        "metric": d.metric, "threshold": float(d.threshold), "scenarios": n, "scenario_start": int(d.start),
        "seed": int(config.seed), "design_seed": int(d.seed), "horizon_days": int(config.horizon_days),
        "peel_alpha": float(d.peel_alpha), "min_support": float(d.min_support), "min_coverage": float(d.min_coverage),
        "paste": bool(d.paste), "pasted": bool(result.pasted), "simplify": float(d.simplify),
        "restrictions_dropped": int(result.dropped), "holdout": float(d.holdout), "inputs": d.inputs,
        "chosen_step": int(result.chosen), "train_scenarios": int(train.sum()), "test_scenarios": int(test.sum()),
        "failures": int(y.sum()), "base_density": base,
        "train_coverage": cov_tr, "train_coverage_low": float(cl_tr), "train_coverage_high": float(ch_tr),
        "train_density": den_tr, "train_density_low": float(dl_tr), "train_density_high": float(dh_tr),
        "train_support": sup_tr, "test_coverage": cov_te, "test_coverage_low": float(cl_te),
        "test_coverage_high": float(ch_te), "test_density": den_te, "test_density_low": float(dl_te),
        "test_density_high": float(dh_te), "test_support": sup_te, "confidence": LEVEL,
        "method": "PRIM (Friedman & Fisher 1999): peeling, then pasting; chosen box = densest step with coverage "
                  ">= min_coverage; re-measured on held-out scenarios",
    })
    return ds


def format_discovery(ds: xr.Dataset, top: int = 8) -> str:
    """The chosen box: its coverage and density in and out of sample (90 % intervals),
    its restrictions, and the failure share of every mix."""
    a = ds.attrs
    nan = float("nan")
    simplified = (f", simplified ({a['restrictions_dropped']} restrictions dropped)"
                  if a.get("restrictions_dropped") else "")
    lines = [f"Scenario discovery (PRIM): {a['policy']} fails when {a['metric']} > {a['threshold']:g}; "
             f"{a['scenarios']} scenarios with their own parameter draws ({a['train_scenarios']} to fit, "
             f"{a['test_scenarios']} held out); {ds.sizes['input']} varying inputs",
             f"failures: {a['failures']} ({a['base_density']:.3f} of scenarios); chosen box: peeling step "
             f"{a['chosen_step']} of {ds.sizes['step'] - 1}{', pasted' if a['pasted'] else ''}"
             f"{simplified}",
             f"  fit:      coverage {a['train_coverage']:.3f} [{a['train_coverage_low']:.3f}, "
             f"{a['train_coverage_high']:.3f}], density {a['train_density']:.3f} [{a['train_density_low']:.3f}, "
             f"{a['train_density_high']:.3f}], support {a['train_support']:.3f}",
             f"  held out: coverage {a.get('test_coverage', nan):.3f} [{a['test_coverage_low']:.3f}, "
             f"{a['test_coverage_high']:.3f}], density {a.get('test_density', nan):.3f} "
             f"[{a['test_density_low']:.3f}, {a['test_density_high']:.3f}] (90 % Wilson intervals)", ""]
    head = f"{'restriction':<58} {'low':>10} {'high':>10} {'density w/o':>12} {'coverage w/o':>13}"
    lines += [head, "-" * len(head)]
    for i in range(min(top, ds.sizes["restriction"])):
        r = ds.isel(restriction=i)
        j = list(ds["input"].values).index(str(r["restriction_input"].values))
        lo, hi = float(r["restriction_low"]), float(r["restriction_high"])
        lo_t = "-" if lo <= float(ds["input_min"][j]) else f"{lo:.4g}"
        hi_t = "-" if hi >= float(ds["input_max"][j]) else f"{hi:.4g}"
        lines.append(f"{str(r['restriction_input'].values)[:58]:<58} {lo_t:>10} {hi_t:>10} "
                     f"{float(r['restriction_density_without']):>12.3f} "
                     f"{float(r['restriction_coverage_without']):>13.3f}")
    if ds.sizes["restriction"] > top:
        lines.append(f"  ... {ds.sizes['restriction'] - top} more restrictions (in the store)")
    lines.append("")
    lines.append("failure share by mix (same scenarios): " + ", ".join(
        f"{p} {float(s):.3f} [{float(lo):.3f}, {float(hi):.3f}]" for p, s, lo, hi in zip(
            ds["policy"].values, ds["failure_share"].values, ds["failure_share_low"].values,
            ds["failure_share_high"].values)))
    return "\n".join(lines)
