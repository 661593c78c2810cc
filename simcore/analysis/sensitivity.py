"""Sensitivities of expected metrics to the numbers of the model file, as elasticities
that can be trusted: a gradient where it agrees with finite differences, else the
finite difference, and said so.

For a policy mix and a set of scenarios (common random numbers), the expected metrics
``m`` (:data:`SENSITIVITY_METRICS`) are differentiated with respect to each covered
number ``theta`` of the model file (:mod:`simcore.analysis.file_numbers`: one parameter
per number, named with the file's words, e.g. ``products.gallium.inventory_days``) and
reported as elasticities ``d ln m / d ln theta``.

Two estimates per (metric, number):

* **gradient**: ``theta = theta_0 exp(lambda)``, the derivative in ``lambda`` at 0 of the
  smoothed engine (:func:`simcore.core.engine.simulate_smooth`, reverse mode) divided by
  the smoothed metric;
* **finite difference**: the central difference of the *exact* engine on the same
  scenarios, ``(m(theta_0 e^h) - m(theta_0 e^-h)) / (2 h m(theta_0))``, at step ``h`` and
  at ``h / 2``. The exact engine is deterministic given the scenarios, so the only error
  of the difference (as an estimate of the slope of the same-scenario mean over the
  step) is its step error, estimated as ``|fd(h) - fd(h / 2)|`` (``fd_step_error``).

**Stated tolerance**: the gradient agrees when ``|gradient - fd(h)| <= ABSOLUTE_TOLERANCE
+ RELATIVE_TOLERANCE x |fd(h)|``. The reported ``elasticity`` is the gradient where it
agrees, else ``fd(h)`` (``method`` = ``"gradient"`` / ``"finite difference"``).

Why they may disagree (measured, docs/analysis.md): shortage days are a count, whose
pathwise derivative is zero almost everywhere (the relaxed gradient is biased at the
temperature used and goes to 0 with it); value-added loss per scenario is piecewise
linear in stocks and shares with kinks within a day of supply, so the gradient (the
slope at the centre) and a difference over +-h (a secant over the kinks) differ by more
than the tolerance when few scenarios carry the effect (the difference approaches the
gradient as ``h`` shrinks).

Covered numbers (per product and user segment, where non-zero): ``inventory_days``,
``price_elasticity``, ``world_price_elasticity`` (only where the file gives it: else
the one ``price_elasticity`` drives both), each ``import_share`` entry and each
``exposure`` entry. The domestic price curve does not feed back on quantities (its
elasticities of shortage days and value-added loss are 0); the world price elasticity can,
through the world market's demand response. Not covered: hazards,
durations and transit days (whole days: zero pathwise derivative).

The tornado (:mod:`simcore.analysis.tornado`) runs the exact engine at each number's
5th and 95th percentiles on the same scenarios, in the same compiled calls.

Run with ``simcore sensitivity CONFIG [--policy NAME] [--scenarios N] [--store STORE]``
(:func:`sensitivity_file`), which writes group ``sensitivity`` into a store that
``simcore report`` draws as a tornado chart.
"""

from __future__ import annotations

import functools
import sys

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from simcore.analysis.file_numbers import GROUPS, FileNumber, directions_by_field, file_numbers, shifted_model
from simcore.analysis.tornado import RANGE_PERCENTILES, range_shifts, tornado_variables
from simcore.core.compile import engine_jit
from simcore.core.engine import normal_time_markup, simulate_batch, simulate_smooth
from simcore.core.model import Model, Policy

PARAMETER_GROUPS = GROUPS
# name -> (description, units)
SENSITIVITY_METRICS = {
    "expected_shortage_days_total": ("expected shortage days over the horizon, summed over products", "days"),
    "expected_value_added_loss": ("expected value-added loss over the horizon (all sectors)", "IO value unit"),
    "expected_peak_price_change": ("expected peak user price change without the mix's normal-time markup, summed "
                                   "over products", "1"),
}
DEFAULT_TEMPERATURE = 0.02
DEFAULT_FD_STEP = 0.1  # relative step h of the central differences (ln theta +- h)
# the stated tolerance: |gradient - fd| <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE |fd| (elasticities)
RELATIVE_TOLERANCE = 0.10
ABSOLUTE_TOLERANCE = 0.01
GRADIENT, FINITE_DIFFERENCE = "gradient", "finite difference"
ROW_BLOCK = 16  # exact-engine points per compiled call (the last block padded)


