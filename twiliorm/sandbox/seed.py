"""Deprecated: this module is now :mod:`twiliorm.sandbox.populate`.

``seed_messages`` and ``seed_calls`` are ``populate_messages`` and
``populate_calls``; importing this module warns (``DeprecationWarning``). In
the sandbox, "seed" now means a random seed only.
"""

from __future__ import annotations

import warnings

from .populate import populate_calls as seed_calls
from .populate import populate_messages as seed_messages

__all__ = ["seed_calls", "seed_messages"]

warnings.warn(
    "twiliorm.sandbox.seed is now twiliorm.sandbox.populate "
    "(seed_messages -> populate_messages, seed_calls -> populate_calls)",
    DeprecationWarning,
    stacklevel=2,
)
