"""AsyncClient's first-answer fast path: a final answer is kept without the attempt log.

``AsyncClient._answer`` asks the policy once per (method, status, Retry-After) whether
a first answer would be retried and remembers the answer (a ``Retry`` is a value
object); this is a tenth of a fetch's own CPU (tests/bench/async_fetch.py). These
tests hold it to the policy: a policy replaced on the client (as bulk calls and
partitioned reads do) is asked again, and answers the policy retries go the slow
way, with their history (``retried``) intact.
"""

from __future__ import annotations

import pytest

import twiliorm
from twiliorm import AsyncClient
from twiliorm.aio import AsyncFunctionTransport
from twiliorm.transport import DEFAULT_RETRY, Request, Response

pytestmark = pytest.mark.anyio
ACCOUNT = "AC" + "a" * 32
PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/SM{'b' * 32}.json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def playing(*statuses: int) -> tuple[AsyncClient, list[Request]]:
    """A client whose transport answers ``statuses`` in turn (the last one repeated)."""
    plan, seen = list(statuses), []

    def answer(request: Request) -> Response:
        seen.append(request)
        status = plan.pop(0) if len(plan) > 1 else plan[0]
        return Response(status, {"Content-Type": "application/json"}, b"{}")

    client = AsyncClient(ACCOUNT, "t0ken", retry=False, transport=AsyncFunctionTransport(answer))

    async def no_pause(seconds: float) -> None:
        pass

    client._pause = no_pause  # type: ignore[method-assign]
    return client, seen


async def test_a_replaced_policy_is_asked_again() -> None:
    client, seen = playing(503, 503, 200)
    with pytest.raises(twiliorm.ServerError):
        await client.get_json(PATH)  # retry=False: the 503 stands, and is remembered
    assert len(seen) == 1
    client.retry = DEFAULT_RETRY  # resends a GET answered 503
    assert await client.get_json(PATH) == {}
    assert len(seen) == 3


async def test_a_final_first_answer_is_not_marked_retried() -> None:
    client, seen = playing(404)
    client.retry = DEFAULT_RETRY
    with pytest.raises(twiliorm.NotFoundError) as info:
        await client.delete(PATH)
    assert len(seen) == 1 and not info.value.retried


async def test_a_404_after_a_resent_delete_is_marked_retried() -> None:
    client, seen = playing(503, 404)
    client.retry = DEFAULT_RETRY
    with pytest.raises(twiliorm.NotFoundError) as info:
        await client.delete(PATH)
    assert len(seen) == 2 and info.value.retried  # the first DELETE may have worked
