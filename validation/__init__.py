"""Validation of the Japan model against historical episodes (issue 6).

``python -m validation`` runs every episode of :mod:`validation.episodes`, writes
``results/validation/results.json`` and the results table of ``docs/validation.md``.
The calibration arithmetic is in :mod:`validation.calibration`.
"""
