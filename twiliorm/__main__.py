"""``python -m twiliorm``: the same as the ``twiliorm`` command."""

import sys

from .cli import main

sys.exit(main())
