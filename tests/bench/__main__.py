"""``python -m tests.bench``: run the benchmark suite (see ``run``)."""

import sys

from .run import main

sys.exit(main())
