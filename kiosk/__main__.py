"""``python -m kiosk``: the same command line as the ``kiosk`` script."""

import sys

from .cli import main

sys.exit(main())
