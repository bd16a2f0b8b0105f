"""The sandbox's representations: JSON (``.json``), CSV (``.csv``), XML (no extension).

Each form of a list and of an instance carries the same values as the JSON
one; XML is Twilio's ``<TwilioResponse>`` with CamelCase elements and paging
attributes, errors as ``<RestException>``. Recording media is served as WAV
and MP3 at the recording's ``media_url``.
"""

from __future__ import annotations

import csv
import io
import wave
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
import urllib3

from twiliorm.fields import camel
from twiliorm.sandbox import Sandbox

from .test_sandbox_support import Raw

RECORDED = "<Response><Say>hello</Say><Record/></Response>"


@pytest.fixture(scope="module")
def raw() -> Iterator[Raw]:
    with Sandbox() as sandbox:
        raw = Raw(sandbox)
        for n in range(3):
            form = {"To": f"+1555867531{n}", "From": "+15017122661", "Body": f"hi, {n} & <you>"}
            raw("POST", f"{raw.a}/Messages.json", form)
        call = {"To": "+15558675310", "From": "+15017122661", "Twiml": RECORDED}
        raw("POST", f"{raw.a}/Calls.json", call)
        yield raw
        raw.close()


def _messages(raw: Raw) -> list[dict[str, object]]:
    found: list[dict[str, object]] = raw("GET", f"{raw.a}/Messages.json").json()["messages"]
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_a_list_in_xml_has_the_json_values_and_paging_attributes(raw: Raw) -> None:
    answer = raw("GET", f"{raw.a}/Messages?PageSize=2")
    assert answer.status == 200 and answer.type.startswith("application/xml")
    root = ElementTree.fromstring(answer.body)
    assert root.tag == "TwilioResponse"
    (page,) = list(root)
    assert page.tag == "Messages"
    assert page.attrib["pagesize"] == "2" and page.attrib["page"] == "0"
    assert page.attrib["nextpageuri"].startswith(f"{raw.a}/Messages")
    items = page.findall("Message")
    expected = _messages(raw)[:2]
    assert len(items) == 2
    for element, payload in zip(items, expected, strict=True):
        for key, value in payload.items():
            if isinstance(value, dict):
                continue
            assert (element.findtext(camel(key)) or "") == _text(value), key
        uris = payload["subresource_uris"]
        assert isinstance(uris, dict)
        assert element.findtext("SubresourceUris/Media") == uris["media"]


def test_an_instance_in_xml_and_in_csv(raw: Raw) -> None:
    payload = _messages(raw)[0]
    base = f"{raw.a}/Messages/{payload['sid']}"
    xml = ElementTree.fromstring(raw("GET", base).body)
    assert xml.findtext("Message/Sid") == payload["sid"]
    assert xml.findtext("Message/Body") == payload["body"]
    answer = raw("GET", base + ".csv")
    assert answer.type.startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert row["sid"] == payload["sid"] and row["body"] == payload["body"]


def test_a_list_in_csv_has_a_header_and_one_row_per_record(raw: Raw) -> None:
    answer = raw("GET", f"{raw.a}/Messages.csv")
    assert answer.status == 200
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    expected = _messages(raw)
    assert [r["sid"] for r in rows] == [m["sid"] for m in expected]
    for row, payload in zip(rows, expected, strict=True):
        assert row["num_segments"] == payload["num_segments"]
        assert row["date_sent"] == payload["date_sent"]
        assert row["error_code"] == _text(payload["error_code"])


def test_errors_in_xml_are_rest_exceptions(raw: Raw) -> None:
    answer = raw("GET", f"{raw.a}/Messages/SM{'0' * 32}")
    assert answer.status == 404 and answer.type.startswith("application/xml")
    error = ElementTree.fromstring(answer.body).find("RestException")
    assert error is not None
    assert error.findtext("Code") == "20404" and error.findtext("Status") == "404"
    assert error.findtext("MoreInfo") == "https://www.twilio.com/docs/errors/20404"


def test_an_explicit_xml_extension_is_xml_too(raw: Raw) -> None:
    answer = raw("GET", f"{raw.a}/Calls.xml")
    assert ElementTree.fromstring(answer.body).find("Calls/Call") is not None


def test_recording_media_is_served_as_wav_and_mp3(raw: Raw) -> None:
    (recording,) = raw("GET", f"{raw.a}/Recordings.json").json()["recordings"]
    media_url = recording["media_url"]
    assert media_url == f"{raw.base}{raw.a}/Recordings/{recording['sid']}"
    http = urllib3.PoolManager(headers=raw.headers)
    for suffix, kind in (("", "audio/x-wav"), (".wav", "audio/x-wav"), (".mp3", "audio/mpeg")):
        answer = http.request("GET", media_url + suffix)
        assert answer.status == 200 and answer.headers["Content-Type"] == kind
        if kind == "audio/x-wav":
            with wave.open(io.BytesIO(answer.data)) as audio:
                assert audio.getnframes() > 0 and audio.getframerate() == 8000
        else:
            assert answer.data[:2] == b"\xff\xfb" and len(answer.data) > 1000
    missing = http.request("GET", f"{raw.base}{raw.a}/Recordings/RE{'0' * 32}.mp3")
    assert missing.status == 404 and missing.json()["code"] == 20404


def test_recording_media_is_public_as_on_twilio_but_its_metadata_is_not(raw: Raw) -> None:
    (recording,) = raw("GET", f"{raw.a}/Recordings.json").json()["recordings"]
    anonymous = urllib3.PoolManager()
    audio = anonymous.request("GET", recording["media_url"] + ".mp3")
    assert audio.status == 200 and audio.headers["Content-Type"] == "audio/mpeg"
    metadata = anonymous.request("GET", f"{raw.base}{recording['uri']}")
    assert metadata.status == 401 and metadata.json()["code"] == 20003
    wrong = anonymous.request(
        "GET", recording["media_url"], headers=urllib3.make_headers(basic_auth="AC:wrong")
    )
    assert wrong.status == 401
