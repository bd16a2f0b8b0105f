"""QuerySets over real HTTP against the sandbox: laziness, request counts, results."""

from __future__ import annotations

import datetime as dt

import pytest

import twiliorm
from twiliorm import Message, Participant
from twiliorm.sandbox import Sandbox

from .helpers import record


@pytest.fixture
def populated(sandbox: Sandbox, client: twiliorm.Client) -> twiliorm.Client:
    sandbox.populate(2500, calls=0)
    return client


def test_building_chaining_and_slicing_send_nothing(populated: twiliorm.Client) -> None:
    sent = record(populated)
    qs = Message.objects.filter(to="+14155550003").exclude(status="failed")
    qs = qs.filter(date_sent__gte=dt.date(2020, 1, 1))[:20]
    str(qs.query)
    qs.explain()
    assert sent.requests == []


def test_a_slice_is_one_request_with_that_page_size(populated: twiliorm.Client) -> None:
    sent = record(populated)
    found = list(Message.objects.all()[:20])
    assert len(found) == 20
    assert len(sent.requests) == 1
    assert sent.params()["PageSize"] == "20"


def test_iterating_2500_records_sends_3_requests_of_1000(populated: twiliorm.Client) -> None:
    sent = record(populated)
    found = list(Message.objects.all())
    assert len(found) == 2500
    assert len({m.sid for m in found}) == 2500
    assert len(sent.requests) == 3
    assert [sent.params(i).get("PageSize") for i in range(3)] == ["1000"] * 3


def test_iterator_streams_the_same_records(populated: twiliorm.Client) -> None:
    assert [m.sid for m in Message.objects.iterator()] == [m.sid for m in Message.objects.all()]


def test_exists_and_first_ask_for_one_record(populated: twiliorm.Client) -> None:
    sent = record(populated)
    assert Message.objects.exists()
    first = Message.objects.first()
    assert first is not None
    assert [sent.params(i)["PageSize"] for i in range(2)] == ["1", "1"]
    assert not Message.objects.filter(to="+19999999999").exists()


