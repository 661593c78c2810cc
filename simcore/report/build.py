"""The work of ``simcore report``: read a store, draw its figures, write ``index.md``.

:func:`write_report` finds the store (a path or an fsspec URL), picks the sections by
the store's kind (run, sweep or optimisation) and by the groups it carries
(``attribution``, ``sensitivity``, ``sobol``), saves the figures as PNG files and writes
the index page; :func:`main_report` is the CLI entry. What each report shows is listed in
:mod:`simcore.report`, the package's face, which re-exports the public names; the
figures themselves are drawn in :mod:`simcore.report.figures`,
:mod:`simcore.report.attribution` and :mod:`simcore.report.sobol`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from simcore.analysis.intervals import Z as Z_90
from simcore.report import exceedance as E
from simcore.report import figures as F
from simcore.report.attribution import waterfall_figure
from simcore.run.conventions import Units
from simcore.run.metrics import DAILY_INFO
from simcore.schema.errors import InputError


@dataclass
class Report:
    """What :func:`write_report` wrote: the index page, figure files and Figure objects."""

    index: Path
    files: dict = field(default_factory=dict)  # name -> png path
    figures: dict = field(default_factory=dict)  # name -> matplotlib Figure
    notes: list = field(default_factory=list)


class ReportError(Exception):
    """The store cannot be reported on (missing, not a simcore store)."""


def _open(location, group: str | None = None) -> xr.Dataset | None:
    from simcore.run.store import open_results

    try:
        return open_results(location, group=group)
    except InputError:  # a store of a newer format: refused with its own message
        raise
    except Exception:  # no such group
        return None


def _locate(store, storage_options: dict | None):
    """``(StoreLocation, local path or None, name)`` of an existing store at a path or URL,
    or a ReportError."""
    from simcore.run.store import OutputError, StoreLocation

    try:
        location = StoreLocation(store, storage_options)
        local = location.local_path
        if local is not None:
            if not local.is_dir():
                raise ReportError(f"no results store at {store} (a zarr store is a directory)")
        elif not location.exists():
            raise ReportError(f"no results store at {store}")
    except OutputError as exc:  # unknown protocol, missing backend, refused options
        raise ReportError(f"cannot read {store}: {str(exc).split(': ', 1)[-1]}") from None
    except OSError as exc:  # the remote filesystem refused (credentials, network)
        raise ReportError(f"cannot read {store}: {type(exc).__name__}: {exc}") from None
    name = local.name if local is not None else location.url.rsplit("/", 1)[-1]
    return location, local, name


def write_report(store, out_dir=None, storage_options: dict | None = None, hold: dict | None = None) -> Report:
    """Write the figures and ``index.md`` of the store at ``store`` (a path or an fsspec
    URL, read with ``storage_options``); returns a :class:`Report`. ``hold`` (lever name
    -> value): where a grid sweep's response figure holds the levers it does not show
    (default: the sweep's base mix)."""
    if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ReportError(f"--out {out_dir} exists and is not a folder (a report is a folder of figures and "
                          f"index.md); choose another --out")
    location, local, store_name = _locate(store, storage_options)
    root = _open(location)
    if root is None:
        raise ReportError(f"{location} is not a readable zarr store")
    if hold and not (root.attrs.get("kind") == "sweep" and root.attrs.get("design") == "grid"):
        raise ReportError(f"--hold {', '.join(f'{k}={v:g}' for k, v in hold.items())}: only the response figure of a "
                          f"grid sweep holds levers; {store} is a {root.attrs.get('kind') or 'run'} store")
    if out_dir is not None:
        out = Path(out_dir)
    elif local is not None:
        out = local.with_name(store_name + ".report")
    else:  # figures are local files: a store at a URL is reported into the current folder
        out = Path.cwd() / (store_name + ".report")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission
        raise ReportError(f"cannot create the report folder {out}: {exc.strerror or exc}") from None
    attrs = dict(root.attrs)
    report = Report(index=out / "index.md")
    caption = F.caption_text(attrs)
    if attrs.get("kind") == "sweep":
        sections = _sweep_report(location, root, caption, report, hold)
    elif attrs.get("kind") == "optimize":
        sections = _optimize_report(root, caption, report)
    elif attrs.get("kind") in ("robustness", "screen"):  # a store of simcore robustness or screen alone
        sections = []
    else:
        sections = _run_report(location, root, caption, report)
    attribution = _open(location, "attribution")
    if attribution is not None:
        sections += _attribution_section(attribution, F.caption_text({**attrs, **attribution.attrs}), report)
    sensitivity = _open(location, "sensitivity")
    if sensitivity is not None and "elasticity" in sensitivity:
        sections += _sensitivity_section(sensitivity.load(), F.caption_text({**attrs, **sensitivity.attrs}), report)
    sobol = _open(location, "sobol")
    if sobol is not None and "ST" in sobol:
        sections += _sobol_section(sobol.load(), F.caption_text({**attrs, **sobol.attrs}), report)
    from simcore.report.robustness import robustness_sections  # groups robustness, discovery

    sections += robustness_sections(lambda name: _open(location, name), lambda a: F.caption_text({**attrs, **a}),
                                    report)
    from simcore.report.screen import screen_sections  # group screen

    sections += screen_sections(lambda name: _open(location, name), lambda a: F.caption_text({**attrs, **a}), report)
    for name, fig in report.figures.items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        report.files[name] = path
    title = f"# simcore report: {store_name}\n\n{caption}\n"
    notes = "".join(f"- {note}\n" for note in report.notes)
    report.index.write_text(title + ("\n## Notes\n\n" + notes if notes else "") + "\n" + "\n".join(sections))
    return report


def _figure_md(name: str, text: str) -> str:
    return f"## {text}\n\n![{text}]({name}.png)\n"


# ----------------------------------------------------------------------------- run stores

def _run_report(location, root: xr.Dataset, caption: str, report: Report) -> list[str]:
    summary = _open(location, "summary")
    effects = _open(location, "effects")
    daily = _open(location, "daily")
    units = Units.of(root)  # resolves what a store of an earlier format left as placeholders

    def unit(var: xr.DataArray) -> str:
        raw = var.attrs.get("units")
        if raw is None and var.name in DAILY_INFO:  # format 1 wrote the daily group without attributes
            raw = DAILY_INFO[var.name][0]
        return units.resolve(str(raw or ""))

    sections = []
    per_scenario = "shortage_days" in root.data_vars and "scenario" in root.dims
    if per_scenario and "chunk_done" in root:
        done = np.asarray(root["chunk_done"].values, bool)
        if not done.all():
            report.notes.append(f"only {int(done.sum())} of {done.size} chunks are done: per-scenario curves use "
                                "the done chunks")
    merged = None
    if per_scenario:
        valid = _done_scenarios(root)
        n_curve = int(valid.size)
        days = root["shortage_days"].isel(scenario=valid).load()
        curves = {str(p): {str(pol): F.exceedance(days.sel(policy=pol, product=p).values)
                           for pol in days["policy"].values} for p in days["product"].values}
        source = "per-scenario"
    elif summary is not None:
        n_curve = int(summary.attrs.get("n_scenarios", root.attrs.get("n_scenarios", 0)) or 0)
        if "n_scenarios" in summary:
            n_curve = int(summary["n_scenarios"].values)
        merged = _merged_stats(location, root)
        policies, products = list(summary["policy"].values), list(summary["product"].values)
        if merged is not None and "shortage_days" in merged.metrics:
            curves = E.curves_from_stats(merged, "shortage_days", policies, products)
            source = "histogram"
            report.notes.append("the store kept no per-scenario arrays: exceedance curves come from the run's "
                                "streamed statistics (exact day histograms; amounts from the log-bin sketch, "
                                "within 1 %)")
        else:
            curves = {str(p): {str(pol): F.quantile_exceedance(summary["shortage_days"].sel(policy=pol, product=p))
                               for pol in policies} for p in products}
            source = "summary quantiles"
            report.notes.append("the store kept no per-scenario arrays nor chunk statistics: exceedance curves "
                                "show the summary's quantiles (q05 ... q99) as points")
    else:
        raise ReportError(f"{location} has neither per-scenario arrays nor a summary group")
    days_var = root["shortage_days"] if per_scenario else summary["shortage_days"]
    report.figures["exceedance_shortage_days"] = F.exceedance_figure(
        curves, element_dim="product", xlabel=f"shortage days over the horizon [{unit(days_var)}]",
        caption=caption, title="Exceedance of shortage days per product", source=source, n_scenarios=n_curve)
    sections.append(_figure_md("exceedance_shortage_days", "Shortage days: exceedance per product and policy "
                               "(log scale, 90 % bands)"))
    if per_scenario:
        loss = root["value_added_loss"].isel(scenario=_done_scenarios(root)).sum("sector").load()
        curves = {"all sectors": {str(pol): F.exceedance(loss.sel(policy=pol).values) for pol in loss["policy"].values}}
        element_dim = ""
    elif source == "histogram" and "value_added_loss" in merged.metrics:
        curves = E.curves_from_stats(merged, "value_added_loss", policies, list(summary["sector"].values))
        element_dim = "sector"
    else:
        curves = {str(s): {str(pol): F.quantile_exceedance(summary["value_added_loss"].sel(policy=pol, sector=s))
                           for pol in summary["policy"].values} for s in summary["sector"].values}
        element_dim = "sector"
        source = "summary quantiles"
    loss_unit = unit(root["value_added_loss"] if per_scenario else summary["value_added_loss"])
    report.figures["exceedance_value_added_loss"] = F.exceedance_figure(
        curves, element_dim=element_dim, xlabel=f"value-added loss over the horizon [{loss_unit}]",
        caption=caption, title="Exceedance of the value-added loss", source=source, n_scenarios=n_curve)
    sections.append(_figure_md("exceedance_value_added_loss", "Value-added loss: exceedance per policy "
                               "(log scale, 90 % bands)"))
    if effects is not None:
        table = _effects_table(effects, unit)
        if table:
            report.figures["pillar_effects"] = F.bars_figure(table, caption=caption,
                                                             title="Risk reduction of each mix against no policy")
            sections.append(_figure_md("pillar_effects", "Pillar effects: each mix against no policy"))
        sections += _cost_section(effects, root, caption, report)
    sections += _fan_sections(location, daily, root, unit, caption, report)
    if "attribution" not in _groups(location):
        report.notes.append("no Shapley split: run `simcore attribute CONFIG POLICY --store "
                            f"{location}` to add one")
    return sections


def _cost_section(effects: xr.Dataset, root: xr.Dataset, caption: str, report: Report) -> list[str]:
    """The cost table and the cost-effectiveness frontier of the named mixes
    (:mod:`simcore.report.costs`); a note where the store has no cost table."""
    from simcore.report import costs as C

    if not C.has_costs(effects):
        report.notes.append("the store has no cost table (written by simcore run since issue 20): no cost "
                            "section; run the config again to add one")
        return []
    effects = effects.load()
    currency = str(root.attrs.get("currency", "currency"))
    report.figures["cost_frontier"] = C.frontier_figure(effects, caption=caption, currency=currency)
    return [_figure_md("cost_frontier", "Cost-effectiveness: avoided loss against cost, net benefit by rank"),
            "Mixes ranked by net benefit (avoided value-added loss minus total cost per year), value ± the "
            "half-width of the 90 % interval (those that involve the crisis premium are upper bounds); "
            "P(beats next) takes the two mixes as independent; cost / avoided < 1: the mix pays for itself on "
            "value added.\n\n" + C.cost_table_md(effects, currency) + "\n"]


def _merged_stats(location, root: xr.Dataset):
    """The merged streaming statistics of a complete run store's chunks
    (:func:`simcore.report.exceedance.merged_run_stats`), None where it has none."""
    n_chunks = int(root.attrs.get("n_chunks", 0) or 0)
    if not n_chunks or ("chunk_done" in root and not np.asarray(root["chunk_done"].values, bool).all()):
        return None
    return E.merged_run_stats(location, n_chunks)


def _groups(location) -> set:
    """Names of the sub-groups (folders) of the store at ``location`` (a StoreLocation)."""
    fs, path = location.filesystem()
    return {entry["name"].rstrip("/").rsplit("/", 1)[-1] for entry in fs.ls(path, detail=True)
            if entry["type"] == "directory"}


def _done_scenarios(root: xr.Dataset) -> np.ndarray:
    """Scenario positions of done chunks (all of them in a complete store)."""
    n = root.sizes["scenario"]
    if "chunk_done" not in root:
        return np.arange(n)
    done = np.asarray(root["chunk_done"].values, bool)
    size = int(root.attrs.get("chunk_size", n))
    keep = np.repeat(done, size)[:n]
    return np.flatnonzero(keep)


def _effects_table(effects: xr.Dataset, unit) -> dict:
    """``{label: (unit, {policy: reduction})}`` of the effects group; ``unit(var)``: a
    variable's unit from its attributes."""
    picks = {  # label -> (variable, reduce over product by)
        "expected shortage days (all products)": ("shortage_days_mean_reduction", "sum"),
        "P(any shortage)": ("p_any_shortage_reduction", None),
        "expected value-added loss": ("value_added_loss_mean_reduction", None),
        "expected peak price change (mean over products)": ("peak_price_change_mean_reduction", "mean"),
    }
    table = {}
    for label, (name, how) in picks.items():
        if name not in effects:
            continue
        var = effects[name]
        var_unit = unit(var)
        if "product" in var.dims:
            var = var.sum("product") if how == "sum" else var.mean("product")
        values = {str(p): float(var.sel(policy=p)) for p in var["policy"].values if p != "no-policy"}
        if values:
            table[label] = (var_unit, values)
    return table


def _fan_sections(location, daily: xr.Dataset | None, root: xr.Dataset, unit, caption: str,
                  report: Report) -> list[str]:
    """Fan charts (:mod:`simcore.report.fans`): the quantiles over all scenarios of the
    run where the store has them (group ``daily_quantiles``), else the few stored
    trajectories (``daily``), else a note."""
    from simcore.report.fans import fan_sections

    source = daily if daily is not None and "product_unit" in daily.coords else root  # earlier formats: the root's
    product_units = dict(zip(source["product"].values, source["product_unit"].values)) \
        if "product_unit" in source.variables else {}
    figures, notes = fan_sections(_open(location, "daily_quantiles"), daily, product_units, unit, caption)
    report.notes.extend(notes)
    sections = []
    for name, fig, heading in figures:
        report.figures[name] = fig
        sections.append(_figure_md(name, heading))
    return sections


# ----------------------------------------------------------------------------- sweep stores

def _sweep_report(location, table: xr.Dataset, caption: str, report: Report,
                  response_fixed: dict | None = None) -> list[str]:
    """The Pareto figure (labelled points, 90 % intervals), the response along the first
    two levers of a grid (the others at ``response_fixed``, lever -> value, else the
    base mix's levels) and the ranking table."""
    import json

    from simcore.analysis.costs import ranking_table

    levers = json.loads(table.attrs.get("levers", "[]"))
    dims = [lever["name"] for lever in levers]
    flat = table.stack(point=dims) if table.attrs.get("design") == "grid" else table.rename({"mix": "point"})
    cost_unit = table["total_cost"].attrs.get("units", "currency / year")
    risks = {}
    for name in ("expected_value_added_loss", "expected_shortage_days_total", "p_any_shortage"):
        if name in flat:
            risks[name] = (flat[name].attrs.get("units", ""), np.asarray(flat[name].values, np.float64))
    reference = {name: float(table[f"reference_{name}"]) for name in risks}
    intervals = {name: Z_90 * np.asarray(flat[f"{name}_reduction_se"].values, np.float64) for name in risks
                 if f"{name}_reduction_se" in flat}
    point_labels = ["(" + ", ".join(f"{float(flat[d].values[i]):g}" for d in dims) + ")"
                    for i in range(flat.sizes["point"])]
    report.figures["pareto"] = F.pareto_figure(np.asarray(flat["total_cost"].values, np.float64), risks, reference,
                                               cost_unit=cost_unit, caption=caption, labels=point_labels,
                                               label_key=", ".join(dims), intervals=intervals)
    sections = [_figure_md("pareto", "Cost–risk Pareto front (points labelled with their lever values)")]
    if table.attrs.get("design") == "grid":
        lever_units = {d: table[d].attrs.get("units", "") for d in dims}
        try:
            F.response_levels(table, dims, response_fixed)
        except ValueError as exc:  # a held lever that the sweep does not have
            raise ReportError(str(exc)) from None
        report.figures["response"] = F.response_figure(table, "expected_shortage_days_total", dims, caption=caption,
                                                       lever_units=lever_units, fixed=response_fixed)
        levels, source = F.response_levels(table, dims, response_fixed)
        held = "; ".join(f"{d} = {v:g}" for d, v in levels.items())
        sections.append(_figure_md("response", "Expected shortage days along the sweep"
                                   + (f" (other levers held at {held}, {source})" if levels else "")))
    labels = [", ".join(f"{d} = {float(flat[d].values[i]):g}" for d in dims) for i in range(flat.sizes["point"])]
    plain = flat.reset_index("point", drop=True) if table.attrs.get("design") == "grid" else flat
    ranked = plain.drop_vars([d for d in [*dims, "point", "mix"] if d in plain.coords]).rename({"point": "policy"})
    top = ranked.isel(policy=np.argsort(ranked["rank"].values)[:20])
    top_labels = [labels[i] for i in np.argsort(ranked["rank"].values)[:20]]
    sections.append("## Cost-effectiveness ranking (best 20)\n\n" + ranking_table(top, top_labels) + "\n")
    return sections


# ----------------------------------------------------------------------------- attribution

def _attribution_section(attribution: xr.Dataset, caption: str, report: Report) -> list[str]:
    from simcore.analysis.shapley import format_attribution

    metrics = [m for m in ("expected_shortage_days_total", "p_any_shortage", "cvar95_value_added_loss",
                           "expected_peak_price_change") if m in attribution]
    report.figures["shapley"] = F.shapley_figure(attribution, metrics, caption=caption)
    sections = [_figure_md("shapley", "Pillar effects: Shapley split")]
    if "expected_shortage_days_total_interaction_order" in attribution:  # exact attributions only
        report.figures["waterfall"] = waterfall_figure(attribution, "expected_shortage_days_total", caption=caption)
        sections.append(_figure_md("waterfall", "From no policy to all pillars, with the interactions"))
    return sections + [format_attribution(attribution) + "\n"]


# ----------------------------------------------------------------------------- optimisation, sensitivities

def _optimize_report(root: xr.Dataset, caption: str, report: Report) -> list[str]:
    result = root.load()
    report.figures["optimize"] = F.optimize_figure(result, caption=caption)
    cost_unit = result["budget"].attrs.get("units", "")
    io_unit = result["optax_test_mean_loss"].attrs.get("units", "")
    search = result.attrs.get("search", "search")
    lines = [f"Optax (Adam on the smoothed engine, {result.attrs.get('steps')} steps, "
             f"{result.attrs.get('train_scenarios')} training scenarios, temperature "
             f"{result.attrs.get('temperature')}) against the best of a {search} search with the same number of "
             f"exact evaluations; both evaluated on the exact engine on {result.attrs.get('test_scenarios')} fresh "
             f"scenarios. Loss: expected value-added loss [{io_unit}] ± standard error; difference paired.", "",
             f"| budget [{cost_unit}] | optax levels | optax loss | {search} levels | {search} loss | "
             "optax − search | at least as good (≤ 2 SE) |", "|---:|---|---:|---|---:|---:|:-:|"]
    levers = [str(v) for v in result["lever"].values]
    for b in range(result.sizes["budget"]):
        row = result.isel(budget=b)
        opt = ", ".join(f"{n} = {v:.3g}" for n, v in zip(levers, row["optax_levels"].values))
        sea = ", ".join(f"{n} = {v:.3g}" for n, v in zip(levers, row["search_levels"].values))
        lines.append(f"| {float(row['budget']):.4g} | {opt} | {float(row['optax_test_mean_loss']):.4g} ± "
                     f"{float(row['optax_test_se']):.2g} | {sea} | {float(row['search_test_mean_loss']):.4g} ± "
                     f"{float(row['search_test_se']):.2g} | {float(row['difference_mean_loss']):.3g} ± "
                     f"{float(row['difference_se']):.2g} | "
                     f"{'yes' if bool(row['optax_at_least_as_good']) else 'NO'} |")
    worse = int((~np.asarray(result["optax_at_least_as_good"].values, bool)).sum())
    if worse:
        report.notes.append(f"the optax answer is NOT as good as the {search} search (beyond 2 standard errors) "
                            f"at {worse} of {result.sizes['budget']} budgets")
    return [_figure_md("optimize", "Optimised mixes: cost against risk (Pareto front over the budgets)"),
            "## Optimisation against the search\n\n" + "\n".join(lines) + "\n"]


def _sobol_section(sobol: xr.Dataset, caption: str, report: Report) -> list[str]:
    from simcore.analysis.sobol import format_sobol
    from simcore.report.sobol import sobol_figure

    report.figures["sobol"] = sobol_figure(sobol, caption=caption)
    return [_figure_md("sobol", "Global sensitivity: Sobol indices of the data uncertainty"), format_sobol(sobol) + "\n"]


def _sensitivity_section(sensitivity: xr.Dataset, caption: str, report: Report) -> list[str]:
    """The tornado over each model-file number's own range, the elasticities with the
    method used for each, and their table (:mod:`simcore.report.sensitivity`); a note for
    a group written before the method was recorded."""
    from simcore.analysis.sensitivity import format_sensitivities
    from simcore.report.sensitivity import elasticity_figure, tornado_figure

    if "method" not in sensitivity or "tornado_low" not in sensitivity:
        report.notes.append("the sensitivity group was written by an earlier version (no method, no ranges): "
                            "run simcore sensitivity again to draw it")
        return []
    metrics = [str(m) for m in sensitivity["metric"].values]
    report.figures["tornado"] = tornado_figure(sensitivity, metrics, caption=caption)
    report.figures["elasticities"] = elasticity_figure(sensitivity, metrics, caption=caption)
    return [_figure_md("tornado", "Sensitivity tornado: each model-file number over its own uncertainty range"),
            _figure_md("elasticities", "Elasticities, gradient where it agrees with finite differences"),
            format_sensitivities(sensitivity) + "\n"]


def parse_hold(items) -> dict:
    """``["LEVER=VALUE", ...]`` (``simcore report --hold``) as ``{lever: float}``; raises
    ReportError naming every item that is not ``NAME=NUMBER``."""
    hold, bad = {}, []
    for item in items or []:
        name, sep, value = str(item).rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            hold[name] = float(value)
        except ValueError:
            bad.append(item)
    if bad:
        raise ReportError(f"--hold takes LEVER=NUMBER (a lever of the sweep, e.g. repair_spare=0.3); got "
                          f"{', '.join(repr(b) for b in bad)}")
    return hold


def main_report(store, out=None, hold=None) -> int:
    """CLI entry: write the report of ``store`` (a path or an fsspec URL; into ``out``;
    ``hold``: ``LEVER=VALUE`` strings, where a sweep's response figure holds the levers it
    does not show); 0 on success, 2 on a bad store or a bad ``hold``."""
    try:
        report = write_report(store, out, hold=parse_hold(hold))
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:  # a store of a newer format
        print(exc.for_terminal(), file=sys.stderr)
        return 2
    print(f"wrote {report.index} ({len(report.files)} figures)")
    return 0

