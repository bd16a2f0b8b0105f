"""A local, Twilio-compatible API 2010-04-01 server: the embedded default.

    from twiliorm.sandbox import Sandbox

    with Sandbox() as sb:
        client = sb.client()
        Message.objects.using(client).create(to="+15558675310", from_="+15017122661", body="hi")

It answers every declared resource from the declarations themselves
(:mod:`twiliorm.sandbox.generic`), with Twilio's behaviour where a resource
has its own (:mod:`twiliorm.sandbox.behaviours`): magic numbers, lifecycles,
status callbacks, an inventory of numbers, conferences, queues, recordings,
notifications, usage records, sub-accounts.

For tests that need to pick an outcome or watch each step:

- ``MESSAGE_OUTCOMES`` and ``CALL_OUTCOMES`` are the sandbox-reserved ``To``
  numbers that make a message undelivered or failed, a call busy, unanswered
  or failed (see :mod:`twiliorm.sandbox.behaviours.outcomes`);
- ``Sandbox(clock=Clock(frozen=True), settings=Settings(message_delays=(1, 1, 1)))``
  stops time, and ``sandbox.advance(seconds)`` moves it and runs what fell due;
- ``sandbox.callbacks`` lists the status callbacks sent (signed, from a
  background thread), ``sandbox.wait_for_callbacks()`` waits for them;
- ``Sandbox(records=100)`` starts with 100 made-up messages and 100 calls
  (``sandbox.populate(messages, calls)`` later; :mod:`twiliorm.sandbox.populate`);
- ``Sandbox(faults="429=0.1:2,reset=0.01", fault_seed=7)`` misbehaves
  reproducibly (:mod:`twiliorm.sandbox.faults`), ``concurrency_limit=K``
  answers 429 / 20429 above K requests in flight per account, and
  ``sandbox.requests`` logs what each request got.
"""

from __future__ import annotations

from .app import App, Settings
from .behaviours.outcomes import CALL_OUTCOMES, MESSAGE_OUTCOMES
from .clock import Clock
from .embedded import Sandbox
from .faults import Faults

__all__ = ["CALL_OUTCOMES", "MESSAGE_OUTCOMES", "App", "Clock", "Faults", "Sandbox", "Settings"]
