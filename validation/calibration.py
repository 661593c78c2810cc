"""Calibration of the world-market parameters by simulation-based inference (rejection
ABC) on the calibration episodes of :mod:`validation.registry`.

    .venv/bin/python -m validation.calibration            # 400 prior draws x 48 scenarios (about 5 min)
    options: --draws N --scenarios N --accept 0.1 --out models/data/market_calibration.csv

What is calibrated: four global factors that scale every material's world-market number
as the model file gives it (central values and ranges alike), so that the sourced
differences between materials stay and only their common level is learnt:

* ``stock``: ``world_stock_days`` (how much the world holds outside China);
* ``eta``: ``world_storage_elasticity`` (how fast the price climbs as stocks fall);
* ``short``: ``world_price_elasticity`` (short-run demand response);
* ``precaution``: ``world_precaution_days`` (the price move on an announcement).

Prior: each factor log-uniform on [1/3, 3] (independent), draws from a fixed key.
Simulator: the no-policy Japan model on every calibration episode (events as
registered), ``--scenarios`` scenarios per draw under common random numbers (every draw
sees the same scenarios). Distance: root mean square of ``ln(model median / observed)``
over the calibration observations. The ``--accept`` share of draws closest to the
observations is the posterior sample (rejection ABC with a quantile tolerance; Beaumont,
Zhang & Balding 2002; Sisson, Fan & Beaumont 2018). The posterior sample is written to
``models/data/market_calibration.csv``; ``models/build_japan.py`` turns it into the
model's distributions (the posterior, not a point, feeds the Monte Carlo).

Held-out episodes are never simulated here.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from validation.registry import episodes, observations
from validation.run import MODEL_PATH, ROOT, measure, run_episode  # noqa: F401

FACTORS = {"stock": "world_stock_days", "eta": "world_storage_elasticity", "short": "world_price_elasticity",
           "precaution": "world_precaution_days"}
PRIOR_LOW, PRIOR_HIGH = 1.0 / 3.0, 3.0
PRIOR_KEY = 16_2010
OUT = ROOT / "models" / "data" / "market_calibration.csv"


def scale_model(model, factors: dict[str, float]):
    """``model`` with each field of ``FACTORS`` multiplied by its factor, in the central
    values and in the distributions drawn per scenario (triangular and uniform bounds and
    mode, lognormal median)."""
    from simcore.core.uncertainty import LOGNORMAL

    changes = {}
    uncertainty = model.uncertainty
    draws = dict(uncertainty.draws) if uncertainty is not None else {}
    for name, value in factors.items():
        field = FACTORS[name]
        changes[field] = getattr(model, field) * value
        if field in draws:
            d = draws[field]
            draws[field] = d._replace(a=d.a * value, b=jnp.where(d.kind == LOGNORMAL, d.b, d.b * value),
                                      c=d.c * value)
    if uncertainty is not None:
        changes["uncertainty"] = uncertainty._replace(draws=draws)
    return model._replace(**changes)


def prior_draws(n: int) -> np.ndarray:
    """``[n, 4]`` factors, log-uniform on [1/3, 3], from a fixed key."""
    u = np.asarray(jax.random.uniform(jax.random.key(PRIOR_KEY), (n, len(FACTORS))), dtype=np.float64)
    return np.exp(np.log(PRIOR_LOW) + u * (np.log(PRIOR_HIGH) - np.log(PRIOR_LOW)))


def uncalibrated_model(folder: Path) -> Path:
    """The Japan model as its sources give it, before any calibrated factor
    (``models/build_japan.py`` with ``CALIBRATED = False``), written into ``folder``: the
    calibration scales these numbers, so a re-run does not compound its own factors."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_japan_for_calibration", ROOT / "models" / "build_japan.py")
    builder = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = builder  # dataclasses look their module up there
    spec.loader.exec_module(builder)
    builder.CALIBRATED = False
    path = folder / MODEL_PATH.name
    path.write_text(builder.build()[builder.MODEL_PATH], encoding="utf-8")
    return path


def calibration_episodes() -> dict:
    return {e.key: e for e in episodes() if e.role == "calibration"}


