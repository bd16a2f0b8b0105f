"""Webhook views: the decorators and the class-based view, sync or async.

    @twilio_view                              # signature checked, the callback read,
    def sms(request, message):                # the reply sent as TwiML
        return MessagingResponse(Message(f"Got {message.body!r}"))

    @twilio_view(alias="marketing")
    async def voice(request, call):
        return VoiceResponse(Say("Hello"))

    class Callbacks(TwilioWebhookView):
        def handle_message(self, request, message): ...
        def handle_call(self, request, call): ...

What a view returns is sent back by :func:`twiml_response`: a
``VoiceResponse``/``MessagingResponse`` as ``text/xml``, an ``HttpResponse``
as it is, None as an empty ``<Response />`` (Twilio then does nothing more).

An ``async def`` view gets an async wrapper (Django runs it in the event loop
under ASGI); the check of the signature runs in a worker thread there, since
an ``accounts=`` lookup such as ``AccountTokens`` may read the API. The class
is async when any of its ``handle_*`` hooks is a coroutine function; its sync
hooks then run through ``sync_to_async``. Twilio sends no CSRF token, so
every view here is CSRF-exempt: the signature is the stronger check.
"""

# mypy: disable-error-code="import-untyped, import-not-found, misc, untyped-decorator"

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpResponse, HttpResponseBase
from django.utils.functional import classproperty
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View

from ...client import DEFAULT_ALIAS
from ...resource import Resource
from ...twiml import MessagingResponse, VoiceResponse
from ...webhooks.tokens import TokenLookup, WebhookValidator
from ...webhooks.urls import Trust
from .webhook import Refused, Webhook

__all__ = ["TwilioWebhookView", "twilio_view", "twiml_response", "validate_twilio_request"]

V = TypeVar("V", bound=Callable[..., Any])
_Accounts = Mapping[str, str] | TokenLookup | None


def twiml_response(reply: object) -> HttpResponseBase:
    """A view's reply as the response Twilio reads (see the module doc)."""
    if isinstance(reply, HttpResponseBase):
        return reply
    if reply is None:
        reply = MessagingResponse()  # an empty <Response />, the same for voice
    if isinstance(reply, (VoiceResponse, MessagingResponse)):
        return HttpResponse(bytes(reply), content_type=reply.content_type)
    raise TypeError(
        f"a Twilio webhook view returns a VoiceResponse, a MessagingResponse, an HttpResponse "
        f"or None, not {type(reply).__name__}"
    )


