"""The chokepoint screen (``simcore screen CONFIG``, docs/screening.md): every unit of a
model (product, service, supply link, hidden link; :mod:`~simcore.analysis.screen_units`)
under a family of disruptions (:mod:`~simcore.analysis.screen_disruptions`), on common
scenarios (:mod:`~simcore.analysis.screen_run`), ranked with paired-bootstrap rank
intervals, and its single points of failure.

Per (mix, unit, disruption): expected value-added loss with its standard error, the
95th percentile and CVaR95 of the loss, P(any shortage), the mean time to survive (days
from the alarm to the first shortage, over the scenarios with one), and for the hazard
disruption the probability-weighted annual loss ``E[loss over H days] x 365 / H``.

Ranking: per mix and disruption the units by expected loss, largest first (rank 1);
each bootstrap replicate ranks the replicate means the same way, and the 90 % rank
interval is the 5th to 95th percentile of a unit's replicate ranks. Two units adjacent
in the ranking are *distinguishable* when one loses more than the other in at least
95 % of the replicates. The scenarios carry the model's drawn parameters (each scenario
its own draw), so the bootstrap over scenarios covers parameter uncertainty and event
randomness together.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from simcore.analysis.screen_disruptions import DEFAULT_FAMILY, Disruption, hazard_rate, hazard_slots, loss_slots
from simcore.analysis.screen_units import (
    KINDS,
    carrier_origin,
    home_patch,
    model_units,
)
# format_screen, to_store, SEPARATION: re-exported (their home before screen_table.py)
from simcore.analysis.screen_table import SEPARATION, format_screen, screen_dataset, to_store  # noqa: F401
from simcore.schema.analysis_spec import check_section



@dataclass
class ScreenSettings:
    units: tuple = ()  # () = every unit of the kinds
    kinds: tuple = KINDS
    disruptions: tuple = DEFAULT_FAMILY
    policies: tuple = ("no-policy",)
    rank_by: str = "full-90"
    scenarios: int = 200
    start: int = 0
    bootstrap: int = 200
    points: int = 0  # >= 2: parameter points, each on the same scenarios
    seed: int = 0
    chunk_cases: int = 16
    chunk_scenarios: int = 100
    max_lane_days: float = 2e10
    top: int = 25
    output: str | None = None
    extra: dict = field(default_factory=dict)


def settings_from(section: dict, overrides: dict | None = None, *, config=None) -> ScreenSettings:
    """The settings of a ``[screen]`` table, then ``overrides`` (command-line options
    win), checked field by field and, given the loaded ``config``, against its model,
    mixes and size cap: every problem at once (:class:`InputError`)."""
    from simcore.schema.errors import InputError, Problems

    overrides = {k: list(v) if isinstance(v, tuple) else v for k, v in (overrides or {}).items()}
    problems = Problems("screen settings" if config is None else f"config {config.path}")
    spec, _ = check_section("screen", {**(section or {}), **overrides}, problems)
    if spec is None:
        raise InputError(problems.source, [(_option(f, overrides), m) for f, m in problems.items])
    s = ScreenSettings()
    for key, value in spec.model_dump(exclude={"disruptions"}, exclude_unset=True).items():
        setattr(s, key, tuple(value) if isinstance(value, list) else value)
    if spec.disruptions is not None:
        s.disruptions = tuple(Disruption(**d.model_dump()) for d in spec.disruptions)
    if config is not None:
        _check_against(config, s, problems, overrides)
        problems.raise_if_any()
    return s


def _option(where: str, overrides: dict) -> str:
    key = where.removeprefix("screen.").split(".")[0].split("[")[0]
    return f"--{key.replace('_', '-')}{where.removeprefix(f'screen.{key}')}" if key in overrides else where


def _check_against(config, s: ScreenSettings, problems, overrides: dict) -> None:
    """Pass 2: unit, mix and disruption names; the size cap (every problem)."""
    names = [d.name for d in s.disruptions]
    if len(set(names)) != len(names):
        problems.add("screen.disruptions", "names must be unique")
    if s.rank_by not in names:
        problems.add(_option("screen.rank_by", overrides), f"must be one of the disruptions ({', '.join(names)}), "
                                                           f"got {s.rank_by!r}")
    mixes = [p.name for p in config.policies]
    for i, name in enumerate(s.policies):
        if name not in mixes:
            problems.add(_option(f"screen.policies[{i}]", overrides), f"must be one of {', '.join(mixes)}, got "
                                                                        f"{name!r}")
    units = model_units(config.loaded)
    known = {u.name for u in units}
    for i, name in enumerate(s.units):
        if name not in known:
            close = [u for u in sorted(known) if name.split(" ")[0] in u][:4]
            hint = f" (e.g. {', '.join(repr(c) for c in close)})" if close else ""
            problems.add(_option(f"screen.units[{i}]", overrides), f"unknown unit {name!r}{hint}")
    if problems.items:
        return
    chosen = with_carriers(config, select_units(units, s), s.policies)
    if not chosen:
        problems.add("screen.units", f"no unit of the kinds {', '.join(s.kinds)} in the model")
        return
    cases = len(build_cases(config, chosen, s.disruptions)[0])
    if s.points == 1:
        problems.add(_option("screen.points", overrides), "must be 0 (each scenario draws its parameters) or at "
                                                          "least 2 (a rank interval over points)")
    elif s.points and config.loaded.model.uncertainty is None:
        problems.add(_option("screen.points", overrides), f"the model {config.loaded.name!r} has no uncertain "
                                                          f"numbers to put at parameter points")
    size = cases * len(s.policies) * s.scenarios * max(s.points, 1) * config.horizon_days
    if size > s.max_lane_days:
        problems.add(_option("screen.scenarios", overrides) if "scenarios" in overrides else "screen",
                     f"the screen is {cases} cases x {len(s.policies)} mixes x {s.scenarios} scenarios x "
                     f"{max(s.points, 1)} parameter points x {config.horizon_days} days = {size:.3g} lane-days, over the size cap max_lane_days = "
                     f"{s.max_lane_days:.3g}; screen fewer units or scenarios, or raise the cap")


def select_units(units, s: ScreenSettings) -> list:
    if s.units:
        wanted = set(s.units)
        return [u for u in units if u.name in wanted]
    return [u for u in units if u.kind in s.kinds]


def with_carriers(config, units, policies) -> list:
    """The units, each unit that cuts domestic production given its carrier origin as
    its one slot (:mod:`~simcore.analysis.screen_units`); one without a free origin is
    left out."""
    named = {p.name: p.policy for p in config.policies}
    shares = np.stack([np.asarray(named[n].import_share) for n in policies])
    out = []
    for unit in units:
        if unit.home:
            carrier = carrier_origin(config.loaded, unit, shares)
            if carrier is None:
                continue
            unit.slots = [(carrier, {r: 1.0 for r in unit.home})]
        out.append(unit)
    return out


def build_cases(config, units, disruptions):
    """``(cases [(unit index, disruption index)], slot lists, hazard rates [U], patches)``:
    every (unit, loss disruption) and (unit, hazard) where the unit has a hazard; the
    patches ``(share delta [C, P, O], domestic kept [C, P], no transit [C, P, O])`` move
    the domestic share of a recipe or domestic unit onto its carrier."""
    loaded = config.loaded
    n_products, n_origins = len(loaded.products), len(loaded.origins)
    n_occ = int(np.shape(config.events.occurrence_allowed)[1])
    cases, slots, rates, patches = [], [], [], []
    for u, unit in enumerate(units):
        patch = home_patch(unit, unit.slots[0][0] if unit.home and unit.slots else None, n_products, n_origins)
        hazard = hazard_slots(config.events, unit, n_origins, loaded.model.import_share)
        rates.append(hazard_rate(hazard))
        for d, disruption in enumerate(disruptions):
            if disruption.kind == "hazard":
                if not hazard:
                    continue
                slots.append(hazard)
            else:
                slots.append(loss_slots(unit, disruption, n_products, n_origins, n_occ))
            cases.append((u, d))
            patches.append(patch)
    stacked = tuple(np.stack([p[k] for p in patches]) if patches else None for k in range(3))
    return cases, slots, np.asarray(rates), stacked


# ----------------------------------------------------------------------------- the analysis

def screen_analysis(config, s: ScreenSettings, progress=None, *, store=None, resume: bool = False, scheduler=None,
                    log=print) -> xr.Dataset:
    """The screen (module doc) as a dataset with dims ``policy``, ``unit``,
    ``disruption`` (and ``product``, ``sector``).

    Run in blocks of cases (:mod:`~simcore.analysis.screen_resume`): ``store`` (a local
    zarr path) keeps a checkpoint of the done blocks, which ``resume`` continues (a
    checkpoint of another screen raises :class:`~simcore.analysis.screen_resume.ResumeError`);
    ``scheduler`` (a Dask address or client) runs the blocks on a cluster; the results
    are the same bit for bit. ``progress(done, total)`` in lanes (case x mix x
    scenario-or-point)."""
    import jax

    from simcore.analysis.screen_disruptions import stack_cases
    from simcore.analysis.screen_resume import ScreenWork, run_blocks
    from simcore.core.model import stack_policies

    loaded = config.loaded
    units = with_carriers(config, select_units(model_units(loaded), s), s.policies)
    cases, slots, rates, patches = build_cases(config, units, s.disruptions)
    n_occ = int(np.shape(config.events.occurrence_allowed)[1])
    P, S = len(loaded.products), len(loaded.sectors)
    stacked = (stack_cases(slots, P, len(loaded.origins), n_occ),) + tuple(
        jax.numpy.asarray(x, jax.numpy.bool_ if k == 2 else jax.numpy.float32) for k, x in enumerate(patches))
    named = {p.name: p.policy for p in config.policies}
    policies = stack_policies([named[n] for n in s.policies])
    point_u, columns = None, None
    if s.points >= 2:  # a Latin hypercube of the model's uncertain numbers, as simcore robustness
        from simcore.analysis.robustness import point_design
        from simcore.analysis.sobol import parameters

        params = parameters(loaded, "entry")
        columns, point_u = params.columns, point_design(s.points, len(params.names), s.seed)
    work = ScreenWork(loaded.model, policies, stacked, jax.random.PRNGKey(config.seed), n_scenarios=s.scenarios,
                      start=s.start, horizon=config.horizon_days, chunk_cases=s.chunk_cases,
                      chunk_scenarios=s.chunk_scenarios, n_policies=len(s.policies), n_products=P, n_sectors=S,
                      replicates=s.bootstrap, seed=s.seed, n_points=max(s.points, 1), point_u=point_u,
                      columns=columns)
    names = {"units": [u.name for u in units], "disruptions": [d.name for d in s.disruptions],
             "policies": list(s.policies), "cases": [list(c) for c in cases]}
    describe = {"model": loaded.name, "cases": len(cases), "scenarios": int(s.scenarios),
                "scenario_start": int(s.start), "points": int(s.points), "seed": int(config.seed),
                "bootstrap": int(s.bootstrap), "bootstrap_seed": int(s.seed), "horizon_days": int(config.horizon_days),
                "policies": ", ".join(s.policies)}
    began = time.perf_counter()
    stream = run_blocks(work, store=store, resume=resume, names=names, describe=describe, scheduler=scheduler,
                        progress=progress, log=log)
    wall = time.perf_counter() - began
    r = stream.result()
    return screen_dataset(config, s, units, cases, rates, r, wall)


def screen_file(path, overrides: dict | None = None, *, log=print, progress=None, checkpoint: bool = False,
                resume: bool = False, scheduler=None):
    """``(dataset, settings)`` of the config file ``path``: its ``[screen]`` table, then
    ``overrides``. What ``simcore screen`` runs; raises :class:`InputError` (one line per
    problem) before anything runs. ``checkpoint``: record the done blocks of cases in the
    output store (``settings.output``, default ``results/<config name>.zarr``), which
    ``resume`` continues; ``scheduler``: run the blocks on a Dask cluster
    (:func:`screen_analysis`)."""
    from pathlib import Path

    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(path, "screen")
    s = settings_from(sections.get("screen") or {}, overrides, config=config)
    if checkpoint and not s.output:
        s.output = str(Path("results") / (Path(path).stem + ".zarr"))
    units = with_carriers(config, select_units(model_units(config.loaded), s), s.policies)
    cases = build_cases(config, units, s.disruptions)[0]
    points = f" x {s.points} parameter points" if s.points else ""
    log(f"screen: {len(units)} units x {len(s.disruptions)} disruptions = {len(cases)} cases x {len(s.policies)} "
        f"mixes x {s.scenarios} scenarios{points} x {config.horizon_days} days "
        f"({len(cases) * len(s.policies) * s.scenarios * max(s.points, 1) * config.horizon_days:.3g} lane-days)")
    return screen_analysis(config, s, progress=progress, store=s.output if checkpoint else None, resume=resume,
                           scheduler=scheduler, log=log), s
