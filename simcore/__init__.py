"""simcore: stochastic supply-disruption simulator (JAX input-output + inventory model).

The pure engine lives in :mod:`simcore.core`; this package adds model files, run
configs, chunked runs returning ``xarray`` datasets, a zarr store and the CLI.
"""

from simcore.schema.config import BASELINE_POLICY, RunConfig, load_config, parse_config
from simcore.schema.errors import InputError
from simcore.schema.modelfile import LoadedModel, load_model, parse_model
from simcore.run.runner import Simulation, daily_trajectories, iter_chunks, normal_times, sample_scenarios, simulate
from simcore.run.summary import pillar_effects, summarize

__all__ = [
    "BASELINE_POLICY", "InputError", "LoadedModel", "RunConfig", "Simulation", "daily_trajectories",
    "iter_chunks", "load_config", "load_model", "normal_times", "parse_config", "parse_model",
    "pillar_effects", "sample_scenarios", "simulate", "summarize",
]