def _wrap(view: V, webhook: Webhook, *, parse: bool) -> V:
    """``view`` behind ``webhook``'s admission: sync or async as ``view`` is."""

    def arguments(callback: Resource | None, args: tuple[Any, ...]) -> tuple[Any, ...]:
        return (callback, *args) if parse else args

    if iscoroutinefunction(view):

        async def admitted_async(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                callback = await sync_to_async(webhook.admit)(request, parse=parse)
            except Refused as refused:
                return refused.response
            return twiml_response(await view(request, *arguments(callback, args), **kwargs))

        wrapper: Callable[..., Any] = admitted_async
    else:

        def admitted(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                callback = webhook.admit(request, parse=parse)
            except Refused as refused:
                return refused.response
            return twiml_response(view(request, *arguments(callback, args), **kwargs))

        wrapper = admitted
    return csrf_exempt(functools.wraps(view)(wrapper))  # type: ignore[no-any-return]


@overload
def twilio_view(view: V) -> V: ...
@overload
def twilio_view(
    view: None = None,
    *,
    alias: str | None = DEFAULT_ALIAS,
    auth_token: str | None = None,
    accounts: _Accounts = None,
    trust_forwarded: Trust | None = None,
    validator: WebhookValidator | None = None,
) -> Callable[[V], V]: ...
def twilio_view(
    view: V | None = None,
    *,
    alias: str | None = DEFAULT_ALIAS,
    auth_token: str | None = None,
    accounts: _Accounts = None,
    trust_forwarded: Trust | None = None,
    validator: WebhookValidator | None = None,
) -> V | Callable[[V], V]:
    """A webhook view: ``view(request, callback, *args, **kwargs)``, its reply sent as TwiML.

    Requests without Twilio's signature get 403 (the options are
    :class:`~twiliorm.contrib.django.webhook.Webhook`'s); ``callback`` is the
    ``Message`` or ``Call`` the form reports on, or None for another webhook
    (``request.POST`` has its form). ``view`` may be ``async def``.
    """
    webhook = Webhook(alias, auth_token, accounts, trust_forwarded, validator)

    def decorate(view: V) -> V:
        return _wrap(view, webhook, parse=True)

    return decorate(view) if view is not None else decorate


@overload
def validate_twilio_request(view: V) -> V: ...
@overload
def validate_twilio_request(
    view: None = None,
    *,
    alias: str | None = DEFAULT_ALIAS,
    auth_token: str | None = None,
    accounts: _Accounts = None,
    trust_forwarded: Trust | None = None,
    validator: WebhookValidator | None = None,
) -> Callable[[V], V]: ...
def validate_twilio_request(
    view: V | None = None,
    *,
    alias: str | None = DEFAULT_ALIAS,
    auth_token: str | None = None,
    accounts: _Accounts = None,
    trust_forwarded: Trust | None = None,
    validator: WebhookValidator | None = None,
) -> V | Callable[[V], V]:
    """Answer 403 unless the request carries Twilio's signature; the view keeps its signature.

    :func:`twilio_view` without the callback argument: ``view(request, *args,
    **kwargs)`` reads ``request.POST`` itself. Its reply is sent as
    :func:`twilio_view`'s is, so an ``HttpResponse`` passes through.
    """
    webhook = Webhook(alias, auth_token, accounts, trust_forwarded, validator)

    def decorate(view: V) -> V:
        return _wrap(view, webhook, parse=False)

    return decorate(view) if view is not None else decorate


_HOOKS = ("handle_message", "handle_call", "handle")


class TwilioWebhookView(View):
    """A class-based webhook view: one hook per kind of callback.

    ``handle_message(request, message)`` gets a message's webhook (an
    inbound SMS, a status callback), ``handle_call(request, call)`` a call's;
    both default to ``handle(request, callback)``, which also gets every other
    webhook (with ``callback`` None) and answers an empty ``<Response />``.
    URL arguments follow as ``*args, **kwargs``. A hook returns what a
    :func:`twilio_view` returns. The class attributes (given to ``as_view()``
    too) are :class:`~twiliorm.contrib.django.webhook.Webhook`'s options.
    """

    http_method_names = ["get", "post", "options"]
    alias: str | None = DEFAULT_ALIAS
    auth_token: str | None = None
    accounts: _Accounts = None
    trust_forwarded: Trust | None = None
    validator: WebhookValidator | None = None

    @classproperty
    def view_is_async(cls) -> bool:
        return any(iscoroutinefunction(getattr(cls, name)) for name in _HOOKS)

    @csrf_exempt
    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().dispatch(request, *args, **kwargs)

    def webhook(self) -> Webhook:
        """This view's :class:`Webhook`, from its attributes."""
        return Webhook(self.alias, self.auth_token, self.accounts, self.trust_forwarded,
                       self.validator)  # fmt: skip

    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Admit the webhook, run the hook for its callback and answer its reply as TwiML."""
        if self.view_is_async:
            return self._respond_async(request, *args, **kwargs)
        try:
            callback = self.webhook().admit(request)
        except Refused as refused:
            return refused.response
        return twiml_response(self.hook_for(callback)(request, callback, *args, **kwargs))

    get = post  # Twilio calls a webhook with the method configured for it

    async def _respond_async(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            callback = await sync_to_async(self.webhook().admit)(request)
        except Refused as refused:
            return refused.response
        hook = self.hook_for(callback)
        if not iscoroutinefunction(hook):
            hook = sync_to_async(hook)
        return twiml_response(await hook(request, callback, *args, **kwargs))

    def hook_for(self, callback: Resource | None) -> Callable[..., Any]:
        """The hook that handles ``callback``: the one named for its model where the class
        has its own (``handle_message``, ``handle_call``), else ``handle``."""
        name = f"handle_{type(callback).__name__.lower()}" if callback is not None else "handle"
        own = getattr(type(self), name, None)
        if own is None or own is getattr(TwilioWebhookView, name):
            return self.handle  # the default would only delegate: an async handle stays async
        return getattr(self, name)  # type: ignore[no-any-return]

    def handle_message(self, request: Any, message: Resource, *args: Any, **kwargs: Any) -> Any:
        """A message's webhook; by default :meth:`handle`."""
        return self.handle(request, message, *args, **kwargs)

    def handle_call(self, request: Any, call: Resource, *args: Any, **kwargs: Any) -> Any:
        """A call's webhook; by default :meth:`handle`."""
        return self.handle(request, call, *args, **kwargs)

    def handle(self, request: Any, callback: Resource | None, *args: Any, **kwargs: Any) -> Any:
        """Any webhook no other hook handles; by default an empty ``<Response />``."""
        return None
