"""TwiML replies: the XML documents an application returns to Twilio's webhooks.

A reply is written as the tree it produces, one class per verb or noun::

    from twiliorm.twiml import Gather, Say, VoiceResponse

    reply = VoiceResponse(
        Gather(Say("Press 1 for sales."), num_digits=1, action="/menu"),
        Say("We didn't get your choice. Goodbye."),
    )
    str(reply)   # '<?xml version="1.0" encoding="UTF-8"?><Response><Gather ...'

Why nested objects rather than the official library's fluent methods
(``resp.gather(...)`` returning a child to add to, often inside a ``with``
block that only indents): the Python reads in the shape of the document it
writes; the type checker knows what may nest where (``Gather`` takes
``Say``, ``Play`` and ``Pause``, so ``Gather(Dial(...))`` is an error before
it is a failed call, and each class's ``holds`` says it again at run time);
each verb's keyword attributes are declared once, as a TypedDict, so a
misspelt ``num_digit=`` is flagged too; and the values are immutable and
compare equal, so a helper can return a ``Say`` and a test can assert on it.
A part that depends on a condition goes in a list first:
``VoiceResponse(*verbs)``.

Why our own builder rather than ``twilio.twiml``: the official package brings
requests, aiohttp and PyJWT with it, which an application that only answers
webhooks does not need, and its builder writes what it is given without
checking it. For the same input the output here is the official library's,
byte for byte (the tests compare the two over generated documents), except
where the official output is wrong:

- A list attribute value is joined with spaces, as Twilio reads it
  (``input=["dtmf", "speech"]`` gives ``input="dtmf speech"``); the official
  library writes the list's Python repr, ``['dtmf', 'speech']``.
- A character that XML 1.0 forbids (the C0 controls other than tab, newline
  and carriage return; lone surrogates; U+FFFE and U+FFFF) is refused with
  ValueError when the verb is made. The official library writes it out and
  Twilio then fails the call on a document it cannot parse; refusing names
  the value at fault where it was made, while dropping the character would
  silently change a message. :func:`strip_invalid` drops them for a caller
  who wants that.

Attribute names are the Python keyword in snake case, sent in Twilio's
camelCase (``status_callback_event`` -> ``statusCallbackEvent``; a trailing
underscore is dropped: ``from_`` -> ``from``); booleans are sent as
``true``/``false``, numbers as written, None leaves the attribute out.
Attributes appear sorted by name, as the official library writes them.

A reply is returned with :data:`CONTENT_TYPE` (Twilio treats text/xml,
application/xml and text/html as TwiML, and reads text/plain aloud): in
Django ``HttpResponse(bytes(reply), content_type=reply.content_type)``; in
WSGI the reply is itself an application, ``return reply(environ, start_response)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypedDict

import attrs

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from typing_extensions import Unpack

__all__ = [
    "CONTENT_TYPE",
    "XML_DECLARATION",
    "Body",
    "Client",
    "Conference",
    "Dial",
    "Element",
    "Gather",
    "Hangup",
    "Media",
    "Message",
    "MessagingResponse",
    "Number",
    "Pause",
    "Play",
    "Queue",
    "Record",
    "Redirect",
    "Reject",
    "Say",
    "Sip",
    "VoiceResponse",
    "strip_invalid",
]

#: The Content-Type to answer a webhook with. Flask sends text/xml with this
#: charset too, and the XML declaration names the same encoding.
CONTENT_TYPE = "text/xml; charset=utf-8"
#: The declaration every reply starts with, spelt as the official library spells it.
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# XML 1.0's Char production, negated: what may not appear in a document at all,
# not even as a character reference.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# ">" too, so that "]]>" never appears in text; the attribute table adds the quote
# and the whitespace a parser would otherwise normalise to spaces.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\r": "&#13;",
        "\n": "&#10;",
        "\t": "&#09;",
    }
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")

#: A space-separated list attribute (``input``, ``status_callback_event``): a string or its words.
Events: TypeAlias = str | Sequence[str]


def strip_invalid(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids: for callers who prefer dropping them."""
    return _FORBIDDEN.sub("", text)


