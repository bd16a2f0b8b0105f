"""Testing an app built on twiliorm: a pytest plugin and assertions on what was sent.

With twiliorm installed, pytest has its fixtures (:mod:`twiliorm.testing.plugin`:
``twilio_sandbox``, ``twilio_client``, ``twilio_requests``, ``twilio_seed``...);
``docs/testing.rst`` ("Testing your app") walks through them. The pieces work
without pytest too:

- :class:`RequestRecorder` wraps a client's transport (and an async
  client's, :class:`AsyncRecordingTransport`) and keeps each request
  (:class:`SentRequest`) for ``assert_one("POST", "Messages", To=...)``,
  ``assert_none(...)`` and ``.calls`` (:mod:`twiliorm.testing.assertions`);
- :class:`twiliorm.testing.seeding.Seeder` puts numbers and conversations in a
  sandbox (imported from its module: it imports the sandbox, which this
  package does not, so that pytest starts fast).
"""

from __future__ import annotations

from .assertions import AsyncRecordingTransport, RequestRecorder, SentRequest

__all__ = ["AsyncRecordingTransport", "RequestRecorder", "SentRequest"]
