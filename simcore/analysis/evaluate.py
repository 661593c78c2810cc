"""Run many policy mixes on common random numbers without holding trajectories.

:func:`evaluate_mixes` cuts the mix axis into *policy chunks* (padded to one size, so
the engine compiles once) and streams the scenario chunks: every ``(policy chunk,
scenario chunk)`` block of per-scenario metrics is reduced at once with
:func:`simcore.run.stats.reduce_chunk` and merged (:class:`simcore.run.streaming.RunningStats`,
one stream per policy chunk), policy chunk after policy chunk, so
memory holds one block of metrics and one policy chunk's statistics, whatever the
numbers of mixes and scenarios. Scenario ``i`` is drawn from ``fold_in(PRNGKey(seed), i)``
in every policy chunk: every mix sees the same scenarios (common random numbers), and
results do not depend on either chunk size.

:func:`evaluate_mixes_paired` runs the same blocks scenario chunk by scenario chunk and,
within one, policy chunk by policy chunk, so that every mix meets the reference on the
same scenarios while it streams: it keeps running paired moments
(:class:`simcore.analysis.intervals.Moments`) of the per-scenario gains against the
reference, of linear contrasts of them (Shapley values) and of the net benefits across
mixes, from which the analysis takes standard errors and 90 % intervals. Memory stays
flat in the scenario count; every policy chunk's mergeable statistics are open until the
last scenario chunk (so it grows with the number of mixes). Each policy chunk's
statistics are merged in the same scenario order either way: identical summaries.

Besides the engine's metrics, per-scenario derived metrics are reduced (see
:data:`DERIVED_INFO`): shortage days summed over products and value-added loss summed
over sectors, whose CVaR cannot be had from per-sector statistics, and the peak user
price change without the mix's normal-time markup (:mod:`simcore.analysis.markups`):
the crisis peak that the risk metric ``expected_peak_price_change`` means (a mix that
only pays a premium does not raise it).

:func:`risk_metrics` picks the risk metrics of the analysis from a summary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from simcore.analysis.intervals import Moments
from simcore.analysis.markups import central_markups, markups_vary_by_scenario, mix_markups, peak_without_markup
from simcore.core.model import Policy
from simcore.run.metrics import METRIC_INFO
from simcore.run.runner import Simulation
from simcore.run.stats import finalize
from simcore.run.streaming import RunningStats

DERIVED_INFO = {
    "shortage_days_total": ((), "days", "shortage days summed over products", "count"),
    "value_added_loss_total": ((), "IO value unit", "value added lost summed over sectors", "amount"),
    "peak_price_change_excl_markup": (("product",), "1", "highest user price relative to baseline, minus 1, "
                                      "without the mix's normal-time markup: (1 + peak) / (1 + markup) - 1",
                                      "amount"),
}
# Metrics reduced by default (the rest of METRIC_INFO on request: metrics="all").
DEFAULT_METRICS = ("shortage_days", "unmet", "spare_used", "gov_release", "value_added_loss",
                   "peak_price_change", "mean_price_change", "mean_price_index_change")

# name -> (summary variable, statistic, description, units key); units key "IO" = the IO value unit
RISK_METRICS = {
    "expected_shortage_days": ("shortage_days", "mean", "expected shortage days over the horizon", "days"),
    "expected_shortage_days_total": ("shortage_days_total", "mean",
                                     "expected shortage days over the horizon, summed over products", "days"),
    "p_any_shortage": ("p_any_shortage", None, "probability that any product is short", "1"),
    "cvar95_value_added_loss": ("value_added_loss_total", "cvar95",
                                "CVaR95 of the value-added loss over the horizon (all sectors)", "IO"),
    "expected_value_added_loss": ("value_added_loss_total", "mean",
                                  "expected value-added loss over the horizon (all sectors)", "IO"),
    "expected_peak_price_change": ("peak_price_change_excl_markup", "mean",
                                   "expected crisis peak user price change without the mix's normal-time markup "
                                   "(1 = +100 %)", "1"),
    "expected_peak_price_change_incl_markup": ("peak_price_change", "mean",
                                               "expected peak user price change including the mix's normal-time "
                                               "markup (what users pay; 1 = +100 %)", "1"),
}
RISK_METRIC_KEYS = tuple(RISK_METRICS)


def metric_info(metrics="default") -> dict:
    """The info table used for the reduction: chosen engine metrics plus the derived totals."""
    if metrics == "all":
        names = list(METRIC_INFO)
    elif metrics == "default" or metrics is None:
        names = list(DEFAULT_METRICS)
    else:
        names = list(dict.fromkeys(["shortage_days", "value_added_loss", "peak_price_change", *metrics]))
    info = {name: METRIC_INFO[name] for name in names}
    info.update(DERIVED_INFO)
    return info


def derived(metrics: dict, markup=None) -> dict:
    """Per-scenario totals ``[policy, scenario]`` added to a block of engine metrics and,
    given the mixes' normal-time markups ``markup`` (broadcastable to ``[policy, scenario,
    product]``, :func:`simcore.analysis.markups.mix_markups`), the peak price change
    without them ``[policy, scenario, product]``."""
    out = dict(metrics)
    out["shortage_days_total"] = np.asarray(metrics["shortage_days"]).sum(axis=-1)
    out["value_added_loss_total"] = np.asarray(metrics["value_added_loss"], dtype=np.float64).sum(axis=-1)
    if markup is not None:
        out["peak_price_change_excl_markup"] = peak_without_markup(metrics["peak_price_change"], markup)
    return out


# ----------------------------------------------------------------------------- paired outcomes

# Per-scenario outcomes whose paired differences give the effects' standard errors:
# scalars first, then one per product of each per-product outcome.
PAIRED_SCALARS = ("shortage_days_total", "any_shortage", "value_added_loss_total", "value_added_loss_tail",
                  "peak_price_change_total", "peak_price_change_excl_markup_total")
PAIRED_PER_PRODUCT = ("shortage_days", "peak_price_change", "peak_price_change_excl_markup")
# risk metric -> (outcome, outcome of its sum over products or None); see RISK_METRICS
RISK_OUTCOMES = {
    "expected_shortage_days": ("shortage_days", "shortage_days_total"),
    "expected_shortage_days_total": ("shortage_days_total", None),
    "p_any_shortage": ("any_shortage", None),
    "cvar95_value_added_loss": ("value_added_loss_tail", None),
    "expected_value_added_loss": ("value_added_loss_total", None),
    "expected_peak_price_change": ("peak_price_change_excl_markup", "peak_price_change_excl_markup_total"),
    "expected_peak_price_change_incl_markup": ("peak_price_change", "peak_price_change_total"),
}
CVAR_TAIL = 0.05  # of cvar95
PAIRWISE_MAX_MIXES = 256  # net-benefit co-moments across mixes: M x M numbers


def outcome_index(name: str, n_products: int):
    """Position (scalar outcome) or slice (per-product outcome) of ``name`` in the last axis
    ``R = len(PAIRED_SCALARS) + len(PAIRED_PER_PRODUCT) x n_products`` of :func:`paired_outcomes`."""
    if name in PAIRED_SCALARS:
        return PAIRED_SCALARS.index(name)
    k = len(PAIRED_SCALARS) + PAIRED_PER_PRODUCT.index(name) * n_products
    return slice(k, k + n_products)


def paired_outcomes(block: dict, thresholds: np.ndarray) -> np.ndarray:
    """Per-scenario outcomes ``[M, n, R]`` of a block of metrics ``[M, n, ...]`` (with the
    derived totals), in the order of :func:`outcome_index`.

    ``value_added_loss_tail`` is the influence-function linearisation of CVaR95 of the
    value-added loss, ``v + max(L - v, 0) / 0.05`` with ``v`` ``[M]`` the mix's 95 %
    quantile (here: of its first scenario chunk): its mean over scenarios is CVaR95 to
    first order, so its paired SE is the CVaR effect's (the point estimate stays the
    summary's exact CVaR). ``any_shortage`` is 1 where any product is short."""
    days = np.asarray(block["shortage_days"], np.float64)
    peak = np.asarray(block["peak_price_change"], np.float64)
    plain = np.asarray(block["peak_price_change_excl_markup"], np.float64) if "peak_price_change_excl_markup" in block \
        else peak  # no markups given: the peak as the engine reports it
    loss = np.asarray(block["value_added_loss_total"], np.float64)
    v = np.asarray(thresholds, np.float64)[:, None]
    scalars = [np.asarray(block["shortage_days_total"], np.float64), (days > 0).any(axis=-1).astype(np.float64),
               loss, v + np.maximum(loss - v, 0.0) / CVAR_TAIL, peak.sum(axis=-1), plain.sum(axis=-1)]
    return np.concatenate([np.stack(scalars, axis=-1), days, peak, plain], axis=-1)


