"""The sector block of the day step: how short products stop sectors' exposed output.

From the day's deliveries, each (product, sector) pair gets a loss, the share of the
sector's output lost through the product (:func:`exposed_losses`); :func:`sectors`
combines a sector's losses into its output share (nested or disjoint exposed parts,
capped by critical upstream sectors) and each product's use factor for tomorrow (idle
lines stop drawing). The equations and their references are in ``docs/model.md``
section 3. Arrays are in the lane layout (:mod:`simcore.core.lanes`): a ``[P, S]``
quantity is ``[P, S, B]``.

Two layouts of the same arithmetic:

* **dense**: ``[P, S]`` arrays;
* **pairs**: only the (product, sector) pairs with a use share or an exposure
  (``Model.sector_pairs``, static; the segments of a group with a pair in a sector are
  added). Every other pair has loss 0 and use share 0, so it adds zeros to the sums and
  the maxima of losses (which are >= 0): the pair layout computes the same terms in the
  same order. The Japan model has 18 such pairs of 221 (17 products x 13 sectors); the
  dense ``[policy, P, S, lane]`` arrays were a quarter of its day.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from simcore.core.lanes import matmul
from simcore.core.model import Model, uses_priority

_TINY = 1e-12


# --------------------------------------------------------------------------- pairs

def pair_list(model: Model) -> list[tuple[int, int]] | None:
    """The static (product, sector) pairs of the pair layout, sorted; None: dense.
    ``model.sector_pairs`` plus, where a segment of a group has a pair in a sector, the
    group's other segments in that sector (their grouped loss is the group's)."""
    if model.sector_pairs is None or (model.segment_group is not None and model.segment_blocks is None):
        return None  # (segments known only as a matrix: their groups are not static)
    pairs = {pair.shape[:2] for pair in model.sector_pairs}
    for first, count in _blocks(model):
        members = range(first, first + count)
        for s in {s for p, s in pairs if p in members}:
            pairs |= {(p, s) for p in members}
    return sorted(pairs) or None  # no pair at all: the dense block (nothing to stack)


def _blocks(model: Model) -> list[tuple[int, int]]:
    """(first row, count) of each group of segments (``model.segment_blocks``)."""
    return [block.shape[:2] for block in (model.segment_blocks or ())]


# --------------------------------------------------------------------------- losses

def sector_losses(model: Model, delivered: jnp.ndarray, demand: jnp.ndarray, fill: jnp.ndarray) -> jnp.ndarray:
    """Share of each sector's output lost through each product (:func:`exposed_losses`):
    ``[P, S]``, or ``[N]`` over :func:`pair_list`'s pairs. Proportional rationing gives
    every user the same fill ``fill`` ``[P]``; priority rationing serves sectors in rank
    order, users outside the table (households, exports) last.

    The rule is the model's, static (:func:`simcore.core.model.uses_priority`, from the
    shape of ``priority_before``): only its branch is traced. (A ``lax.cond`` on a traced
    flag compiled both; XLA's cost analysis counted the untaken priority branch's pair
    slices as 163 kB of the 229 kB a 50-sector proportional lane-day moved.)"""
    pairs = pair_list(model)
    if uses_priority(model):
        need = demand[:, None] * model.use_share  # [P, S] (proportional rationing never needs it)
        served_before = matmul(need, model.priority_before)  # [P, S] need of higher-priority sectors
        priority_fill = jnp.clip((delivered[:, None] - served_before) / jnp.maximum(need, _TINY), 0.0, 1.0)
        loss = exposed_losses(model, jnp.where(need > 0, priority_fill, 1.0))
        return loss if pairs is None else jnp.stack([loss[p, s] for p, s in pairs])
    # proportional: fills broadcast inside the losses (no [P, S] fill array)
    if pairs is None:
        return jnp.broadcast_to(exposed_losses(model, fill[:, None]), model.use_share.shape[:2] + fill.shape[1:])
    return jnp.stack([_pair_loss(model, p, s, fill[p]) for p, s in pairs])


def exposed_losses(model: Model, sector_fill: jnp.ndarray) -> jnp.ndarray:
    """Share of each sector's output lost through each product, ``[P, S]``.

    The exposed part ``e`` of sector ``s`` receiving share ``f`` of product ``p``
    (substitutable at share ``sigma``) can run at ``c = min(1, f / (1 - sigma))``;
    critical inputs bind fully, important ones half (Pichler et al. 2022), so the
    loss is ``e x essentiality x (1 - c)``.
    """
    binding = 1.0 - model.substitutable_share
    # times the reciprocal of the small [P, S] table, not a division of the [policy, P,
    # S, lane] one (a division per element was a tenth of the day step)
    per_fill = 1.0 / jnp.maximum(binding, _TINY)
    capacity = jnp.where(binding > 0, jnp.minimum(1.0, sector_fill * per_fill), 1.0)
    return model.exposure * model.essentiality * (1.0 - capacity)


def _pair_loss(model: Model, p: int, s: int, fill: jnp.ndarray) -> jnp.ndarray:
    """:func:`exposed_losses` of the one pair (p, s) at fill ``fill`` (lanes)."""
    binding = 1.0 - model.substitutable_share[p, s]
    per_fill = 1.0 / jnp.maximum(binding, _TINY)
    capacity = jnp.where(binding > 0, jnp.minimum(1.0, fill * per_fill), 1.0)
    return model.exposure[p, s] * model.essentiality[p, s] * (1.0 - capacity)


# --------------------------------------------------------------------------- sectors

def upstream_cap(model: Model, own_capacity: jnp.ndarray) -> jnp.ndarray:
    """Lowest own capacity among each sector's critical upstream sectors (direct or through
    a chain), ``[S]`` (1 if none), by the schedule of ``model.upstream_sweeps``
    (:func:`simcore.core.model.upstream_sweeps`; its shape is static): sweeps over the
    direct links, or one pass over the transitive closure."""
    sweeps = model.upstream_sweeps  # [L, S, M]
    n_sweeps, _, width = sweeps.shape
    if width == 0:  # no critical links
        return jnp.ones_like(own_capacity)
    if n_sweeps == 0:
        return jnp.min(jnp.where(model.upstream_closure > 0, own_capacity[:, None], 1.0), axis=0)
    none = jnp.ones_like(own_capacity[:1])  # the row of index S: no supplier

    def lowest_supplier(cap, suppliers):  # [S], [S, M] -> [S]: lowest cap among direct suppliers
        return jnp.min(jnp.concatenate([cap, none], axis=0)[suppliers], axis=1)

    def sweep(cap, suppliers):  # cap: own capacity capped by chains up to some length
        return jnp.minimum(own_capacity, lowest_supplier(cap, suppliers)), None

    # L - 1 sweeps reach every chain one link short of the longest; the direct suppliers'
    # caps then cover them all.
    cap, _ = jax.lax.scan(sweep, own_capacity, sweeps[1:])
    return lowest_supplier(cap, sweeps[0])


def group_sums(model: Model, loss: jnp.ndarray) -> jnp.ndarray:
    """``loss`` ``[P, S]`` with each product's row replaced by the sum over its group of
    segments (``model.segment_group``): static row slices where ``model.segment_blocks``
    gives the groups' rows, else the ``[P, P]`` product."""
    if model.segment_blocks is None:
        return jnp.sum(model.segment_group[:, :, None] * loss[None], axis=1)
    pieces, row = [], 0
    for first, count in _blocks(model):  # static
        total = jnp.sum(loss[first:first + count], axis=0, keepdims=True)
        pieces += [loss[row:first], jnp.broadcast_to(total, (count,) + loss.shape[1:])]
        row = first + count
    return jnp.concatenate(pieces + [loss[row:]], axis=0)


