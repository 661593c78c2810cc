"""What rides along in a run's chunk program: normal times and the kept trajectories.

A stored run needs, besides its chunks' per-scenario metrics, two small things the
engine computes on other scenarios: the first ``run.daily_scenarios`` scenarios' day
by day trajectories, and *normal times* (every policy with no event and the model's
central numbers: the price side effects of a policy, :func:`simcore.run.runner.normal_times`).
They used to come from a second compiled program. Now they ride along in the chunk
program itself (issue 19 item 2), so a run compiles one program:

* **normal times**: each chunk runs one extra lane, the *normal-times lane*, which
  :func:`simcore.core.engine.simulate` (``central=``) runs without any occurrence and
  at the central numbers; the chunk's own lanes compute what they did (lanes do not
  mix), though XLA may fuse the larger program differently (Japan outlook: 13 of
  20,800 per-scenario losses moved by 1-2 ulp; docs/running.md);
* **kept trajectories**: the engine's scan also returns the days of the first
  ``m = min(kept, lanes per device)`` lanes of each device's slice
  (``simulate(daily_lanes=m)``): ``kept x horizon`` values per policy and daily field,
  a share ``kept / chunk_size`` of the lanes computed. Chunk ``c`` stores the kept
  scenarios it holds (``c * chunk_size <= i < kept``).

Both go into the chunk's statistics blob (``chunk_stats/<index>``, keys
:data:`NORMAL_PREFIX` and :data:`KEPT_PREFIX`; no ``__``, so the metric statistics
skip them), written before the chunk is marked done: a resumed or distributed run keeps
them exactly as the chunk's other results. At the end :func:`read_riders` reads them
back for the ``daily`` and ``normal_times`` groups.

The kept days are held on the device for every chunk in flight (two), whatever its
index, so they ride only while they fit :data:`RIDING_BUDGET_BYTES`
(:func:`riding_scenarios`); a run that keeps more (``run.daily_scenarios`` up to 1,000
over years) computes them in a program of their own at the end
(:class:`simcore.run.runner.KeptRun`), as before. Their compute is small either way: a
lane's day writes ``9 P + 2 S + 1`` floats against the tens to hundreds of kB it moves
(docs/running.md, "Bytes per lane-day").

Shapes: kept ``[policy, scenario, day, ...]`` (the fields of
:class:`simcore.core.step.Daily`), normal ``mean_price_change`` ``[policy, product]`` and
``mean_price_index_change`` ``[policy]``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

NORMAL_PREFIX = "normal_"
KEPT_PREFIX = "kept_"
NORMAL_FIELDS = ("mean_price_change", "mean_price_index_change")  # what normal_times reads of the lane
# Assumption: 256 MiB of kept days per chunk (512 MiB with two chunks in flight) beside a
# chunk's own arrays: small on a GPU (16-80 GB) or a CPU host; the quickstart's 10 kept
# scenarios take 5.4 MB, the Japan outlook's 63 MB (8 policies x 3 years; riders.kept_bytes).
RIDING_BUDGET_BYTES = 256 * 2 ** 20
SECTOR_FIELDS = ("sector_output_share", "sector_price_change")  # Daily fields per sector
SCALAR_FIELDS = ("price_index_change",)  # Daily fields without an element axis


class Riders(NamedTuple):
    """One device's riders as the chunk program returns them: ``kept`` the first ``m``
    lanes' days ``[policy, m, day, ...]`` (None when no scenario is kept), ``normal``
    the normal-times lane's :data:`NORMAL_FIELDS` with a leading device axis
    ``[1, policy, ...]`` (one per device, all equal)."""

    kept: object
    normal: dict


class NormalLane(NamedTuple):
    """Normal times' engine results: ``mean_price_change`` ``[policy, product]`` and
    ``mean_price_index_change`` ``[policy]`` (what :func:`simcore.run.runner.normal_times` reads)."""

    mean_price_change: np.ndarray
    mean_price_index_change: np.ndarray


def kept_bytes(kept: int, horizon: int, n_policies: int, n_products: int, n_sectors: int) -> int:
    """Bytes of ``kept`` scenarios' days (float32, every :class:`~simcore.core.step.Daily`
    field) over ``horizon`` days for ``n_policies`` policies."""
    from simcore.core.step import Daily

    per_day = sum(n_sectors if name in SECTOR_FIELDS else 1 if name in SCALAR_FIELDS else n_products
                  for name in Daily._fields)
    return 4 * int(kept) * int(horizon) * int(n_policies) * per_day


def riding_scenarios(kept: int, horizon: int, n_policies: int, n_products: int, n_sectors: int,
                     budget: int | None = None) -> int:
    """How many kept scenarios ride in the chunk program: all ``kept`` when their days fit
    ``budget`` (:func:`kept_bytes`; default :data:`RIDING_BUDGET_BYTES`), else none (they
    get a program of their own)."""
    budget = RIDING_BUDGET_BYTES if budget is None else budget
    return int(kept) if kept_bytes(kept, horizon, n_policies, n_products, n_sectors) <= budget else 0


def with_normal_lane(index: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(lanes, central)``: the scenario indices ``index`` ``[N]`` with one more lane
    ``[N + 1]`` and the mask ``[N + 1]`` that makes that last lane normal times (its
    index is a placeholder: a central lane draws nothing that is used)."""
    lanes = jnp.concatenate([index, index[:1]])
    return lanes, jnp.arange(lanes.shape[0]) == index.shape[0]


