"""Resource-specific sandbox behaviour; importing this package registers it all.

Every module of this package is imported, so a new family of behaviour is
one new module with ``@behaviour("Name")`` classes and nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
    __all__.append(_module)
