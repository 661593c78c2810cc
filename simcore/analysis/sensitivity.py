"""Gradient sensitivities of expected metrics to model parameters, as elasticities.

For a policy mix and a set of scenarios (common random numbers), the expected metrics
``m`` (:data:`SENSITIVITY_METRICS`) are differentiated with respect to model
parameters ``theta`` through the smoothed engine (:func:`simcore.core.engine.simulate_smooth`)
and reported as elasticities ``d ln m / d ln theta``: every parameter is written
``theta = theta_0 exp(lambda)`` and the gradient is taken in ``lambda`` at 0
(reverse mode, one backward pass per metric), divided by the smoothed metric.

Each elasticity is checked against a central finite difference on the *exact* engine,
``(m(theta_0 e^h) - m(theta_0 e^-h)) / (2 h m(theta_0))`` on the same scenarios.

Parameters (:data:`PARAMETER_GROUPS`), one per product unless stated:

* ``inventory_days``: the private inventory target (days of demand);
* ``price_elasticity`` / ``world_price_elasticity``: the domestic scarcity and import
  price curves. Prices do not feed back on quantities in the model, so their
  elasticities of shortage days and value-added loss are 0 by construction; they move
  the price metric;
* ``import_share``: the share of primary supply from one origin, per (product, origin)
  with a non-zero share; the other origins and the domestic share are left as they are
  (a first-order change of exposure to that origin). Policy rows left at the model's
  shares follow it (as for drawn parameters);
* ``exposure``: the share of every using sector's output that depends on the product
  (the product's whole row).

Not covered: event hazards, durations and transit days. Onsets and durations act in
whole days (a step in the day they reach), so the pathwise derivative is zero almost
everywhere; their sensitivity would need a likelihood-ratio estimator.

Run with ``simcore sensitivity CONFIG [--policy NAME] [--scenarios N] [--store STORE]``
(:func:`sensitivity_file`), which writes group ``sensitivity`` into a store that
``simcore report`` draws as a tornado chart.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from simcore.core.compile import engine_jit
from simcore.core.engine import simulate_batch, simulate_smooth
from simcore.core.model import Model, Policy

PARAMETER_GROUPS = ("inventory_days", "price_elasticity", "world_price_elasticity", "import_share", "exposure")
# name -> (description, units)
SENSITIVITY_METRICS = {
    "expected_shortage_days_total": ("expected shortage days over the horizon, summed over products", "days"),
    "expected_value_added_loss": ("expected value-added loss over the horizon (all sectors)", "IO value unit"),
    "expected_peak_price_change": ("expected peak user price change, summed over products", "1"),
}
DEFAULT_TEMPERATURE = 0.02
DEFAULT_FD_STEP = 0.1  # relative step h of the central differences (ln theta +- h)


@dataclass(frozen=True)
class Parameter:
    """One differentiable parameter: ``field`` of the Model, elements ``mask`` (scaled together)."""

    name: str  # e.g. "inventory_days.gallium", "import_share.gallium.CN"
    field: str
    mask: np.ndarray  # bool, the field's shape


def parameters(model: Model, products: list[str], origins: list[str], sectors: list[str] | None = None,
               groups=PARAMETER_GROUPS) -> list[Parameter]:
    """The parameters of ``groups`` that are present (non-zero) in ``model``."""
    out = []
    n_products = len(products)
    for group in groups:
        value = np.asarray(getattr(model, group))
        if group == "import_share":
            for p in range(n_products):
                for o in range(len(origins)):
                    if value[p, o] > 0:
                        mask = np.zeros(value.shape, bool)
                        mask[p, o] = True
                        out.append(Parameter(f"import_share.{products[p]}.{origins[o]}", group, mask))
            continue
        for p in range(n_products):
            mask = np.zeros(value.shape, bool)
            mask[p] = True
            if np.any(value[mask] > 0):
                out.append(Parameter(f"{group}.{products[p]}", group, mask))
    return out


def masks_by_field(params: list[Parameter]) -> dict[str, np.ndarray]:
    """``{field: [n, *shape] float}``: parameter ``j``'s elements of each field (0 elsewhere)."""
    out = {}
    for j, param in enumerate(params):
        if param.field not in out:
            out[param.field] = np.zeros((len(params),) + param.mask.shape, np.float32)
        out[param.field][j] = param.mask
    return out


