"""What a bulk call tells its caller: the report at the end and progress on the way.

:class:`BulkReport` counts every record the query matched into exactly one of
succeeded, skipped, failed, unknown (writes that must not be repeated, a create
or an update nothing can read back, that may have reached the API)
or planned (a dry run), keeps each failure's SID and error, and says how long
it took, how many requests it sent, how many the API refused (429) and the
concurrency it settled at. :class:`Progress` is what a progress callback
receives after each record.

``int(report)`` is the number of records written (``succeeded``), as
Django's ``update()`` answers a row count, and ``bool(report)`` is
``int(report) > 0``: "did it write anything", not "did it all go well",
which is ``report.ok``. A bulk write whose report is not ``ok`` raises
:class:`~twiliorm.exceptions.BulkError` carrying it (see
:meth:`BulkReport.raise_for_failures`) unless called with
``raise_on_failure=False``.
"""

from __future__ import annotations

import collections

import attrs

from ..exceptions import BulkError

__all__ = ["BulkReport", "Failure", "Progress"]


@attrs.frozen
class Failure:
    """One record that did not succeed: its SID (``#n`` for the n-th object of a create)."""

    sid: str
    error: str
    exception: BaseException | None = attrs.field(default=None, repr=False, eq=False)

    def __str__(self) -> str:
        return f"{self.sid}: {self.error}"


@attrs.frozen
class Progress:
    """Where a bulk call is: records settled so far (of ``total`` when it is known)."""

    operation: str
    done: int
    total: int | None
    succeeded: int
    skipped: int
    failed: int
    unknown: int
    planned: int
    elapsed: float
    concurrency: int

    @property
    def rate(self) -> float:
        """Records settled per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def remaining(self) -> float | None:
        """Seconds left at the current rate, when the total is known."""
        if self.total is None or self.rate <= 0:
            return None
        return max(0, self.total - self.done) / self.rate


@attrs.define
class BulkReport:
    """The outcome of one bulk call; ``str(report)`` is a short summary."""

    operation: str
    matched: int = 0
    succeeded: int = 0
    skipped: int = 0
    planned: int = 0
    failed: list[Failure] = attrs.Factory(list)
    unknown: list[Failure] = attrs.Factory(list)
    elapsed: float = 0.0
    requests: int = 0
    pages: int = 0
    refused: int = 0
    concurrency: float = 0.0
    reasons: collections.Counter[str] = attrs.Factory(collections.Counter)
    examples: list[str] = attrs.Factory(list)

    EXAMPLES = 20

    @property
    def ok(self) -> bool:
        """True when nothing failed and no outcome is unknown."""
        return not self.failed and not self.unknown

    @property
    def settled(self) -> int:
        return self.succeeded + self.skipped + self.planned + len(self.failed) + len(self.unknown)

    def __int__(self) -> int:
        """The number of records written (``succeeded``), like Django's row count."""
        return self.succeeded

    def __bool__(self) -> bool:
        """Whether anything was written (``int(report) > 0``); ``report.ok`` says all went well."""
        return self.succeeded > 0

    def raise_for_failures(self) -> BulkReport:
        """Raise :class:`BulkError` carrying this report if any record failed or is in
        doubt (``not report.ok``); else return the report."""
        if not self.ok:
            raise BulkError(self.failure_summary(), self)
        return self

    def failure_summary(self, first: int = 3) -> str:
        """One line: how many records failed or are in doubt, of how many, and the first few."""
        troubles = [f"{len(self.failed)} failed"] if self.failed else []
        if self.unknown:
            troubles.append(f"{len(self.unknown)} with an unknown outcome (not resent)")
        shown = [str(f) for f in [*self.failed, *self.unknown]]
        if len(shown) > first:
            shown[first:] = [f"and {len(shown) - first} more"]
        head = (
            f"{self.operation}: {' and '.join(troubles) or 'no failures'} of {self.matched} "
            f"({self.succeeded} succeeded, {self.skipped} skipped)"
        )
        return f"{head}: {'; '.join(shown)}" if shown else head

    def count(self, key: str, status: str, error: BaseException | None, note: str) -> None:
        """Count one record's final outcome (``status`` is a Status value)."""
        if status == "done":
            self.succeeded += 1
        elif status == "skipped":
            self.skipped += 1
            self.reasons[note or "skipped"] += 1
        elif status == "planned":
            self.planned += 1
            if len(self.examples) < self.EXAMPLES:
                self.examples.append(key)
        elif status == "unknown":
            self.unknown.append(_failure(key, error, note))
        else:
            self.failed.append(_failure(key, error, note))

    def __str__(self) -> str:
        lines = [
            f"{self.operation}: {self.matched} matched, {self.succeeded} succeeded, "
            f"{self.skipped} skipped, {len(self.failed)} failed"
            + (f", {len(self.unknown)} unknown outcome" if self.unknown else "")
            + (f", {self.planned} would be written (dry run)" if self.planned else "")
            + f" in {self.elapsed:.1f} s"
        ]
        sent = [_count(self.requests, "request"), _count(self.pages, "list page")]
        if self.requests:
            lines.append(
                f"  {' and '.join(n for n in sent if n)}, {self.refused} refused (429), "
                f"settled at {self.concurrency:g} in flight"
            )
        elif self.pages:
            lines.append(f"  {sent[1]}")
        lines += [f"  skipped, {reason}: {n}" for reason, n in sorted(self.reasons.items())]
        lines += [f"  failed {f}" for f in self.failed[:10]]
        if len(self.failed) > 10:
            lines.append(f"  ... and {len(self.failed) - 10} more failures")
        lines += [f"  unknown outcome {f}" for f in self.unknown[:10]]
        return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    """``3 requests``, ``1 list page``; empty for none."""
    if not number:
        return ""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _failure(key: str, error: BaseException | None, note: str) -> Failure:
    text = str(error) if error is not None else note
    if note and error is not None:
        text = f"{text} ({note})"
    return Failure(key, text or "failed", error)