@dataclass
class PairedRequest:
    """What :func:`evaluate_mixes_paired` streams besides the statistics.

    ``reference``: the mix every other is paired with (gains ``g_m = y_ref - y_m``, so a
    positive gain is less risk). ``contrasts`` ``[K, M]``: weights of linear
    combinations ``sum_m W_km g_m`` (Shapley values, interactions, dividends) whose
    paired moments are streamed too. ``crisis_weights`` ``[M, P]`` (currency per product
    unit): the crisis premium of a scenario is ``sum_p w_mp spare_used_mp`` over the
    horizon (:func:`simcore.analysis.costs.crisis_weights`). ``pairwise``: also the
    co-moments across mixes of the per-scenario net benefit over the horizon (avoided
    value-added loss minus crisis premium; fixed costs do not vary) for the probability
    that one mix beats another, and the joint co-moments of every mix's value-added loss
    and crisis premium for the probability of being on the Pareto front; at most
    :data:`PAIRWISE_MAX_MIXES` mixes.
    """

    reference: int = 0
    contrasts: np.ndarray | None = None
    crisis_weights: np.ndarray | None = None
    pairwise: bool = False

    def check(self, n_mixes: int, n_products: int) -> None:
        if not 0 <= self.reference < n_mixes:
            raise ValueError(f"paired.reference must be a mix index in [0, {n_mixes}), got {self.reference}")
        if self.contrasts is not None and (np.ndim(self.contrasts) != 2 or np.shape(self.contrasts)[1] != n_mixes):
            raise ValueError(f"paired.contrasts must have shape (K, {n_mixes}), got {np.shape(self.contrasts)}")
        if self.crisis_weights is not None and np.shape(self.crisis_weights) != (n_mixes, n_products):
            raise ValueError(f"paired.crisis_weights must have shape ({n_mixes}, {n_products}), "
                             f"got {np.shape(self.crisis_weights)}")
        if self.pairwise and n_mixes > PAIRWISE_MAX_MIXES:
            raise ValueError(f"paired.pairwise needs at most {PAIRWISE_MAX_MIXES} mixes, got {n_mixes}")