def expected_metrics(metrics, markup=None) -> jnp.ndarray:
    """``[3]`` expected metrics of :data:`SENSITIVITY_METRICS` from engine metrics ``[1, N, ...]``.

    ``markup`` ``[P]``: the mix's normal-time markup (:func:`simcore.core.engine.normal_time_markup`);
    the peak is taken without it, ``(1 + peak) / (1 + markup) - 1`` as everywhere else
    (:mod:`simcore.analysis.markups`), so a premium the mix pays in normal times is not
    read as a crisis peak. The markup follows the shifted numbers (an import share moves
    the premium on the shifted volume), so its derivative is part of the elasticity."""
    peak = metrics.peak_price_change
    if markup is not None:
        peak = (1.0 + peak) / (1.0 + markup) - 1.0
    return jnp.stack([
        jnp.mean(jnp.sum(metrics.shortage_days.astype(jnp.float32), axis=-1)),
        jnp.mean(jnp.sum(metrics.value_added_loss, axis=-1)),
        jnp.mean(jnp.sum(peak, axis=-1)),
    ])


def _one(policy: Policy) -> Policy:
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x)[None], policy)


def shifted(model: Model, policy: Policy, directions: dict, shifts) -> tuple[Model, Policy]:
    """``model`` with number ``j`` moved by ``shifts[j]`` (file units, traceable;
    ``directions`` from :func:`~simcore.analysis.file_numbers.directions_by_field`), and
    ``policy`` (one mix, unbatched) with its import rows that equal the model's
    following (as for drawn parameters)."""
    new = shifted_model(model, directions, shifts)
    if "import_share" in directions:
        unchanged = jnp.all(policy.import_share == model.import_share, axis=-1, keepdims=True)
        policy = policy._replace(import_share=jnp.where(unchanged, new.import_share, policy.import_share))
    return new, policy


@functools.partial(engine_jit, static_argnames=("horizon",), program="sensitivity_smooth_jacobian")
def smooth_values_and_jacobian(model, policy, events, base_key, index, directions, centre, temperature, horizon):
    """Smoothed expected metrics ``[K]`` and their Jacobian ``[K, n]`` in ``ln theta``
    (``centre`` ``[n]``: the numbers' central values; compiled once per shape,
    ``temperature`` traced)."""

    def f(log_factors):
        m, p = shifted(model, policy, directions, centre * jnp.expm1(log_factors))
        metrics, _ = simulate_smooth(m, _one(p), events, base_key, index, horizon=horizon, temperature=temperature)
        return expected_metrics(metrics, normal_time_markup(m, p))

    zero = jnp.zeros(centre.shape[0], jnp.float32)
    return f(zero), jax.jacrev(f)(zero)


@functools.partial(engine_jit, static_argnames=("horizon",), program="sensitivity_exact_values")
def exact_values(model, policy, events, base_key, index, directions, shifts, horizon):
    """Exact expected metrics ``[R, K]`` at ``R`` rows of ``shifts`` ``[R, n]`` (file units)."""

    def one(row):
        m, p = shifted(model, policy, directions, row)
        metrics, _ = simulate_batch(m, _one(p), events, base_key, index, horizon=horizon)
        return expected_metrics(metrics, normal_time_markup(m, p))

    return jax.vmap(one)(shifts)


def exact_rows(model, policy, events, base_key, index, directions, shifts: np.ndarray, horizon: int,
               block: int = ROW_BLOCK) -> np.ndarray:
    """:func:`exact_values` ``[R, K]`` (float64) in blocks of ``block`` rows (one compile;
    the last block padded with the centre). Every row runs on the same scenarios."""
    shifts = np.asarray(shifts, np.float32)
    out = []
    for start in range(0, shifts.shape[0], block):
        rows = shifts[start:start + block]
        padded = np.zeros((block, shifts.shape[1]), np.float32)
        padded[:rows.shape[0]] = rows
        values = exact_values(model, policy, events, base_key, index, directions, jnp.asarray(padded),
                              horizon=horizon)
        out.append(np.asarray(values, np.float64)[:rows.shape[0]])
    return np.concatenate(out) if out else np.zeros((0, len(SENSITIVITY_METRICS)))


def fd_shifts(numbers: list[FileNumber], step: float) -> np.ndarray:
    """``[4 n, n]`` shifts (file units): ``theta_0 (e^{+-h} - 1)`` for ``h`` = ``step``
    then ``step / 2``: rows ``+h`` (n), ``-h`` (n), ``+h/2`` (n), ``-h/2`` (n)."""
    centre = np.array([number.value for number in numbers])
    eye = np.eye(len(numbers))
    return np.concatenate([eye * centre * np.expm1(s) for s in (step, -step, step / 2, -step / 2)])


