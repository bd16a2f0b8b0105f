"""What a bulk call tells its caller: the report at the end and progress on the way.

:class:`BulkReport` counts every record the query matched into exactly one of
succeeded, skipped, failed, unknown (writes that must not be repeated, a create
or an update nothing can read back, that may have reached the API)
or planned (a dry run), keeps each failure's SID and error, and says how long
it took, how many requests it sent, how many the API refused (429) and the
concurrency it settled at. :class:`Progress` is what a progress callback
receives after each record.
"""

from __future__ import annotations

import collections

import attrs

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
