"""The same ORM under asyncio: send to many customers at once, read without blocking.

An appointment reminder run: it sends a reminder to every patient at once
(one ``acreate`` each, gathered), reads the day's messages page by page with
``async for`` (the next page is fetched while this one is printed), answers
a few questions without building objects (``acount``, ``aexists``,
``aaggregate``), and redacts a message body with ``await msg.aupdate(...)``.
Needs the async extra: ``pip install 'twiliorm[async]'``.

Runs against an embedded sandbox unless TWILIO_ACCOUNT_SID is set.
"""

import asyncio
import datetime as dt
import os

import twiliorm
from twiliorm import Count, Message, Sum
from twiliorm.sandbox import Sandbox

CLINIC = "+15017122661"
PATIENTS = {f"+1555867{5300 + i}": f"patient {i}" for i in range(12)}


async def remind_everyone(day):
    """One POST per patient, all in flight together (a create is never sent twice)."""
    sends = [
        Message.objects.acreate(to=phone, from_=CLINIC, body=f"Hi {name}, see you on {day:%b %d}.")
        for phone, name in PATIENTS.items()
    ]
    return await asyncio.gather(*sends)


async def todays_messages():
    today = dt.datetime.now(dt.timezone.utc).date()
    async for message in Message.objects.filter(date_sent__gte=today, from_=CLINIC).page_size(5):
        print(f"  {message.sid} -> {message.to}: {message.status}")


async def questions():
    total = await Message.objects.acount()
    failed = await Message.objects.filter(to="+15005550001").aexists()
    spend = await Message.objects.filter(from_=CLINIC).aaggregate(n=Count("sid"), cost=Sum("price"))
    print(f"{total} messages; any to the invalid number: {failed}; from the clinic: {spend}")


async def main():
    sent = await remind_everyone(dt.date.today() + dt.timedelta(days=1))
    print(f"sent {len(sent)} reminders")
    await todays_messages()
    await questions()
    first = await Message.objects.aget(sid=sent[0].sid)  # one GET of the instance
    await first.aupdate(body="")  # POST Body= (an empty body redacts it)
    print(f"redacted {first.sid}: body is now {first.body!r}")
    await twiliorm.get_async_client().aclose()


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect_async()
        asyncio.run(main())
    else:
        with Sandbox() as sb:
            twiliorm.connect_async(sb.account_sid, sb.auth_token, base_url=sb.base_url)
            asyncio.run(main())