def test_count_builds_no_resource_objects(
    populated: twiliorm.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("count() built an object")

    monkeypatch.setattr(Message._meta, "_structure", refuse)
    assert Message.objects.count() == 2500
    statuses = list(Message.objects.values_list("status", flat=True))
    with pytest.warns(twiliorm.ScanWarning):
        assert Message.objects.filter(status="failed").count() == statuses.count("failed") > 0


def test_a_date_gte_filter_sends_the_day(client: twiliorm.Client) -> None:
    sent = record(client)
    list(Message.objects.filter(date_sent__gte=dt.date(2026, 1, 1)))
    assert sent.params()["DateSent>"] == "2026-01-01"
    assert "DateSent%3E=2026-01-01" in sent.requests[-1].url


def test_gt_a_datetime_returns_exactly_the_records_after_that_instant(
    populated: twiliorm.Client,
) -> None:
    everything = list(Message.objects.all())
    middle = sorted(m.date_sent for m in everything)[1250]
    expected = {m.sid for m in everything if m.date_sent > middle}
    found = Message.objects.filter(date_sent__gt=middle)
    assert {m.sid for m in found} == expected
    assert 0 < len(expected) < 2500


def test_combined_server_and_client_lookups_match_a_local_filter(
    populated: twiliorm.Client,
) -> None:
    everything = list(Message.objects.all())
    qs = (
        Message.objects.filter(to="+14155550003")
        .exclude(status="delivered")
        .filter(body__contains="o")
    )
    expected = {
        m.sid
        for m in everything
        if m.to == "+14155550003" and m.status != "delivered" and "o" in (m.body or "")
    }
    assert {m.sid for m in qs} == expected


def test_results_are_cached_once_evaluated(populated: twiliorm.Client) -> None:
    sent = record(populated)
    qs = Message.objects.all()[:50]
    assert len(qs) == 50
    assert bool(qs)
    list(qs)
    assert qs[3].sid == list(qs)[3].sid
    assert len(sent.requests) == 1


def test_repr_fetches_at_most_21(populated: twiliorm.Client) -> None:
    sent = record(populated)
    text = repr(Message.objects.all())
    assert "remaining elements truncated" in text
    assert sent.params()["PageSize"] == "21"


def test_values_and_values_list(populated: twiliorm.Client) -> None:
    rows = list(Message.objects.values("sid", "date_sent")[:3])
    assert set(rows[0]) == {"sid", "date_sent"}
    assert isinstance(rows[0]["date_sent"], dt.datetime)
    sids = list(Message.objects.values_list("sid", flat=True)[:3])
    assert all(s.startswith("SM") for s in sids)
    pairs = list(Message.objects.values_list("sid", "status")[:2])
    assert len(pairs[0]) == 2


def test_get_by_sid_is_one_request(populated: twiliorm.Client) -> None:
    some = Message.objects.first()
    assert some is not None
    sent = record(populated)
    again = Message.objects.get(sid=some.sid)
    assert again == some and again.body == some.body
    assert len(sent.requests) == 1
    assert sent.requests[0].url.split("?")[0].endswith(f"/Messages/{some.sid}.json")


def test_get_raises_does_not_exist_with_404_and_20404(client: twiliorm.Client) -> None:
    missing = "SM" + "0" * 32
    with pytest.raises(Message.DoesNotExist) as info:
        Message.objects.get(sid=missing)
    assert info.value.status == 404
    assert info.value.code == 20404
    assert isinstance(info.value, twiliorm.NotFoundError)
    assert isinstance(info.value, LookupError)


def test_get_with_many_matches_raises_multiple_objects_returned(populated: twiliorm.Client) -> None:
    with pytest.raises(Message.MultipleObjectsReturned):
        Message.objects.get(to="+14155550003")


def test_create_then_save_sends_only_the_changed_field(client: twiliorm.Client) -> None:
    number = twiliorm.AvailablePhoneNumber.objects.first()
    assert number is not None
    bought = number.purchase()
    sent = record(client)
    bought.voice_url = "http://example.com/twiml.xml"
    bought.save()
    assert len(sent.requests) == 1
    assert list(sent.requests[0].fields) == [("VoiceUrl", "http://example.com/twiml.xml")]
    assert bought.voice_url == "http://example.com/twiml.xml"
    bought.save()
    assert len(sent.requests) == 1  # nothing changed: nothing sent


def test_changing_a_read_only_field_is_refused_and_sends_nothing(client: twiliorm.Client) -> None:
    msg = Message.objects.create(to="+15558675310", from_="+15017122661", body="hi")
    sent = record(client)
    msg.to = "+15550000000"
    with pytest.raises(twiliorm.FieldError) as info:
        msg.save()
    assert "create" in str(info.value)
    assert sent.requests == []


def test_create_checks_required_fields_before_sending(client: twiliorm.Client) -> None:
    sent = record(client)
    with pytest.raises(twiliorm.ValidationError):
        Message.objects.create(body="no recipient")
    assert sent.requests == []


def test_delete_and_refresh(client: twiliorm.Client) -> None:
    msg = Message.objects.create(to="+15558675310", from_="+15017122661", body="to delete")
    msg.refresh()
    assert msg.status == "delivered"
    msg.delete()
    assert not Message.objects.filter(sid=msg.sid).exists()
    with pytest.raises(Message.DoesNotExist):
        msg.refresh()


def test_operations_the_api_lacks_raise_not_supported(client: twiliorm.Client) -> None:
    with pytest.raises(twiliorm.NotSupportedError):
        twiliorm.Notification(sid="NO" + "a" * 32).delete()
    with pytest.raises(twiliorm.NotSupportedError):
        twiliorm.Conference.objects.create(friendly_name="x")


def test_related_managers(client: twiliorm.Client) -> None:
    twiml = "<Response><Dial><Conference>Room</Conference></Dial></Response>"
    twiliorm.Call.objects.create(to="+15558675310", from_="+15017122661", twiml=twiml)
    room = twiliorm.Conference.objects.get(friendly_name="Room")
    joined = room.participants.create(from_="+15017122661", to="+15558675311")
    joined.update(muted=True)
    assert [p.call_sid for p in room.participants.filter(muted=True)] == [joined.call_sid]
    assert Participant.objects.filter(conference=room.sid).count() == 2
    msg = Message.objects.create(
        to="+15558675310",
        from_="+15017122661",
        body="pic",
        media_url=["https://example.com/a.png", "https://example.com/b.jpg"],
    )
    assert sorted(m.content_type for m in msg.media.all()) == ["image/jpeg", "image/png"]


def test_subaccounts_are_reached_with_using_account(client: twiliorm.Client) -> None:
    sub = twiliorm.Account.objects.create(friendly_name="team")
    Message.objects.using(account=sub.sid).create(
        to="+15558675310", from_="+15017122661", body="sub"
    )
    assert Message.objects.count() == 0
    assert Message.objects.using(account=sub.sid).count() == 1
    assert sub.messages.count() == 1


def test_wrong_token_raises_authentication_error(sandbox: Sandbox) -> None:
    bad = twiliorm.Client(sandbox.account_sid, "not-the-token", base_url=sandbox.base_url)
    with pytest.raises(twiliorm.AuthenticationError) as info:
        Message.objects.using(bad).count()
    assert info.value.code == 20003 and info.value.status == 401
    assert "not-the-token" not in str(info.value)


def test_missing_credentials_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(twiliorm.ConfigurationError) as info:
        Message.objects.count()
    assert "TWILIO_ACCOUNT_SID" in str(info.value) and "TWILIO_AUTH_TOKEN" in str(info.value)


def test_a_scan_warns_once_and_strict_refuses(populated: twiliorm.Client, sandbox: Sandbox) -> None:
    with pytest.warns(twiliorm.ScanWarning):
        list(Message.objects.filter(status="failed"))
    strict = sandbox.client(strict=True)
    with pytest.raises(twiliorm.ScanError):
        list(Message.objects.using(strict).filter(status="failed"))


def test_update_checks_every_value_first_and_changes_nothing_on_failure(
    client: twiliorm.Client,
) -> None:
    number = twiliorm.AvailablePhoneNumber.objects.first()
    assert number is not None
    bought = number.purchase(friendly_name="before")
    sent = record(client)
    with pytest.raises(twiliorm.ValidationError):
        bought.update(friendly_name="after", voice_method="TELEPATHY")
    with pytest.raises(twiliorm.FieldError):
        bought.update(friendly_name="after", phone_number="+15005550006")
    assert bought.friendly_name == "before" and sent.requests == []
    bought.update(friendly_name="after")
    assert bought.friendly_name == "after" and list(sent.requests[-1].fields) == [
        ("FriendlyName", "after")
    ]


def test_an_offset_keeps_its_plus_sign() -> None:
    trigger = twiliorm.UsageTrigger(
        trigger_value="+30", usage_category="sms", callback_url="http://x"
    )
    form = dict(twiliorm.persistence.form_for(trigger, ["trigger_value"], "create"))
    assert form == {"TriggerValue": "+30"}


def test_changing_a_path_field_updates_the_instance_where_it_was(client: twiliorm.Client) -> None:
    sub = twiliorm.Account.objects.create(friendly_name="new home")
    number = twiliorm.AvailablePhoneNumber.objects.first()
    assert number is not None
    bought = number.purchase()
    sent = record(client)
    bought.account_sid = sub.sid
    bought.save()
    assert (
        f"/Accounts/{client.account_sid}/IncomingPhoneNumbers/{bought.sid}.json"
        in sent.requests[-1].url
    )
    assert bought.account_sid == sub.sid
    assert twiliorm.IncomingPhoneNumber.objects.using(account=sub.sid).get(sid=bought.sid)
    assert not twiliorm.IncomingPhoneNumber.objects.exists()


def test_derive_makes_a_client_with_its_own_pool(sandbox: Sandbox) -> None:
    client = sandbox.client()
    twin = client.derive(retry=False, pool_size=2)
    assert twin is not client and twin.transport is not client.transport
    assert twin.account_sid == client.account_sid and twin.base_url == client.base_url
    assert Message.objects.using(twin).count() == 0
    twin.close()
    assert Message.objects.using(client).count() == 0
    with pytest.raises(TypeError):
        client.derive(colour="red")


def test_an_empty_slice_asks_for_nothing(populated: twiliorm.Client) -> None:
    sent = record(populated)
    assert list(Message.objects.all()[:0]) == [] and list(Message.objects.all()[3:3]) == []
    assert sent.requests == []


def test_slices_stay_querysets(populated: twiliorm.Client) -> None:
    qs = Message.objects.all()
    assert isinstance(qs[:10], twiliorm.QuerySet) and qs[:10].count() == 10
    evaluated = list(qs[:30])
    stepped = qs[:30][::10]
    assert isinstance(stepped, twiliorm.QuerySet)
    assert [m.sid for m in stepped] == [m.sid for m in evaluated[::10]]


def test_get_or_create_does_not_create_with_lookups(client: twiliorm.Client) -> None:
    with pytest.warns(twiliorm.ScanWarning):  # Twilio cannot filter queues by name
        queue, created = twiliorm.Queue.objects.get_or_create(
            friendly_name__startswith="support", defaults={"friendly_name": "support-eu"}
        )
    assert created and queue.friendly_name == "support-eu"


def test_update_fields_on_an_unsaved_instance_is_an_error(client: twiliorm.Client) -> None:
    with pytest.raises(ValueError):
        Message(to="+15558675310", body="x").save(update_fields=["body"])


def test_a_scan_warning_points_at_the_callers_line(populated: twiliorm.Client) -> None:
    with pytest.warns(twiliorm.ScanWarning) as caught:
        list(Message.objects.filter(status="failed"))
    assert caught[0].filename == __file__


def test_page_links_to_another_host_are_refused(sandbox: Sandbox) -> None:
    client = sandbox.client()
    assert client.url("/x") == sandbox.base_url + "/x"
    assert client.url(sandbox.base_url + "/y") == sandbox.base_url + "/y"
    for elsewhere in ("http://evil.example/x", "https://127.0.0.1:1/x"):
        with pytest.raises(twiliorm.DecodeError):
            client.url(elsewhere)


def test_headers_given_to_a_request_keep_the_authentication(client: twiliorm.Client) -> None:
    response = client.request(
        "GET", f"/2010-04-01/Accounts/{client.account_sid}.json", headers={"X-Trace": "1"}
    )
    assert response.status == 200


def test_changing_a_list_in_place_counts_as_a_change() -> None:
    app = twiliorm.ConnectApp.from_api({"sid": "CN" + "a" * 32, "permissions": ["get-all"]})
    assert app.changed_fields() == []
    assert app.permissions is not None
    app.permissions.append("post-all")
    assert app.changed_fields() == ["permissions"]


def test_a_value_set_on_an_absent_key_is_written(client: twiliorm.Client) -> None:
    msg = Message.from_api({"sid": "SM" + "a" * 32})
    assert msg.to_api() == {"sid": "SM" + "a" * 32}
    msg.body = "hello"
    assert msg.to_api() == {"sid": "SM" + "a" * 32, "body": "hello"}


def test_errors_pickle_whole() -> None:
    import pickle

    error = twiliorm.RateLimitError(429, 20429, "slow down", None, "GET", "/x", retry_after=2.0)
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.code, back.retry_after) == (twiliorm.RateLimitError, 20429, 2.0)
