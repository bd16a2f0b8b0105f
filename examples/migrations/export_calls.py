"""Export the calls of the last N days to CSV for a warehouse or a spreadsheet.

    python examples/migrations/export_calls.py                       # a rehearsal
    python examples/migrations/export_calls.py --live --days 7 --output calls.csv

The same from the shell (GNU date):

    twiliorm export calls --filter start_time__gte=$(date -u -d '7 days ago' +%F) -o calls.csv

The export streams page by page, so memory stays flat however many calls
there are; timestamps are ISO 8601 in UTC and prices the exact text Twilio
sends. The file appears only once it is complete. It changes nothing in the
account, so a live run asks no question; it still names what it reads and
where it writes.
"""

import csv
import datetime as dt
import tempfile
from pathlib import Path

from _rehearsal import connect, parse, parser

from twiliorm import Call

options = parser(__doc__)
options.add_argument("--days", type=int, help="export the calls of this many days")
options.add_argument("--output", type=Path, help="the CSV file to write")
args = parse(
    options, ["days", "output"], days=100, output=Path(tempfile.gettempdir()) / "calls.csv"
)
sandbox = connect(args.live, calls=500)

since = dt.date.today() - dt.timedelta(days=args.days)
calls = Call.objects.filter(start_time__gte=since)
columns = ["sid", "from_", "to", "status", "start_time", "duration", "price", "price_unit"]
report = calls.export(args.output, fields=columns)
print(report)

with open(args.output, newline="") as handle:
    rows = list(csv.DictReader(handle))
print(f"{len(rows)} calls in {args.output}; the first: {rows[0] if rows else None}")
assert len(rows) == report.matched
if sandbox:
    assert len(rows) == calls.count() > 0
    sandbox.stop()