def choose(gradient: np.ndarray, fd: np.ndarray, rel_tol: float = RELATIVE_TOLERANCE,
           abs_tol: float = ABSOLUTE_TOLERANCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(elasticity, method, agrees)``: the gradient where ``|gradient - fd| <= abs_tol +
    rel_tol |fd|`` (and both are finite), else the finite difference; ``method`` holds
    :data:`GRADIENT` / :data:`FINITE_DIFFERENCE`."""
    gradient, fd = np.asarray(gradient, np.float64), np.asarray(fd, np.float64)
    with np.errstate(invalid="ignore"):
        agrees = np.isfinite(gradient) & np.isfinite(fd) & (np.abs(gradient - fd) <= abs_tol + rel_tol * np.abs(fd))
    method = np.where(agrees, GRADIENT, FINITE_DIFFERENCE)
    return np.where(agrees, gradient, fd), method, agrees


def sensitivities(model: Model, policy: Policy, events, numbers: list[FileNumber], *, seed: int = 0,
                  n_scenarios: int = 200, start: int = 0, horizon: int = 365,
                  temperature: float = DEFAULT_TEMPERATURE, fd_step: float = DEFAULT_FD_STEP,
                  rel_tol: float = RELATIVE_TOLERANCE, abs_tol: float = ABSOLUTE_TOLERANCE,
                  percentiles=RANGE_PERCENTILES) -> xr.Dataset:
    """Elasticities of the expected metrics to the model-file ``numbers`` (module doc),
    and the tornado ranges, on scenarios ``start .. start + n_scenarios - 1``.

    Returns a dataset ``(metric, parameter)``: ``elasticity`` (the one to report),
    ``method``, ``agrees``, ``elasticity_gradient`` (smoothed engine),
    ``elasticity_fd`` (step ``h``), ``elasticity_fd_half`` (step ``h / 2``),
    ``fd_step_error`` (their difference), ``tolerance``, ``fd_unsettled`` (the step
    error above the tolerance: flagged in the table), the tornado variables of
    :func:`simcore.analysis.tornado.tornado_variables`; per metric ``value_exact`` /
    ``value_smooth``; per parameter ``parameter_group``, ``parameter_value`` and
    ``model_fields``. The exact engine runs ``1 + 4 n + 2 r`` times (``r`` numbers
    with a range), all on the same scenarios.
    """
    if not numbers:
        raise ValueError("no parameters to differentiate (no covered non-zero number in the model file)")
    if not fd_step or fd_step <= 0:
        raise ValueError(f"fd_step must be > 0, got {fd_step}")
    base_key = jax.random.PRNGKey(seed)
    index = jnp.arange(start, start + n_scenarios, dtype=jnp.uint32)
    directions = {f: jnp.asarray(d) for f, d in directions_by_field(numbers).items()}
    centre = np.array([number.value for number in numbers], np.float64)
    smooth_value, jac = smooth_values_and_jacobian(model, policy, events, base_key, index, directions,
                                                   jnp.asarray(centre, jnp.float32), jnp.float32(temperature),
                                                   horizon=horizon)
    smooth_value, jac = np.asarray(smooth_value, np.float64), np.asarray(jac, np.float64)
    n = len(numbers)
    tornado_rows, ranged = range_shifts(numbers, percentiles)
    rows = np.concatenate([np.zeros((1, n)), fd_shifts(numbers, fd_step), tornado_rows])
    values = exact_rows(model, policy, events, base_key, index, directions, rows, horizon)
    exact = values[0]
    fd_values = values[1:1 + 4 * n]
    with np.errstate(all="ignore"):
        gradient = np.where(smooth_value[:, None] != 0, jac / smooth_value[:, None], np.nan)
        scale = np.where(exact != 0, exact, np.nan)[:, None]
        fd = (fd_values[:n] - fd_values[n:2 * n]).T / (2.0 * fd_step * scale)
        fd_half = (fd_values[2 * n:3 * n] - fd_values[3 * n:]).T / (fd_step * scale)
        # a metric that is exactly 0 and does not move: elasticity 0 (nothing to explain)
        flat = (exact[:, None] == 0) & (fd_values[:n] == fd_values[n:2 * n]).T
        fd = np.where(flat, 0.0, fd)
        fd_half = np.where(flat, 0.0, fd_half)
    elasticity, method, agrees = choose(gradient, fd, rel_tol, abs_tol)
    names = list(SENSITIVITY_METRICS)
    tornado = tornado_variables(numbers, values[1 + 4 * n:], ranged, percentiles)
    ds = xr.Dataset(
        {
            "elasticity": (("metric", "parameter"), elasticity,
                           {"units": "1", "description": "d ln metric / d ln parameter: the gradient where it agrees "
                                                         "with the finite difference within the tolerance, else the "
                                                         "finite difference (see method)"}),
            "method": (("metric", "parameter"), method, {"description": f"{GRADIENT} | {FINITE_DIFFERENCE}"}),
            "agrees": (("metric", "parameter"), agrees,
                       {"description": "|gradient - fd| <= abs_tol + rel_tol |fd| (attrs)"}),
            "elasticity_gradient": (("metric", "parameter"), gradient,
                                    {"units": "1", "description": "d ln metric / d ln parameter, gradient of the "
                                                                  "smoothed engine"}),
            "elasticity_fd": (("metric", "parameter"), fd,
                              {"units": "1", "description": "central finite difference of the exact engine, step h "
                                                            "in ln parameter, same scenarios"}),
            "elasticity_fd_half": (("metric", "parameter"), fd_half,
                                   {"units": "1", "description": "the same at step h / 2"}),
            "fd_step_error": (("metric", "parameter"), np.abs(fd - fd_half),
                              {"units": "1", "description": "|fd(h) - fd(h / 2)|: the finite difference's step error"}),
            "tolerance": (("metric", "parameter"), abs_tol + rel_tol * np.abs(fd),
                          {"units": "1", "description": "abs_tol + rel_tol |fd|"}),
            "fd_unsettled": (("metric", "parameter"), np.abs(fd - fd_half) > abs_tol + rel_tol * np.abs(fd),
                             {"description": "the finite difference moves by more than the tolerance between steps "
                                             "h and h / 2: neither estimate is settled (more scenarios)"}),
            "value_exact": (("metric",), exact, {"description": "expected metric, exact engine, central numbers"}),
            "value_smooth": (("metric",), smooth_value, {"description": "expected metric, smoothed engine"}),
            "parameter_group": (("parameter",), np.array([p.group for p in numbers], dtype=str), {}),
            "parameter_value": (("parameter",), centre, {"units": "the model file's",
                                                         "description": "the number's central value"}),
            "model_fields": (("parameter",), np.array([" ".join(p.fields) for p in numbers], dtype=str),
                             {"description": "the Model fields the number fills"}),
            **tornado,
        },
        coords={"metric": names, "parameter": [p.name for p in numbers]},
    )
    ds["metric_units"] = ("metric", [SENSITIVITY_METRICS[m][1] for m in names])
    ds.attrs.update({"kind": "sensitivity", "temperature": float(temperature), "fd_step": float(fd_step),
                     "rel_tol": float(rel_tol), "abs_tol": float(abs_tol),
                     "range_percentiles": f"{percentiles[0]:g} {percentiles[1]:g}",
                     "n_scenarios": int(n_scenarios), "scenario_start": int(start), "seed": int(seed),
                     "horizon_days": int(horizon)})
    return ds


def config_sensitivities(config, policy_name: str = "no-policy", *, n_scenarios: int | None = None,
                         start: int = 0, temperature: float = DEFAULT_TEMPERATURE,
                         fd_step: float = DEFAULT_FD_STEP, rel_tol: float = RELATIVE_TOLERANCE,
                         abs_tol: float = ABSOLUTE_TOLERANCE, groups=PARAMETER_GROUPS) -> xr.Dataset:
    """:func:`sensitivities` for a run config's model file, events and policy
    ``policy_name``, at the model's central values (its distributions give the ranges)."""
    import time

    from simcore.schema.errors import Problems, read_toml

    named = {p.name: p.policy for p in config.policies}
    if policy_name not in named:
        raise ValueError(f"unknown policy {policy_name!r}; allowed: {', '.join(named)}")
    loaded = config.loaded
    if not loaded.path:
        raise ValueError("the run config's model has no file: sensitivities are taken to the numbers of a model file")
    problems = Problems(f"model file {loaded.path}")
    raw = read_toml(loaded.path, problems)
    problems.raise_if_any()
    numbers = file_numbers(raw, groups)
    model = loaded.model._replace(uncertainty=None)  # central values: the derivative is at the centre
    began = time.perf_counter()
    ds = sensitivities(model, named[policy_name], config.events, numbers, seed=config.seed,
                       n_scenarios=int(n_scenarios or config.scenarios), start=start, horizon=config.horizon_days,
                       temperature=temperature, fd_step=fd_step, rel_tol=rel_tol, abs_tol=abs_tol)
    ds["metric_units"] = ("metric", [loaded.io_value_unit if u == "IO value unit" else u
                                     for u in ds["metric_units"].values])
    ds.attrs.update({"model": loaded.name, "config": str(config.path or ""), "policy": policy_name,
                     "run_seconds": round(time.perf_counter() - began, 1)})
    return ds


def agreement(ds: xr.Dataset, metric: str) -> np.ndarray:
    """``|elasticity_gradient - elasticity_fd|`` per parameter for one metric."""
    return np.abs(ds["elasticity_gradient"].sel(metric=metric).values - ds["elasticity_fd"].sel(metric=metric).values)


def format_sensitivities(ds: xr.Dataset, top: int = 12) -> str:
    """A Markdown table per metric of the largest reported elasticities: the one used,
    its method, the gradient, the finite differences at ``h`` and ``h / 2``, and the
    tornado's range (the metric at the number's low and high percentile)."""
    percentiles = ds.attrs.get("range_percentiles", "5 95").split()
    lines = [f"Elasticities d ln metric / d ln (model-file number) on {ds.attrs.get('n_scenarios')} scenarios "
             f"(common random numbers). Gradient: smoothed engine at temperature {ds.attrs.get('temperature')}; "
             f"finite difference: exact engine, step h = {ds.attrs.get('fd_step')} in ln number (and h / 2). "
             f"The gradient is used where |gradient - fd| <= {ds.attrs.get('abs_tol')} + "
             f"{ds.attrs.get('rel_tol')} |fd|, otherwise the finite difference (column 'method'). "
             f"Range: the metric with the number at the {percentiles[0]}th and {percentiles[1]}th percentiles of its "
             "distribution in the model file.", ""]
    for metric in ds["metric"].values:
        row = ds.sel(metric=metric)
        order = np.argsort(-np.nan_to_num(np.abs(row["elasticity"].values)), kind="stable")[:top]
        used = row["method"].values
        lines += [f"**{metric}** (exact {float(row['value_exact']):.4g}, smoothed {float(row['value_smooth']):.4g} "
                  f"{str(row['metric_units'].values)}; gradient used for {int(np.sum(used == GRADIENT))} of "
                  f"{used.size} numbers, finite difference for {int(np.sum(used != GRADIENT))}; "
                  f"{int(np.sum(row['elasticity'].values != 0))} non-zero)", "",
                  "| model-file number | elasticity | method | gradient | fd (h) | fd (h/2) | range of the number "
                  "| metric over the range |", "|---|---:|---|---:|---:|---:|---|---|"]
        for j in order:
            if "tornado_low" in ds and np.isfinite(row["tornado_low"].values[j]):
                span = f"{float(ds['range_low'].values[j]):.4g} .. {float(ds['range_high'].values[j]):.4g}"
                effect = f"{row['tornado_low'].values[j]:.4g} .. {row['tornado_high'].values[j]:.4g}"
            else:
                span, effect = "no range in the model file", ""
            flag = " *" if "fd_unsettled" in ds and bool(row["fd_unsettled"].values[j]) else ""
            lines.append(f"| {ds['parameter'].values[j]} | {row['elasticity'].values[j]:.4g}{flag} | {used[j]} | "
                         f"{row['elasticity_gradient'].values[j]:.4g} | {row['elasticity_fd'].values[j]:.4g} | "
                         f"{row['elasticity_fd_half'].values[j]:.4g} | {span} | {effect} |")
        if "fd_unsettled" in ds and row["fd_unsettled"].values.any():
            lines += ["", f"\\* {int(row['fd_unsettled'].values.sum())} finite difference(s) of this metric move by "
                      "more than the tolerance between steps h and h / 2: not settled on these scenarios (run more)."]
        lines.append("")
    return "\n".join(lines)


def sensitivity_to_store(ds: xr.Dataset, store) -> None:
    """Write ``ds`` as group ``sensitivity`` of a zarr store (created if missing)."""
    from simcore.run.store import write_analysis_group

    write_analysis_group(ds, str(store), "sensitivity")


def sensitivity_file(path, policy_name: str = "no-policy", **options) -> xr.Dataset:
    """:func:`config_sensitivities` for the run config of file ``path`` (its analysis
    sections left out); ``options`` as there (``n_scenarios``, ``temperature``,
    ``fd_step``, ...). What ``simcore sensitivity`` runs."""
    from simcore.analysis.sweep import _config_without_analysis

    return config_sensitivities(_config_without_analysis(path), policy_name, **options)


if __name__ == "__main__":  # the command is simcore sensitivity (one parser: simcore.cli)
    sys.exit("run this as: simcore sensitivity CONFIG (simcore sensitivity --help)")
