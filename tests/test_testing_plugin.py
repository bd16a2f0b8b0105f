"""twiliorm's pytest plugin (twiliorm.testing), run as its users run it: test files of theirs
in a pytester directory, with the plugin loaded from its entry point. Also the recorder's
matching without a sandbox, the seeder's records, and Sandbox.reset()."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

import twiliorm
from twiliorm import Account, IncomingPhoneNumber, Message
from twiliorm.sandbox import Clock, Sandbox, Settings
from twiliorm.testing import RequestRecorder, SentRequest
from twiliorm.testing.seeding import Seeder
from twiliorm.transport import FunctionTransport, Request, Response

pytest_plugins = ["pytester"]

SECRET = "plugin-test-secret-0123456789"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", *args)


# --- the plugin as a user meets it -----------------------------------------------------------


def test_the_plugin_is_an_entry_point_and_starts_no_sandbox_when_loaded() -> None:
    (found,) = [e for e in entry_points(group="pytest11") if e.name == "twiliorm"]
    assert found.value == "twiliorm.testing.plugin"
    code = (
        "import sys, twiliorm.testing.plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('twiliorm.sandbox', 'hypothesis'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_users_test_file_using_each_fixture_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import datetime as dt
        import re

        import twiliorm
        from twiliorm import IncomingPhoneNumber, Message
        from twiliorm.client import get_client


        def test_the_client_is_the_default_one_and_talks_to_the_sandbox(
            twilio_client, twilio_sandbox
        ):
            assert get_client() is twilio_client
            assert twilio_client.base_url == twilio_sandbox.base_url
            Message.objects.create(to="+15558675310", from_="+15017122661", body="hi")
            assert [r.method for r in twilio_sandbox.requests] == ["POST"]


        def test_requests_are_recorded(twilio_requests):
            Message.objects.create(
                to="+15558675310", from_="+15017122661", body="Hi Ada",
                media_url=["https://example.com/a.png", "https://example.com/b.png"],
            )
            Message.objects.filter(to="+15558675310").count()
            sent = twilio_requests.assert_one("POST", "Messages", To="+15558675310")
            assert sent.status == 201 and sent.value("Body") == "Hi Ada"
            assert sent.response.json()["body"] == "Hi Ada"
            twilio_requests.assert_one(
                "POST", "/Messages.json",
                MediaUrl=["https://example.com/a.png", "https://example.com/b.png"],
                Body=re.compile(r"Hi \\w+"), StatusCallback=None,
            )
            twilio_requests.assert_one("GET", "Messages", To="+15558675310")
            twilio_requests.assert_none("DELETE")
            twilio_requests.assert_none("POST", "Calls")
            assert [r.method for r in twilio_requests.calls] == ["POST", "GET"]


        def test_seeding_is_not_recorded(twilio_seed, twilio_requests, twilio_sandbox):
            number = twilio_seed.incoming_number(friendly_name="clinic")
            thread = twilio_seed.conversation(
                number.phone_number, "+15558675310", ["Is it today?", "Yes, at 3"]
            )
            assert [m.direction for m in thread] == ["inbound", "outbound-api"]
            twilio_sandbox.populate(messages=3, calls=0)
            assert IncomingPhoneNumber.objects.get(sid=number.sid).friendly_name == "clinic"
            assert Message.objects.filter(from_="+15558675310").count() == 1
            assert Message.objects.count() == 5
            assert len(twilio_requests.calls) == 3  # the app's GETs only


        def test_the_session_sandbox_is_there(twilio_session_sandbox, twilio_shared_sandbox):
            assert twilio_shared_sandbox is twilio_session_sandbox
            with twilio_session_sandbox.client() as client:
                assert Message.objects.using(client).count() == 0
        """
    )
    run(pytester).assert_outcomes(passed=4)


def test_async_tests_get_the_async_client_and_what_it_sends_is_recorded(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import warnings

        import pytest
        from twiliorm import Message, get_async_client

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_async(twilio_async_client, twilio_requests, twilio_seed):
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)  # a sync request blocking the loop
                number = await twilio_seed.aincoming_number(friendly_name="clinic")
            assert get_async_client() is twilio_async_client
            await Message.objects.acreate(to="+15558675310", from_=number.phone_number, body="hi")
            assert await Message.objects.filter(to="+15558675310").acount() == 1
            twilio_requests.assert_one("POST", "Messages", To="+15558675310")
            twilio_requests.assert_one("GET", "Messages", To="+15558675310")
            twilio_requests.assert_none("POST", "IncomingPhoneNumbers")

        @pytest.mark.anyio
        async def test_through_the_sync_fixture_too(twilio_client, twilio_requests):
            await Message.objects.acreate(to="+15558675310", from_="+15017122661", body="hi")
            twilio_requests.assert_one("POST", "Messages")
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_the_default_client_is_removed_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import twiliorm
        from twiliorm.client import get_client

        def test_uses_it(twilio_client):
            assert get_client() is twilio_client

        def test_after(monkeypatch):
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY"):
                monkeypatch.delenv(name, raising=False)
            with pytest.raises(twiliorm.ConfigurationError):
                get_client()
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_a_failed_assertion_names_what_was_sent_and_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLUGIN_TEST_TOKEN", SECRET)  # not in the test's source, shown on failure
    pytester.makepyfile(
        """
        import os
        import pytest
        from twiliorm import Message

        @pytest.mark.twilio_sandbox(auth_token=os.environ["PLUGIN_TEST_TOKEN"])
        def test_wrong_number(twilio_requests):
            Message.objects.create(to="+15558675310", from_="+15017122661", body="Hi Ada")
            twilio_requests.assert_one("POST", "Messages", To="+15558675399")
        """
    )
    result = run(pytester, "-l")  # with the test's locals: the recorder's among them
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "expected exactly one POST Messages with To='+15558675399', found 0; sent (1):" in text
    assert re.search(
        r"POST /2010-04-01/Accounts/AC[0-9a-f]{32}/Messages\.json Body='Hi Ada', "
        r"From='\+15017122661', To='\+15558675310' -> 201",
        text,
    )
    assert SECRET not in text and "Authorization" not in text and "Basic " not in text


