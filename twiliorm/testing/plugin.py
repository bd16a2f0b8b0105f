"""twiliorm's pytest plugin: a sandbox, a client for it, seeding, and what was sent.

Installed with twiliorm (the ``pytest11`` entry point ``twiliorm``), so
pytest loads it wherever twiliorm is installed; ``-p no:twiliorm`` turns it
off. It only declares fixtures, one marker and one ini option: a session
that uses none of them starts nothing, and the sandbox is imported by the
first fixture that needs one, not when pytest starts.

Fixtures (all for one test unless said otherwise):

``twilio_sandbox``
    A :class:`~twiliorm.sandbox.Sandbox` on loopback: a new, empty one per
    test; or, with ``twiliorm_sandbox = shared`` in the ini file, the
    session's sandbox, emptied before the test (``Sandbox.reset()``).
    ``@pytest.mark.twilio_sandbox(**options)`` gives a test a new sandbox
    started with those ``Sandbox()`` options (``records=50``,
    ``clock=Clock(frozen=True)``, ``faults=...``), shared mode or not.
``twilio_shared_sandbox``
    The session's sandbox, emptied before the test; ``twilio_session_sandbox``
    is that sandbox as it is (session scope, never emptied).
``twilio_client``
    A :class:`~twiliorm.Client` connected to ``twilio_sandbox`` and installed as
    the default client (alias ``"default"``) for the test, removed and closed
    after. What it sends is recorded, and so is what its async twin sends
    (``await Message.objects.acreate(...)``) when aiohttp is installed.
``twilio_async_client``
    That async twin, an :class:`~twiliorm.AsyncClient` (``get_async_client()``
    during the test); it needs the ``twiliorm[async]`` extra. Async tests run
    under an async test runner (anyio's ``pytest.mark.anyio``, pytest-asyncio);
    these fixtures are plain ones, usable from either.
``twilio_requests``
    The :class:`~twiliorm.testing.RequestRecorder` of ``twilio_client``:
    ``twilio_requests.assert_one("POST", "Messages", To="+15558675310")``.
``twilio_seed``
    A :class:`~twiliorm.testing.seeding.Seeder` for ``twilio_sandbox``
    (``incoming_number()``, ``await aincoming_number()``, ``conversation()``);
    what it sends is not recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ..aio import AsyncClient, async_client_for
from ..client import Client, set_default_client
from ..exceptions import ConfigurationError
from .assertions import RequestRecorder

if TYPE_CHECKING:  # imported when a fixture starts one: pytest starts without it
    from ..sandbox import Sandbox
    from .seeding import Seeder

__all__ = [
    "twilio_async_client",
    "twilio_client",
    "twilio_requests",
    "twilio_sandbox",
    "twilio_seed",
    "twilio_session_sandbox",
    "twilio_shared_sandbox",
]

MODES = ("fresh", "shared")
#: where twilio_client leaves its recorder for twilio_requests, on the test's node
RECORDER = pytest.StashKey[RequestRecorder]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "twiliorm_sandbox",
        "twilio_sandbox for each test: 'fresh' (a new sandbox, the default) or 'shared' "
        "(the session's, emptied before each test)",
        default="fresh",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "twilio_sandbox(**options): a new sandbox for this test, started with these "
        "twiliorm.sandbox.Sandbox() options",
    )


def _new_sandbox(**options: Any) -> Sandbox:
    from ..sandbox import Sandbox  # here, not at the top: see the module docstring

    return Sandbox(**options).start()


@pytest.fixture(scope="session")
def twilio_session_sandbox() -> Iterator[Sandbox]:
    """One sandbox for the whole session, as it is (nothing emptied between tests)."""
    sandbox = _new_sandbox()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def twilio_shared_sandbox(twilio_session_sandbox: Sandbox) -> Sandbox:
    """The session's sandbox, emptied before this test: what earlier tests made is gone."""
    twilio_session_sandbox.reset()
    return twilio_session_sandbox


@pytest.fixture
def twilio_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The sandbox this test talks to: a new one, or the shared one emptied (see the
    module docstring for the ini option and the marker that choose)."""
    marker = request.node.get_closest_marker("twilio_sandbox")
    if marker is None and _mode(request.config) == "shared":
        yield request.getfixturevalue("twilio_shared_sandbox")
        return
    sandbox = _new_sandbox(**(marker.kwargs if marker else {}))
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _mode(config: pytest.Config) -> str:
    mode = str(config.getini("twiliorm_sandbox")).strip() or "fresh"
    if mode not in MODES:
        raise pytest.UsageError(f"twiliorm_sandbox is 'fresh' or 'shared', not {mode!r}")
    return mode


@pytest.fixture
def twilio_client(request: pytest.FixtureRequest, twilio_sandbox: Sandbox) -> Iterator[Client]:
    """A client of ``twilio_sandbox``, the default client for this test, recorded."""
    client = twilio_sandbox.client()
    recorder = request.node.stash[RECORDER] = RequestRecorder.install(client)
    _record_async(client, recorder)
    set_default_client(client)
    try:
        yield client
    finally:
        set_default_client(None)
        recorder.uninstall()
        client.close()


def _record_async(client: Client, recorder: RequestRecorder) -> None:
    """Give ``client`` its async twin now, recorded, so async calls are not missed."""
    try:
        twin = AsyncClient.for_client(client)
    except ConfigurationError:  # no aiohttp: the async API cannot send, nothing to miss
        return
    recorder.install_async(twin)


@pytest.fixture
def twilio_async_client(twilio_client: Client) -> AsyncClient:
    """``twilio_client``'s async twin: the default async client for this test, recorded
    (ConfigurationError without the ``twiliorm[async]`` extra)."""
    return async_client_for(twilio_client)


@pytest.fixture
def twilio_requests(request: pytest.FixtureRequest, twilio_client: Client) -> RequestRecorder:
    """What ``twilio_client`` sent in this test: ``.calls``, ``assert_one()``..."""
    recorder: RequestRecorder = request.node.stash[RECORDER]  # node is typed Any
    return recorder


@pytest.fixture
def twilio_seed(twilio_sandbox: Sandbox) -> Iterator[Seeder]:
    """Seeding helpers for ``twilio_sandbox``; what they send is not recorded."""
    from .seeding import Seeder  # it imports the sandbox: see the module docstring

    seeder = Seeder(twilio_sandbox)
    try:
        yield seeder
    finally:
        seeder.close()
