"""simcore: stochastic supply-disruption simulator (JAX input-output + inventory model).

The pure engine lives in :mod:`simcore.core`; this package adds model files, run
configs, chunked runs returning ``xarray`` datasets, a zarr store and the CLI.
"""

from simcore.config import BASELINE_POLICY, RunConfig, load_config, parse_config
from simcore.errors import InputError
from simcore.modelfile import LoadedModel, load_model, parse_model
from simcore.runner import (
    Simulation,
    daily_trajectories,
    iter_chunks,
    normal_times,
    pillar_effects,
    sample_scenarios,
    simulate,
    summarize,
)

__all__ = [
    "BASELINE_POLICY", "InputError", "LoadedModel", "RunConfig", "Simulation", "daily_trajectories",
    "iter_chunks", "load_config", "load_model", "normal_times", "parse_config", "parse_model",
    "pillar_effects", "sample_scenarios", "simulate", "summarize",
]
