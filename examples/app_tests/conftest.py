"""Fixtures for testing the reminders app against a local Twilio-compatible sandbox.

Copy this into your own project: each test gets a fresh sandbox (a real HTTP
server on 127.0.0.1 with empty state) and twiliorm's default client pointing
at it, so the app's code runs unchanged and nothing reaches Twilio.
"""

import pathlib
import sys

import pytest

import twiliorm
from twiliorm.client import set_default_client
from twiliorm.sandbox import Sandbox

# The app under test lives in examples/, next to this directory.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


@pytest.fixture
def sandbox():
    """A fresh sandbox for each test."""
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def twilio(sandbox):
    """twiliorm connected to the sandbox, as the app's default client."""
    client = twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
    yield client
    set_default_client(None)
    client.close()


@pytest.fixture
def posts(sandbox):
    """The POSTs the sandbox answered, as (path, status) pairs, most recent last."""

    def read():
        return [(r.path, r.status) for r in sandbox.requests if r.method == "POST"]

    return read
