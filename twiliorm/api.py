"""The tutorial's client: ``twiliorm.api.Client`` (a :class:`Connection`) and its list resources.

The library was first described (``docs/seed/twilio-api.rst``) as a client
with list resources hanging off it::

    from twiliorm import api

    conn = api.Client()                      # TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN
    n = conn.phone_numbers.search(area_code=530, contains="WOLF")[0].purchase()
    n.update(voice_url="http://example.com/twiml.xml")
    conn.sms.send(to=8995431234, from_=n.phone_number, body="Hello Monkey")
    for m in conn.sms.list(to=8995431234):
        print(m.body)

This module is that client, as a thin layer over the managers: every list
resource is a resource class's manager bound to one :class:`twiliorm.Client`
(and optionally one sub-account), and every instance it returns is the model
itself (a :class:`~twiliorm.Message`, an :class:`~twiliorm.Account`...), so
``update(**values)``, ``delete()``, ``uri`` and the fields behave as
everywhere else in twiliorm. Nothing here talks HTTP except through the
client and the querysets.

The tutorial's raw representations (``__json__()``, ``__xml__()``, ``__csv__()``,
``__html__()``) belong to its ``Resource``, the base of the list resources
here; an instance's are :func:`raw` (``raw(message, "xml")``). The models
have none of them: template engines call ``__html__`` on what they render,
and rendering a model must not send a request.
"""

from __future__ import annotations

import abc
import datetime as dt
import html
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from . import client as _client
from . import phones
from .constants import (
    BUSY,
    CANCELED,
    COMPLETED,
    DELETE,
    FAILED,
    GET,
    IN_PROGRESS,
    LOCAL,
    NO_ANSWER,
    POST,
    PUT,
    QUEUED,
    RINGING,
    TOLL_FREE,
)
from .exceptions import DecodeError, ValidationError
from .models import (
    Account,
    Application,
    AvailablePhoneNumber,
    Call,
    Conference,
    IncomingPhoneNumber,
    Message,
    Notification,
    OutgoingCallerId,
    Participant,
    Queue,
    Recording,
    Transcription,
    UsageRecord,
    UsageTrigger,
    ValidationRequest,
)
from .persistence import client_of, instance_path
from .query import PAGE_SIZE_MAX
from .queryset import QuerySet
from .resource import Resource as Model

__all__ = [
    "BUSY",
    "CANCELED",
    "COMPLETED",
    "DELETE",
    "FAILED",
    "GET",
    "IN_PROGRESS",
    "LOCAL",
    "NO_ANSWER",
    "POST",
    "PUT",
    "QUEUED",
    "RINGING",
    "TOLL_FREE",
    "CallerIds",
    "Client",
    "Connection",
    "ListResource",
    "Participants",
    "PhoneNumbers",
    "Recordings",
    "Resource",
    "SmsMessages",
    "Transcriptions",
    "Usage",
    "e164",
    "html_from_xml",
    "raw",
]

R = TypeVar("R", bound=Model)
Date = dt.date  # a date or a datetime: Twilio's date filters are by day, inclusive
FORMATS = ("json", "xml", "csv", "html")


# --- values the tutorial writes loosely -------------------------------------------------


def e164(number: str | int | None, *, sender: bool = False) -> str | None:
    """A phone number as Twilio stores it, read the way every field of twiliorm reads one.

    ``8995431234``, ``"(899) 543-1234"`` and ``"+1 899 543 1234"`` all become
    ``"+18995431234"`` (national numbers in the default region, ``US`` unless
    ``TWILIORM_PHONE_REGION`` says otherwise); channel addresses
    (``"client:alice"``) and short codes are kept; with ``sender``, so is an
    alphanumeric sender ID. Anything else raises ValidationError. See
    :mod:`twiliorm.phones`.
    """
    return None if number is None else phones.normalise(number, sender=sender)


def _dates(field: str, before: Date | None, after: Date | None) -> dict[str, Date]:
    """``before``/``after`` as inclusive day filters on ``field`` (``DateSent<=``/``>=``)."""
    out: dict[str, Date] = {}
    if before is not None:
        out[f"{field}__lte"] = before
    if after is not None:
        out[f"{field}__gte"] = after
    return out


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


# --- raw representations ------------------------------------------------------------


