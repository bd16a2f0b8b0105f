"""Add-ons: assigned to incoming numbers, and their results on recordings.

Assigning an installed add-on (``XE...``) to a number gives the assignment
the add-on's SID and one extension (``XF...``, enabled). When a recording is
made of a call to or from a number with add-ons assigned, each add-on
analyses it: the recording's ``AddOnResults`` show one completed result per
add-on, with one JSON payload whose data (``Data.json``) answers 307 with
``redirect_to`` as Twilio does. A result appears the first time the
recording's results are read (once, even when several readers come at
once), and a deleted one stays deleted. Deleting an assignment deletes its
extensions, deleting a result its payloads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..generic import Behaviour, behaviour, new_sid
from ..pages import Page
from ..render import Reply
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["AddOnResults", "AssignedAddOns", "Extensions", "PayloadData", "Payloads"]

_ASSIGNED = "IncomingPhoneNumberAssignedAddOn"
_EXTENSION = "IncomingPhoneNumberAssignedAddOnExtension"
_RESULT = "RecordingAddOnResult"
_PAYLOAD = "RecordingAddOnResultPayload"
Records = list[Record]  # named here: ``list`` is an operation inside a Behaviour class


@behaviour(_ASSIGNED)
class AssignedAddOns(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self.parent_record(ctx, "IncomingPhoneNumber", "resource_sid")
        sid = ctx.form_value("InstalledAddOnSid") or ""
        if self.store.get(self.name, ctx.account, self.parent_of(ctx.params), sid):
            raise ApiError(400, 20001, f"Add-on {sid} is already assigned to this number")
        body.update(
            sid=sid,
            friendly_name="Sandbox Recording Analysis",
            unique_name="twiliorm-sandbox-analysis",
            description="Analyses recordings of this number's calls (sandbox)",
            configuration={"recordings": True},
        )

    def after_create(self, ctx: Context, record: Record) -> None:
        self.app.behaviours.add_on_extensions.make(
            ctx.account,
            {**ctx.params, "assigned_add_on_sid": record.pk},
            sid=new_sid("XF"),
            friendly_name="Recording Analysis",
            product_name="Recording Analysis",
            unique_name="recording-analysis",
            enabled=True,
        )

    def before_delete(self, ctx: Context, record: Record) -> None:
        extensions = f"{record.parent}&assigned_add_on_sid={record.pk}"
        for extension in self.store.children(_EXTENSION, record.account, extensions):
            self.store.delete(extension)


@behaviour(_EXTENSION)
class Extensions(Behaviour):
    def list(self, ctx: Context) -> Page:
        self._check_parents(ctx)
        return super().list(ctx)

    def _check_parents(self, ctx: Context) -> None:
        self.parent_record(ctx, "IncomingPhoneNumber", "resource_sid")
        number = f"resource_sid={ctx.params['resource_sid']}"
        if not self.store.get(_ASSIGNED, ctx.account, number, ctx.params["assigned_add_on_sid"]):
            raise ApiError.not_found(ctx.path)


@behaviour(_RESULT)
class AddOnResults(Behaviour):
    """One result per add-on assigned to a number of the recorded call."""

    def list(self, ctx: Context) -> Page:
        self.analyse(ctx.account, ctx.params["reference_sid"], ctx.path)
        return super().list(ctx)

    def load(self, ctx: Context) -> Record:
        self.analyse(ctx.account, ctx.params["reference_sid"], ctx.path)
        return super().load(ctx)

    def before_delete(self, ctx: Context, record: Record) -> None:
        payloads = f"{record.parent}&add_on_result_sid={record.pk}"
        for payload in self.store.children(_PAYLOAD, record.account, payloads):
            self.store.delete(payload)

    def analyse(self, account: str, recording_sid: str, path: str) -> None:
        """Run the numbers' add-ons on a recording, once each.

        Reads run concurrently; this one may write, so it takes the lock writes take:
        two readers arriving together must not both find an add-on not yet run.
        """
        recording = self.store.get("Recording", account, "", recording_sid)
        if recording is None:
            raise ApiError.not_found(path)
        with self.app.lock, self.store.transaction():  # marked done with its results
            for assigned in self.assigned_to_numbers_of(recording):
                key = f"{recording_sid}:{assigned.pk}"
                if not self.store.state(self.name, key):
                    self.store.set_state(self.name, key, {"done": True})
                    self.result(recording, assigned)

    def assigned_to_numbers_of(self, recording: Record) -> Records:
        call = self.store.get("Call", recording.account, "", str(recording.body.get("call_sid")))
        if call is None:
            return []
        ends = [str(call.body.get(end)) for end in ("to", "from")]
        numbers = self.store.children(
            "IncomingPhoneNumber",
            recording.account,
            "",
            [("json_extract(idx, '$.phone_number') IN (?, ?)", ends)],
        )
        return [
            assigned
            for number in numbers
            for assigned in self.store.children(
                _ASSIGNED, recording.account, f"resource_sid={number.pk}"
            )
        ]

    def result(self, recording: Record, assigned: Record) -> None:
        now = self.app.now_rfc2822()
        record = self.make(
            recording.account,
            {"reference_sid": recording.pk},
            sid=new_sid("XR"),
            status="completed",
            add_on_sid="XB" + assigned.pk[2:],
            add_on_configuration_sid=assigned.pk,
            date_completed=now,
        )
        self.app.behaviours.add_on_payloads.payload(record)


@behaviour(_PAYLOAD)
class Payloads(Behaviour):
    def payload(self, result: Record) -> Record:
        """The JSON payload an add-on leaves with its result."""
        made = result.body
        return self.make(
            result.account,
            {"reference_sid": str(made["reference_sid"]), "add_on_result_sid": result.pk},
            sid=new_sid("XH"),
            label="recording-analysis",
            add_on_sid=made["add_on_sid"],
            add_on_configuration_sid=made["add_on_configuration_sid"],
            content_type="application/json",
            date_created=made["date_created"],
            date_updated=made["date_updated"],
        )

    def list(self, ctx: Context) -> Page:
        self.analysed(ctx)
        return super().list(ctx)

    def load(self, ctx: Context) -> Record:
        self.analysed(ctx)
        return super().load(ctx)

    def analysed(self, ctx: Context) -> None:
        """Run the add-ons on the path's recording, or Twilio's 404 for a result it lacks."""
        self.app.behaviours.add_on_results.analyse(
            ctx.account, ctx.params["reference_sid"], ctx.path
        )
        parent = f"reference_sid={ctx.params['reference_sid']}"
        if not self.store.get(_RESULT, ctx.account, parent, ctx.params["add_on_result_sid"]):
            raise ApiError.not_found(ctx.path)


@behaviour("RecordingAddOnResultPayloadData")
class PayloadData(Behaviour):
    """Where the payload's data is: Twilio answers 307 with ``redirect_to``."""

    def singleton(self, ctx: Context) -> Reply:
        self.app.behaviours.add_on_payloads.analysed(ctx)
        parent = "reference_sid={reference_sid}&add_on_result_sid={add_on_result_sid}"
        found = self.store.get(
            _PAYLOAD, ctx.account, parent.format(**ctx.params), ctx.params["payload_sid"]
        )
        if found is None:
            raise ApiError.not_found(ctx.path)
        # Twilio redirects to where the data is stored; the sandbox keeps no data to serve
        # there, so it answers no Location a client would follow.
        base = self.app.base_url or "https://api.twilio.com"
        where = f"{base}{ctx.path.removesuffix('.json')}"
        body = json.dumps({"redirect_to": where}).encode()
        return Reply(307, {"Content-Type": "application/json"}, body)
