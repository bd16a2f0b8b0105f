"""Point every phone number's voice URL at a new application.

    python examples/migrations/repoint_voice_urls.py [NEW_URL]

The same from the shell:

    twiliorm update incoming_phone_numbers --set voice_url=https://example.com/v2/voice.xml

Numbers that already use the new URL are skipped without a request; a
``--dry-run`` first shows which numbers would change.
"""

import sys

from _rehearsal import connect

import twiliorm
from twiliorm import AvailablePhoneNumber, IncomingPhoneNumber

new_url = sys.argv[1] if len(sys.argv) > 1 else "https://example.com/v2/voice.xml"
sandbox = connect()
if sandbox:  # six numbers on the old URL, two already moved over
    found = AvailablePhoneNumber.objects.filter(country="US", type=twiliorm.LOCAL, area_code=530)
    for n, available in enumerate(found[:8]):
        available.purchase(voice_url=new_url if n < 2 else "https://example.com/v1/voice.xml")

plan = IncomingPhoneNumber.objects.update(voice_url=new_url, dry_run=True)
print(plan)
report = IncomingPhoneNumber.objects.update(voice_url=new_url, workers=8)
print(report)

assert report.ok, report.failed
assert report.succeeded == plan.planned
assert {n.voice_url for n in IncomingPhoneNumber.objects.all()} == {new_url}
if sandbox:
    assert report.succeeded == 6 and report.skipped == 2
    sandbox.stop()
