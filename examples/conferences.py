"""Conferences (the seed's "Something with Conferences"): running a daily stand-up call.

Dials the team into a conference room, finds the room once it is live,
mutes everyone but the host, brings a late joiner in, drops someone who
left their line open, and ends the call for all. The last part does the
same looking-up through the seed's client (``conn.participants``).

Runs against an embedded sandbox unless TWILIO_ACCOUNT_SID is set (then it
places real calls).
"""

import os

import twiliorm
from twiliorm import Call, Conference, api
from twiliorm.sandbox import Sandbox

ROOM = "Daily stand-up"
BRIDGE = "+15017122661"
HOST = "+15558675310"
TEAM = ("+15558675311", "+15558675312", "+15558675313")
TWIML = f"<Response><Dial><Conference>{ROOM}</Conference></Dial></Response>"


def dial_in(numbers):
    """Call each number; the TwiML puts whoever answers into the room (one POST each)."""
    return [Call.objects.create(to=number, from_=BRIDGE, twiml=TWIML) for number in numbers]


def live_room():
    """The room, once the first call joined it (FriendlyName=...&Status=in-progress)."""
    return Conference.objects.filter(friendly_name=ROOM, status="in-progress").get()


def mute_all_but(room, host_call):
    muted = 0
    for participant in room.participants.filter(muted=False):  # Muted=false, on the server
        if participant.call_sid != host_call.sid:
            participant.update(muted=True)  # POST .../Participants/CA....json Muted=true
            muted += 1
    return muted


def late_joiner(room, number):
    """Dial someone straight into the room (POST .../Participants.json)."""
    return room.participants.create(from_=BRIDGE, to=number, label="late")


def drop(participant):
    participant.delete()  # DELETE .../Participants/CA....json: hang up their leg


def end(room):
    room.update(status="completed")  # ends the conference for everyone still in it
    return room


def with_the_seed_client(conn, room):
    """The seed's Participants list: the conference is always given first."""
    muted = conn.participants.list(room.sid, muted=True)
    first = conn.participants.get(room.sid, muted[0].call_sid)
    return muted, first


def main():
    host_call, *team_calls = dial_in((HOST, *TEAM))
    room = live_room()
    print(f"{room.friendly_name!r} is {room.status} with {room.participants.count()} people")
    print(f"muted {mute_all_but(room, host_call)} participants")
    joiner = late_joiner(room, "+15558675314")
    print(f"dialled in {joiner.call_sid} ({joiner.label})")

    conn = api.Client(client=twiliorm.default_client())
    muted, first = with_the_seed_client(conn, room)
    print(f"the seed's client: {len(muted)} muted, the first is {first.call_sid}")

    drop(room.participants.get(call_sid=team_calls[-1].sid))
    print("in the room now:", [p.call_sid for p in room.participants.all()])
    end(room)
    print(f"{room.friendly_name!r} is {room.status}")
    print("host's call:", Call.objects.get(sid=host_call.sid).status)


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()
        main()
    else:
        with Sandbox() as sandbox:
            twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
            main()
