"""Async views: each request awaits Twilio without holding the event loop.

``await Message.objects.acreate(...)`` sends one POST; ``async for`` reads
the list page by page. While one request waits for Twilio, the server's
loop serves the others. (A sync ORM call here would block the loop:
twiliorm warns with SyncInAsyncWarning, naming the async method to use.)
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from twiliorm import Message, TwilioRestError, ValidationError


@require_POST
async def send_reminder(request: HttpRequest) -> JsonResponse:
    to, body = request.POST.get("to", ""), request.POST.get("body", "")
    try:
        message = await Message.objects.acreate(to=to, from_=settings.CLINIC_NUMBER, body=body)
    except ValidationError as exc:  # refused before anything was sent
        return JsonResponse({"error": str(exc)}, status=400)
    except TwilioRestError as exc:  # Twilio's own code and message
        return JsonResponse({"error": exc.message, "code": exc.code}, status=502)
    return JsonResponse({"sid": message.sid, "status": str(message.status)}, status=201)


@require_GET
async def recent_messages(request: HttpRequest) -> JsonResponse:
    to = request.GET.get("to")
    messages = Message.objects.filter(to=to) if to else Message.objects.all()
    found = [
        {"sid": m.sid, "to": m.to, "body": m.body, "status": str(m.status)}
        async for m in messages[:20]  # one GET of PageSize=20
    ]
    return JsonResponse({"messages": found})