def _checked(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what}: expected str, got {type(text).__name__}")
    bad = _FORBIDDEN.search(text)
    if bad:
        raise ValueError(
            f"{what}: {bad.group()!r} at index {bad.start()} cannot appear in XML 1.0 "
            "(twiliorm.twiml.strip_invalid removes such characters)"
        )
    return text


def _camel(attribute: str) -> str:
    head, *rest = attribute.rstrip("_").split("_")
    name = head + "".join(part[:1].upper() + part[1:] for part in rest)
    if not _NAME.match(name):
        raise ValueError(f"{attribute!r} is not a TwiML attribute name")
    return name


def _wire(value: object, what: str) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return _checked(value, what)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return _checked(" ".join(value), what)
    raise TypeError(f"{what}: {type(value).__name__} is not a TwiML attribute value")


def _attributes(given: Mapping[str, object], tag: str) -> tuple[tuple[str, str], ...]:
    pairs = (
        (_camel(key), _wire(value, f"{tag} {key}="))
        for key, value in given.items()
        if value is not None
    )
    return tuple(sorted(pairs))


def _children(given: Iterable[Element], parent: type[Element]) -> tuple[Element, ...]:
    # The signatures say what nests where for a type checker; this says it to everyone else.
    children = tuple(given)
    for child in children:
        if not isinstance(child, parent.holds):
            raise TypeError(f"{parent.tag} cannot hold {child!r}")
    return children


@attrs.frozen(init=False, slots=False)
class Element:
    """One TwiML element: its text, its attributes as sent (sorted), its children."""

    tag: ClassVar[str]
    holds: ClassVar[tuple[type[Element], ...]] = ()
    text: str
    attributes: tuple[tuple[str, str], ...]
    children: tuple[Element, ...]

    def __init__(
        self,
        text: str = "",
        children: Iterable[Element] = (),
        attributes: Mapping[str, object] | None = None,
    ) -> None:
        self.__attrs_init__(
            _checked(text, self.tag),
            _attributes(attributes or {}, self.tag),
            _children(children, type(self)),
        )

    def to_xml(self) -> str:
        """The element as XML, without a declaration."""
        return self._markup()

    def __str__(self) -> str:
        return self.to_xml()

    def _markup(self) -> str:
        opening = self.tag + "".join(
            f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"' for name, value in self.attributes
        )
        inner = self.text.translate(_TEXT_ESCAPES)
        inner += "".join(child._markup() for child in self.children)
        return f"<{opening}>{inner}</{self.tag}>" if inner else f"<{opening} />"


def _text_or_nouns(content: tuple[str | Element, ...], tag: str) -> tuple[str, list[Element]]:
    """A verb holds either one string or nouns: Twilio reads no mixture of the two."""
    if len(content) == 1 and isinstance(content[0], str):
        return content[0], []
    nouns = [item for item in content if isinstance(item, Element)]
    if len(nouns) != len(content):
        raise TypeError(f"{tag} takes one string or nouns, not both")
    return "", nouns


# --- keyword attributes, declared once per verb ------------------------------------------------


class _Action(TypedDict, total=False):
    action: str
    method: str


class _StatusCallbacks(TypedDict, total=False):
    status_callback: str
    status_callback_method: str
    status_callback_event: Events


class _RecordingCallbacks(TypedDict, total=False):
    recording_status_callback: str
    recording_status_callback_method: str
    recording_status_callback_event: Events


class SayAttributes(TypedDict, total=False):
    voice: str
    loop: int
    language: str


class PlayAttributes(TypedDict, total=False):
    loop: int
    digits: str


class PauseAttributes(TypedDict, total=False):
    length: int


