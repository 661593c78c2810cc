"""``python -m simcore.cli ARGS``: the ``simcore`` command."""

import sys

from simcore.cli import main

sys.exit(main())