class Resource(abc.ABC):
    """The tutorial's ``Resource``: what the API serves at :attr:`uri`, in its raw forms.

    Each raw form is one GET, in that format. Every list resource of the
    client is one: ``conn.sms.__xml__()`` is the Messages list as the API
    serves it.
    """

    client: _client.Client

    @property
    @abc.abstractmethod
    def uri(self) -> str:
        """The path of this resource, relative to https://api.twilio.com."""

    def __json__(self) -> str:
        """The raw JSON of this resource, fetched from the API."""
        return raw(self, "json")

    def __xml__(self) -> str:
        """The raw XML of this resource, fetched from the API."""
        return raw(self, "xml")

    def __csv__(self) -> str:
        """The raw CSV of this resource, fetched from the API."""
        return raw(self, "csv")

    def __html__(self) -> str:
        """This resource as HTML, made from the API's XML (Twilio no longer serves HTML).

        Template engines that honour ``__html__`` (Jinja2, Django) call it, and
        so fetch from the API, when they render a list resource.
        """
        return raw(self, "html")


def raw(target: Resource | Model, fmt: str = "json") -> str:
    """``target`` as the API serves it: ``fmt`` is json, xml, csv or html (one GET).

    ``target`` is a model instance (``raw(message, "xml")``) or a list resource
    (``raw(conn.sms, "csv")``, the same as ``conn.sms.__csv__()``). JSON, CSV
    and XML are fetched from its path with the ``.json`` or ``.csv`` extension,
    or without one (Twilio answers XML there). Twilio no longer serves HTML, so
    ``html`` fetches the XML and renders it as tables.
    """
    if fmt not in FORMATS:
        raise ValueError(f"a raw representation is one of {', '.join(FORMATS)}, not {fmt!r}")
    client, path = _located(target)
    extension = {"json": ".json", "csv": ".csv"}.get(fmt, "")
    body = client.request(GET, path.removesuffix(".json") + extension).body.decode("utf-8")
    return html_from_xml(body) if fmt == "html" else body


def _located(target: Resource | Model) -> tuple[_client.Client, str]:
    if isinstance(target, Resource):
        return target.client, target.uri
    client = client_of(target)
    return client, instance_path(target, client)


