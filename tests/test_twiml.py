"""TwiML replies: the official library's bytes for the same input, escaping, refusals, serving.

The comparison builds each generated document twice, with twiliorm.twiml and with
``twilio.twiml``, from the same text and keyword attributes, and compares ``str()`` of
the two. Every attribute a verb declares is generated, from its declared type. The one
normalisation is of the input, not the output: a list value is handed to the official
library already joined with spaces, because it would write the list's Python repr
(see ``test_the_official_library_writes_a_list_as_its_repr``).
"""

from __future__ import annotations

import os
import types
import typing
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import twilio.twiml.messaging_response as official_messaging
import twilio.twiml.voice_response as official_voice
from hypothesis import given, settings
from hypothesis import strategies as st

from twiliorm import twiml

# XML 1.0 allows tab, newline and carriage return among the C0 controls, and neither
# surrogates (excluded below by category) nor U+FFFE/U+FFFF.
FORBIDDEN = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
XML_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters=FORBIDDEN)
TEXT = st.text(st.sampled_from("<>&\"'\t\n\r ]") | XML_CHARS, max_size=20)
# Documents per comparison; TWILIORM_TWIML_EXAMPLES=2000 for a longer run.
EXAMPLES = int(os.environ.get("TWILIORM_TWIML_EXAMPLES", "200"))

# (our element, a function adding the same thing to an official parent)
Case = tuple[twiml.Element, Callable[[Any], object]]