@dataclass
class PairedResult:
    """Streamed paired moments (:class:`simcore.analysis.intervals.Moments`).

    ``gains`` ``[M, R, 1]``: of ``y_ref - y_m`` per outcome (:func:`outcome_index`);
    ``money`` ``[M, 3]``: of (avoided shortage days summed over products, avoided
    value-added loss, crisis premium), all over the horizon, with their covariances;
    ``contrasts`` ``[K, R, 1]`` or None; ``pairwise`` (``K = M``) or None: of the net
    benefit over the horizon (avoided loss minus crisis premium) of every mix; ``front``
    (streamed with ``pairwise``; ``K = 2 M``) or None: of every mix's value-added loss
    (first ``M``) and crisis premium (last ``M``) over the horizon, jointly, for the
    probability that a mix is on the (cost, expected loss) Pareto front
    (:mod:`simcore.analysis.pareto`). ``thresholds`` ``[M]``: the tail thresholds of
    ``value_added_loss_tail``."""

    names: list
    products: list
    gains: Moments
    money: Moments
    contrasts: Moments | None
    pairwise: Moments | None
    thresholds: np.ndarray
    front: Moments | None = None

    def outcome_se(self, moments: Moments, outcome: str) -> np.ndarray:
        """SE ``[cells[, product]]`` of an outcome's mean gain (or contrast)."""
        return moments.se()[..., outcome_index(outcome, len(self.products)), 0]

    def risk_se(self, moments: Moments, metric: str, summed: bool = False) -> np.ndarray:
        """SE of a risk metric's paired effect (``summed``: of its sum over products)."""
        outcome, total = RISK_OUTCOMES[metric]
        return self.outcome_se(moments, total if summed and total else outcome)