def sectors(model: Model, loss: jnp.ndarray):
    """Sector output shares ``[S]`` and each product's use factor for tomorrow ``[P]``, from
    the losses of :func:`sector_losses` (``[P, S]``, or ``[N]`` over the pairs).

    Loss of the exposed parts of ``s``: ``(1 - w) max_p loss[p, s] + w min(1, sum_p
    loss[p, s])`` with ``w`` the sector's ``input_overlap``: 0 nests the exposed parts (a
    line that needs several short inputs stops once), 1 makes them disjoint (two short
    inputs add up). The user segments of one product are disjoint users: ``max_p`` runs
    over products, each the sum of its segments' losses, and a segment's users draw on it
    as the users of the whole product would (their lines do not wait for the others').
    Output share ``1 -`` that loss, capped by critical upstream sectors.
    A product's users draw on it in proportion to their output as limited by everything
    *but* that product (an idle line stops buying its other inputs; the missing input
    itself is still wanted).
    """
    pairs = pair_list(model)
    if pairs is not None:
        return _sectors_over_pairs(model, pairs, loss)
    overlap = model.input_overlap
    # Segments of one product (model.segment_group, static None without) are disjoint users:
    # their losses add up before the sector's overlap rule combines different products.
    grouped = loss if model.segment_group is None else group_sums(model, loss)
    largest = jnp.max(grouped, axis=0)  # [S]
    total = jnp.sum(loss, axis=0)
    output_share, upstream = _output_share(model, largest, total)
    # Loss from everything but product p: the largest loss, or the runner-up where p
    # alone is the largest (a tie leaves the largest); the sum less p's own loss.
    # Written without argmax: XLA's CPU index-reduction is several times slower than
    # these plain reductions, and this runs on [policy, P, S, lane] every day.
    at_top = grouped == largest[None, :]  # [P, S]
    if model.segment_group is None:
        # From each sector's two largest losses (ties counted twice): where p holds the
        # largest, the rest's largest is the second. Equal to the runner-up where p alone
        # holds it and to the largest where another ties, without the count and the
        # runner-up over [P, S] (three arrays of that size written every day).
        largest_without = jnp.where(at_top, second_largest(loss)[None, :], largest[None, :])
    else:  # a segment's users run lines of their own: "everything but p" leaves out p's whole group
        alone = jnp.sum(at_top.astype(loss.dtype) * model.segment_weight[:, None], axis=0) < 1.5  # groups at top
        runner_up = jnp.max(jnp.where(at_top, 0.0, grouped), axis=0)
        largest_without = jnp.where(at_top & alone[None, :], runner_up[None, :], largest[None, :])
    per_pair = overlap[None]  # [1, S, ...]: the sector's overlap for every product (no implicit rank promotion)
    worst_without = jnp.where(per_pair > 0, (1.0 - per_pair) * largest_without
                              + per_pair * jnp.minimum(1.0, jnp.maximum(total[None, :] - grouped, 0.0)),
                              largest_without)
    output_without = jnp.minimum(1.0 - worst_without, upstream[None, :])  # [P, S]
    use_factor = 1.0 - jnp.sum(model.use_share * (1.0 - output_without), axis=1)
    return output_share, use_factor


