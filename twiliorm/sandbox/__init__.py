"""A local, Twilio-compatible API 2010-04-01 server: the embedded default.

    from twiliorm.sandbox import Sandbox

    with Sandbox() as sb:
        client = sb.client()
        Message.objects.using(client).create(to="+15558675310", from_="+15017122661", body="hi")

It answers every declared resource from the declarations themselves
(:mod:`twiliorm.sandbox.generic`), with Twilio's behaviour where a resource
has its own (:mod:`twiliorm.sandbox.behaviours`): magic numbers, lifecycles,
an inventory of numbers, conferences, queues, sub-accounts.
"""

from __future__ import annotations

from .app import App, Settings
from .behaviours.outcomes import CALL_OUTCOMES, MESSAGE_OUTCOMES
from .clock import Clock
from .faults import Faults
from .server import Sandbox

__all__ = ["CALL_OUTCOMES", "MESSAGE_OUTCOMES", "App", "Clock", "Faults", "Sandbox", "Settings"]