def values_of(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a declared attribute type: bool, int, str, a union, a sequence of str."""
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(min_value=-(10**6), max_value=10**12)
    if hint is str:
        return TEXT
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return st.one_of(*map(values_of, typing.get_args(hint)))
    if typing.get_origin(hint) is Sequence:
        return st.lists(TEXT, max_size=4) | st.tuples(TEXT, TEXT)
    raise AssertionError(f"no strategy for {hint!r}")


def attributes(declared: type | None) -> st.SearchStrategy[dict[str, Any]]:
    """Any subset of a verb's declared attributes; None sometimes, which leaves one out."""
    if declared is None:
        return st.just({})
    hints = typing.get_type_hints(declared)
    optional = {name: values_of(hint) | st.none() for name, hint in hints.items()}
    return st.fixed_dictionaries({}, optional=optional)


def official_kwargs(given: dict[str, Any]) -> dict[str, Any]:
    return {k: " ".join(v) if isinstance(v, (list, tuple)) else v for k, v in given.items()}


def method(cls: type) -> str:
    return cls.__name__.lower()


@st.composite
def leaf(draw: st.DrawFn, cls: type, declared: type | None, text: bool = True) -> Case:
    kw = draw(attributes(declared))
    args = (draw(TEXT),) if text else ()
    return cls(*args, **kw), lambda p: getattr(p, method(cls))(*args, **official_kwargs(kw))


@st.composite
def holder(
    draw: st.DrawFn, cls: type, declared: type, inner: st.SearchStrategy[Case], text: bool
) -> Case:
    """A verb holding either one string (when ``text``) or generated children."""
    kw = draw(attributes(declared))
    if text and draw(st.booleans()):
        return draw(leaf(cls, declared))
    children = draw(st.lists(inner, max_size=4))

    def add(parent: Any) -> None:
        node = getattr(parent, method(cls))(**official_kwargs(kw))
        for _, add_child in children:
            add_child(node)

    return cls(*(ours for ours, _ in children), **kw), add


SAY = leaf(twiml.Say, twiml.SayAttributes)
PLAY = leaf(twiml.Play, twiml.PlayAttributes)
PAUSE = leaf(twiml.Pause, twiml.PauseAttributes, text=False)
PROMPTS = st.one_of(SAY, PLAY, PAUSE)
NOUNS = st.one_of(
    leaf(twiml.Number, twiml.NumberAttributes),
    leaf(twiml.Client, twiml.ClientAttributes),
    leaf(twiml.Conference, twiml.ConferenceAttributes),
    leaf(twiml.Queue, twiml.QueueAttributes),
    leaf(twiml.Sip, twiml.SipAttributes),
)
REDIRECT = leaf(twiml.Redirect, twiml.RedirectAttributes)
VOICE_VERBS = st.one_of(
    PROMPTS,
    holder(twiml.Gather, twiml.GatherAttributes, PROMPTS, text=False),
    holder(twiml.Dial, twiml.DialAttributes, NOUNS, text=True),
    leaf(twiml.Record, twiml.RecordAttributes, text=False),
    REDIRECT,
    leaf(twiml.Hangup, None, text=False),
    leaf(twiml.Reject, twiml.RejectAttributes, text=False),
)
MESSAGE_PARTS = st.one_of(leaf(twiml.Body, None), leaf(twiml.Media, None))
MESSAGING_VERBS = (
    holder(twiml.Message, twiml.MessageAttributes, MESSAGE_PARTS, text=True) | REDIRECT
)


def documents(ours: type, official: type, verbs: st.SearchStrategy[Case]) -> Any:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[twiml.Element, Any]:
        cases = draw(st.lists(verbs, max_size=5))
        theirs = official()
        for _, add in cases:
            add(theirs)
        return ours(*(element for element, _ in cases)), theirs

    return build()


def reads_back(element: twiml.Element, parsed: ET.Element) -> None:
    """What a parser reads is what was given (a parser turns a raw CR in text into LF)."""
    assert parsed.tag == element.tag
    assert parsed.attrib == dict(element.attributes)
    assert (parsed.text or "") == element.text.replace("\r\n", "\n").replace("\r", "\n")
    for child, parsed_child in zip(element.children, parsed, strict=True):
        reads_back(child, parsed_child)


# --- the official library's output ---------------------------------------------------------------


@settings(max_examples=EXAMPLES)
@given(documents(twiml.VoiceResponse, official_voice.VoiceResponse, VOICE_VERBS))
def test_voice_replies_are_the_official_librarys_bytes(pair: tuple[twiml.Element, Any]) -> None:
    ours, theirs = pair
    assert str(ours) == str(theirs)
    reads_back(ours, ET.fromstring(bytes(ours)))


@settings(max_examples=EXAMPLES)
@given(documents(twiml.MessagingResponse, official_messaging.MessagingResponse, MESSAGING_VERBS))
def test_messaging_replies_are_the_official_librarys_bytes(pair: tuple[twiml.Element, Any]) -> None:
    ours, theirs = pair
    assert str(ours) == str(theirs)
    reads_back(ours, ET.fromstring(bytes(ours)))


def test_the_official_library_writes_a_list_as_its_repr() -> None:
    theirs = official_voice.VoiceResponse()
    theirs.gather(input=["dtmf", "speech"])
    assert "input=\"['dtmf', 'speech']\"" in str(theirs)
    assert twiml.Gather(input=["dtmf", "speech"]).attributes == (("input", "dtmf speech"),)


# --- escaping and attribute values -------------------------------------------------------------


def test_text_and_attributes_are_escaped() -> None:
    say = twiml.Say('<b>Tom & "Jerry"\'s</b> ]]>', voice="a\"b<c>&d'e\nf\rg\th")
    assert str(say) == (
        '<Say voice="a&quot;b&lt;c&gt;&amp;d\'e&#10;f&#13;g&#09;h">'
        '&lt;b&gt;Tom &amp; "Jerry"\'s&lt;/b&gt; ]]&gt;</Say>'
    )


@pytest.mark.parametrize(
    ("attribute", "name"),
    [
        ("status_callback_event", "statusCallbackEvent"),
        ("finish_on_key", "finishOnKey"),
        ("num_digits", "numDigits"),
        ("speech_timeout", "speechTimeout"),
        ("caller_id", "callerId"),
        ("max_length", "maxLength"),
        ("play_beep", "playBeep"),
        ("start_conference_on_enter", "startConferenceOnEnter"),
        ("from_", "from"),
        ("action", "action"),
        ("statusCallback", "statusCallback"),
    ],
)
def test_keyword_attributes_are_sent_in_camel_case(attribute: str, name: str) -> None:
    assert twiml.Say("hi", **{attribute: "x"}).attributes == ((name, "x"),)  # type: ignore[misc]


def test_attribute_values_are_written_as_twilio_reads_them() -> None:
    gather = twiml.Gather(
        barge_in=True, enhanced=False, num_digits=4, input=("dtmf", "speech"), language=None
    )
    assert (
        str(gather)
        == '<Gather bargeIn="true" enhanced="false" input="dtmf speech" numDigits="4" />'
    )


def test_what_is_not_twiml_is_refused_when_made() -> None:
    with pytest.raises(TypeError, match="one string or nouns"):
        twiml.Dial("+15558675310", twiml.Number("+15558675311"))
    with pytest.raises(TypeError, match="Gather cannot hold Dial"):
        twiml.Gather(twiml.Dial("+15558675310"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Response cannot hold Message"):
        twiml.VoiceResponse(twiml.Message("hi"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Say: expected str"):
        twiml.Say(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Say voice=: dict is not a TwiML attribute value"):
        twiml.Say("hi", voice={"name": "alice"})  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="not a TwiML attribute name"):
        twiml.Say("hi", **{"voice name": "alice"})  # type: ignore[misc]


# --- characters XML forbids --------------------------------------------------------------------

BAD_CHARACTER = st.sampled_from(FORBIDDEN) | st.characters(categories=("Cs",))


@given(before=TEXT, bad=BAD_CHARACTER, after=TEXT)
def test_a_character_xml_forbids_is_refused_where_the_official_output_is_ill_formed(
    before: str, bad: str, after: str
) -> None:
    text = before + bad + after
    with pytest.raises(ValueError, match=r"cannot appear in XML 1\.0"):
        twiml.Say(text)
    with pytest.raises(ValueError, match=r"cannot appear in XML 1\.0"):
        twiml.Gather(input=["dtmf", text])
    theirs = official_voice.VoiceResponse()
    theirs.say(text)
    with pytest.raises(ET.ParseError):
        ET.fromstring(str(theirs).encode("utf-8", "surrogatepass"))
    assert twiml.Say(twiml.strip_invalid(text)) == twiml.Say(before + after)


# --- values and serving ------------------------------------------------------------------------


def test_replies_are_values() -> None:
    menu = twiml.Gather(twiml.Say("Press 1"), num_digits=1)
    assert menu == twiml.Gather(twiml.Say("Press 1"), num_digits=1)
    assert menu != twiml.Gather(twiml.Play("Press 1"), num_digits=1)
    assert len({menu, twiml.Gather(twiml.Say("Press 1"), num_digits=1)}) == 1


def test_a_reply_is_a_wsgi_application() -> None:
    reply = twiml.MessagingResponse(twiml.Message("Ça marche ✓"))
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        started.append((status, headers))

    body = b"".join(reply({}, start_response))  # type: ignore[arg-type]
    assert body == bytes(reply) == str(reply).encode("utf-8")
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert started == [
        (
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
    ]
    assert reply.content_type == twiml.CONTENT_TYPE
