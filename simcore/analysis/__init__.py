"""Policy analysis on top of the runner: sweeps, Shapley attribution, costs.

* :mod:`simcore.analysis.levers`: lever paths (``stockpile.gov_stock_days.gallium``) and mixes;
* :mod:`simcore.analysis.evaluate`: many mixes on common random numbers, streamed;
* :mod:`simcore.analysis.sweep`: the ``[sweep]`` config section, grid / random designs;
* :mod:`simcore.analysis.shapley`: Shapley values and interactions of pillars or levers;
* :mod:`simcore.analysis.costs`: yearly cost of a mix and its cost-effectiveness.
* :mod:`simcore.analysis.optimize`: lever levels under a budget with optax (smoothed engine);
* :mod:`simcore.analysis.sensitivity`: elasticities to model parameters, checked by finite differences.
* :mod:`simcore.analysis.robustness`: regret, minimax regret and satisficing of the mixes across
  scenarios and parameter points (lanes run by :mod:`simcore.analysis.ensemble`; the streaming
  statistics in :mod:`simcore.analysis.regret_stats`);
* :mod:`simcore.analysis.discovery`: scenario discovery, PRIM boxes of when a mix fails.

See ``docs/analysis.md``.
"""
