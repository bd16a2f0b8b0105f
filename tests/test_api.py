"""The seed's client (twiliorm.api): each list resource, over real HTTP, against the sandbox."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import urllib.parse
from collections.abc import Iterator

import pytest

import twiliorm
from twiliorm import (
    Account,
    AvailablePhoneNumber,
    Call,
    Conference,
    IncomingPhoneNumber,
    Message,
    NotSupportedError,
    Participant,
    Transcription,
    ValidationError,
    api,
)
from twiliorm.sandbox import Sandbox

from .helpers import Recorder, record

CONFERENCE_TWIML = "<Response><Dial><Conference>Room</Conference></Dial></Response>"
RECORDED_TWIML = '<Response><Say>Leave a message</Say><Record transcribe="true"/></Response>'


@pytest.fixture
def conn(client: twiliorm.Client) -> Iterator[api.Client]:
    yield api.Client(client=client)


@pytest.fixture
def sent(client: twiliorm.Client) -> Recorder:
    return record(client)


def query(recorder: Recorder, index: int = -1) -> dict[str, str]:
    return recorder.params(index)


def path(recorder: Recorder, index: int = -1) -> str:
    return recorder.requests[index].path


def form(recorder: Recorder, index: int = -1) -> list[tuple[str, str]]:
    return list(recorder.requests[index].fields)


# --- values the seed writes loosely -------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (8995431234, "+18995431234"),
        ("8995431234", "+18995431234"),
        (18995431234, "+18995431234"),
        ("+442071838750", "+442071838750"),
        ("client:alice", "client:alice"),
        ("12345", "12345"),
        (None, None),
    ],
)
def test_e164_reads_a_bare_north_american_number_as_twilio_does(
    given: str | int | None, expected: str | None
) -> None:
    assert api.e164(given) == expected


@pytest.mark.parametrize("given", [12345, 448995431234, True, 3.5])
def test_e164_refuses_a_bare_number_whose_country_cannot_be_known(given: object) -> None:
    with pytest.raises(ValidationError, match="phone number"):
        api.e164(given)  # type: ignore[arg-type]


def test_the_seed_constants_come_from_twiliorm_and_twiliorm_api() -> None:
    names = ["LOCAL", "TOLL_FREE", "QUEUED", "RINGING", "IN_PROGRESS", "COMPLETED"]
    names += ["CANCELED", "FAILED", "BUSY", "NO_ANSWER", "GET", "POST", "PUT", "DELETE"]
    for name in names:
        assert getattr(api, name) == getattr(twiliorm, name)
        assert name in api.__all__
    assert (api.LOCAL, api.TOLL_FREE, api.IN_PROGRESS, api.NO_ANSWER) == (
        "Local",
        "TollFree",
        "in-progress",
        "no-answer",
    )


# --- the client ----------------------------------------------------------------------------


def test_the_client_reads_credentials_from_the_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    with api.Client() as conn:
        assert conn.account_sid == sandbox.account_sid
        assert [a.sid for a in conn.accounts.list()] == [sandbox.account_sid]


def test_the_client_takes_credentials_as_arguments(sandbox: Sandbox) -> None:
    with api.Client(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url) as conn:
        assert conn.accounts.get(sandbox.account_sid) is not None
        assert "auth_token" not in repr(conn) and sandbox.auth_token not in repr(conn)


def test_without_credentials_the_client_says_which_variables_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(twiliorm.ConfigurationError, match="TWILIO_ACCOUNT_SID"):
        api.Client()


def test_the_client_takes_a_client_or_credentials_not_both(client: twiliorm.Client) -> None:
    with pytest.raises(TypeError, match="not both"):
        api.Client(client.account_sid, client=client)
    with pytest.raises(TypeError, match="not both"):
        api.Client(client=client, base_url="http://127.0.0.1:1")


def test_every_list_resource_of_the_seed_hangs_off_the_client(conn: api.Client) -> None:
    expected = {
        "accounts": Account,
        "calls": Call,
        "sms": Message,
        "phone_numbers": IncomingPhoneNumber,
        "notifications": twiliorm.Notification,
        "conferences": Conference,
        "participants": Participant,
        "recordings": twiliorm.Recording,
        "transcriptions": Transcription,
        "applications": twiliorm.Application,
        "caller_ids": twiliorm.OutgoingCallerId,
        "queues": twiliorm.Queue,
        "usage": twiliorm.UsageRecord,
    }
    for name, model in expected.items():
        assert getattr(conn, name).model is model, name
    assert conn.usage.triggers.model is twiliorm.UsageTrigger


# --- phone numbers (the seed's "Buying a Phone Number") ------------------------------------------


def test_search_then_purchase_then_update_as_the_seed_does(
    conn: api.Client, sent: Recorder
) -> None:
    numbers = conn.phone_numbers.search(area_code=530, contains="WOLF")
    assert path(sent).endswith("/AvailablePhoneNumbers/US/Local.json")
    assert query(sent) == {"AreaCode": "530", "Contains": "WOLF", "PageSize": "50"}
    assert numbers and all(isinstance(n, AvailablePhoneNumber) for n in numbers)
    assert all(n.phone_number.startswith("+1530") for n in numbers)

    n = numbers[0].purchase()
    assert isinstance(n, IncomingPhoneNumber) and n.phone_number == numbers[0].phone_number
    n.update(voice_url="http://foo.com/twiml.xml")
    assert form(sent) == [("VoiceUrl", "http://foo.com/twiml.xml")]
    assert conn.phone_numbers.get(n.sid).voice_url == "http://foo.com/twiml.xml"


def test_search_sends_the_apis_names_for_the_seeds_location_arguments(
    conn: api.Client, sent: Recorder
) -> None:
    conn.phone_numbers.search(region="CA", postal_code="95616", lata="726", rate_center="DAVIS")
    assert query(sent) == {
        "InRegion": "CA",
        "InPostalCode": "95616",
        "InLata": "726",
        "InRateCenter": "DAVIS",
        "PageSize": "50",
    }


def test_search_sends_distance_only_with_a_place_to_measure_from(
    conn: api.Client, sent: Recorder
) -> None:
    found = conn.phone_numbers.search(near_lat_long=(38.5449, -121.7405), distance=10)
    assert query(sent)["NearLatLong"] == "38.5449,-121.7405" and query(sent)["Distance"] == "10"
    assert found and {n.locality for n in found} == {"Davis"}
    conn.phone_numbers.search(near_number=5305551234, page_size=3)
    assert query(sent) == {"NearNumber": "+15305551234", "Distance": "25", "PageSize": "3"}
    conn.phone_numbers.search(area_code=530)
    assert "Distance" not in query(sent)


def test_search_for_toll_free_numbers_in_another_country(conn: api.Client, sent: Recorder) -> None:
    found = conn.phone_numbers.search(type=api.TOLL_FREE, sms_enabled=True, page_size=2)
    assert path(sent).endswith("/AvailablePhoneNumbers/US/TollFree.json")
    assert query(sent) == {"SmsEnabled": "true", "PageSize": "2"}
    assert len(found) == 2
    conn.phone_numbers.search(country="GB", type="Mobile", page_size=1)
    assert path(sent).endswith("/AvailablePhoneNumbers/GB/Mobile.json")


def test_the_incoming_numbers_list_get_update_and_delete(conn: api.Client, sent: Recorder) -> None:
    bought = [n.purchase() for n in conn.phone_numbers.search(area_code=415, page_size=2)]
    assert {n.sid for n in conn.phone_numbers.list()} == {n.sid for n in bought}
    assert conn.phone_numbers.count() == 2
    updated = conn.phone_numbers.update(bought[0].sid, friendly_name="front desk")
    assert updated.friendly_name == "front desk" and form(sent) == [("FriendlyName", "front desk")]
    conn.phone_numbers.delete(bought[1].sid)
    assert sent.requests[-1].method == "DELETE" and path(sent).endswith(f"/{bought[1].sid}.json")
    assert [n.sid for n in conn.phone_numbers.list()] == [bought[0].sid]


# --- messages (the seed's "Sending and Retrieving SMS Messages") ----------------------------------


def test_send_reads_the_seeds_bare_numbers_and_posts_one_message(
    conn: api.Client, sent: Recorder
) -> None:
    msg = conn.sms.send(to=8995431234, from_=3452341231, body="Hello Monkey")
    assert isinstance(msg, Message) and msg.sid.startswith("SM")
    assert (msg.to, msg.from_, msg.body) == ("+18995431234", "+13452341231", "Hello Monkey")
    assert [r.method for r in sent.requests] == ["POST"]
    assert sorted(form(sent)) == [
        ("Body", "Hello Monkey"),
        ("From", "+13452341231"),
        ("To", "+18995431234"),
    ]


def test_send_with_a_url_sends_media_and_a_status_callback(
    conn: api.Client, sent: Recorder
) -> None:
    msg = conn.sms.send(
        to="+15558675310",
        from_="+15017122661",
        url="https://example.com/cat.jpg",
        status_callback="https://example.com/status",
    )
    assert ("MediaUrl", "https://example.com/cat.jpg") in form(sent)
    assert ("StatusCallback", "https://example.com/status") in form(sent)
    assert msg.sid.startswith("MM") and msg.num_media == 1


def test_list_filters_by_number_and_by_day(conn: api.Client, sent: Recorder) -> None:
    for body in ("one", "two"):
        conn.sms.send(to=3453453344, from_="+15017122661", body=body)
    conn.sms.send(to="+15558675310", from_="+15017122661", body="other")
    today = dt.datetime.now(dt.timezone.utc).date()
    found = conn.sms.list(to=3453453344, after=today, before=today)
    assert query(sent) == {
        "To": "+13453453344",
        "DateSent>": today.isoformat(),
        "DateSent<": today.isoformat(),
        "PageSize": "50",
    }
    assert sorted(m.body for m in found) == ["one", "two"]
    assert conn.sms.list(to=3453453344, before=today - dt.timedelta(days=1)) == []
    assert [m.body for m in conn.sms.list(from_=15017122661, to="+15558675310")] == ["other"]


# --- what every list resource has ---------------------------------------------------------------


def test_list_pages_count_from_zero_with_one_request_each(conn: api.Client, sent: Recorder) -> None:
    for i in range(5):
        conn.sms.send(to="+15558675310", from_="+15017122661", body=str(i))
    everything = [m.sid for m in conn.sms.objects]
    sent.clear()
    assert [m.sid for m in conn.sms.list(page=0, page_size=2)] == everything[:2]
    assert [m.sid for m in conn.sms.list(page=1, page_size=2)] == everything[2:4]
    assert [m.sid for m in conn.sms.list(page=2, page_size=2)] == everything[4:]
    assert conn.sms.list(page=3, page_size=2) == []
    assert len(sent.requests) == 4 and query(sent, 1)["PageSize"] == "4"


@pytest.mark.parametrize(("page", "size"), [(-1, 50), (0, 0), (0, 1001)])
def test_list_refuses_a_page_that_cannot_exist(conn: api.Client, page: int, size: int) -> None:
    with pytest.raises(ValueError, match="page"):
        conn.sms.list(page=page, page_size=size)


def test_iter_count_create_and_get(conn: api.Client, sent: Recorder) -> None:
    queue = conn.queues.create(friendly_name="support", max_size=10)
    conn.queues.create(friendly_name="sales")
    assert conn.queues.count() == 2
    assert sorted(q.friendly_name for q in conn.queues.iter()) == ["sales", "support"]
    sent.clear()
    assert conn.queues.get(queue.sid) == queue
    assert path(sent).endswith(f"/Queues/{queue.sid}.json")


def test_get_answers_none_when_there_is_no_such_resource(conn: api.Client) -> None:
    assert conn.sms.get("SM" + "0" * 32) is None
    with pytest.raises(twiliorm.AuthenticationError):  # an account not ours: 401 whether or not
        conn.accounts.get("AC" + "0" * 32)  # it exists, as the sandbox gives no existence oracle


def test_get_refuses_a_sid_of_the_wrong_shape_before_sending(
    conn: api.Client, sent: Recorder
) -> None:
    with pytest.raises(ValidationError):
        conn.sms.get("PN" + "0" * 32)
    assert sent.requests == []


def test_operations_the_api_does_not_have_raise_not_supported_and_send_nothing(
    conn: api.Client, sent: Recorder
) -> None:
    with pytest.raises(NotSupportedError, match="Notification has no delete"):
        conn.notifications.delete("NO" + "0" * 32)
    with pytest.raises(NotSupportedError, match="UsageRecord has no fetch"):
        conn.usage.get("UR" + "0" * 32)
    account = conn.accounts.list()[0]
    sent.clear()
    with pytest.raises(NotSupportedError, match="Account has no delete"):
        account.delete()
    with pytest.raises(NotSupportedError, match="Transcription has no update"):
        conn.transcriptions.update("TR" + "0" * 32, duration=1)
    assert sent.requests == []


# --- instances --------------------------------------------------------------------------------


def test_instances_are_the_models_with_uri_and_subresource_uris(conn: api.Client) -> None:
    account = conn.accounts.list()[0]
    assert isinstance(account, Account)
    assert account.uri == f"/2010-04-01/Accounts/{account.sid}.json"
    assert (
        account.subresource_uris["messages"] == f"/2010-04-01/Accounts/{account.sid}/Messages.json"
    )
    msg = conn.sms.send(to="+15558675310", from_="+15017122661", body="hi")
    assert msg.uri == f"/2010-04-01/Accounts/{account.sid}/Messages/{msg.sid}.json"
    assert set(msg.subresource_uris) == {"media", "feedback"}


def test_update_and_delete_on_an_instance(conn: api.Client, sent: Recorder) -> None:
    queue = conn.queues.create(friendly_name="support")
    queue.update(max_size=5)
    assert form(sent) == [("MaxSize", "5")] and conn.queues.get(queue.sid).max_size == 5
    queue.delete()
    assert sent.requests[-1].method == "DELETE" and conn.queues.get(queue.sid) is None


def _bought(conn: api.Client) -> IncomingPhoneNumber:
    return conn.phone_numbers.search(area_code=530, page_size=1)[0].purchase(
        friendly_name="<b>shop</b> & co"
    )


def test_raw_json_is_the_apis_json_of_the_instance(conn: api.Client, sent: Recorder) -> None:
    number = _bought(conn)
    text = api.raw(number, "json")
    assert (
        path(sent)
        == f"/2010-04-01/Accounts/{conn.account_sid}/IncomingPhoneNumbers/{number.sid}.json"
    )
    assert json.loads(text) == number.to_api()


def test_raw_xml_and_csv_are_fetched_in_those_forms(conn: api.Client, sent: Recorder) -> None:
    number = _bought(conn)
    xml = api.raw(number, "xml")
    assert path(sent).endswith(f"/IncomingPhoneNumbers/{number.sid}")
    assert xml.startswith("<TwilioResponse><IncomingPhoneNumber>")
    assert f"<Sid>{number.sid}</Sid>" in xml and "&lt;b&gt;shop&lt;/b&gt; &amp; co" in xml
    rows = list(csv.DictReader(io.StringIO(api.raw(number, "csv"))))
    assert path(sent).endswith(f"/IncomingPhoneNumbers/{number.sid}.csv")
    assert [(r["sid"], r["friendly_name"]) for r in rows] == [(number.sid, "<b>shop</b> & co")]


def test_raw_html_is_made_from_the_xml_with_every_value_escaped(
    conn: api.Client, sent: Recorder
) -> None:
    number = _bought(conn)
    page = api.raw(number, "html")
    assert path(sent).endswith(f"/IncomingPhoneNumbers/{number.sid}")  # the XML form
    assert page.startswith('<table class="twilio-incomingphonenumber">')
    assert f"<tr><th>Sid</th><td>{number.sid}</td></tr>" in page
    assert "&lt;b&gt;shop&lt;/b&gt; &amp; co" in page and "<b>" not in page
    assert "<th>Capabilities</th><td><table" in page  # nested elements become nested tables


def test_raw_refuses_an_unknown_format(conn: api.Client) -> None:
    with pytest.raises(ValueError, match="json, xml, csv, html"):
        api.raw(conn.accounts.list()[0], "pdf")


def test_html_from_xml_says_when_the_xml_cannot_be_read() -> None:
    with pytest.raises(twiliorm.DecodeError):
        api.html_from_xml("<TwilioResponse><Message>")


def test_the_list_resources_have_the_seeds_raw_representations(
    conn: api.Client, sent: Recorder
) -> None:
    conn.sms.send(to="+15558675310", from_="+15017122661", body="<b>hi</b> & bye")
    assert conn.sms.uri == f"/2010-04-01/Accounts/{conn.account_sid}/Messages.json"
    assert isinstance(conn.sms, api.Resource) and isinstance(conn.usage.triggers, api.Resource)
    listed = json.loads(conn.sms.__json__())["messages"]
    assert path(sent) == conn.sms.uri and [m["body"] for m in listed] == ["<b>hi</b> & bye"]
    assert "<Body>&lt;b&gt;hi&lt;/b&gt; &amp; bye</Body>" in conn.sms.__xml__()
    assert path(sent) == conn.sms.uri.removesuffix(".json")
    rows = list(csv.DictReader(io.StringIO(conn.sms.__csv__())))
    assert path(sent).endswith("/Messages.csv") and rows[0]["body"] == "<b>hi</b> & bye"
    page = conn.sms.__html__()
    assert page.startswith('<table class="twilio-messages"><tr><th>Message</th><td><table')
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in page and "<b>" not in page
    assert conn.sms.__csv__() == api.raw(conn.sms, "csv")


def test_a_list_below_a_parent_says_what_its_raw_form_needs(conn: api.Client) -> None:
    with pytest.raises(twiliorm.FieldError, match="need the conference"):
        conn.participants.__json__()


RAW_FORMS = ("__json__", "__xml__", "__csv__", "__html__")


def test_the_models_have_no_raw_representations() -> None:
    assert not hasattr(Message, "__html__")
    for model in twiliorm.resources():
        assert not [name for name in RAW_FORMS if hasattr(model, name)], model


def test_rendering_a_model_in_a_template_sends_nothing(
    sandbox: Sandbox, client: twiliorm.Client
) -> None:
    import markupsafe  # Sphinx's Jinja2 brings it; the test extra has both
    from django.conf import settings
    from django.template import Context, Engine

    if not settings.configured:  # here, not at import: test_webhooks_django configures its own
        settings.configure()
    msg = Message.objects.create(to="+15558675310", from_="+15017122661", body="hi")
    before = len(sandbox.requests)
    rendered = Engine().from_string("{{ m }}").render(Context({"m": msg}))
    assert rendered == f"&lt;Message: {msg.sid}&gt;"
    assert str(markupsafe.escape(msg)) == rendered
    assert len(sandbox.requests) == before


# --- sub-accounts, conferences, recordings, the rest -------------------------------------------


def test_accounts_list_and_a_subaccounts_own_resources(conn: api.Client, sent: Recorder) -> None:
    sub = conn.accounts.create(friendly_name="customer")
    assert [a.status for a in conn.accounts.list(friendly_name="customer")] == ["active"]
    assert query(sent)["FriendlyName"] == "customer"
    theirs = conn.subaccount(sub)
    theirs.sms.send(to="+15558675310", from_="+15017122661", body="from the sub-account")
    assert path(sent) == f"/2010-04-01/Accounts/{sub.sid}/Messages.json"
    assert (theirs.sms.count(), conn.sms.count()) == (1, 0)
    assert theirs.account_sid == sub.sid


def _conference(conn: api.Client, people: int) -> tuple[Conference, list[Call]]:
    calls = [
        conn.calls.create(to=f"+1555867531{i}", from_="+15017122661", twiml=CONFERENCE_TWIML)
        for i in range(people)
    ]
    room = conn.conferences.list(friendly_name="Room", status="in-progress")[0]
    return room, calls


def test_participants_take_their_conference_first(conn: api.Client, sent: Recorder) -> None:
    room, calls = _conference(conn, 3)
    assert {p.call_sid for p in conn.participants.list(room.sid)} == {c.sid for c in calls}
    assert conn.participants.count(room) == 3
    conn.participants.update(room.sid, calls[0].sid, muted=True)
    assert [p.call_sid for p in conn.participants.list(room, muted=True)] == [calls[0].sid]
    assert path(sent).endswith(f"/Conferences/{room.sid}/Participants.json")
    assert query(sent) == {"Muted": "true", "PageSize": "50"}
    one = conn.participants.get(room.sid, calls[1].sid)
    assert isinstance(one, Participant) and one.call_sid == calls[1].sid and not one.muted
    assert conn.participants.get(room.sid, "CA" + "0" * 32) is None


def test_participants_create_and_delete(conn: api.Client) -> None:
    room, _ = _conference(conn, 1)
    joined = conn.participants.create(room.sid, from_="+15017122661", to="+15558675399")
    assert conn.participants.count(room) == 2
    conn.participants.delete(room.sid, joined.call_sid)
    assert [p.call_sid for p in conn.participants.iter(room)] != [joined.call_sid]
    assert conn.participants.count(room) == 1


def test_recordings_by_call_and_by_day(conn: api.Client, sent: Recorder) -> None:
    recorded = conn.calls.create(to="+15558675310", from_="+15017122661", twiml=RECORDED_TWIML)
    conn.calls.create(to="+15558675311", from_="+15017122661", twiml=RECORDED_TWIML)
    today = dt.datetime.now(dt.timezone.utc).date()
    mine = conn.recordings.list(call=recorded.sid, after=today)
    assert query(sent) == {
        "CallSid": recorded.sid,
        "DateCreated>": today.isoformat(),
        "PageSize": "50",
    }
    assert [r.call_sid for r in mine] == [recorded.sid]
    assert len(conn.recordings.list()) == 2


def test_transcriptions_of_a_call_come_through_its_recordings(conn: api.Client) -> None:
    recorded = conn.calls.create(to="+15558675310", from_="+15017122661", twiml=RECORDED_TWIML)
    conn.calls.create(to="+15558675311", from_="+15017122661", twiml=RECORDED_TWIML)
    everything = conn.transcriptions.list()
    assert len(everything) == 2
    recording = conn.recordings.list(call=recorded)[0]
    mine = conn.transcriptions.list(call=recorded.sid)
    assert [t.recording_sid for t in mine] == [recording.sid]
    assert all(isinstance(t, Transcription) for t in mine)
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    assert conn.transcriptions.list(call=recorded.sid, after=tomorrow) == []
    assert conn.transcriptions.get(mine[0].sid) is not None
    with pytest.warns(twiliorm.ScanWarning, match="filters only on the client"):
        conn.transcriptions.list(after=tomorrow)  # the list has no date filter: read in full


def test_caller_ids_validate_a_number(conn: api.Client, sent: Recorder) -> None:
    request = conn.caller_ids.validate(5558675310, friendly_name="home")
    assert isinstance(request, twiliorm.ValidationRequest)
    assert path(sent).endswith("/OutgoingCallerIds.json")
    assert ("PhoneNumber", "+15558675310") in form(sent)


def test_usage_records_by_period_and_triggers(conn: api.Client, sent: Recorder) -> None:
    conn.usage.list(period="Today", category="sms")
    assert path(sent).endswith("/Usage/Records/Today.json")
    assert query(sent) == {"Category": "sms", "PageSize": "50"}
    conn.usage.list(start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 1, 31))
    assert query(sent) == {"StartDate": "2026-01-01", "EndDate": "2026-01-31", "PageSize": "50"}
    trigger = conn.usage.triggers.create(
        callback_url="https://example.com/usage", trigger_value="100", usage_category="sms"
    )
    assert [t.sid for t in conn.usage.triggers.list()] == [trigger.sid]


def test_objects_is_a_queryset_through_the_clients_account(conn: api.Client) -> None:
    qs = conn.sms.objects.filter(to="+15558675310")
    assert isinstance(qs, twiliorm.QuerySet)
    assert urllib.parse.quote(conn.account_sid) in qs.explain()


def test_the_seeds_positional_calls_mean_what_the_seed_says(
    sandbox: Sandbox, conn: api.Client
) -> None:
    for n in range(3):
        conn.sms.send("+15558675310", "+15017122661", body=f"#{n}")
    everything = [m.sid for m in conn.sms.list()]
    assert [m.sid for m in conn.calls.list(0)] == []
    assert [m.sid for m in conn.sms.list("+15558675310")] == everything
    assert conn.sms.list("+15558675399") == []
    today = dt.date.today()
    assert [m.sid for m in conn.sms.list(None, "+15017122661", today, today)] == everything
    assert [m.sid for m in conn.accounts.list(1, 1)] == []  # page 1 of pages of one
    assert conn.recordings.list("CA" + "0" * 32) == []
    assert conn.transcriptions.list("CA" + "0" * 32, today, today) == []
    media = conn.sms.send("+15558675310", "+15017122661", "https://example.com/cat.jpg")
    assert media.sid.startswith("MM") and media.num_media == 1