def calibrate(n_draws: int = 400, n_scenarios: int = 48, accept: float = 0.1, log=print,
              extra: list | None = None) -> dict:
    """Rejection ABC over the registered calibration observations and ``extra`` ones
    (monthly series given with ``--series``, :mod:`validation.series`)."""
    import tempfile

    from simcore import load_model

    with tempfile.TemporaryDirectory() as folder:
        loaded = load_model(uncalibrated_model(Path(folder)))
    eps = calibration_episodes()
    obs = [o for o in observations() if o.episode in eps] + list(extra or [])
    theta = prior_draws(n_draws)
    distance = np.zeros(n_draws)
    medians = np.zeros((n_draws, len(obs)))
    t0 = time.time()
    for k, row in enumerate(theta):
        model = scale_model(loaded.model, dict(zip(FACTORS, row)))
        runs = {key: run_episode(e, loaded, n_scenarios, model=model) for key, e in eps.items()}
        for j, o in enumerate(obs):
            medians[k, j] = float(np.median(measure(o, eps[o.episode], runs[o.episode], loaded)))
        logs = np.log(np.maximum(medians[k], 1e-9) / np.array([o.value for o in obs]))
        distance[k] = float(np.sqrt(np.mean(logs ** 2)))
        if (k + 1) % max(1, n_draws // 8) == 0:
            log(f"  {k + 1}/{n_draws} draws ({time.time() - t0:.0f} s), best distance {distance[:k + 1].min():.3f}")
    n_keep = max(2, int(round(accept * n_draws)))
    kept = np.argsort(distance)[:n_keep]
    return {"theta": theta, "distance": distance, "medians": medians, "kept": kept, "observations": obs,
            "n_scenarios": n_scenarios, "seconds": time.time() - t0}


def write_posterior(result: dict, path: Path = OUT) -> None:
    kept = set(result["kept"].tolist())
    source = ("computed: rejection ABC (validation/calibration.py) on the calibration observations of "
              "validation/registry.py (" + ", ".join(o.key for o in result["observations"]) + "); prior log-uniform "
              f"[1/3, 3] per factor; {result['n_scenarios']} scenarios per draw; accepted: the "
              f"{len(kept)} closest of {len(result['distance'])} draws")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["draw", *FACTORS, "distance", "accepted", "source"])
        for k, row in enumerate(result["theta"]):
            writer.writerow([k, *(f"{x:.6g}" for x in row), f"{result['distance'][k]:.6g}", int(k in kept), source])


def posterior_summary(path: Path = OUT) -> dict[str, tuple[float, float, float]]:
    """``{factor: (5 %, 50 %, 95 %)}`` of the accepted draws of a posterior file."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["accepted"] == "1"]
    return {name: tuple(float(v) for v in np.quantile([float(r[name]) for r in rows], [0.05, 0.5, 0.95]))
            for name in FACTORS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation.calibration", description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--scenarios", type=int, default=48)
    parser.add_argument("--accept", type=float, default=0.1)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--series", action="append", default=[], metavar="EPISODE:PRODUCT:FILE",
                        help="a monthly price series (CSV: month, value, source; every month from the first to the "
                             "last) of a calibration episode, as extra targets (validation/series.py); repeatable")
    args = parser.parse_args(argv)
    if args.draws < 4 or args.scenarios < 2 or not 0 < args.accept <= 1:
        print("--draws >= 4, --scenarios >= 2 and 0 < --accept <= 1", file=sys.stderr)
        return 2
    from simcore import load_model
    from simcore.schema.errors import InputError, error_text
    from validation.series import series_observations

    extra, errors = [], []
    if args.series:
        names = load_model(MODEL_PATH).product_names
        for argument in args.series:
            try:
                extra += series_observations(argument, calibration_episodes(), names)
            except InputError as exc:
                errors.append(error_text(exc))
    if errors:  # before anything is simulated or written
        print("\n".join(errors), file=sys.stderr)
        return 2
    result = calibrate(args.draws, args.scenarios, args.accept, extra=extra)
    write_posterior(result, Path(args.out))
    summary = posterior_summary(Path(args.out))
    for name, (lo, mid, hi) in summary.items():
        print(f"{name:>10}: median {mid:.3g}, 90% [{lo:.3g}, {hi:.3g}]")
    best = result["kept"][0]
    print("best draw:", dict(zip(FACTORS, np.round(result["theta"][best], 3))),
          f"distance {result['distance'][best]:.3f}; medians",
          dict(zip((o.key for o in result["observations"]), np.round(result["medians"][best], 3))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