def second_largest(loss: jnp.ndarray) -> jnp.ndarray:
    """The second largest of ``loss`` ``[P, ...]`` over its first axis, ties counted twice
    (two products at the largest loss: the largest), and 0 for a single product; losses
    are >= 0. One pass over the products keeping the two largest so far (maxima and
    minima only: exact, in any order), fused into one loop over ``loss``."""
    first, second = loss[0], jnp.zeros_like(loss[0])
    for row in range(1, loss.shape[0]):  # static, the products
        second = jnp.maximum(second, jnp.minimum(first, loss[row]))
        first = jnp.maximum(first, loss[row])
    return second


def _output_share(model: Model, largest: jnp.ndarray, total: jnp.ndarray):
    """Output share ``[S]`` from each sector's largest and summed loss, and the cap by
    critical upstream sectors ``[S]``."""
    overlap = model.input_overlap
    worst = jnp.where(overlap > 0, (1.0 - overlap) * largest + overlap * jnp.minimum(1.0, total), largest)
    own = 1.0 - worst
    upstream = upstream_cap(model, own)
    return jnp.minimum(own, upstream), upstream


def _sectors_over_pairs(model: Model, pairs: list[tuple[int, int]], loss: jnp.ndarray):
    """:func:`sectors` in the pair layout: ``loss`` ``[N]`` over ``pairs``."""
    n_products, n_sectors = model.use_share.shape[:2]
    zero = jnp.zeros_like(loss[0])
    group = list(range(n_products))  # each product's group: its block's first row
    for first, count in _blocks(model):
        group[first:first + count] = [first] * count
    in_sector = [[i for i, (_, s) in enumerate(pairs) if s == sector] for sector in range(n_sectors)]
    # grouped loss of each pair: its group's losses in its sector, in row order
    grouped = [functools.reduce(jnp.add, [loss[j] for j in in_sector[s] if group[pairs[j][0]] == group[p]])
               if model.segment_group is not None else loss[i] for i, (p, s) in enumerate(pairs)]

    def over(sector, combine, values):  # the pairs' values of one sector, combined from 0 (absent pairs: 0)
        return functools.reduce(combine, [values[i] for i in in_sector[sector]], zero)

    largest = [over(s, jnp.maximum, grouped) for s in range(n_sectors)]
    total = [over(s, jnp.add, list(loss)) for s in range(n_sectors)]
    output_share, upstream = _output_share(model, jnp.stack(largest), jnp.stack(total))
    at_top = [grouped[i] == largest[s] for i, (_, s) in enumerate(pairs)]
    # products without a pair in a sector have loss 0: at the top only where the largest is 0
    weight = None if model.segment_group is None else model.segment_weight
    alone, runner_up = [], []
    for s in range(n_sectors):
        present = {pairs[i][0] for i in in_sector[s]}
        absent = [p for p in range(n_products) if p not in present]
        count = functools.reduce(jnp.add, [at_top[i].astype(loss.dtype) * (1.0 if weight is None else
                                                                            weight[pairs[i][0]])
                                           for i in in_sector[s]], zero)
        if absent:
            absent_weight = float(len(absent)) if weight is None else functools.reduce(
                jnp.add, [weight[p] for p in absent])
            count = count + jnp.where(largest[s] == 0.0, absent_weight, 0.0)
        alone.append(count < 1.5)
        runner_up.append(over(s, jnp.maximum, [jnp.where(at_top[i], 0.0, grouped[i]) for i in range(len(pairs))]))
    overlap = model.input_overlap
    lost = [[] for _ in range(n_products)]
    for i, (p, s) in enumerate(pairs):
        largest_without = jnp.where(at_top[i] & alone[s], runner_up[s], largest[s])
        worst_without = jnp.where(overlap[s] > 0, (1.0 - overlap[s]) * largest_without
                                  + overlap[s] * jnp.minimum(1.0, jnp.maximum(total[s] - grouped[i], 0.0)),
                                  largest_without)
        lost[p].append(model.use_share[p, s] * (1.0 - jnp.minimum(1.0 - worst_without, upstream[s])))
    use_factor = 1.0 - jnp.stack([functools.reduce(jnp.add, row) if row else zero for row in lost])
    return output_share, use_factor
