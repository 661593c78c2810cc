"""The ``[optimize]`` section of a run config, checked against the model.

:func:`parse_optimize` turns the table (its fields checked by the schema,
:class:`~simcore.schema.analysis_spec.OptimizeSectionSpec`) into an
:class:`OptimizeSpec`: the levers resolved and their ranges checked against the model,
the budgets, the cost assumptions; :func:`load_optimize_config` reads a config file
with the section. The section's fields and what the optimiser does with them:
:mod:`simcore.analysis.optimize` (which re-exports these names) and ``docs/analysis.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simcore.analysis import levers as lever_paths
from simcore.analysis.costs import CostAssumptions
from simcore.analysis.objective import OptLever
from simcore.schema.analysis_config import read_analysis_config
from simcore.schema.analysis_spec import check_section
from simcore.schema.config import BASELINE_POLICY, RunConfig
from simcore.schema.errors import InputError, Problems

# the fields of [optimize] and their ranges: simcore.schema.analysis_spec (OptimizeSectionSpec)
# Levers whose standing cost is affine in the level (see simcore.analysis.optimize's module doc).
OPTIMIZABLE = ("gov_stock_days", "private_extra_days", "spare_capacity", "share", "efficiency_cut")


@dataclass
class OptimizeSpec:
    """A validated ``[optimize]`` section."""

    levers: list[OptLever]
    budgets: list[float]
    base: str = BASELINE_POLICY
    cvar_weight: float = 0.0
    train_scenarios: int = 256
    test_scenarios: int = 1000
    steps: int = 60
    learning_rate: float = 0.05
    temperature: float = 0.02
    temperature_start: float = 0.2
    exact_evaluations: int = 10
    shortfall_weight: float = 1.0
    method: str = "pgd"
    search: str = "random"
    seed: int = 0
    output: str | None = None
    sensitivity: bool = False
    costs: CostAssumptions = field(default_factory=CostAssumptions)


def parse_optimize(raw, config: RunConfig, source: str = "config") -> OptimizeSpec:
    """Validate an ``[optimize]`` table against the run ``config``: field by field by the
    schema (:class:`~simcore.schema.analysis_spec.OptimizeSectionSpec`), then the rules
    across fields and against the model; raises :class:`~simcore.schema.errors.InputError`
    naming every bad field."""
    problems = Problems(f"{source} [optimize]")
    section, clean = check_section("optimize", raw, problems)
    clean = clean if isinstance(clean, dict) else {}
    given = raw if isinstance(raw, dict) else {}
    names = [p.name for p in config.policies]
    base = clean.get("base", BASELINE_POLICY)
    if base not in names:
        problems.add("optimize.base", f"must be one of the config's policies: {', '.join(names)}; got {base!r}")
    if ("budget" in given) == ("budgets" in given):
        problems.add("optimize.budget", "give exactly one of budget = B or budgets = [B1, B2, ...] (currency / year)")
    budgets = clean.get("budgets")
    if isinstance(budgets, list) and None not in budgets and len(set(budgets)) != len(budgets):
        problems.add("optimize.budgets", "budgets must be unique; given more than once: "
                     + ", ".join(f"{v:g}" for v in sorted({v for v in budgets if budgets.count(v) > 1})))
    levers = _parse_levers(clean.get("levers"), given.get("levers"), config.loaded, problems)
    problems.raise_if_any()
    settings = section.model_dump(exclude_unset=True, exclude={"levers", "budget", "budgets", "costs"})
    settings.setdefault("seed", config.seed)
    budgets = [section.budget] if section.budget is not None else sorted(section.budgets)
    costs = CostAssumptions.of(section.costs.model_dump(exclude_unset=True) if section.costs
                               else config.costs)  # [optimize.costs], else the top-level [costs]
    return OptimizeSpec(levers=levers, budgets=budgets, costs=costs, **settings)


def _parse_levers(raw, given, loaded, problems: Problems) -> list[OptLever]:
    """Pass 2 of ``optimize.levers`` (as pass 1 left it; ``given``: as written)."""
    if not isinstance(raw, list):
        return []  # missing or not a list: reported by pass 1
    given = given if isinstance(given, list) else []
    out: list[OptLever] = []
    placed: list[int] = []  # where each lever of out is in the list (for messages)
    for i, item in enumerate(raw):
        where = f"optimize.levers[{i}]"
        if not isinstance(item, dict):
            continue  # reported by pass 1
        item_given = given[i] if i < len(given) and isinstance(given[i], dict) else item
        ok = all(key in item for key in item_given) and "range" in item  # pass 1 refused nothing
        lever, reason = (None, None) if "path" not in item else lever_paths.resolve(item["path"], loaded)
        if lever is None:
            if reason:
                problems.add(f"{where}.path", reason)
            ok = False
        elif not lever.settable or lever.key not in OPTIMIZABLE:
            problems.add(f"{where}.path", f"{lever.path!r} cannot be optimised; allowed levers: "
                         "stockpile.gov_stock_days, stockpile.private_extra_days, "
                         "diversification.spare_capacity.P.O, recycling.share, recycling.efficiency_cut")
            ok = False
        name = item.get("name", item.get("path"))
        bounds = item.get("range")
        if bounds is not None and lever is not None and lever.settable:
            for j, value in enumerate(bounds):
                reason = lever_paths.value_problem(lever, value, loaded)
                if reason:
                    problems.add(f"{where}.range[{j}]", f"{lever.path}: {reason}")
                    ok = False
        if ok:
            for k, other in zip(placed, out):
                if other.lever.overlaps(lever):
                    problems.add(f"{where}.path", f"{lever.path!r} sets the same policy elements as "
                                 f"optimize.levers[{k}] ({other.path!r})")
                    ok = False
                elif other.name == name:
                    problems.add(f"{where}.name", f"{name!r} is also the name of optimize.levers[{k}]")
                    ok = False
        if ok:
            out.append(OptLever(lever, name, float(bounds[0]), float(bounds[1])))
            placed.append(i)
    return out


def load_optimize_config(path) -> tuple[RunConfig, OptimizeSpec, str]:
    """Read a config with an ``[optimize]`` section: ``(run config, spec, file text)``."""
    config, sections, data = read_analysis_config(path, "optimize")
    if "optimize" not in sections:
        raise InputError(f"config {path}", [("optimize", "is required: an [optimize] table with levers = [...] "
                                                          "and budget or budgets")])
    return config, parse_optimize(sections["optimize"], config, f"config {path}"), data.decode("utf-8")
