"""Running a chokepoint screen: every case (unit x disruption) on the same scenarios, and
the streaming statistics of its losses.

Lanes and cases
    A chunk is ``Cc`` cases x ``Ls`` scenarios. The cases' events (``[C, J, ...]``,
    :func:`simcore.analysis.screen_disruptions.stack_cases`) are mapped over with
    ``vmap``; inside, the scenarios are the engine's trailing lane axis
    (:mod:`simcore.core.lanes`) and the policy mixes its leading ``vmap`` axis. The last
    case and scenario blocks are padded, the padding dropped.

Sub-models
    A case changes only the rows it reaches (:mod:`simcore.core.submodel`). The cases
    are cut into contiguous blocks of at most ``Cc`` (:func:`case_blocks`, in order) and
    each block runs on the sub-model of the union of its cases' reached rows (padded to
    one of :data:`SUB_SIZES` rows), with the event slots and occurrence slots cut to
    the most its cases use: a link unit's loss cases need 1 row and 1 slot where the
    Japan universe has 58 rows and 8 slots. The programs differ by (rows, hidden links
    or not, slots, occurrences): a handful per screen, each compiled once. The numbers
    are the full model's to float32 rounding (``tests/test_screen_submodel.py``). Scenario ``i`` draws its events from ``fold_in(base_key, i)`` and
    its uncertain model parameters from ``parameter_key(base_key, i)``: every case sees
    the same parameter draws and the same uniforms for its hazard slots (common random
    numbers across units). The scenario axis is sharded over all local devices.

Per lane (case, mix, scenario) the engine gives the vector :data:`LANE_FIELDS`:
value-added loss summed over sectors and the horizon, any shortage (0/1), the days from
the alarm to the first shortage of any product (NaN: none), shortage days per product
row ``[P]`` and value-added loss per sector ``[S]``.

:class:`ScreenStream` reduces each chunk on the host: per (mix, case) the mean and
co-moment of the loss (pairwise update), the shortage counts, the time to survive (sum
and count over lanes with a shortage), the sector losses, a log-bin sketch of the loss
for its 95th percentile and CVaR95 (relative accuracy 1 %), and a *Poisson bootstrap*:
scenario ``i`` carries weights ``w_bi ~ Poisson(1)`` for replicates ``b = 1..B`` drawn
from ``fold_in(PRNGKey(seed), i)``, the same for every case (a paired bootstrap over
scenarios), and the stream keeps ``sum_i w_bi L_ci`` and ``sum_i w_bi``. Memory is
``O(M C (B + P + S))``, flat in the number of scenarios; the results do not depend on the
chunk sizes (up to float64 rounding of the merged sums).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from simcore.analysis.regret_stats import LogSketch
from simcore.core.compile import engine_jit
from simcore.core.cuts import occurrences_from_batch
from simcore.core.disruptions import draw_leakage, sample_batch
from simcore.core.engine import drawn_policy_lanes, simulate_lanes
from simcore.core.lanes import lanes_first, model_lanes, policy_lanes
from simcore.core.submodel import bucket, linked, reach, selection, sub_events, sub_model, sub_policy
from simcore.core.uncertainty import drawn_fields, parameter_key

LANE_FIELDS = ("value_added_loss", "any_shortage", "time_to_survive")  # then shortage days [P], VA loss [S]
MIN_LANES_PER_DEVICE = 4  # see run_cases
TAIL = 0.05  # CVaR95: the mean of the worst 5 %


def case_lane_metrics(model, policies, cases, base_key, scenario_index, u, columns, horizon: int,
                      points: bool = False, sel=None):
    """``[C, M, L, 3 + P + S]`` (module doc) of cases ``(events [C, J], share delta
    [C, P, O], domestic kept [C, P], no transit [C, P, O])`` on scenarios ``[L]``.
    ``points`` (static): the lanes' uncertain numbers at the probabilities ``u`` ``[L, d]``
    (a parameter point, :func:`simcore.analysis.sobol_run.lane_metrics`) instead of drawn
    from the scenario's key. ``sel`` (:class:`simcore.core.submodel.Selection`, rows
    ``[b]``): simulate on the sub-model of those rows (drawn, patched and policy-adjusted
    on the full model first, so every kept number is the full model's), giving
    ``[C, M, L, 3 + b + S]`` (row ``k`` of the shortage days is full-model row
    ``sel.index[k]``; pad rows are 0)."""
    drawn = {}
    if model.uncertainty is not None and points:
        from simcore.analysis.sobol_run import _fixed_uncertainty

        drawn = jax.vmap(lambda row, i: drawn_fields(_fixed_uncertainty(model, columns, row),
                                                     parameter_key(base_key, i)))(u, scenario_index)
    elif model.uncertainty is not None:
        drawn = jax.vmap(lambda i: drawn_fields(model, parameter_key(base_key, i)))(scenario_index)
    lane_model = model_lanes(model, drawn)

    def one_case(case):
        events, delta, keep, no_transit = case
        occ = occurrences_from_batch(sample_batch(events, base_key, scenario_index))
        lane_events = draw_leakage(events, base_key, scenario_index)
        # a recipe or domestic case: the domestic share on its carrier origin (screen_units.home_patch)
        central = model._replace(import_share=model.import_share + delta)
        case_model = lane_model._replace(
            import_share=lane_model.import_share + delta[..., None],
            domestic_share=lane_model.domestic_share * keep[:, None],
            transit_days=jnp.where(no_transit[..., None], 0.0, lane_model.transit_days),
            market_sourcing_share=lane_model.market_sourcing_share * keep[:, None])

        def one_policy(policy):
            policy = policy._replace(import_share=policy.import_share + delta)
            lanes = drawn_policy_lanes(central, case_model, policy_lanes(policy))
            run_model, run_events = case_model, lane_events
            if sel is not None:  # the reached rows only (simcore.core.submodel)
                run_model, lanes, run_events = sub_model(case_model, sel), sub_policy(lanes, sel), sub_events(
                    lane_events, sel)
            metrics, _ = simulate_lanes(run_model, lanes, run_events, occ, horizon)
            short = lanes_first(metrics.shortage_days).astype(jnp.float32)  # [L, P]
            sectors = lanes_first(metrics.value_added_loss)  # [L, S]
            tts = jnp.nanmin(lanes_first(metrics.time_to_survive), axis=-1)
            head = jnp.stack([jnp.sum(sectors, -1), jnp.any(short > 0, -1).astype(jnp.float32), tts], axis=-1)
            return jnp.concatenate([head, short, sectors], axis=-1)

        return jax.vmap(one_policy)(policies)

    return jax.vmap(one_case)(cases)


@functools.lru_cache(maxsize=8)
def _sharded(mesh, horizon: int, points: bool):
    from jax.sharding import PartitionSpec

    from simcore.run.devices import SCENARIO_AXIS, mesh_signature

    rep, lanes = PartitionSpec(), PartitionSpec(SCENARIO_AXIS)

    def local(model, policies, cases, base_key, columns, index, u, sel):
        return case_lane_metrics(model, policies, cases, base_key, index, u, columns, horizon, points, sel)

    mapped = jax.shard_map(local, mesh=mesh, in_specs=(rep, rep, rep, rep, rep, lanes, lanes, rep),
                           out_specs=PartitionSpec(None, None, SCENARIO_AXIS), check_vma=False)
    return engine_jit(mapped, program="screen_case_lanes", static=(mesh_signature(mesh), horizon, points))


# Sub-model sizes (rows, simcore.core.submodel) and event-slot counts: one compiled
# program per (rows, slots, occurrence slots, hidden links or not) that occurs. Powers of
# two keep the padding under half and the programs few.
SUB_SIZES = (1, 2, 4, 8, 16, 32)
SLOT_SIZES = (1,)


def block_cost(rows: int, slots: int, occurrences: int) -> float:
    """Relative cost of a lane-day of a block: about ``2 + rows + 2/3 slots x
    occurrences`` row-units (ASSUMPTION from the measured per-size costs, docs/screening.md
    "Speed": the event slots, each with its occurrences, cost about as much as the rows;
    the sectors about two rows). Only the partition into blocks uses it."""
    return 2.0 + rows + 2.0 * slots * occurrences / 3.0


def case_rows(model, cases) -> list[np.ndarray]:
    """The rows each case reaches ``[C]`` (:func:`simcore.core.submodel.reach` of the rows
    its events weigh or its patch moves)."""
    events, delta, keep = cases[0], cases[1], cases[2]
    # product weights only: a world weight acts through the product's cut (a loss slot
    # carries world weight 1 on every row)
    hit = (np.asarray(events.product_weight) > 0).any(axis=1)
    hit |= (np.asarray(keep) < 1.0) | (np.asarray(delta) != 0).any(axis=2)
    cache = {}
    out = []
    for row in hit:
        key = tuple(np.flatnonzero(row).tolist()) or (0,)  # a case that cuts nothing: any one row (all at baseline)
        if key not in cache:
            cache[key] = reach(model, key)
        out.append(cache[key])
    return out


def case_slots(cases) -> tuple[np.ndarray, np.ndarray]:
    """``(slots [C], occurrences [C])``: per case one past its last event slot with a
    weight and one past its last allowed occurrence slot. Trailing slots beyond them
    cut nothing and every draw is keyed by its own (event, occurrence) pair
    (:mod:`simcore.core.disruptions`), so cutting them off changes no number."""
    events = cases[0]
    used = (np.asarray(events.product_weight) > 0).any(axis=2)  # [C, J]
    slots = np.where(used.any(1), used.shape[1] - np.argmax(used[:, ::-1], axis=1), 1)
    allowed = (np.asarray(events.occurrence_allowed) & used[:, :, None]).any(axis=1)  # [C, K]
    occ = np.where(allowed.any(1), allowed.shape[1] - np.argmax(allowed[:, ::-1], axis=1), 1)
    return slots, occ


def _round_up(n: int, sizes, most: int) -> int:
    return next((k for k in sorted(sizes) if k >= n and k < most), most)


def case_blocks(model, cases, chunk_cases: int, sizes=SUB_SIZES, slot_sizes=SLOT_SIZES, min_blocks: int = 2) -> list:
    """Contiguous blocks ``[(lo, hi, Selection | None, slots, occurrences)]`` of at most
    ``chunk_cases`` cases covering every case in order, each run on the sub-model of the
    union of its cases' reached rows (None: the full model, where no size holds them)
    with its event slots and occurrence slots cut to the most its cases use (rounded up
    to ``slot_sizes``; occurrences 1 or all), chosen to minimise the summed
    :func:`block_cost` (dynamic programming over the cut points; every block costs a
    full chunk: its case axis is padded); then programs used by fewer than
    ``min_blocks`` blocks are merged into larger ones (:func:`_merge_rare`)."""
    rows = case_rows(model, cases)
    n_slots, n_occ = case_slots(cases)
    max_slots, max_occ = int(np.shape(cases[0].product_weight)[1]), int(np.shape(cases[0].occurrence_allowed)[2])
    n, n_products = len(rows), int(np.shape(model.demand_per_day)[0])

    def shape(lo, hi, union):
        size = bucket(int(union.sum()), sizes, model, linked(model, np.flatnonzero(union))) if sizes else None
        j = _round_up(int(n_slots[lo:hi].max()), slot_sizes, max_slots) if slot_sizes else max_slots
        k = 1 if slot_sizes and int(n_occ[lo:hi].max()) == 1 else max_occ
        return size, j, k

    best, back = [0.0] + [np.inf] * n, [0] * (n + 1)
    for hi in range(1, n + 1):
        union = np.zeros(n_products, bool)
        for lo in range(hi - 1, max(-1, hi - 1 - chunk_cases), -1):
            union[rows[lo]] = True
            size, j, k = shape(lo, hi, union)
            cost = best[lo] + block_cost(n_products if size is None else size, j, k)
            if cost < best[hi]:
                best[hi], back[hi] = cost, lo
    cuts = [n]
    while cuts[-1] > 0:
        cuts.append(back[cuts[-1]])
    cuts = cuts[::-1]
    plan = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        union = np.zeros(n_products, bool)
        for k in range(lo, hi):
            union[rows[k]] = True
        kept = np.flatnonzero(union)
        size, j, k = shape(lo, hi, union)
        plan.append([lo, hi, kept, (n_products if size is None else size, linked(model, kept), j, k)])
    _merge_rare(plan, min_blocks)
    return [(lo, hi, None if v[0] >= n_products else selection(model, kept, v[0]), v[2], v[3])
            for lo, hi, kept, v in plan]


def _merge_rare(plan: list, min_blocks: int) -> None:
    """Each program (rows, hidden links, slots, occurrences) used by fewer than
    ``min_blocks`` blocks moves its blocks to the cheapest program used more often that
    holds them (as many rows or more, the same links, as many slots and occurrences or
    more; exact: more pad rows and empty slots change no number), if there is one: a
    compile costs more than a few padded blocks."""
    from collections import Counter

    while True:
        used = Counter(item[3] for item in plan)
        rare = sorted((v for v, c in used.items() if c < min_blocks), key=lambda v: used[v])
        moved = False
        for v in rare:
            homes = [w for w, c in used.items() if w != v and c >= min_blocks and w[1] == v[1] and w[0] >= v[0]
                     and w[2] >= v[2] and w[3] >= v[3]]
            if homes:
                home = min(homes, key=lambda w: block_cost(w[0], w[2], w[3]))
                for item in plan:
                    if item[3] == v:
                        item[3] = home
                moved = True
                break
        if not moved:
            return


def _trim(cases, slots: int, occurrences: int):
    """The cases with their events cut to ``slots`` event slots and ``occurrences``
    occurrence slots (:func:`case_slots`)."""
    events = cases[0]
    events = type(events)(*(x[:, :slots] for x in events))
    events = events._replace(occurrence_allowed=events.occurrence_allowed[:, :, :occurrences])
    return (events,) + tuple(cases[1:])


@functools.lru_cache(maxsize=4)
def _weights_fn(replicates: int):
    def weights(key, index):
        return jax.vmap(lambda i: jax.random.poisson(jax.random.fold_in(key, i), 1.0, (replicates,)))(index)

    return jax.jit(weights)


def bootstrap_weights(seed: int, scenario_index: np.ndarray, replicates: int) -> np.ndarray:
    """``[L, B]`` Poisson(1) weights of scenarios ``[L]`` (module doc: one stream per
    scenario, so they do not depend on the chunks). Every block of cases asks for the
    same scenario chunks again: the weights of the latest chunks are kept (Poisson draws
    were half of the host time per chunk). Read-only."""
    if replicates == 0:
        return np.zeros((len(scenario_index), 0))
    index = np.asarray(scenario_index, np.uint32)
    return _cached_weights(int(seed), int(replicates), index.tobytes())


@functools.lru_cache(maxsize=64)  # 64 chunks of 500 scenarios x 200 replicates: 51 MB
def _cached_weights(seed: int, replicates: int, index: bytes) -> np.ndarray:
    out = _weights_fn(replicates)(jax.random.PRNGKey(seed), jnp.asarray(np.frombuffer(index, np.uint32)))
    out = np.asarray(out, np.float64)
    out.flags.writeable = False
    return out


def run_cases(model, policies, cases, base_key, *, n_scenarios: int, start: int, horizon: int, chunk_cases: int,
              chunk_scenarios: int, consume, progress=None, point_u=None, columns=None, submodels: bool = True,
              sizes=SUB_SIZES, programs_only: bool = False) -> int:
    """Run every case on scenarios ``start .. start + n_scenarios - 1`` in chunks;
    ``consume(case_lo, case_hi, scenario_index, point, out)`` gets each chunk's float64
    ``[hi - lo, M, L, K]`` (contiguous case ranges, in order) and each lane's parameter
    point (0 without points); ``progress(done, total)`` per chunk. ``point_u`` ``[K, d]``:
    run every scenario at each of ``K`` parameter points (lanes ``K x n_scenarios``,
    point-major). ``submodels`` (default): each block of cases runs on the sub-model of
    the rows it reaches (:func:`case_blocks`, :mod:`simcore.core.submodel`; the same
    numbers to float32 rounding, ``tests/test_screen_submodel.py``), shortage days of the
    rows it does not hold are 0 in ``out``; False: every case on the full model.
    ``programs_only``: run one chunk of each distinct compiled program (its first block,
    first scenarios) and call nothing (a warm-up that compiles what the run will use).
    Returns the number of distinct programs."""
    from simcore.run import devices

    # the cases on the host: each block is cut from them in NumPy (cut from JAX arrays,
    # every block's shape compiled small gather and slice programs of its own)
    cases = jax.tree_util.tree_map(np.asarray, cases)
    n_cases = int(np.shape(cases[0].hazard_per_year)[0])
    n_points = 1 if point_u is None else int(point_u.shape[0])
    n_lanes = n_points * int(n_scenarios)
    chunk_cases = max(1, min(int(chunk_cases), n_cases))
    chunk_scenarios = max(1, min(int(chunk_scenarios), n_lanes))
    n_products = int(np.shape(model.demand_per_day)[0])
    mesh = devices.scenario_mesh()
    # at least 4 lanes a device: with 2 (at least), XLA's CPU backend aborts the process compiling a sub-model
    # program (LLVM 'Cannot select: X86ISD::SUBV_BROADCAST_LOAD', jax 0.10.2); the extra lanes are dropped
    width = devices.padded_size(max(chunk_scenarios, MIN_LANES_PER_DEVICE * mesh.size), mesh.size)
    batch = _sharded(mesh, int(horizon), point_u is not None)
    u_all = np.zeros((n_points, 0), np.float32) if point_u is None else np.asarray(point_u, np.float32)
    rep = devices.replicate((model, policies, base_key, {k: jnp.asarray(v) for k, v in (columns or {}).items()}),
                            mesh)
    lane_sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(devices.SCENARIO_AXIS))
    if submodels:
        blocks = case_blocks(model, cases, chunk_cases, sizes)
    else:
        full_j, full_k = int(np.shape(cases[0].product_weight)[1]), int(np.shape(cases[0].occurrence_allowed)[2])
        blocks = [(c, min(c + chunk_cases, n_cases), None, full_j, full_k) for c in range(0, n_cases, chunk_cases)]

    def lanes(lo, hi):
        lane = np.arange(lo, hi)
        return start + lane % int(n_scenarios), lane // int(n_scenarios)

    def launch(task):
        (c, hi, sel, slots, occurrences), s = task
        take = np.minimum(np.arange(c, c + chunk_cases), hi - 1)  # a short block repeats its last case
        block = _trim(jax.tree_util.tree_map(lambda x: x[take], cases), slots, occurrences)
        index, point = lanes(s, s + width)
        index, point = np.where(np.arange(width) < n_lanes - s, index, index[0]), np.minimum(point, n_points - 1)
        u = jax.device_put(u_all[point], lane_sharding)
        return batch(rep[0], rep[1], devices.replicate(block, mesh), rep[2], rep[3],
                     devices.shard_index(index.astype(np.uint32), mesh), u,
                     None if sel is None else devices.replicate(sel, mesh))

    tasks = [(b, s) for b in blocks for s in range(0, n_lanes, chunk_scenarios)]
    programs = {}
    for b in blocks:  # (rows, hidden links, slots, occurrences): one compiled program each
        programs.setdefault(((None,) if b[2] is None else (len(b[2].index), b[2].hidden_kept is not None)) + b[3:], b)
    if programs_only:
        for b in programs.values():
            launch((b, 0)).block_until_ready()
        return len(programs)

    pending = launch(tasks[0]) if tasks else None
    for k, ((c, hi, sel, _, _), s) in enumerate(tasks):
        out = pending
        if k + 1 < len(tasks):
            pending = launch(tasks[k + 1])
        s_hi = min(s + chunk_scenarios, n_lanes)
        host = np.asarray(out)[:hi - c, :, :s_hi - s]
        if sel is None:
            host = host.astype(np.float64)
        else:  # back to the full model's rows: [C, M, L, 3 + b + S] -> [C, M, L, 3 + P + S]
            b = len(sel.index)
            full = np.zeros(host.shape[:-1] + (3 + n_products + host.shape[-1] - 3 - b,))
            full[..., :3] = host[..., :3]
            full[..., 3 + sel.index[sel.real]] = host[..., 3:3 + int(sel.real.sum())]
            full[..., 3 + n_products:] = host[..., 3 + b:]
            host = full
        consume(c, hi, *lanes(s, s_hi), host)
        if progress is not None:
            progress(k + 1, len(tasks))
    return len(programs)


class ScreenStream:
    """Running statistics of ``M`` mixes x ``C`` cases (module doc)."""

    def __init__(self, n_policies: int, n_cases: int, n_products: int, n_sectors: int, replicates: int, seed: int,
                 n_points: int = 1):
        m, c = n_policies, n_cases
        self.point_sum = np.zeros((n_points, m, c))
        self.point_n = np.zeros((n_points, c))
        self.m, self.c, self.p, self.s = m, c, n_products, n_sectors
        self.replicates, self.seed = int(replicates), int(seed)
        self.count = np.zeros(c)
        self.mean = np.zeros((m, c))
        self.m2 = np.zeros((m, c))
        self.short = np.zeros((m, c))
        self.tts_sum = np.zeros((m, c))
        self.tts_count = np.zeros((m, c))
        self.row_short = np.zeros((m, c, n_products))
        self.sector_sum = np.zeros((m, c, n_sectors))
        self.boot_sum = np.zeros((m, self.replicates, c))
        self.boot_n = np.zeros((self.replicates, c))
        self.sketch = LogSketch(m * c)

    def add(self, lo: int, hi: int, scenario_index: np.ndarray, point: np.ndarray, out: np.ndarray) -> None:
        """One chunk: cases ``lo .. hi - 1``, lanes' scenarios and parameter points ``[L]``,
        ``out`` ``[hi - lo, M, L, K]``."""
        cases = slice(lo, hi)
        loss = np.moveaxis(out[..., 0], 0, 1)  # [M, c, L]
        by_point = np.zeros((self.point_sum.shape[0], self.m, hi - lo))
        np.add.at(by_point, np.asarray(point, np.int64), np.moveaxis(loss, 2, 0))  # lanes -> their point
        self.point_sum[:, :, cases] += by_point
        self.point_n[:, cases] += np.bincount(point, minlength=self.point_sum.shape[0])[:, None]
        n_b = loss.shape[-1]
        n_a = self.count[cases]
        mean_b = loss.mean(-1)
        m2_b = ((loss - mean_b[..., None]) ** 2).sum(-1)
        n = n_a + n_b
        delta = mean_b - self.mean[:, cases]
        self.m2[:, cases] += m2_b + delta ** 2 * n_a * n_b / n
        self.mean[:, cases] += delta * n_b / n
        self.count[cases] = n
        self.short[:, cases] += np.moveaxis(out[..., 1], 0, 1).sum(-1)
        tts = np.moveaxis(out[..., 2], 0, 1)
        finite = np.isfinite(tts)
        self.tts_sum[:, cases] += np.where(finite, tts, 0.0).sum(-1)
        self.tts_count[:, cases] += finite.sum(-1)
        p = self.p
        self.row_short[:, cases] += np.moveaxis((out[..., 3:3 + p] > 0).sum(2), 0, 1)
        self.sector_sum[:, cases] += np.moveaxis(out[..., 3 + p:].sum(2), 0, 1)
        cells = (np.arange(self.m)[:, None] * self.c + np.arange(lo, hi)[None, :]).ravel()
        part = LogSketch(len(cells), 0.01)
        part.add(loss.reshape(-1, n_b))
        for k, cell in enumerate(cells):  # per (mix, case) cell, not per scenario
            self.sketch.zeros[cell] += part.zeros[k]
            bins = self.sketch.bins[cell]
            for key, value in part.bins[k].items():
                bins[key] = bins.get(key, 0) + value
        if self.replicates:
            w = bootstrap_weights(self.seed, scenario_index, self.replicates)  # [L, B]
            self.boot_sum[:, :, cases] += np.einsum("lb,mcl->mbc", w, loss)
            self.boot_n[:, cases] += w.sum(0)[:, None]

    def result(self) -> dict:
        n = np.maximum(self.count, 1.0)
        out = {"expected_loss": self.mean.copy(),
               "expected_loss_se": np.sqrt(np.maximum(self.m2 / np.maximum(n - 1.0, 1.0), 0.0) / n),
               "p_shortage": self.short / n, "row_p_shortage": self.row_short / n[None, :, None],
               "sector_loss": self.sector_sum / n[None, :, None]}
        with np.errstate(invalid="ignore", divide="ignore"):
            out["time_to_survive"] = np.where(self.tts_count > 0, self.tts_sum / self.tts_count, np.nan)
            out["replicate_loss"] = self.boot_sum / self.boot_n[None]  # [M, B, C]
        q95, cvar = sketch_tail(self.sketch, TAIL)
        out["q95_loss"], out["cvar95_loss"] = q95.reshape(self.m, self.c), cvar.reshape(self.m, self.c)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["point_loss"] = self.point_sum / self.point_n[:, None, :]  # [K, M, C]
        out["scenarios"] = int(self.count.max()) if self.c else 0
        return out


def sketch_tail(sketch: LogSketch, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """``(quantile 1 - tail, CVaR)`` ``[cells]`` of a sketch: the value at rank
    ``ceil((1 - tail) n)`` and the mean of the worst ``ceil(tail n)`` values (bins at
    their representative value, the bin at the boundary counted in part)."""
    gamma = math.exp(sketch.log_gamma)
    quantile = sketch.quantile(1.0 - tail)
    cvar = np.zeros(len(sketch.bins))
    for cell, bins in enumerate(sketch.bins):
        total = int(sketch.zeros[cell]) + sum(bins.values())
        want = max(1, math.ceil(tail * total))
        taken, acc = 0, 0.0
        for key in sorted(bins, reverse=True):
            take = min(bins[key], want - taken)
            acc += take * 2.0 * gamma ** key / (gamma + 1.0)
            taken += take
            if taken >= want:
                break
        cvar[cell] = acc / want  # zeros fill the rest of the tail
    return quantile, cvar
