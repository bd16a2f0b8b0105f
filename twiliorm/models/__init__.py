"""The models: the declarations of API 2010-04-01, one module per family of resources.

Each module only declares: fields with their API facts, class options, and
the few methods a resource has that no other has (``purchase()``,
``hangup()``, ``download()``). Verbs, paging and conversion live in the base.

A declaration reads in one order: related views (``call.recordings``), the
payload's fields in the order Twilio sends them (so ``to_api()`` and the
sandbox keep Twilio's key order), write-only parameters, search parameters,
then the resource's own methods. ``tests/test_conformance.py`` holds every
declaration to Twilio's OpenAPI contract.
"""

from __future__ import annotations

from .accounts import *  # noqa: F403
from .addresses import *  # noqa: F403
from .applications import *  # noqa: F403
from .available_numbers import *  # noqa: F403
from .caller_ids import *  # noqa: F403
from .calls import *  # noqa: F403
from .common import *  # noqa: F403
from .conferences import *  # noqa: F403
from .messages import *  # noqa: F403
from .notifications import *  # noqa: F403
from .phone_numbers import *  # noqa: F403
from .queues import *  # noqa: F403
from .recordings import *  # noqa: F403
from .short_codes import *  # noqa: F403
from .sip import *  # noqa: F403
from .usage import *  # noqa: F403
