"""Build Japan's reference universe for the chokepoint screen (issue 21, item 3) and its
US-like variant (item 4) from ``models/data/universe/`` on top of the Japan model.

    python models/build_universe.py            # write the two model files
    python models/build_universe.py --check    # exit 1 if the committed files are out of date

Outputs (generated, do not edit by hand):

* ``models/japan_universe.toml``: the 14 products of ``models/japan_critical_minerals.toml``
  unchanged (built by ``models/japan/``) + one product per mineral commodity of
  ``models/universe/commodities.py`` (USGS Mineral Commodity Summaries 2026 data release)
* ``models/us_universe.toml``: the same, with the import reliance of every USGS-backed mineral
  taken from the USGS U.S. net import reliance and its import origins from world production
  (the screen's validation against the published US ranking; the IO table stays Japan's)

Rule (as ``build_japan``): every number is ``data:``/``computed:`` citing a file of
``models/data/`` (or ``models/data/universe/``) or ``assumption:`` with a reason and a range;
the Japan build's checks refuse the build otherwise. The code is the package
``models/universe/``, which imports ``models/japan/`` rather than copying it.
"""

from __future__ import annotations

import sys
from pathlib import Path

_MODELS = str(Path(__file__).resolve().parent)
if _MODELS not in sys.path:
    sys.path.insert(0, _MODELS)

from japan import model as _japan_model  # noqa: E402
from japan.assumptions import ASSUMPTIONS  # noqa: E402
from japan.command import build_command  # noqa: E402
from japan.base import BuildError  # noqa: E402
from japan.checks import check_shares, validate_assumptions, validate_tree  # noqa: E402
from universe.assumptions import UNIVERSE_ASSUMPTIONS  # noqa: E402
from universe.base import UNIVERSE_MODEL_PATH, US_MODEL_PATH, japan_hooks  # noqa: E402
from universe.model import build_universe_model, render  # noqa: E402
from universe.us_variant import us_model  # noqa: E402


def build_models() -> tuple[dict, dict]:
    """(the universe tree, the US-like tree), validated. Raises BuildError."""
    japan = _japan_model.build_model(calibrated=True)
    with japan_hooks(UNIVERSE_ASSUMPTIONS):
        universe = build_universe_model(japan)
        us = us_model(universe)
        problems = validate_assumptions(ASSUMPTIONS)
        for tree in (universe, us):
            problems += validate_tree(tree) + check_shares(tree)
    if problems:
        raise BuildError("the universe has numbers without a qualifying source or bad shares:\n  - "
                         + "\n  - ".join(problems))
    return universe, us


def build() -> dict[Path, str]:
    universe, us = build_models()
    return {UNIVERSE_MODEL_PATH: render(universe, "Japan's reference universe for the chokepoint screen"),
            US_MODEL_PATH: render(us, "US-like variant of the universe (import reliance from the USGS U.S. net "
                                      "import reliance; for validating the screen against the published US ranking)")}


def main(argv=None) -> int:
    return build_command("build_universe", __doc__.split("\n")[0], build, argv)


if __name__ == "__main__":
    sys.exit(main())
