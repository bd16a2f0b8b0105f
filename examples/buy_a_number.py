"""Buying a phone number (the seed's "Buying a Phone Number"): a provisioning script.

Looks for a local number in an area code that spells a word, falls back to
any SMS-capable number there, buys it, points its voice and SMS webhooks at
your app, lists what the account owns, and releases a number it no longer
needs. The last part does the same through the seed's client.

Runs against an embedded sandbox unless TWILIO_ACCOUNT_SID is set; then it
uses that account (and really buys numbers).
"""

import os

import twiliorm
from twiliorm import AvailablePhoneNumber, IncomingPhoneNumber, api
from twiliorm.sandbox import Sandbox

APP_URL = "https://example.com/twilio"


def find_number(area_code, word):
    """A number in ``area_code`` containing ``word`` (on the keypad), or any SMS-capable one."""
    vanity = AvailablePhoneNumber.objects.filter(
        country="US", type=twiliorm.LOCAL, area_code=area_code, contains=word
    )
    print(vanity[:1].explain())  # GET .../US/Local.json?AreaCode=530&Contains=WOLF&PageSize=1
    found = vanity.first()  # that one request
    if found is None:
        anyone = AvailablePhoneNumber.objects.filter(area_code=area_code, sms_enabled=True)
        found = anyone.first()
    return found


def buy(candidate, name):
    """Buy ``candidate`` and point its webhooks at the app (one POST each)."""
    number = candidate.purchase(friendly_name=name)  # POST IncomingPhoneNumbers.json
    number.voice_url = f"{APP_URL}/voice"
    number.sms_url = f"{APP_URL}/sms"
    number.save()  # POST .../IncomingPhoneNumbers/PN....json with VoiceUrl and SmsUrl only
    return number


def show_owned():
    for number in IncomingPhoneNumber.objects.all():
        print(f"  {number.phone_number}  {number.friendly_name!r:24}  voice: {number.voice_url}")


def release(number):
    number.delete()  # DELETE .../IncomingPhoneNumbers/PN....json


def with_the_seed_client(conn):
    """The seed's own code, with its client."""
    numbers = conn.phone_numbers.search(area_code=530, contains="WOLF")
    n = numbers[0].purchase()
    n.update(voice_url="http://foo.com/twiml.xml")
    return n


def main():
    candidate = find_number(530, "WOLF")
    print("found", candidate.phone_number, "in", candidate.locality, candidate.region)
    support = buy(candidate, "support line")
    print("bought", support.phone_number, "->", support.voice_url)

    spare = buy(find_number(415, "HELP"), "spare line")
    print("numbers owned:")
    show_owned()
    release(spare)
    print("released", spare.phone_number, "; still own", IncomingPhoneNumber.objects.count())

    conn = api.Client(client=twiliorm.default_client())
    seed_number = with_the_seed_client(conn)
    print("the seed's client bought", seed_number.phone_number, "->", seed_number.voice_url)
    print("owned now:", [n.phone_number for n in conn.phone_numbers.list()])


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()  # the environment's account (and TWILIO_API_BASE_URL if set)
        main()
    else:
        with Sandbox() as sandbox:  # no account: a local Twilio-compatible API
            twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
            main()
