"""Status callbacks: Twilio's webhooks about what happened, POSTed in the background.

A message or call created with ``StatusCallback`` (or a call with
``RecordingStatusCallback``) gets a request at that URL for each change
Twilio reports, signed as Twilio signs (``X-Twilio-Signature``, computed
by :func:`twiliorm.webhooks.compute_signature` with the auth token of the
account the record belongs to: a sub-account's own token). Deliveries run
on one background thread, in order, and never block the request or event
that caused them. The sandbox only talks to loopback: a callback URL on any
other host is recorded as not sent. A delivery that fails (no answer, an
HTTP error) leaves a Notification with Twilio's code 11200, as Twilio does.

``Callbacks.deliveries`` records every attempt; ``wait()`` blocks until the
queue is empty, for tests.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import queue
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
import urllib3

from ..webhooks import compute_signature

if TYPE_CHECKING:
    from .app import App

__all__ = ["Callbacks", "Delivery", "is_loopback"]

logger = logging.getLogger("twiliorm.sandbox")
_USER_AGENT = "TwilioProxy/1.1 (twiliorm sandbox)"


@attrs.frozen
class Job:
    account: str
    url: str
    method: str
    params: tuple[tuple[str, str], ...]
    call_sid: str | None


@attrs.frozen
class Delivery:
    """One callback attempt: where, what, and how it went (``status`` None: not answered)."""

    url: str
    method: str
    params: tuple[tuple[str, str], ...]
    account: str
    signature: str
    status: int | None
    error: str | None
    at: float

    @property
    def form(self) -> dict[str, str]:
        return dict(self.params)


def is_loopback(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Callbacks:
    """The queue of callbacks to deliver, and the thread that delivers them."""

    def __init__(self, app: App, log_size: int = 10_000) -> None:
        self.app = app
        self.deliveries: collections.deque[Delivery] = collections.deque(maxlen=log_size)
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition()
        self._http: urllib3.PoolManager | None = None

    def send(
        self,
        account: str,
        url: str | None,
        params: Sequence[tuple[str, str]],
        *,
        method: str = "POST",
        call_sid: str | None = None,
    ) -> None:
        """Queue a callback to ``url`` (nothing when there is no URL)."""
        if not url:
            return
        job = Job(account, url, (method or "POST").upper(), tuple(params), call_sid)
        with self._idle:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="twiliorm-sandbox-callbacks", daemon=True
                )
                self._thread.start()
        self._queue.put(job)

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until every queued callback was attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        if self._http is not None:
            self._http.clear()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._deliver(job)
            except Exception:  # a callback must never take the sandbox down
                logger.exception("status callback to %s failed", job.url)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, job: Job) -> None:
        token = self.app.auth_token_of(job.account) or ""
        url, body = job.url, job.params
        if job.method == "GET":
            joiner = "&" if urllib.parse.urlsplit(url).query else "?"
            url, body = url + joiner + urllib.parse.urlencode(job.params), ()
        signature = compute_signature(url, body, token)
        if not is_loopback(url):
            self._record(
                job, url, signature, None, "not sent: the sandbox only calls loopback URLs"
            )
            return
        status, error = self._post(job.method, url, body, signature)
        self._record(job, url, signature, status, error)
        if error is not None:
            self._notify_failure(job, url, status, error)

    def _post(
        self, method: str, url: str, body: Sequence[tuple[str, str]], signature: str
    ) -> tuple[int | None, str | None]:
        if self._http is None:
            timeout = self.app.settings.callback_timeout
            self._http = urllib3.PoolManager(retries=False, timeout=timeout)
        headers = {"X-Twilio-Signature": signature, "User-Agent": _USER_AGENT}
        try:
            if method == "GET":
                answer = self._http.request("GET", url, headers=headers)
            else:
                answer = self._http.request(
                    method, url, fields=list(body), encode_multipart=False, headers=headers
                )
        except urllib3.exceptions.HTTPError as exc:
            return None, f"no answer: {exc}"
        if answer.status >= 400:
            return answer.status, f"answered HTTP {answer.status}"
        return answer.status, None

    def _record(
        self, job: Job, url: str, signature: str, status: int | None, error: str | None
    ) -> None:
        entry = Delivery(
            url, job.method, job.params, job.account, signature, status, error, time.time()
        )
        self.deliveries.append(entry)

    def _notify_failure(self, job: Job, url: str, status: int | None, error: str) -> None:
        self.app.behaviours.notifications.notify(
            job.account,
            code=11200,
            text=f"HTTP retrieval failure: {error}",
            call_sid=job.call_sid,
            request_url=url,
            request_method=job.method,
            response_status=status,
        )
