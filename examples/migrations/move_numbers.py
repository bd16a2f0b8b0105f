"""Move phone numbers from the main account to a sub-account.

    python examples/migrations/move_numbers.py [FRIENDLY_NAME] [SUBACCOUNT_SID]

The same from the shell:

    twiliorm update incoming_phone_numbers --filter friendly_name=legacy \
        --set account_sid=AC... --checkpoint move.ckpt

Twilio transfers a number by updating its AccountSid to another account of
the same owner. A number already moved is no longer listed under the main
account, so running this again moves only what is left.
"""

import sys

from _rehearsal import connect

import twiliorm
from twiliorm import Account, AvailablePhoneNumber, IncomingPhoneNumber

label = sys.argv[1] if len(sys.argv) > 1 else "legacy"
sandbox = connect()
if sandbox:  # four numbers to move, two to keep, and the sub-account they go to
    found = AvailablePhoneNumber.objects.filter(country="US", type=twiliorm.LOCAL, area_code=530)
    for available, name in zip(found[:6], [label] * 4 + ["main line"] * 2, strict=True):
        available.purchase(friendly_name=name)
target = sys.argv[2] if len(sys.argv) > 2 else Account.objects.create(friendly_name="West").sid

numbers = IncomingPhoneNumber.objects.filter(friendly_name=label)
print(f"moving {numbers.count()} numbers labelled {label!r} to {target}")
report = numbers.update(account_sid=target, workers=4)
print(report)

assert report.ok, report.failed
moved = IncomingPhoneNumber.objects.using(account=target).filter(friendly_name=label)
print(f"{target} now has {moved.count()} of them")
assert not numbers.exists()
if sandbox:
    assert moved.count() == 4 and IncomingPhoneNumber.objects.count() == 2
    sandbox.stop()
