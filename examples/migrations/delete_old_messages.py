"""Delete messages older than N days, after a look at what would go.

    python examples/migrations/delete_old_messages.py                # a rehearsal
    python examples/migrations/delete_old_messages.py --live --days 60

The same from the shell (GNU date; it asks before deleting unless --yes):

    twiliorm delete messages --filter date_sent__lt=$(date -u -d '60 days ago' +%F) --dry-run
    twiliorm delete messages --filter date_sent__lt=$(date -u -d '60 days ago' +%F) --yes

A message already deleted (by another run, or by hand meanwhile) counts as
skipped, not failed.
"""

import datetime as dt
import sys

from _rehearsal import confirmed, connect, parse, parser

from twiliorm import Message

options = parser(__doc__)
options.add_argument("--days", type=int, help="delete messages sent before this many days ago")
args = parse(options, ["days"], days=60)
sandbox = connect(args.live, messages=200)
if sandbox:
    Message.objects.create(to="+15558675310", from_="+14155550100", body="keep me")

cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=args.days)
old = Message.objects.filter(date_sent__lt=cutoff)
look = old.delete(dry_run=True)
print(look)
if look.planned and not confirmed(args.live, args.yes, f"delete {look.planned} messages"):
    sys.exit("nothing deleted")
report = old.delete(workers=8, progress=lambda p: None, raise_on_failure=False)
print(report)

if not report.ok:  # the report above lists the failures; exit non-zero
    sys.exit(report.failure_summary())
assert report.succeeded + report.skipped == look.planned
assert not old.exists()
if sandbox:
    assert [m.body for m in Message.objects.all()] == ["keep me"]
    sandbox.stop()