class GatherAttributes(_Action, total=False):
    input: Events
    timeout: int
    speech_timeout: int | str
    max_speech_time: int
    profanity_filter: bool
    finish_on_key: str
    num_digits: int
    partial_result_callback: str
    partial_result_callback_method: str
    language: str
    hints: str
    barge_in: bool
    action_on_empty_result: bool
    speech_model: str
    enhanced: bool


class DialAttributes(_Action, _RecordingCallbacks, total=False):
    timeout: int
    hangup_on_star: bool
    time_limit: int
    caller_id: str
    record: str
    trim: str
    answer_on_bridge: bool
    ring_tone: str
    recording_track: str
    sequential: bool
    refer_url: str
    refer_method: str


class NumberAttributes(_StatusCallbacks, total=False):
    send_digits: str
    url: str
    method: str
    byoc: str


class ClientAttributes(_StatusCallbacks, total=False):
    url: str
    method: str


class SipAttributes(_StatusCallbacks, total=False):
    username: str
    password: str
    url: str
    method: str


class QueueAttributes(TypedDict, total=False):
    url: str
    method: str
    reservation_sid: str
    post_work_activity_sid: str


class ConferenceAttributes(_StatusCallbacks, _RecordingCallbacks, total=False):
    muted: bool
    beep: bool | str
    start_conference_on_enter: bool
    end_conference_on_exit: bool
    wait_url: str
    wait_method: str
    max_participants: int
    record: str
    region: str
    coach: str
    trim: str
    event_callback_url: str
    jitter_buffer_size: str
    participant_label: str


class RecordAttributes(_Action, _RecordingCallbacks, total=False):
    timeout: int
    finish_on_key: str
    max_length: int
    play_beep: bool
    trim: str
    transcribe: bool
    transcribe_callback: str


class RedirectAttributes(TypedDict, total=False):
    method: str


class RejectAttributes(TypedDict, total=False):
    reason: str


class MessageAttributes(_Action, total=False):
    to: str
    from_: str
    status_callback: str


# --- voice verbs -------------------------------------------------------------------------------


class Say(Element):
    """``<Say>``: read ``text`` aloud."""

    tag = "Say"

    def __init__(self, text: str, /, **attributes: Unpack[SayAttributes]) -> None:
        super().__init__(text, (), attributes)


class Play(Element):
    """``<Play>``: play the audio at ``url`` (or, with no URL, the ``digits`` as tones)."""

    tag = "Play"

    def __init__(self, url: str = "", /, **attributes: Unpack[PlayAttributes]) -> None:
        super().__init__(url, (), attributes)


class Pause(Element):
    """``<Pause>``: wait ``length`` seconds (one by default)."""

    tag = "Pause"

    def __init__(self, **attributes: Unpack[PauseAttributes]) -> None:
        super().__init__("", (), attributes)


class Gather(Element):
    """``<Gather>``: collect digits or speech while its prompts play."""

    tag = "Gather"
    holds = (Say, Play, Pause)

    def __init__(
        self, *prompts: Say | Play | Pause, **attributes: Unpack[GatherAttributes]
    ) -> None:
        super().__init__("", prompts, attributes)


class Record(Element):
    """``<Record>``: record the caller."""

    tag = "Record"

    def __init__(self, **attributes: Unpack[RecordAttributes]) -> None:
        super().__init__("", (), attributes)


class Hangup(Element):
    """``<Hangup>``: end the call."""

    tag = "Hangup"

    def __init__(self) -> None:
        super().__init__()


class Reject(Element):
    """``<Reject>``: refuse the call unanswered (``reason="busy"`` or ``"rejected"``)."""

    tag = "Reject"

    def __init__(self, **attributes: Unpack[RejectAttributes]) -> None:
        super().__init__("", (), attributes)


class Redirect(Element):
    """``<Redirect>``: continue with the TwiML at ``url`` (in voice and messaging replies)."""

    tag = "Redirect"

    def __init__(self, url: str, /, **attributes: Unpack[RedirectAttributes]) -> None:
        super().__init__(url, (), attributes)


