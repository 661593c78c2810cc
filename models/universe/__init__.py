"""The wider reference universe for Japan's chokepoint screen (issue 21, item 3), built from
``models/data/universe/`` on top of the Japan model; the entry point is
``models/build_universe.py``. It reuses ``models/japan/`` (value types, assumptions,
checks, the generic (calibrated) fields of its tungsten product, rendering) by import. One
idea per module:

* ``base``: paths, the universe's data files, :func:`japan_hooks` (the Japan checks and
  assumptions table widened to the universe's files and assumptions)
* ``data``: readers of ``models/data/universe/`` (commodities, world production by origin,
  Japan's lithium trade facts)
* ``assumptions``: the universe's own assumptions (reason and range each)
* ``commodities``: the commodity table (series, unit, price conversion, end-use tier)
* ``products``: one model product per commodity
* ``us_variant``: the US-like variant (import reliance from the USGS net import reliance)
"""