def perturbed(model: Model, policy: Policy, masks: dict, log_factors) -> tuple[Model, Policy]:
    """``model`` with parameter ``j`` scaled by ``exp(log_factors[j])`` (traceable; ``masks``
    from :func:`masks_by_field`), and ``policy`` (one mix, unbatched) with its import rows
    that equal the model's following."""
    factors = {field: jnp.exp(jnp.tensordot(log_factors, jnp.asarray(mask), axes=1)) for field, mask in masks.items()}
    new = model._replace(**{field: getattr(model, field) * f for field, f in factors.items()})
    if "import_share" in factors:
        unchanged = jnp.all(policy.import_share == model.import_share, axis=-1, keepdims=True)
        policy = policy._replace(import_share=jnp.where(unchanged, new.import_share, policy.import_share))
    return new, policy


def expected_metrics(metrics) -> jnp.ndarray:
    """``[3]`` expected metrics of :data:`SENSITIVITY_METRICS` from engine metrics ``[1, N, ...]``."""
    return jnp.stack([
        jnp.mean(jnp.sum(metrics.shortage_days.astype(jnp.float32), axis=-1)),
        jnp.mean(jnp.sum(metrics.value_added_loss, axis=-1)),
        jnp.mean(jnp.sum(metrics.peak_price_change, axis=-1)),
    ])


def _one(policy: Policy) -> Policy:
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x)[None], policy)


@functools.partial(engine_jit, static_argnames=("horizon",))
def smooth_values_and_jacobian(model, policy, events, base_key, index, masks, temperature, horizon):
    """Smoothed expected metrics ``[K]`` and their Jacobian ``[K, n]`` in ``ln theta``
    (compiled once per shape; ``temperature`` is traced)."""

    def f(log_factors):
        m, p = perturbed(model, policy, masks, log_factors)
        metrics, _ = simulate_smooth(m, _one(p), events, base_key, index, horizon=horizon, temperature=temperature)
        return expected_metrics(metrics)

    n = next(iter(masks.values())).shape[0]
    zero = jnp.zeros(n, jnp.float32)
    return f(zero), jax.jacrev(f)(zero)


@functools.partial(engine_jit, static_argnames=("horizon",))
def exact_values(model, policy, events, base_key, index, masks, log_factors, horizon):
    """Exact expected metrics ``[R, K]`` at ``R`` rows of ``log_factors`` ``[R, n]`` (one
    compiled function for all finite-difference points)."""

    def one(row):
        m, p = perturbed(model, policy, masks, row)
        metrics, _ = simulate_batch(m, _one(p), events, base_key, index, horizon=horizon)
        return expected_metrics(metrics)

    return jax.vmap(one)(log_factors)


def sensitivities(model: Model, policy: Policy, events, *, products, origins, seed: int = 0, n_scenarios: int = 200,
                  start: int = 0, horizon: int = 365, temperature: float = DEFAULT_TEMPERATURE,
                  fd_step: float | None = DEFAULT_FD_STEP, groups=PARAMETER_GROUPS) -> xr.Dataset:
    """Elasticities of the expected metrics to the model parameters (module doc).

    Returns a dataset ``(metric, parameter)``: ``elasticity`` (gradient of the smoothed
    engine), ``elasticity_fd`` (central differences of the exact engine; NaN without
    ``fd_step``), and per metric ``value_exact`` / ``value_smooth``. The exact engine is
    run ``2 n + 1`` times for ``n`` parameters.
    """
    base_key = jax.random.PRNGKey(seed)
    index = jnp.arange(start, start + n_scenarios, dtype=jnp.uint32)
    params = parameters(model, products, origins, groups=groups)
    if not params:
        raise ValueError("no parameters to differentiate (all zero in the model)")
    masks = masks_by_field(params)
    smooth_value, jac = smooth_values_and_jacobian(model, policy, events, base_key, index, masks,
                                                   jnp.float32(temperature), horizon=horizon)
    smooth_value, jac = np.asarray(smooth_value, np.float64), np.asarray(jac, np.float64)
    n = len(params)
    rows = np.zeros((1 + 2 * n, n), np.float32)  # the centre, then +h and -h per parameter
    if fd_step:
        rows[1:1 + n] = np.eye(n) * fd_step
        rows[1 + n:] = -np.eye(n) * fd_step
    values = np.asarray(exact_values(model, policy, events, base_key, index, masks,
                                     jnp.asarray(rows if fd_step else rows[:1]), horizon=horizon), np.float64)
    exact = values[0]
    with np.errstate(all="ignore"):
        elasticity = np.where(smooth_value[:, None] != 0, jac / smooth_value[:, None], np.nan)
        fd = np.full_like(elasticity, np.nan)
        if fd_step:
            diff = (values[1:1 + n] - values[1 + n:]).T  # [K, n]
            fd = np.where(exact[:, None] != 0, diff / (2.0 * fd_step * exact[:, None]), np.nan)
    names = list(SENSITIVITY_METRICS)
    ds = xr.Dataset(
        {
            "elasticity": (("metric", "parameter"), elasticity,
                           {"units": "1", "description": "d ln metric / d ln parameter, smoothed engine gradient"}),
            "elasticity_fd": (("metric", "parameter"), fd,
                              {"units": "1", "description": "d ln metric / d ln parameter, central finite "
                                                           "difference of the exact engine"}),
            "value_exact": (("metric",), exact, {"description": "expected metric, exact engine"}),
            "value_smooth": (("metric",), smooth_value, {"description": "expected metric, smoothed engine"}),
            "parameter_group": (("parameter",), np.array([p.field for p in params]), {}),
        },
        coords={"metric": names, "parameter": [p.name for p in params]},
    )
    ds["metric_units"] = ("metric", [SENSITIVITY_METRICS[m][1] for m in names])
    ds.attrs.update({"kind": "sensitivity", "temperature": float(temperature), "fd_step": float(fd_step or 0.0),
                     "n_scenarios": int(n_scenarios), "scenario_start": int(start), "seed": int(seed),
                     "horizon_days": int(horizon)})
    return ds


