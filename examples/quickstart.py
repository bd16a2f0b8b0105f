"""The user code of twiliorm's design, run against a sandbox.

With TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_API_BASE_URL set (for
instance to a `twiliorm sandbox` you started), it uses them; otherwise it
starts an embedded sandbox. Only the connecting part differs from the design
document; the placeholders "AC..." and "CF..." are filled with a real
sub-account and conference made for the purpose.
"""

import datetime as dt
import os

import twiliorm
from twiliorm import (
    Account,
    AvailablePhoneNumber,
    Call,
    Conference,
    IncomingPhoneNumber,
    Message,
    Participant,
)

# --- connecting: the environment if it names an account, else an embedded sandbox ---
sandbox = None
if os.environ.get("TWILIO_ACCOUNT_SID"):
    twiliorm.connect()  # TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_API_BASE_URL from the environment
else:
    from twiliorm.sandbox import Sandbox

    sandbox = Sandbox().start()
    twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)

# buy a number (seed: "Buying a Phone Number")
found = AvailablePhoneNumber.objects.filter(
    country="US", type=twiliorm.LOCAL, area_code=530, contains="WOLF"
)
number = found.first().purchase()  # -> IncomingPhoneNumber (POST IncomingPhoneNumbers.json)
number.voice_url = "http://example.com/twiml.xml"
number.save()  # POST only the changed field: VoiceUrl=...
print("bought", number.phone_number, "voice_url", number.voice_url)

# send and read messages (seed: "Sending and Retrieving SMS Messages")
msg = Message.objects.create(to="+18995431234", from_="+13452341231", body="Hello Monkey")
recent = Message.objects.filter(
    to="+13453453344", date_sent__gte=dt.date(2026, 1, 1)
).exclude(  # To=..., DateSent>=2026-01-01
    status="failed"
)  # not a server filter: applied client-side
print(recent.explain())  # the GET it compiles to, and which lookups run client-side
for m in recent[:100]:  # PageSize=100, one request, stops there
    print(m.sid, m.date_sent, m.body)

# the objects the design's placeholders stand for
subaccount = Account.objects.create(friendly_name="quickstart")
Call.objects.create(
    to="+15558675310",
    from_=number.phone_number,
    twiml="<Response><Dial><Conference>Quickstart</Conference></Dial></Response>",
)
conference = Conference.objects.get(friendly_name="Quickstart")

# sub-accounts and nested resources
for a in Account.objects.all():
    print(a.friendly_name, a.status)
Message.objects.using(account=subaccount.sid)  # same queries, another account
Participant.objects.filter(
    conference=conference.sid, muted=True
)  # parent is required, says so if missing
conference.participants.filter(muted=True)

print("numbers owned:", IncomingPhoneNumber.objects.count())
print("participants in", conference.friendly_name, conference.participants.count())
if sandbox is not None:
    sandbox.stop()
