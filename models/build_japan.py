"""Build the Japan critical-minerals reference model (and its two run configs) from data.

    python models/build_japan.py            # write the model and the two configs
    python models/build_japan.py --check    # exit 1 if the committed files are out of date

Inputs: the CSV rows in ``models/data/`` (copied verbatim from the team's shared dataset,
each with its ``source`` column; see ``models/data/SOURCES.md``) and the ASSUMPTIONS table
(``models/japan/assumptions.py``, each with its reason and, where useful, a range).

Outputs (generated, do not edit by hand):

* ``models/japan_critical_minerals.toml``
* ``configs/japan_timeline.toml``  (2023-2025 control timeline replayed as given events)
* ``configs/japan_outlook.toml``   (three-year stochastic outlook with policy mixes)

Rule: every number written into the model is a :class:`Sourced` value whose ``source``
is either ``data: <file> ...`` / ``computed: ... <file> ...`` naming a file of
``models/data/`` or ``assumption: <reason>``. :func:`validate_tree` walks the model before
writing and the build FAILS (exit status 1, naming each number) if a number is bare or
its source does not qualify. :func:`validate_assumptions` checks the assumptions table
itself (a reason for each entry, the value inside its range).

Units: product quantities in each product's ``unit`` per day; prices in JPY million per
product unit (USD prices from ``prices.csv`` converted at the assumed exchange rate, see
``usd_jpy``), because the engine compares product spending with the IO table's sector
output, which is in JPY million per year.

The builder itself lives in the package ``models/japan/`` (one idea per module, listed in
its ``__init__``; the config texts are the templates in ``models/japan/templates/``). This
script is the entry point: the command line, the build with its checks, and the names
tests and ``validation/`` use (re-exported below). ``CALIBRATED`` is read at each call, so
setting it to False on this module gives the model before the calibrated market factors.
"""

from __future__ import annotations

import sys
from pathlib import Path

_MODELS = str(Path(__file__).resolve().parent)  # the japan package sits beside this script
if _MODELS not in sys.path:
    sys.path.insert(0, _MODELS)

from japan.command import build_command  # noqa: E402
from japan import model as _model, products as _products  # noqa: E402
from japan.base import MODEL_PATH, OUTLOOK_PATH, TIMELINE_PATH, BuildError  # noqa: E402
from japan.checks import check_shares, validate_assumptions, validate_hidden_links, validate_tree  # noqa: E402
from japan.outlook import render_outlook  # noqa: E402
from japan.render import render_model  # noqa: E402
from japan.timeline import render_timeline  # noqa: E402

# re-exported: the names tests/test_japan_model.py and validation/ use from this script
from japan.assumptions import ASSUMPTIONS, A, U  # noqa: E402,F401
from japan.calibration import CALIBRATED_FIELDS, calibration_posterior  # noqa: E402,F401
from japan.checks import source_problem  # noqa: E402,F401
from japan.data import mp  # noqa: E402,F401
from japan.hidden_links import HIDDEN_LINKS, NOT_MODELLED_LINKS, HiddenLink  # noqa: E402,F401
from japan.io_table import io_table  # noqa: E402,F401
from japan.market import MATERIALS  # noqa: E402,F401
from japan.segments import MAGNET_STOCK_TIERS  # noqa: E402,F401
from japan.sourced import Assumption, Distributed, Labelled, Sourced  # noqa: E402,F401

CALIBRATED = True  # False: the model as the sources give it (what the calibration itself scales)


def build_products() -> list[dict]:
    """The products, calibrated as ``CALIBRATED`` says."""
    return _products.build_products(calibrated=CALIBRATED)


def build_model() -> dict:
    """The whole model tree, calibrated as ``CALIBRATED`` says."""
    return _model.build_model(calibrated=CALIBRATED)


def build() -> dict[Path, str]:
    """Validate everything and return the generated files' texts. Raises BuildError."""
    problems = validate_assumptions(ASSUMPTIONS) + validate_hidden_links(HIDDEN_LINKS)
    model = build_model()
    problems += validate_tree(model)
    problems += check_shares(model)
    if problems:
        raise BuildError("the model has numbers without a qualifying source or bad shares:\n  - "
                         + "\n  - ".join(problems))
    return {MODEL_PATH: render_model(model), TIMELINE_PATH: render_timeline(model),
            OUTLOOK_PATH: render_outlook(model)}


def main(argv=None) -> int:
    return build_command("build_japan", __doc__.split("\n")[0], build, argv)


if __name__ == "__main__":
    sys.exit(main())
