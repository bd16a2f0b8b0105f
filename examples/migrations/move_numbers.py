"""Move phone numbers from the main account to a sub-account.

    python examples/migrations/move_numbers.py                       # a rehearsal
    python examples/migrations/move_numbers.py --live --label legacy --to AC...

The same from the shell:

    twiliorm update incoming_phone_numbers --filter friendly_name=legacy \
        --set account_sid=AC... --checkpoint move.ckpt

Twilio transfers a number by updating its AccountSid to another account of
the same owner. A number already moved is no longer listed under the main
account, so running this again moves only what is left.
"""

import sys

from _rehearsal import confirmed, connect, parse, parser

import twiliorm
from twiliorm import Account, AvailablePhoneNumber, IncomingPhoneNumber

options = parser(__doc__)
options.add_argument("--label", help="move the numbers with this friendly name")
options.add_argument("--to", metavar="AC...", help="the sub-account they go to")
args = parse(options, ["label", "to"], label="legacy")
sandbox = connect(args.live)
if sandbox:  # four numbers to move, two to keep, and the sub-account they go to
    found = AvailablePhoneNumber.objects.filter(country="US", type=twiliorm.LOCAL, area_code=530)
    for available, name in zip(found[:6], [args.label] * 4 + ["main line"] * 2, strict=True):
        available.purchase(friendly_name=name)
    args.to = Account.objects.create(friendly_name="West").sid

numbers = IncomingPhoneNumber.objects.filter(friendly_name=args.label)
count = numbers.count()
print(f"{count} numbers labelled {args.label!r} to move to {args.to}")
if not count or not confirmed(args.live, args.yes, f"move {count} numbers to {args.to}"):
    sys.exit("nothing changed" if count else 0)
report = numbers.update(account_sid=args.to, workers=4, raise_on_failure=False)
print(report)

if not report.ok:  # the report above lists the failures; exit non-zero
    sys.exit(report.failure_summary())
moved = IncomingPhoneNumber.objects.using(account=args.to).filter(friendly_name=args.label)
print(f"{args.to} now has {moved.count()} of them")
assert not numbers.exists()
if sandbox:
    assert moved.count() == 4 and IncomingPhoneNumber.objects.count() == 2
    sandbox.stop()
