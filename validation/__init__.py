"""Validation of the Japan model against historical episodes (issue 16).

:mod:`validation.registry` is the pre-registration: observations, mappings and bands,
committed before any run. :mod:`validation.calibration` fits the world-market
parameters on the calibration episodes (rejection ABC); ``python -m validation``
(:mod:`validation.run`) runs every episode, prints the table with scores and writes
``docs/validation.md``'s results section.
"""