def config_sensitivities(config, policy_name: str = "no-policy", *, n_scenarios: int | None = None,
                         start: int = 0, temperature: float = DEFAULT_TEMPERATURE,
                         fd_step: float | None = DEFAULT_FD_STEP, groups=PARAMETER_GROUPS) -> xr.Dataset:
    """:func:`sensitivities` for a run config's model, events and policy ``policy_name``."""
    named = {p.name: p.policy for p in config.policies}
    if policy_name not in named:
        raise ValueError(f"unknown policy {policy_name!r}; allowed: {', '.join(named)}")
    loaded = config.loaded
    model = loaded.model._replace(uncertainty=None)  # central values: the gradient is of the central model
    ds = sensitivities(model, named[policy_name], config.events, products=loaded.products, origins=loaded.origins,
                       seed=config.seed, n_scenarios=int(n_scenarios or config.scenarios), start=start,
                       horizon=config.horizon_days, temperature=temperature, fd_step=fd_step, groups=groups)
    ds["metric_units"] = ("metric", [loaded.io_value_unit if u == "IO value unit" else u
                                     for u in ds["metric_units"].values])
    ds.attrs.update({"model": loaded.name, "config": str(config.path or ""), "policy": policy_name})
    return ds


def agreement(ds: xr.Dataset, metric: str) -> np.ndarray:
    """``|elasticity - elasticity_fd|`` per parameter for one metric."""
    return np.abs(ds["elasticity"].sel(metric=metric).values - ds["elasticity_fd"].sel(metric=metric).values)


def format_sensitivities(ds: xr.Dataset, top: int = 12) -> str:
    """A Markdown table of the largest elasticities per metric, gradient and finite difference."""
    lines = [f"Elasticities d ln metric / d ln parameter (smoothed engine at temperature "
             f"{ds.attrs.get('temperature')}; "
             f"finite differences of the exact engine, step {ds.attrs.get('fd_step')} in ln parameter; "
             f"{ds.attrs.get('n_scenarios')} scenarios)", ""]
    for metric in ds["metric"].values:
        row = ds.sel(metric=metric)
        order = np.argsort(-np.nan_to_num(np.abs(row["elasticity"].values)))[:top]
        lines += [f"**{metric}** (exact {float(row['value_exact']):.4g}, smoothed {float(row['value_smooth']):.4g} "
                  f"{str(row['metric_units'].values)})", "",
                  "| parameter | elasticity (gradient) | elasticity (finite difference) |", "|---|---:|---:|"]
        for j in order:
            lines.append(f"| {ds['parameter'].values[j]} | {row['elasticity'].values[j]:.4g} | "
                         f"{row['elasticity_fd'].values[j]:.4g} |")
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
