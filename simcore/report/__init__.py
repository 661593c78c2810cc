"""Reports of results stores: figures and an index page next to the store.

``write_report(store)`` reads a run store (``simcore run``) or a sweep store
(:mod:`simcore.analysis.sweep`), at a local path or an fsspec URL, and writes PNG figures
and ``index.md`` into ``<store>.report/`` beside a local store, ``./<name>.report/`` in
the current folder for a store at a URL (or ``out_dir``):

* run stores: exceedance curves of shortage days per product and of the value-added
  loss per policy on a log probability axis with 90 % Wilson bands
  (:mod:`simcore.report.exceedance`), from the per-scenario arrays when the store kept
  them, else from the run's merged chunk statistics (and then per sector); pillar
  effects (each mix's risk reduction against no policy), the cost table and frontier
  and, when the store has an ``attribution`` group
  (:func:`simcore.analysis.shapley.attribution_to_store`), their Shapley split and the
  waterfall; small multiples (element x policy) of stocks, user prices and sector output
  over the days: the median and range of the daily-kept scenarios (group ``daily``),
  labelled as such;
* sweep stores: the cost–risk Pareto front with every point labelled by its lever values
  and its 90 % interval, the response along the first two levers with the others held at
  the base mix's levels (or ``hold``), named in the title, and the ranking table;
* optimisation stores (:mod:`simcore.analysis.optimize`): the cost–risk front of the
  optimised mixes across budgets against the search, and the comparison table;
* any store with a ``sensitivity`` group (:mod:`simcore.analysis.sensitivity`): the
  tornado over each model-file number's own uncertainty range (5th-95th percentile of
  its distribution; numbers without one are named, not drawn), the elasticities with
  the method that gave each (gradient or finite difference) and their table
  (:mod:`simcore.report.sensitivity`).

Every axis names its unit, read from the store's ``units`` attributes (a store of an
earlier format carries placeholders such as ``"IO value unit"``: they are resolved with
the store's own model units, :class:`simcore.run.conventions.Units`); every figure's
caption gives model, config, scenario count and seed, wrapped to the figure's width
(:mod:`simcore.report.caption`). :func:`main_report` is the CLI
entry (``simcore report STORE``).

The work is done in :mod:`simcore.report.build`; this module re-exports its public names.
"""

from simcore.report.build import (  # noqa: F401  (re-exported; _sobol_section: tests)
    Report,
    ReportError,
    _sobol_section,
    main_report,
    write_report,
)

__all__ = ["Report", "ReportError", "main_report", "write_report"]
