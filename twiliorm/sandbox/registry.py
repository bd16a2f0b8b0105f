"""Every resource's behaviour: by resource name for routing, typed for the behaviours themselves.

The app builds one :class:`Behaviours` from the declared models. A route and
a stored event name their resource, so the app finds their behaviour by name
(it is a ``Mapping``: ``app.behaviours[ctx.resource]``). A behaviour that
works with another (a call joining a conference, a failed message leaving a
notification) reaches it as a typed attribute, ``self.app.behaviours.calls``,
so the type checker knows its methods and a misspelt name fails at once.
Each attribute is looked up the first time it is used: a sandbox built for a
few models has the behaviours of those only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from .behaviours.accounts import Accounts
from .behaviours.addons import AddOnResults, Extensions, Payloads
from .behaviours.applications import AuthorizedConnectApps, ConnectApps
from .behaviours.calls import Calls
from .behaviours.conferences import Conferences, Participants
from .behaviours.keys import Keys
from .behaviours.messages import Messages
from .behaviours.notifications import Notifications
from .behaviours.numbers import ShortCodes
from .behaviours.queues import Members, Queues
from .behaviours.recordings import Recordings, Transcriptions
from .behaviours.sip import Domains
from .behaviours.triggers import UsageTriggers
from .behaviours.usage import UsageRecords
from .generic import Behaviour

__all__ = ["Behaviours"]

_B = TypeVar("_B", bound=Behaviour)


class Behaviours(Mapping[str, Behaviour]):
    """The behaviours of a sandbox's resources (see the module docstring)."""

    def __init__(self, behaviours: Iterable[Behaviour]) -> None:
        self._by_resource = {behaviour.name: behaviour for behaviour in behaviours}

    def __getitem__(self, resource: str) -> Behaviour:
        return self._by_resource[resource]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_resource)

    def __len__(self) -> int:
        return len(self._by_resource)

    def _one(self, resource: str, cls: type[_B]) -> _B:
        found = self._by_resource.get(resource)
        if not isinstance(found, cls):
            raise LookupError(f"the sandbox has no {cls.__name__} behaviour for {resource}")
        return found

    # --- what behaviours use of each other (and tests and demos of the sandbox) ---------

    @functools.cached_property
    def accounts(self) -> Accounts:
        return self._one("Account", Accounts)

    @functools.cached_property
    def calls(self) -> Calls:
        return self._one("Call", Calls)

    @functools.cached_property
    def conferences(self) -> Conferences:
        return self._one("Conference", Conferences)

    @functools.cached_property
    def participants(self) -> Participants:
        return self._one("Participant", Participants)

    @functools.cached_property
    def queues(self) -> Queues:
        return self._one("Queue", Queues)

    @functools.cached_property
    def members(self) -> Members:
        return self._one("Member", Members)

    @functools.cached_property
    def messages(self) -> Messages:
        return self._one("Message", Messages)

    @functools.cached_property
    def media(self) -> Behaviour:
        return self._one("Media", Behaviour)

    @functools.cached_property
    def notifications(self) -> Notifications:
        return self._one("Notification", Notifications)

    @functools.cached_property
    def recordings(self) -> Recordings:
        return self._one("Recording", Recordings)

    @functools.cached_property
    def transcriptions(self) -> Transcriptions:
        return self._one("Transcription", Transcriptions)

    @functools.cached_property
    def caller_ids(self) -> Behaviour:
        return self._one("OutgoingCallerId", Behaviour)

    @functools.cached_property
    def short_codes(self) -> ShortCodes:
        return self._one("ShortCode", ShortCodes)

    @functools.cached_property
    def api_keys(self) -> Keys:
        return self._one("Key", Keys)

    @functools.cached_property
    def signing_keys(self) -> Behaviour:
        return self._one("SigningKey", Behaviour)

    @functools.cached_property
    def sip_domains(self) -> Domains:
        return self._one("SipDomain", Domains)

    @functools.cached_property
    def add_on_extensions(self) -> Extensions:
        return self._one("IncomingPhoneNumberAssignedAddOnExtension", Extensions)

    @functools.cached_property
    def add_on_results(self) -> AddOnResults:
        return self._one("RecordingAddOnResult", AddOnResults)

    @functools.cached_property
    def add_on_payloads(self) -> Payloads:
        return self._one("RecordingAddOnResultPayload", Payloads)

    @functools.cached_property
    def connect_apps(self) -> ConnectApps:
        return self._one("ConnectApp", ConnectApps)

    @functools.cached_property
    def authorized_connect_apps(self) -> AuthorizedConnectApps:
        return self._one("AuthorizedConnectApp", AuthorizedConnectApps)

    @functools.cached_property
    def usage_records(self) -> UsageRecords:
        return self._one("UsageRecord", UsageRecords)

    @functools.cached_property
    def usage_triggers(self) -> UsageTriggers:
        return self._one("UsageTrigger", UsageTriggers)