def test_the_shared_sandbox_is_emptied_before_each_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntwiliorm_sandbox = shared\n")
    pytester.makepyfile(
        """
        from twiliorm import Account, IncomingPhoneNumber, Message

        seen = {}

        def test_a_leaves_records_behind(twilio_sandbox, twilio_client, twilio_seed):
            seen["sandbox"] = twilio_sandbox
            Message.objects.create(to="+15558675310", from_="+15017122661", body="from A")
            Account.objects.create(friendly_name="A's subaccount")
            twilio_seed.incoming_number()

        def test_b_sees_none_of_them(twilio_sandbox, twilio_client, twilio_requests):
            assert twilio_sandbox is seen["sandbox"]  # the same sandbox, emptied
            assert twilio_sandbox.requests == [] and twilio_requests.calls == []
            assert Message.objects.count() == 0
            assert IncomingPhoneNumber.objects.count() == 0
            assert [a.sid for a in Account.objects.all()] == [twilio_client.account_sid]
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_a_marked_test_gets_a_new_sandbox_with_its_options(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntwiliorm_sandbox = shared\n")
    pytester.makepyfile(
        """
        import pytest
        from twiliorm import Message

        @pytest.mark.twilio_sandbox(records=4)
        def test_marked(twilio_sandbox, twilio_client, twilio_shared_sandbox):
            assert twilio_sandbox is not twilio_shared_sandbox
            assert Message.objects.count() == 4

        def test_unmarked_tests_share(twilio_sandbox, twilio_session_sandbox):
            assert twilio_sandbox is twilio_session_sandbox
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_an_unknown_sandbox_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntwiliorm_sandbox = sometimes\n")
    pytester.makepyfile("def test_it(twilio_sandbox):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*twiliorm_sandbox is 'fresh' or 'shared', not 'sometimes'*"])


