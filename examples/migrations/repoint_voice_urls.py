"""Point every phone number's voice URL at a new application.

    python examples/migrations/repoint_voice_urls.py                 # a rehearsal
    python examples/migrations/repoint_voice_urls.py --live --url https://example.com/v2/voice.xml

The same from the shell (it asks first; --dry-run shows which numbers would change):

    twiliorm update incoming_phone_numbers --set voice_url=https://example.com/v2/voice.xml

Numbers that already use the new URL are skipped without a request.
"""

import sys

from _rehearsal import confirmed, connect, parse, parser

import twiliorm
from twiliorm import AvailablePhoneNumber, IncomingPhoneNumber

options = parser(__doc__)
options.add_argument("--url", help="the new voice URL of every number")
args = parse(options, ["url"], url="https://example.com/v2/voice.xml")
sandbox = connect(args.live)
if sandbox:  # six numbers on the old URL, two already moved over
    found = AvailablePhoneNumber.objects.filter(country="US", type=twiliorm.LOCAL, area_code=530)
    for n, available in enumerate(found[:8]):
        available.purchase(voice_url=args.url if n < 2 else "https://example.com/v1/voice.xml")

plan = IncomingPhoneNumber.objects.update(voice_url=args.url, dry_run=True)
print(plan)
if not plan.planned or not confirmed(args.live, args.yes, f"repoint {plan.planned} numbers"):
    sys.exit("nothing changed" if plan.planned else 0)
report = IncomingPhoneNumber.objects.update(voice_url=args.url, workers=8, raise_on_failure=False)
print(report)

if not report.ok:  # the report above lists the failures; exit non-zero
    sys.exit(report.failure_summary())
assert report.succeeded == plan.planned
assert {n.voice_url for n in IncomingPhoneNumber.objects.all()} == {args.url}
if sandbox:
    assert report.succeeded == 6 and report.skipped == 2
    sandbox.stop()