class _PairedAccumulator:
    """Running state of a :class:`PairedRequest` over the 2-D block schedule."""

    def __init__(self, request: PairedRequest, n_mixes: int, n_products: int, horizon_days: int):
        self.request = request
        self.n_mixes = n_mixes
        self.n_products = n_products
        self.thresholds = np.full(n_mixes, np.nan)
        self.gains: dict[int, Moments] = {}
        self.money: dict[int, Moments] = {}
        self.contrasts: Moments | None = None
        self.pairwise: Moments | None = None
        self.front: Moments | None = None
        self.joint = None  # [n, 2M] loss and crisis premium of this chunk
        self.current = None  # first scenario of the chunk being filled
        self.reference_y = None  # [n, R]
        self.reference_loss = None  # [n]
        self.partial = None  # [K, n, R] contrasts of this chunk
        self.net = None  # [M, n] net benefit of this chunk

    def add(self, first_scenario: int, first_mix: int, block: dict, last_group: bool) -> None:
        request = self.request
        count = np.shape(block["shortage_days_total"])[0]
        rows = np.arange(first_mix, first_mix + count)
        loss = np.asarray(block["value_added_loss_total"], np.float64)
        if np.isnan(self.thresholds[rows]).any():  # first scenario chunk: the tail thresholds
            self.thresholds[rows] = np.quantile(loss, 1.0 - CVAR_TAIL, axis=1)
        y = paired_outcomes(block, self.thresholds[rows])  # [count, n, R]
        if self.current != first_scenario:  # a new scenario chunk starts with the reference's group
            self.current = first_scenario
            self.reference_y = y[request.reference - first_mix]
            self.reference_loss = loss[request.reference - first_mix]
            n = y.shape[1]
            self.partial = None if request.contrasts is None else np.zeros(
                (np.shape(request.contrasts)[0], n, y.shape[2]))
            self.net = np.zeros((self.n_mixes, n)) if request.pairwise else None
            self.joint = np.zeros((n, 2 * self.n_mixes)) if request.pairwise else None
        gain = self.reference_y[None] - y  # [count, n, R]
        part = Moments.of(np.moveaxis(gain, 1, 0)[..., None])
        self.gains[first_mix] = self.gains[first_mix].merge(part) if first_mix in self.gains else part
        if request.crisis_weights is not None:
            spare = np.asarray(block["spare_used"], np.float64)  # [count, n, P]
            crisis = np.einsum("mp,mnp->mn", np.asarray(request.crisis_weights, np.float64)[rows], spare)
        else:
            crisis = np.zeros(gain.shape[:2])
        days_index = outcome_index("shortage_days_total", self.n_products)
        avoided_loss = self.reference_loss[None] - loss  # exact differences of the losses, not of the tail
        money = np.stack([gain[..., days_index], avoided_loss, crisis], axis=-1)  # [count, n, 3]
        part = Moments.of(np.moveaxis(money, 1, 0))
        self.money[first_mix] = self.money[first_mix].merge(part) if first_mix in self.money else part
        if self.partial is not None:
            self.partial += np.tensordot(np.asarray(request.contrasts, np.float64)[:, rows], gain, axes=(1, 0))
        if self.net is not None:
            self.net[rows] = avoided_loss - crisis
            self.joint[:, rows] = loss.T
            self.joint[:, self.n_mixes + rows] = crisis.T
        if last_group:  # the scenario chunk is complete: fold its per-scenario sums in
            if self.partial is not None:
                part = Moments.of(np.moveaxis(self.partial, 1, 0)[..., None])
                self.contrasts = part if self.contrasts is None else self.contrasts.merge(part)
            if self.net is not None:
                part = Moments.of(self.net.T)
                self.pairwise = part if self.pairwise is None else self.pairwise.merge(part)
                part = Moments.of(self.joint)
                self.front = part if self.front is None else self.front.merge(part)

    def result(self, names, products) -> PairedResult:
        def joined(parts: dict[int, Moments]) -> Moments:
            keys = sorted(parts)
            return Moments(parts[keys[0]].n, np.concatenate([parts[k].mean for k in keys]),
                           np.concatenate([parts[k].co for k in keys]))

        return PairedResult(names, list(products), joined(self.gains), joined(self.money), self.contrasts,
                            self.pairwise, self.thresholds, self.front)


