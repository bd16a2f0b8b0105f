"""Serve the clinic's async Django views over ASGI against a sandbox, and call them.

``python examples/django_async_view/run.py`` starts an embedded sandbox,
points twiliorm at it through the environment, and drives the project's
ASGI application in-process (the ASGI protocol itself: a scope, ``receive``
and ``send``, as uvicorn or daphne would): it posts reminders to
``/reminders/`` concurrently, then lists ``/messages/``. Without the
sandbox, serve it for real with ``python -m uvicorn project.asgi:application``
from this folder (TWILIO_* set in the environment).
"""

import asyncio
import json
import os
import sys
import urllib.parse
import warnings
from pathlib import Path

import twiliorm
from twiliorm.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
PATIENTS = ["+15558675310", "+15558675311", "+15558675312"]


async def call(app, method, path, form=None, query=""):
    """One request through ``app``'s ASGI interface: (status, decoded JSON body)."""
    body = urllib.parse.urlencode(form or {}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    answer = {}

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Future()  # the client stays connected until the answer is sent

    async def send(event):
        if event["type"] == "http.response.start":
            answer["status"] = event["status"]
        elif event["type"] == "http.response.body":
            answer["body"] = answer.get("body", b"") + event.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], json.loads(answer["body"])


async def main(app):
    posts = [
        call(app, "POST", "/reminders/", {"to": to, "body": "Your appointment is tomorrow."})
        for to in PATIENTS
    ]
    for status, sent in await asyncio.gather(*posts):  # three views awaiting Twilio at once
        assert status == 201, sent
        print(f"POST /reminders/ -> {status} {sent['sid']} ({sent['status']})")
    status, refused = await call(app, "POST", "/reminders/", {"to": "not a number", "body": "x"})
    assert status == 400, refused
    print(f"POST /reminders/ with a bad number -> {status}")
    status, listed = await call(app, "GET", "/messages/", query=f"to={PATIENTS[0]}")
    assert status == 200 and len(listed["messages"]) == 1, listed
    print(f"GET /messages/?to={PATIENTS[0]} -> {status}: {listed['messages'][0]['body']!r}")
    status, everything = await call(app, "GET", "/messages/")
    assert status == 200 and len(everything["messages"]) == len(PATIENTS), everything
    print(f"GET /messages/ -> {len(everything['messages'])} messages")
    await twiliorm.get_async_client().aclose()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    warnings.simplefilter("error", twiliorm.SyncInAsyncWarning)  # no sync call in a view
    with Sandbox() as sandbox:
        os.environ.update(
            TWILIO_ACCOUNT_SID=sandbox.account_sid,
            TWILIO_AUTH_TOKEN=sandbox.auth_token,
            TWILIO_API_BASE_URL=sandbox.base_url,
        )
        from project.asgi import application

        asyncio.run(main(application))
