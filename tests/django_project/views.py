"""The project's webhook views: each kind of view twiliorm offers, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpResponse

from twiliorm import Call, Message
from twiliorm.contrib.django import TwilioWebhookView, twilio_view, validate_twilio_request
from twiliorm.twiml import Message as Reply
from twiliorm.twiml import MessagingResponse, Say, VoiceResponse


def _account(callback: Message | Call) -> str:
    client = callback._ctx.client if callback._ctx else None  # the alias it is bound to
    return client.alias if client is not None and client.alias else "unbound"


@twilio_view
def sms(request: Any, message: Message) -> MessagingResponse:
    return MessagingResponse(Reply(f"{message.from_} said {message.body} ({_account(message)})"))


@twilio_view(alias=None)  # any account of the settings, each checked with its own token
def inbox(request: Any, message: Message) -> MessagingResponse:
    return MessagingResponse(Reply(f"{message.body} for {_account(message)}"))


@twilio_view(alias="marketing")
def marketing_sms(request: Any, message: Message) -> MessagingResponse:
    return MessagingResponse(Reply(f"marketing heard {message.body}"))


@twilio_view
async def voice(request: Any, call: Call) -> VoiceResponse:
    await asyncio.sleep(0)  # a coroutine really runs here
    return VoiceResponse(Say(f"{call.status} call from {call.from_}"))


@twilio_view
def status(request: Any, callback: Message | Call | None) -> None:
    return None


@validate_twilio_request
def signed_only(request: Any) -> HttpResponse:
    return HttpResponse(request.POST.get("Body", ""), status=202, content_type="text/plain")


class Callbacks(TwilioWebhookView):
    def handle_message(self, request: Any, message: Message, **kwargs: Any) -> MessagingResponse:
        where = kwargs.get("campaign", "main")
        return MessagingResponse(Reply(f"{where}: {message.status}"))

    def handle_call(self, request: Any, call: Call, **kwargs: Any) -> VoiceResponse:
        return VoiceResponse(Say(f"call {call.status}"))


class AsyncCallbacks(TwilioWebhookView):
    async def handle_message(self, request: Any, message: Message) -> MessagingResponse:
        await asyncio.sleep(0)
        return MessagingResponse(Reply(f"async: {message.body}"))

    def handle(self, request: Any, callback: Any) -> HttpResponse:
        return HttpResponse(status=204)