def test_tests_that_use_no_fixture_start_no_sandbox(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_plain():
            assert "twiliorm.sandbox.embedded" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# --- the recorder, without a sandbox ------------------------------------------------------------


def recorded(*requests: Request) -> RequestRecorder:
    def answer(request: Request) -> Response:
        return Response(201 if request.method == "POST" else 200, {}, b"{}")

    recorder = RequestRecorder(FunctionTransport(answer))
    for request in requests:
        recorder.send(request)
    return recorder


API = "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32
SM = "SM" + "1" * 32


def test_requests_are_named_by_resource_or_by_path() -> None:
    recorder = recorded(
        Request("POST", f"{API}/Messages.json", (("To", "+15558675310"),)),
        Request("POST", f"{API}/Messages/{SM}.json", (("Body", ""),)),
        Request("GET", f"{API}/Messages/{SM}/Media.json?PageSize=50"),
        Request("GET", f"{API}.json"),
    )
    assert [r.resource for r in recorder] == ["Messages", "Messages", "Media", "Accounts"]
    assert len(recorder.matching("POST", "Messages")) == 2
    assert recorder.assert_one("post", f"Messages/{SM}").value("Body") == ""
    recorder.assert_one("GET", "Media", PageSize="50")
    recorder.assert_one("*", f"/2010-04-01/Accounts/AC{'0' * 32}.json")
    recorder.assert_count(4)
    recorder.assert_none("POST", "Media")
    recorder.assert_none("DELETE", "Messages")


def test_values_match_as_sent() -> None:
    form = (("MediaUrl", "https://a"), ("MediaUrl", "https://b"), ("Record", "true"))
    recorder = recorded(Request("POST", f"{API}/Calls.json", form))
    recorder.assert_one("POST", "Calls", MediaUrl=["https://a", "https://b"], Record=True)
    recorder.assert_none("POST", "Calls", MediaUrl="https://a")  # two were sent
    recorder.assert_one("POST", "Calls", Record=re.compile("t.*"), To=None)
    recorder.assert_one("POST", "Calls", Record=lambda value: value == "true")
    recorder.assert_none("POST", "Calls", Record=False)
    recorder.assert_none("POST", "Calls", To=lambda value: value is not None)


def test_a_failure_lists_the_recent_requests_and_marks_the_matching_ones() -> None:
    recorder = recorded(
        *[Request("GET", f"{API}/Calls.json?Page={i}") for i in range(25)],
        Request("POST", f"{API}/Messages.json", (("To", "+1555"), ("AuthToken", SECRET))),
        Request("POST", f"{API}/Messages.json", (("To", "+1555"),)),
    )
    with pytest.raises(AssertionError) as failed:
        recorder.assert_one("POST", "Messages", To="+1555")
    text = str(failed.value)
    assert text.startswith(
        "expected exactly one POST Messages with To='+1555', found 2; sent (27):\n"
        "  ... 7 earlier requests\n"
    )
    assert f"  * POST {API[22:]}/Messages.json To='+1555', AuthToken=<redacted> -> 201" in text
    assert text.endswith("(* matched)") and SECRET not in text
    assert SECRET not in repr(recorder.calls) and "<redacted>" in repr(recorder.calls[-2])
    with pytest.raises(AssertionError, match="expected no request, found 27"):
        recorder.assert_none()
    recorder.clear()
    with pytest.raises(AssertionError, match=r"found 0; nothing was sent$"):
        recorder.assert_one("GET")


def test_a_request_that_got_no_answer_is_kept_too() -> None:
    def refuse(request: Request) -> Response:
        raise twiliorm.TransportError("refused")

    client = twiliorm.Client("AC" + "0" * 32, "token", transport=FunctionTransport(refuse))
    recorder = RequestRecorder.install(client)
    with pytest.raises(twiliorm.TransportError):
        client.get_json("/2010-04-01/Accounts.json")
    assert recorder.assert_one("GET", "Accounts").status is None
    assert str(recorder.calls[0]).endswith("-> no answer")
    recorder.uninstall()
    assert client.transport is recorder.transport
    assert SentRequest("GET", "/x").resource == "x"


# --- seeding and resetting, directly -----------------------------------------------------------


def test_a_conversation_is_stored_as_the_api_would_list_it() -> None:
    with Sandbox(clock=Clock(frozen=True)) as sandbox:
        check_a_conversation(sandbox)


def check_a_conversation(sandbox: Sandbox) -> None:
    seed = Seeder(sandbox)
    ours = seed.incoming_number("+14155550100").phone_number
    assert ours == "+14155550100"
    made = seed.conversation(ours, "+15558675310", ["a", "b", "c"], first="outbound")
    seed.close()
    with sandbox.client() as client:
        listed = list(Message.objects.using(client).filter(to=ours))
        assert [m.body for m in listed] == ["b"] and listed[0].status == "received"
        assert [m.sid for m in made][::-1] == [m.sid for m in Message.objects.using(client).all()]
    assert [(m.from_, m.to, m.status) for m in made] == [
        (ours, "+15558675310", "delivered"),
        ("+15558675310", ours, "received"),
        (ours, "+15558675310", "delivered"),
    ]
    gaps = [(b.date_sent - a.date_sent).total_seconds() for a, b in itertools.pairwise(made)]
    assert gaps == [60, 60] and made[-1].date_sent == sandbox.clock.now()
    with pytest.raises(ValueError, match="first is 'inbound' or 'outbound'"):
        seed.conversation(ours, "+15558675310", ["x"], first="sideways")  # type: ignore[arg-type]


def test_reset_empties_the_sandbox_and_keeps_its_credentials() -> None:
    slow = Settings(message_delays=(1, 1, 1))  # a message's lifecycle is events on the clock
    with Sandbox(clock=Clock(frozen=True), settings=slow, records=3) as sandbox:
        client = sandbox.client()
        sub = Account.objects.using(client).create(friendly_name="sub")
        sub_token = sub.auth_token
        Message.objects.using(client).create(to="+15558675310", from_="+15017122661", body="x")
        assert sandbox.store.pending_events() > 0
        sandbox.reset()
        assert sandbox.requests == [] and sandbox.callbacks == []
        assert sandbox.store.pending_events() == 0
        assert Message.objects.using(client).count() == 0  # the same credentials still work
        assert [a.friendly_name for a in Account.objects.using(client).all()] == ["Sandbox account"]
        gone = twiliorm.Client(sub.sid, sub_token, base_url=sandbox.base_url)
        with gone, pytest.raises(twiliorm.AuthenticationError):
            Message.objects.using(gone).count()
        tester = twiliorm.Client(
            sandbox.test_account_sid, sandbox.test_auth_token, base_url=sandbox.base_url
        )
        with tester:
            made = Message.objects.using(tester).create(
                to="+15558675310", from_="+15005550006", body="test credentials"
            )
            assert made.sid
        sandbox.populate(2, calls=0)  # counts from none again
        assert Message.objects.using(client).count() == 2
        assert IncomingPhoneNumber.objects.using(client).count() == 0
        client.close()
