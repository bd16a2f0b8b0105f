"""Redact the bodies of messages older than N days (a retention rule).

    python examples/migrations/redact_old_bodies.py                  # a rehearsal
    python examples/migrations/redact_old_bodies.py --live --days 30

The same from the shell (GNU date):

    twiliorm update messages --filter date_sent__lt=$(date -u -d '30 days ago' +%F) \
        --set body= --checkpoint redact.ckpt

Twilio redacts a body when it is updated to the empty string. Messages whose
body is already empty are skipped without a request, and the checkpoint lets
a run that was interrupted finish the rest when started again the same day
(the cutoff is a day, so the job, which the checkpoint names, stays the same).
"""

import datetime as dt
import sys
import tempfile
from pathlib import Path

from _rehearsal import confirmed, connect, parse, parser

import twiliorm
from twiliorm import Message

options = parser(__doc__)
options.add_argument("--days", type=int, help="redact messages sent before this many days ago")
args = parse(options, ["days"], days=30)
sandbox = connect(args.live, messages=300)
if sandbox:  # a few recent messages, which must keep their bodies
    for n in range(5):
        Message.objects.create(to="+15558675310", from_="+14155550100", body=f"recent {n}")

cutoff = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=args.days)
old = Message.objects.filter(date_sent__lt=cutoff)
print(old.explain())
plan = old.update(body="", dry_run=True)
print(plan)
if plan.planned and not confirmed(args.live, args.yes, f"redact {plan.planned} messages"):
    sys.exit("nothing changed")
account = twiliorm.default_client().account_sid
checkpoint = Path(tempfile.gettempdir()) / f"redact-{account}-{cutoff}.ckpt"
report = old.update(body="", workers=8, resume=checkpoint, raise_on_failure=False)
print(report)

if not report.ok:  # the report above lists the failures; exit non-zero
    sys.exit(report.failure_summary())
left = [m.sid for m in old if m.body]
print(f"{len(left)} old messages still have a body; checkpoint in {checkpoint}")
assert not left
if sandbox:
    assert Message.objects.filter(date_sent__gte=cutoff).count() == 5
    sandbox.stop()