def daily_lanes(kept: int, n_local: int) -> int | None:
    """How many lanes of a device's ``n_local`` keep their days: ``min(kept, n_local)``;
    None when nothing is kept (the scan stores no day)."""
    return min(int(kept), int(n_local)) if kept > 0 else None


def split_normal_lane(metrics, daily) -> tuple[object, Riders]:
    """The engine's results over ``lanes`` of :func:`with_normal_lane` as ``(metrics of
    the chunk's own lanes [policy, N, ...], Riders)``."""
    own = jax.tree_util.tree_map(lambda x: x[:, :-1], metrics)
    normal = {name: getattr(metrics, name)[:, -1][None] for name in NORMAL_FIELDS}
    return own, Riders(daily, normal)


def chunk_rider_arrays(riders: Riders, first: int, count: int, kept: int) -> dict[str, np.ndarray]:
    """What chunk ``[first, first + count)`` stores of ``riders`` (the chunk program's
    output over all devices: ``kept`` ``[policy, devices x m, day, ...]``, ``normal``
    ``[devices, policy, ...]``): the normal-times lane in chunk 0, and the kept scenarios
    ``first <= i < kept`` it holds. Only these are copied from the devices.

    Device ``d``'s slice holds lanes ``d * n ... (d + 1) * n - 1`` and returns its first
    ``m = min(kept, n)``; in either case the kept scenarios of the chunk come first in
    the concatenation (``m = kept``: device 0's; ``m = n``: every lane, in order). Sliced
    in NumPy: indexing the device arrays would compile small programs of its own."""
    arrays: dict[str, np.ndarray] = {}
    if first == 0:
        arrays.update({NORMAL_PREFIX + name: np.asarray(value)[0] for name, value in riders.normal.items()})
    here = min(count, kept - first)
    if here > 0 and riders.kept is not None:
        arrays.update({KEPT_PREFIX + name: np.asarray(value)[:, :here]
                       for name, value in riders.kept._asdict().items()})
    return arrays


def rider_chunks(kept: int, chunk_size: int) -> range:
    """The chunks whose blobs hold riders: chunk 0 (normal times) and those holding a
    kept scenario."""
    return range(max(1, -(-int(kept) // chunk_size)))


def has_riders(arrays: dict, index: int, kept: int, chunk_size: int) -> bool:
    """Whether chunk ``index``'s blob ``arrays`` holds the riders it should (a blob
    written by a simcore without them does not: that chunk is computed again)."""
    keys = set(arrays)
    if index == 0 and not {NORMAL_PREFIX + name for name in NORMAL_FIELDS} <= keys:
        return False
    if index * chunk_size < kept and not any(key.startswith(KEPT_PREFIX) for key in keys):
        return False
    return True


def read_riders(blobs, kept: int) -> tuple[NormalLane, dict[str, np.ndarray] | None]:
    """``(normal lane, kept trajectories {field: [policy, kept, day, ...]} or None)``
    from the blobs of :func:`rider_chunks` (``blobs``: their statistics arrays in chunk
    order)."""
    blobs = list(blobs)
    normal = NormalLane(*(blobs[0][NORMAL_PREFIX + name] for name in NORMAL_FIELDS))
    if kept <= 0:
        return normal, None
    names = [key for key in blobs[0] if key.startswith(KEPT_PREFIX)]
    daily = {key[len(KEPT_PREFIX):]: np.concatenate([blob[key] for blob in blobs], axis=1) for key in names}
    return normal, daily