# --- what <Dial> connects to -------------------------------------------------------------------


class Number(Element):
    """``<Number>``: a phone number to dial."""

    tag = "Number"

    def __init__(self, phone_number: str, /, **attributes: Unpack[NumberAttributes]) -> None:
        super().__init__(phone_number, (), attributes)


class Client(Element):
    """``<Client>``: a Voice SDK client, by identity."""

    tag = "Client"

    def __init__(self, identity: str, /, **attributes: Unpack[ClientAttributes]) -> None:
        super().__init__(identity, (), attributes)


class Conference(Element):
    """``<Conference>``: the conference room of this name (started by the first to join)."""

    tag = "Conference"

    def __init__(self, name: str, /, **attributes: Unpack[ConferenceAttributes]) -> None:
        super().__init__(name, (), attributes)


class Queue(Element):
    """``<Queue>``: the caller waiting longest in the queue of this name."""

    tag = "Queue"

    def __init__(self, name: str, /, **attributes: Unpack[QueueAttributes]) -> None:
        super().__init__(name, (), attributes)


class Sip(Element):
    """``<Sip>``: a SIP endpoint, by URI."""

    tag = "Sip"

    def __init__(self, uri: str, /, **attributes: Unpack[SipAttributes]) -> None:
        super().__init__(uri, (), attributes)


class Dial(Element):
    """``<Dial>``: connect the call to one number given as a string, or to the nouns given."""

    tag = "Dial"
    holds = (Number, Client, Conference, Queue, Sip)

    def __init__(
        self,
        *to: str | Number | Client | Conference | Queue | Sip,
        **attributes: Unpack[DialAttributes],
    ) -> None:
        super().__init__(*_text_or_nouns(to, self.tag), attributes)


# --- messaging ---------------------------------------------------------------------------------


class Body(Element):
    """``<Body>``: the text of a reply message."""

    tag = "Body"

    def __init__(self, text: str, /) -> None:
        super().__init__(text)


class Media(Element):
    """``<Media>``: a URL of media to attach to a reply message."""

    tag = "Media"

    def __init__(self, url: str, /) -> None:
        super().__init__(url)


class Message(Element):
    """``<Message>``: send a message, its text given as a string or as ``Body`` and ``Media``."""

    tag = "Message"
    holds = (Body, Media)

    def __init__(
        self, *content: str | Body | Media, **attributes: Unpack[MessageAttributes]
    ) -> None:
        super().__init__(*_text_or_nouns(content, self.tag), attributes)


# --- documents ---------------------------------------------------------------------------------


class _Reply(Element):
    """A ``<Response>`` document: declared, encodable, and servable as a WSGI application."""

    tag = "Response"
    content_type: ClassVar[str] = CONTENT_TYPE

    def to_xml(self) -> str:
        """The document as Twilio reads it: the XML declaration, then ``<Response>``."""
        return XML_DECLARATION + self._markup()

    def __bytes__(self) -> bytes:
        return self.to_xml().encode("utf-8")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """Answer a WSGI request with this reply (200, :data:`CONTENT_TYPE`)."""
        body = bytes(self)
        start_response(
            "200 OK", [("Content-Type", self.content_type), ("Content-Length", str(len(body)))]
        )
        return [body]


VoiceVerb: TypeAlias = Say | Play | Pause | Gather | Dial | Record | Redirect | Hangup | Reject


class VoiceResponse(_Reply):
    """The reply to a voice webhook: its verbs run in order."""

    holds = (Say, Play, Pause, Gather, Dial, Record, Redirect, Hangup, Reject)

    def __init__(self, *verbs: VoiceVerb) -> None:
        super().__init__("", verbs)


class MessagingResponse(_Reply):
    """The reply to a messaging webhook: messages to send, or a redirect."""

    holds = (Message, Redirect)

    def __init__(self, *verbs: Message | Redirect) -> None:
        super().__init__("", verbs)
