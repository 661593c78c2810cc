"""The Japan critical-minerals reference model, built from ``models/data/``; the entry
point is ``models/build_japan.py`` (``--check`` compares the committed files with a fresh
build). One idea per module:

* ``base``: paths, origins, unit constants, :class:`BuildError`
* ``sourced``: the value types (Sourced, Distributed, Labelled, Assumption) and number formats
* ``assumptions``: the assumptions table, ``A()`` / ``U()``
* ``hidden_links``: the hidden-supplier links (tier 3 and below)
* ``uncertainty``: which assumptions are drawn per scenario; ``make_uncertain``
* ``checks``: refusals of numbers without a qualifying source and of bad shares
* ``data``: readers of the CSV rows of ``models/data/``
* ``products/``: one builder per product family, and ``build_products``
* ``market``, ``front_loading``, ``calibration``: the world-market fields of each material
* ``importers``, ``segments``, ``io_table``: the other importers, the magnet user segments, the IO table
* ``model``: the whole model tree; ``render``: the tree as TOML
* ``command``: the command line of a build script (write, or ``--check`` the committed files)
* ``policy``, ``fill``, ``timeline``, ``outlook``: the two run configs, whose text lives in
  ``templates/*.toml.in``
"""
