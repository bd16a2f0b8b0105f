"""A list's pages read once each record: what ``ListReader`` keeps of each page (no I/O).

A record Twilio's paging lists again at the top of the next page (the list
changed between two requests) is left out by its SID; a record without a SID
cannot be told apart and is kept.
"""

from __future__ import annotations

from typing import Any

from twiliorm import Message
from twiliorm.protocol import ListReader

SID = "AC" + "0" * 32


def pages_read(*pages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    reader = ListReader(Message.objects.all().query.compile(SID), "messages", "sid", "http://api")
    read = []
    for number, records in enumerate(pages):
        last = number == len(pages) - 1
        link = None if last else f"/2010-04-01/Accounts/{SID}/Messages.json?Page={number + 1}"
        read.append(reader.feed({"messages": records, "next_page_uri": link}).records)
    return read


def test_a_record_listed_again_on_the_next_page_is_read_once() -> None:
    first = [{"sid": "SM1"}, {"sid": "SM2"}]
    second = [{"sid": "SM2"}, {"sid": "SM3"}]
    assert pages_read(first, second) == [first, [{"sid": "SM3"}]]


def test_records_without_a_sid_are_kept_and_the_others_still_read_once() -> None:
    first = [{"sid": "SM1"}, {"body": "no sid"}, {"sid": "SM2"}]
    second = [{"sid": "SM2"}, {"body": "no sid either"}, {"sid": None}, {"sid": "SM3"}]
    assert pages_read(first, second) == [
        first,
        [{"body": "no sid either"}, {"sid": None}, {"sid": "SM3"}],
    ]


def test_isnull_tested_a_page_at_once_keeps_what_the_record_test_keeps() -> None:
    records: list[dict[str, Any]] = [
        {"sid": "SM1", "date_sent": "Thu, 30 Jul 2015 20:12:31 +0000"},
        {"sid": "SM2", "date_sent": None},
        {"sid": "SM3"},
        {"sid": "SM4", "date_sent": ""},  # a value, though empty
        {"sid": "SM5", "date_sent": 0},
    ]
    for isnull in (True, False):
        test = Message.objects.filter(date_sent__isnull=isnull).query.compile(SID).predicate
        assert test is not None
        kept = [r["sid"] for r in records if test(r)]
        assert kept == (["SM2", "SM3"] if isnull else ["SM1", "SM4", "SM5"])
        reader = ListReader(
            Message.objects.filter(date_sent__isnull=isnull).query.compile(SID),
            "messages",
            "sid",
            "http://api",
        )
        page = reader.feed({"messages": records, "next_page_uri": None})
        assert [r["sid"] for r in page.records] == kept