def html_from_xml(text: str) -> str:
    """Twilio's XML (``<TwilioResponse>...``) as nested HTML tables, every value escaped."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise DecodeError(f"the API's XML cannot be read: {exc}") from exc
    return "\n".join(_html_element(child) for child in root)


def _html_element(element: ElementTree.Element) -> str:
    rows = []
    for child in element:
        value = _html_element(child) if len(child) else html.escape(child.text or "")
        rows.append(f"<tr><th>{html.escape(child.tag)}</th><td>{value}</td></tr>")
    name = html.escape(element.tag)
    return f'<table class="twilio-{name.lower()}">{"".join(rows)}</table>'


# --- list resources -----------------------------------------------------------------


class _Listing(Resource, Generic[R]):
    """What every list resource shares: its model, client, account and path."""

    def __init__(
        self, model: type[R], client: _client.Client, *, account: str | None = None
    ) -> None:
        self.model = model
        self.client = client
        self.account = account

    def __repr__(self) -> str:
        scope = f" account={self.account}" if self.account else ""
        return f"<{type(self).__name__} of {self.model.__name__}{scope}>"

    @property
    def objects(self) -> QuerySet[R]:
        """A QuerySet of this list through this client (chain ``filter()``, slices...)."""
        return self.model.objects.using(self.client, account=self.account)

    @property
    def uri(self) -> str:
        """The list's path (``/2010-04-01/Accounts/AC.../Messages.json``); a FieldError
        naming what is missing for a list below a parent (participants)."""
        return self.objects.plan().path

    def _page(self, qs: QuerySet[R], page: int, page_size: int) -> list[R]:
        if page < 0:
            raise ValueError(f"page counts from 0, got {page}")
        if not 1 <= page_size <= PAGE_SIZE_MAX:
            raise ValueError(f"page_size must be between 1 and {PAGE_SIZE_MAX}, got {page_size}")
        start = page * page_size
        return list(qs[start : start + page_size])

    def _find(self, qs: QuerySet[R], sid: Any) -> R | None:
        self.model._meta.require("fetch")
        try:
            return qs.get(pk=sid)
        except self.model.DoesNotExist:
            return None


class _Records(_Listing[R]):
    """What a list resource does besides listing: iter, count, create, get, update, delete.

    Filters are the model's (``status="completed"``, ``start_time__gte=date``),
    as for ``Model.objects.filter()``; each method says what it sends. The
    tutorial gives each specific list resource (``conn.sms``, ``conn.recordings``)
    a ``list()`` of its own whose positional arguments differ from
    :meth:`ListResource.list`'s, so they share this base rather than that one.
    """

    def _list(self, filters: dict[str, Any], page: int, page_size: int) -> list[R]:
        """Page ``page`` (from 0) of ``page_size`` records matching ``filters``.

        One GET asks for every record up to the end of that page, so page 0
        is one request of ``PageSize=page_size``.
        """
        return self._page(self.objects.filter(**filters), page, page_size)

    def iter(self, **filters: Any) -> Iterator[R]:
        """Every record matching ``filters``, a page at a time (use with care)."""
        return self.objects.filter(**filters).iterator()

    def count(self, **filters: Any) -> int:
        """How many records match ``filters`` (reads every page; builds no objects)."""
        return self.objects.filter(**filters).count()

    def create(self, **values: Any) -> R:
        """Create a record (one POST) and return it."""
        return self.objects.create(**values)

    def get(self, sid: Any) -> R | None:
        """The record with this SID (one GET), or None when there is none.

        A SID of the wrong shape raises ``ValidationError`` before anything is sent.
        """
        return self._find(self.objects, sid)

    def update(self, sid: Any, **values: Any) -> R:
        """Change the record with this SID: it is fetched, then the values are POSTed."""
        self.model._meta.require("update")
        return self.objects.get(pk=sid).update(**values)

    def delete(self, sid: Any) -> None:
        """Delete the record with this SID (one DELETE)."""
        meta = self.model._meta
        meta.require("delete")
        assert meta.pk is not None
        self.objects.new(**{meta.pk: sid}).delete()


class ListResource(_Records[R]):
    """A Twilio list resource: ``conn.calls``, ``conn.accounts``, ``conn.queues``..."""

    def list(self, page: int = 0, page_size: int = 50, **filters: Any) -> list[R]:
        """Page ``page`` (from 0) of ``page_size`` records matching ``filters`` (the tutorial's
        ``list(page=0)``); one GET of ``PageSize=page_size`` for page 0."""
        return self._list(filters, page, page_size)


class SmsMessages(_Records[Message]):
    """``conn.sms``: sending and reading messages (the Messages list of API 2010)."""

    def send(
        self,
        to: str | int | None = None,
        from_: str | int | None = None,
        url: str | None = None,
        status_callback: str | None = None,
        body: str | None = None,
        **values: Any,
    ) -> Message:
        """Send a message (one POST) and return it; a wrapper for :meth:`create`.

        The tutorial's positional order: ``send(to, from_, url, status_callback)``;
        ``body`` is best given by name. ``to`` and ``from_`` are read as every
        phone field reads them (:func:`e164`: ``8995431234`` is ``+18995431234``);
        ``url`` is the URL of media to send with it (``MediaUrl``, an MMS).
        """
        media = {"media_url": [url]} if url is not None else {}
        fields = _given(to=to, from_=from_, body=body, status_callback=status_callback)
        return self.create(**fields, **media, **values)

    def list(
        self,
        to: str | int | None = None,
        from_: str | int | None = None,
        before: Date | None = None,
        after: Date | None = None,
        page: int = 0,
        page_size: int = 50,
        **filters: Any,
    ) -> list[Message]:
        """Messages ``to``/``from_`` a number, sent on or ``before``/``after`` a day.

        Sends ``To``, ``From``, ``DateSent<`` and ``DateSent>`` (Twilio's date
        filters are inclusive); a datetime is sent as its day and the rest of
        that day is filtered out here.
        """
        given = _given(to=to, from_=from_, **_dates("date_sent", before, after))
        return self._list({**given, **filters}, page, page_size)


class PhoneNumbers(ListResource[IncomingPhoneNumber]):
    """``conn.phone_numbers``: the numbers you own, and :meth:`search` for numbers to buy."""

    def search(
        self,
        type: str = LOCAL,
        country: str = "US",
        region: str | None = None,
        area_code: int | str | None = None,
        postal_code: str | None = None,
        near_number: str | int | None = None,
        near_lat_long: str | tuple[float, float] | None = None,
        lata: str | None = None,
        rate_center: str | None = None,
        distance: int = 25,
        contains: str | None = None,
        *,
        page_size: int = 50,
        **filters: Any,
    ) -> list[AvailablePhoneNumber]:
        """Numbers available to buy; ``number.purchase()`` buys one and returns it.

        ``type`` is :data:`LOCAL` (the default), :data:`TOLL_FREE` or another
        number type of the API (``"Mobile"``...), ``country`` an ISO code.
        ``area_code`` (``530``) and ``contains`` (letters and digits, ``"WOLF"``,
        ``"530***9653"``) narrow the search; ``region``, ``postal_code``, ``lata``
        and ``rate_center`` say where the number is (``InRegion``,
        ``InPostalCode``, ``InLata``, ``InRateCenter``); ``near_number`` or
        ``near_lat_long`` (text or a ``(latitude, longitude)`` pair) look near a
        number or a place, within ``distance`` miles (sent only with one of
        them). ``filters`` takes any other search parameter (``sms_enabled=True``,
        ``in_locality="Davis"``...). One GET, ``PageSize=page_size``.
        """
        near = _given(near_number=near_number, near_lat_long=_lat_long(near_lat_long))
        where = _given(
            area_code=area_code,
            contains=contains,
            in_region=region,
            in_postal_code=postal_code,
            in_lata=lata,
            in_rate_center=rate_center,
        )
        if near:
            near["distance"] = distance
        found = AvailablePhoneNumber.objects.using(self.client, account=self.account).filter(
            type=type, country=country, **where, **near, **filters
        )
        return list(found[:page_size])


def _lat_long(value: str | tuple[float, float] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    latitude, longitude = value
    return f"{latitude},{longitude}"


class Recordings(_Records[Recording]):
    """``conn.recordings``: recordings of calls and conferences."""

    def list(
        self,
        call: Any = None,
        before: Date | None = None,
        after: Date | None = None,
        page: int = 0,
        page_size: int = 50,
        **filters: Any,
    ) -> list[Recording]:
        """Recordings of ``call`` (a Call or its SID), created on or ``before``/``after`` a day.

        Sends ``CallSid``, ``DateCreated<`` and ``DateCreated>``.
        """
        given = _given(call_sid=call, **_dates("date_created", before, after))
        return self._list({**given, **filters}, page, page_size)


class Transcriptions(_Records[Transcription]):
    """``conn.transcriptions``: text transcriptions of recordings."""

    def list(
        self,
        call: Any = None,
        before: Date | None = None,
        after: Date | None = None,
        page: int = 0,
        page_size: int = 50,
        **filters: Any,
    ) -> list[Transcription]:
        """Transcriptions of ``call``'s recordings, created on or ``before``/``after`` a day.

        The API's Transcriptions list has no filter: with ``call`` the call's
        recordings are listed (``CallSid``), then each recording's
        transcriptions; dates are compared here.
        """
        if call is None:
            return self._list({**_dates("date_created", before, after), **filters}, page, page_size)
        found = [t for t in self._of_call(call) if _within(t.date_created, before, after)]
        start = page * page_size
        return found[start : start + page_size]

    def _of_call(self, call: Any) -> Iterator[Transcription]:
        recordings = Recording.objects.using(self.client, account=self.account)
        for recording in recordings.filter(call_sid=call).iterator():
            for item in recording.transcriptions.all().iterator():
                yield Transcription.from_api(item.to_api(), binding=item._ctx)


def _within(value: dt.datetime | None, before: Date | None, after: Date | None) -> bool:
    if value is None:
        return before is None and after is None
    day = value.date()
    low = after.date() if isinstance(after, dt.datetime) else after
    high = before.date() if isinstance(before, dt.datetime) else before
    return (low is None or day >= low) and (high is None or day <= high)


class CallerIds(ListResource[OutgoingCallerId]):
    """``conn.caller_ids``: verified numbers you may call from."""

    def validate(self, phone_number: str | int, **values: Any) -> ValidationRequest:
        """Start verifying ``phone_number`` (one POST); Twilio calls it with a code."""
        requests = ValidationRequest.objects.using(self.client, account=self.account)
        return requests.create(phone_number=phone_number, **values)


class Usage(_Records[UsageRecord]):
    """``conn.usage``: usage records by category and period; ``conn.usage.triggers``."""

    def __init__(
        self, model: type[UsageRecord], client: _client.Client, *, account: str | None = None
    ) -> None:
        super().__init__(model, client, account=account)
        self.triggers = ListResource(UsageTrigger, client, account=account)

    def list(
        self,
        period: str | None = None,
        category: str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        page: int = 0,
        page_size: int = 50,
        **filters: Any,
    ) -> list[UsageRecord]:
        """Usage records, for a ``period`` (Today, ThisMonth, Daily...) and ``category``.

        ``start_date`` and ``end_date`` bound the records (``StartDate``, ``EndDate``).
        """
        given = _given(
            period=period, category=category, start_date__gte=start_date, end_date__lte=end_date
        )
        return self._list({**given, **filters}, page, page_size)


class Participants(_Listing[Participant]):
    """``conn.participants``: the people in a conference.

    A participant can only be reached through its conference, so every
    method takes the conference (a Conference or its SID) first.
    """

    def _in(self, conference: Any) -> QuerySet[Participant]:
        return self.objects.filter(conference=conference)

    def list(
        self,
        conference: Any,
        muted: bool | None = None,
        page: int = 0,
        page_size: int = 50,
        **filters: Any,
    ) -> list[Participant]:
        """The participants of ``conference``, only the (un)muted ones with ``muted``."""
        qs = self._in(conference).filter(**_given(muted=muted), **filters)
        return self._page(qs, page, page_size)

    def iter(self, conference: Any, **filters: Any) -> Iterator[Participant]:
        """Every participant of ``conference`` matching ``filters``, a page at a time."""
        return self._in(conference).filter(**filters).iterator()

    def count(self, conference: Any, **filters: Any) -> int:
        """How many participants ``conference`` has (matching ``filters``)."""
        return self._in(conference).filter(**filters).count()

    def create(self, conference: Any, **values: Any) -> Participant:
        """Dial someone into ``conference`` (``from_``, ``to``; one POST)."""
        return self._in(conference).create(**values)

    def get(self, conference: Any, participant: Any) -> Participant | None:
        """The participant (its call, or the call's SID) in ``conference``, or None."""
        return self._find(self._in(conference), participant)

    def update(self, conference: Any, participant: Any, **values: Any) -> Participant:
        """Change a participant (``muted=True``, ``on_hold=True``...): fetch, then POST."""
        return self._in(conference).get(pk=participant).update(**values)

    def delete(self, conference: Any, participant: Any) -> None:
        """Remove a participant from the conference (one DELETE)."""
        self._in(conference).new(call_sid=participant).delete()


# --- the client ----------------------------------------------------------------------


class Connection:
    """The tutorial's client (``conn`` there): list resources over one
    :class:`twiliorm.Client`. The tutorial calls it ``api.Client``, which stays
    its public name; the class is named for what it is, so that the one class
    called Client is :class:`twiliorm.Client`.

    ``Client(account_sid=None, auth_token=None, **options)`` reads missing
    credentials from the environment exactly as :class:`twiliorm.Client`
    does, and passes ``options`` (``base_url=``, ``timeout=``...) on to it;
    ``Client(client=existing)`` wraps a client you already have.
    """

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        client: _client.Client | None = None,
        account: str | None = None,
        **options: Any,
    ) -> None:
        if client is not None and (account_sid or auth_token or options):
            raise TypeError("api.Client takes credentials and options, or client=, not both")
        self.client = client or _client.Client(account_sid, auth_token, **options)
        self.account = account
        self.accounts = ListResource(Account, self.client, account=account)
        self.calls = ListResource(Call, self.client, account=account)
        self.sms = SmsMessages(Message, self.client, account=account)
        self.messages = self.sms
        self.phone_numbers = PhoneNumbers(IncomingPhoneNumber, self.client, account=account)
        self.notifications = ListResource(Notification, self.client, account=account)
        self.conferences = ListResource(Conference, self.client, account=account)
        self.participants = Participants(Participant, self.client, account=account)
        self.recordings = Recordings(Recording, self.client, account=account)
        self.transcriptions = Transcriptions(Transcription, self.client, account=account)
        self.applications = ListResource(Application, self.client, account=account)
        self.caller_ids = CallerIds(OutgoingCallerId, self.client, account=account)
        self.queues = ListResource(Queue, self.client, account=account)
        self.usage = Usage(UsageRecord, self.client, account=account)

    def __repr__(self) -> str:
        scope = f" account={self.account}" if self.account else ""
        return f"<twiliorm.api.Client {self.client!r}{scope}>"

    @property
    def account_sid(self) -> str:
        return self.account or self.client.account_sid

    def subaccount(self, account: Account | str) -> Connection:
        """The same client, working in sub-account ``account`` (an Account or its SID)."""
        sid = account.sid if isinstance(account, Account) else account
        if not isinstance(sid, str):
            raise ValidationError(f"a sub-account is an Account or its SID, got {account!r}")
        return Connection(client=self.client, account=sid)

    def close(self) -> None:
        """Close the underlying client's connections."""
        self.client.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: the tutorial's name for :class:`Connection`
Client = Connection
