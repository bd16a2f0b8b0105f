"""Export the calls of the last N days to CSV for a warehouse or a spreadsheet.

    python examples/migrations/export_calls.py [DAYS] [FILE]

The same from the shell (GNU date):

    twiliorm export calls --filter start_time__gte=$(date -u -d '7 days ago' +%F) -o calls.csv

The export streams page by page, so memory stays flat however many calls
there are; timestamps are ISO 8601 in UTC and prices the exact text Twilio
sends. The file appears only once it is complete.
"""

import csv
import datetime as dt
import sys
import tempfile
from pathlib import Path

from _rehearsal import connect

from twiliorm import Call

days = int(sys.argv[1]) if len(sys.argv) > 1 else 100
target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.gettempdir()) / "calls.csv"
sandbox = connect(calls=500)

since = dt.date.today() - dt.timedelta(days=days)
calls = Call.objects.filter(start_time__gte=since)
columns = ["sid", "from_", "to", "status", "start_time", "duration", "price", "price_unit"]
report = calls.export(target, fields=columns)
print(report)

with open(target, newline="") as handle:
    rows = list(csv.DictReader(handle))
print(f"{len(rows)} calls in {target}; the first: {rows[0] if rows else None}")
assert len(rows) == report.matched
if sandbox:
    assert len(rows) == calls.count() > 0
    sandbox.stop()
