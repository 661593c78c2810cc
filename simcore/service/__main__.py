import sys

from simcore.service import main

sys.exit(main())