def evaluate_mixes(sim: Simulation, policies: Policy, names: list[str], n_scenarios: int, *,
                   chunk_size: int = 1000, policy_chunk: int = 16, metrics="default", start: int = 0,
                   progress=None) -> xr.Dataset:
    """Statistics across scenarios ``start .. start + n_scenarios - 1`` for ``M`` mixes.

    ``policies``: a Policy with a leading axis of ``M`` mixes, ``names`` their ``M``
    labels (the ``policy`` coordinate). Returns the summary dataset of
    :func:`simcore.run.stats.finalize` (dims ``(statistic, policy, ...)``) with the
    metrics of :func:`metric_info` ``(metrics)``; attributes ``scenarios``, ``seed``,
    ``horizon_days``, ``mix_scenario_days`` and ``seconds``.
    ``progress(done_blocks, total_blocks)`` is called after each block.
    """
    summary, _ = evaluate_mixes_paired(sim, policies, names, n_scenarios, chunk_size=chunk_size,
                                       policy_chunk=policy_chunk, metrics=metrics, start=start, progress=progress)
    return summary


def evaluate_mixes_paired(sim: Simulation, policies: Policy, names: list[str], n_scenarios: int, *,
                          chunk_size: int = 1000, policy_chunk: int = 16, metrics="default", start: int = 0,
                          progress=None, paired: PairedRequest | None = None
                          ) -> tuple[xr.Dataset, PairedResult | None]:
    """:func:`evaluate_mixes` plus, with ``paired``, the streamed paired moments of
    :class:`PairedResult` (effects against ``paired.reference``, the contrasts, the
    net-benefit co-moments across mixes).

    Blocks run scenario chunk by scenario chunk, and within one scenario chunk policy
    chunk by policy chunk (the reference's first), so every mix's per-scenario outcomes
    meet the reference's on the same scenarios while only one scenario chunk of the
    reference (and of the contrasts' partial sums) is held. Each policy chunk's
    statistics are merged in scenario order as before: the summary is bit-identical to
    a run without ``paired``, whatever the chunk sizes.
    """
    info = metric_info(metrics)
    n_mixes = len(names)
    policy_chunk = max(1, min(int(policy_chunk), n_mixes))
    chunk_size = max(1, min(int(chunk_size), n_scenarios))
    storable = np.asarray(sim.loaded.model.storable) > 0.5
    firsts = list(range(0, n_mixes, policy_chunk))
    total_blocks = len(firsts) * (-(-n_scenarios // chunk_size))
    if paired is not None:
        paired.check(n_mixes, len(sim.loaded.products))
        info = dict(info)
        for name in ("shortage_days", "value_added_loss", "peak_price_change", "spare_used"):
            info.setdefault(name, METRIC_INFO[name])  # the paired outcomes need them
        wanted = metric_info(metrics)
    else:
        wanted = info
    reference_group = paired.reference // policy_chunk if paired is not None else 0
    order = [reference_group] + [g for g in range(len(firsts)) if g != reference_group]
    accumulator = _PairedAccumulator(paired, n_mixes, len(sim.loaded.products), sim.horizon_days) \
        if paired is not None else None
    model = sim.loaded.model
    central = None if markups_vary_by_scenario(model) else central_markups(model, policies)  # [M, P]
    done, began = 0, time.perf_counter()
    stats = [RunningStats(wanted, storable) for _ in firsts]  # one stream per policy group
    parts: list = [None] * len(firsts)
    last_scenario = start + ((n_scenarios - 1) // chunk_size) * chunk_size
    for first_scenario, group, block in _blocks(sim, policies, n_mixes, policy_chunk, n_scenarios, chunk_size,
                                                start, order, scenario_major=paired is not None):
        first = firsts[group]
        count = min(policy_chunk, n_mixes - first)
        markup = _block_markups(sim, policies, first, count, first_scenario,
                                np.shape(block["shortage_days"])[1], central)
        block = derived({name: block[name][:count] for name in info if name not in DERIVED_INFO}, markup)
        stats[group].add({k: v for k, v in block.items() if k in wanted})
        if accumulator is not None:
            accumulator.add(first_scenario, first, block, last_group=group == order[-1])
        if first_scenario == last_scenario:  # the group is complete: keep its summary, drop its statistics
            coords = {"policy": list(names[first:first + count]), "product": sim.loaded.products,
                      "sector": sim.loaded.sectors}
            parts[group], stats[group] = finalize(stats[group].result(), coords, wanted), None
        done += 1
        if progress is not None:
            progress(done, total_blocks)
    summary = xr.concat(parts, dim="policy", data_vars="minimal", coords="minimal", compat="override") \
        if len(parts) > 1 else parts[0]
    seconds = time.perf_counter() - began
    summary.attrs.update({"scenarios": int(n_scenarios), "seed": int(sim.seed), "horizon_days": int(sim.horizon_days),
                          "model": sim.loaded.name, "currency": sim.loaded.currency,
                          "io_value_unit": sim.loaded.io_value_unit, "seconds": seconds,
                          "mix_scenario_days": int(n_mixes) * int(n_scenarios) * int(sim.horizon_days)})
    return summary, (accumulator.result(list(names), sim.loaded.products) if accumulator is not None else None)


def _block_markups(sim: Simulation, policies: Policy, first_mix: int, count: int, first_scenario: int,
                   n: int, central: np.ndarray | None) -> np.ndarray:
    """Normal-time markups of mixes ``first_mix .. first_mix + count - 1`` on scenarios
    ``first_scenario .. first_scenario + n - 1``: ``[count, 1, P]`` from ``central``
    ``[M, P]`` when they do not vary by scenario, else ``[count, n, P]``
    (:func:`simcore.analysis.markups.mix_markups`)."""
    if central is not None:
        return central[first_mix:first_mix + count, None, :]
    rows = Policy(*(np.asarray(field)[first_mix:first_mix + count] for field in policies))
    return mix_markups(sim.loaded.model, rows, sim.base_key, np.arange(first_scenario, first_scenario + n))


def _blocks(sim: Simulation, policies: Policy, n_mixes: int, policy_chunk: int, n_scenarios: int,
            chunk_size: int, start: int, order: list[int], scenario_major: bool = True):
    """Yield ``(first scenario, policy group, metrics [policy_chunk, count, ...])`` for every
    scenario chunk and, within it, every policy group in ``order`` (``scenario_major``;
    else every scenario chunk of one group after the other, so that only one group's
    statistics are open at a time when nothing is paired).

    The same device layout and compiled batch as :func:`simcore.run.runner.iter_chunks`
    (scenario indices padded to the device count, the padding dropped), with the next
    block launched before the current one is handed back; scenario draws are not made
    (the analysis does not keep them)."""
    from simcore.run import devices  # as iter_chunks: the device layout lives there

    mesh = devices.scenario_mesh()
    padded = devices.padded_size(chunk_size, mesh.size)
    batch = devices.sharded_simulate_batch(mesh, sim.horizon_days)
    model, events, base_key = devices.replicate((sim.loaded.model, sim.events, sim.base_key), mesh)
    n_groups = -(-n_mixes // policy_chunk)
    cache: dict[int, Policy] = {}

    def group_policies(group):
        if group in cache:
            return cache[group]
        rows = np.minimum(np.arange(group * policy_chunk, (group + 1) * policy_chunk), n_mixes - 1)  # pad: one shape
        sub = devices.replicate(Policy(*(np.asarray(field)[rows] for field in policies)), mesh)
        if n_groups <= 64:  # small sweeps and attributions keep every group on the devices
            cache[group] = sub
        return sub

    def launch(first, group):
        index = devices.shard_index(np.arange(first, first + padded, dtype=np.uint32), mesh)
        return batch(model, group_policies(group), events, base_key, index)

    scenario_firsts = range(start, start + n_scenarios, chunk_size)
    schedule = [(first, group) for first in scenario_firsts for group in order] if scenario_major else \
        [(first, group) for group in order for first in scenario_firsts]
    pending = launch(*schedule[0])
    for position, (first, group) in enumerate(schedule):
        metrics = pending
        if position + 1 < len(schedule):
            pending = launch(*schedule[position + 1])
        count = min(chunk_size, start + n_scenarios - first)
        yield first, group, {name: np.asarray(value)[:, :count] for name, value in metrics._asdict().items()}


def risk_metrics(summary: xr.Dataset) -> xr.Dataset:
    """The risk metrics of the analysis ``(policy[, product])`` from a summary that holds
    the derived totals (see :data:`RISK_METRICS`); units in each variable's attributes."""
    io_unit = summary.attrs.get("io_value_unit", "IO value unit")
    out = {}
    for name, (variable, statistic, description, units) in RISK_METRICS.items():
        if variable not in summary:
            continue
        value = summary[variable]
        if statistic is not None:
            value = value.sel(statistic=statistic, drop=True)
        out[name] = value.astype(np.float64).assign_attrs(
            {"units": io_unit if units == "IO" else units, "description": description})
    return xr.Dataset(out)
