"""Resource-specific sandbox behaviour; importing this package registers it all."""

from __future__ import annotations

from . import accounts, calls, conferences, messages, numbers, queues, recordings

__all__ = ["accounts", "calls", "conferences", "messages", "numbers", "queues", "recordings"]
