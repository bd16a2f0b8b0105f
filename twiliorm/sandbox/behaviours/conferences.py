"""Conferences and participants.

A conference starts when the first call joins it by name (TwiML
``<Dial><Conference>``) and ends when its last participant leaves or it is
updated to ``Status=completed``. Creating a participant over the API dials a
new call into an existing conference; participants can be muted, held and
kicked (DELETE), which hangs up their call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..generic import Behaviour, behaviour
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Conferences", "Participants"]


#: a conference that has not ended (one by a name at a time)
_LIVE = ("json_extract(body, '$.status') != 'completed'", ())


@behaviour("Conference")
class Conferences(Behaviour):
    def live(self, account: str, name: str) -> Record:
        """The live conference called ``name``, started if there is none."""
        return self.by_name(account, name, _LIVE, status="init", region="us1")

    def set(self, record: Record, **changes: Any) -> Record:
        current = self.store.get(self.name, record.account, "", record.pk) or record
        body = dict(current.body, date_updated=self.app.now_rfc2822(), **changes)
        return self.save(current, body)

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        status = ctx.form_value("Status")
        if status is not None and status != "completed":
            raise ApiError(
                400, 20001, f"Invalid Status {status!r}: only 'completed' ends a conference"
            )

    def after_update(self, ctx: Context, record: Record) -> None:
        if ctx.form_value("Status") == "completed":
            self.end(record, "conference-ended-via-api")

    def end(self, record: Record, reason: str) -> None:
        # Completed first: each participant kicked below then finds it over, instead of
        # ending it again from inside this loop (a level of recursion per participant).
        self.set(record, status="completed", reason_conference_ended=reason)
        participants = self.app.behaviours.participants
        for member in self.store.children(
            "Participant", record.account, f"conference_sid={record.pk}"
        ):
            participants.kick(member)


@behaviour("Participant")
class Participants(Behaviour):
    def join(self, call: Record, name: str, options: dict[str, str]) -> Record:
        """Put an answered call into the conference ``name``."""
        conferences = self.app.behaviours.conferences
        conference = conferences.live(call.account, name)
        if conference.body.get("status") == "init":
            conference = conferences.set(conference, status="in-progress")
        return self._add(call, conference, options, status="connected")

    def _add(
        self, call: Record, conference: Record, options: dict[str, str], status: str
    ) -> Record:
        def flag(name: str, default: bool) -> bool:
            value = options.get(name)
            return default if value is None else value.lower() == "true"

        return self.make(
            call.account,
            {"conference_sid": conference.pk, "call_sid": call.pk},
            status=status,
            queue_time="0",
            muted=flag("muted", False),
            hold=flag("hold", False),
            coaching=flag("coaching", False),
            start_conference_on_enter=flag("startConferenceOnEnter", True),
            end_conference_on_exit=flag("endConferenceOnExit", False),
            label=options.get("label"),
        )

    def create(self, ctx: Context) -> dict[str, Any]:
        conference = self.store.get("Conference", ctx.account, "", ctx.params["conference_sid"])
        if conference is None or conference.body.get("status") == "completed":
            raise ApiError.not_found(ctx.path)
        frm, to = ctx.form_value("From"), ctx.form_value("To")
        if not frm or not to:
            raise ApiError(
                400,
                21201 if not to else 21213,
                f"No '{'To' if not to else 'From'}' number is specified",
            )
        calls = self.app.behaviours.calls
        leg = calls.new_leg(ctx.account, frm, to)
        calls.set_status(leg, "in-progress", start_time=self.app.now_rfc2822())
        options = {
            k[0].lower() + k[1:]: v
            for k, v in ctx.form
            if k
            in (
                "Muted",
                "Hold",
                "Coaching",
                "StartConferenceOnEnter",
                "EndConferenceOnExit",
                "Label",
            )
        }
        record = self._add(leg, conference, options, status="connected")
        return record.body

    def delete(self, ctx: Context) -> None:
        self.kick(self.load(ctx))

    def kick(self, record: Record) -> None:
        """Remove a participant and hang up its call; end the conference if it was the last."""
        self.store.delete(record)
        call = self.store.find("Call", record.pk)
        if call is not None:
            self.app.behaviours.calls.finish(call, force=True)
        self._maybe_end(record)

    def leave(self, call_sid: str) -> bool:
        """The call ``call_sid`` left its conference (hung up or redirected)."""
        record = self.store.find(self.name, call_sid)
        if record is None:
            return False
        self.store.delete(record)
        self._maybe_end(record)
        return True

    def _maybe_end(self, record: Record) -> None:
        conference_sid = record.parent.partition("=")[2]
        conference = self.store.get("Conference", record.account, "", conference_sid)
        if conference is None or conference.body.get("status") == "completed":
            return
        left = self.store.children(self.name, record.account, record.parent, limit=1)
        if not left or record.body.get("end_conference_on_exit"):
            reason = (
                "participant-with-end-conference-on-exit-left" if left else "last-participant-left"
            )
            self.app.behaviours.conferences.end(conference, reason)
