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
